"""The generic applier for rule families: age, sex, pregnancy, windows; helpers for the others.

Each function runs the rows of one kind over a criterion and turns named groups into
constraints: ``op``/``value``, ``low``/``high``, ``unit``, ``post`` ("or older"), ``uln``,
``titre``, ``values`` ("0, 1 or 2"). Rows are tried in table order; a later row never takes a
span an earlier one already read.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import filterfalse
from typing import TypeVar

from msgspec.structs import replace

from trialfinder.criteria import lexicon
from trialfinder.criteria.constraints import (
    AgeConstraint,
    Bounds,
    Measurement,
    NotCheckable,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TimeWindow,
)
from trialfinder.criteria.patterns import all_patterns
from trialfinder.criteria.tables import (
    Pattern,
    compile_pattern,
    finditer,
    has_number,
    read_tsv,
    search,
    word_spans,
)

Rule = tuple[Pattern, re.Pattern[str]]


@cache
def rules(kind: str) -> tuple[Rule, ...]:
    """Return the compiled rows of one kind, in table order."""
    return tuple((p, compile_pattern(p)) for p in all_patterns() if p.kind == kind)


@cache
def rule(name: str) -> Rule:
    """Return one compiled row by name."""
    for pattern in all_patterns():
        if pattern.name == name:
            return pattern, compile_pattern(pattern)
    raise KeyError(name)


def comparator_bound_at(
    rule_name: str, text: str, end: int
) -> tuple[re.Match[str], str, float] | None:
    """Return (match, comparator, value) of the row `rule_name` matched at `end`, whose groups
    "op" and "value" read as a comparator and a number, or None: the bound that follows another
    (a second age bound, a second stenosis share after "or")."""
    match = rule(rule_name)[1].match(text, end)
    if match is None:
        return None
    op = lexicon.comparator_op(match.group("op"))
    value = lexicon.parse_number(match.group("value"))
    if op is None or value is None:
        return None
    return match, op, value


@cache
def _all_triggers() -> tuple[str, ...]:
    return tuple(sorted({t for p in all_patterns() for t in p.trigger}))


@cache
def _trigger_finder() -> tuple[re.Pattern[str], dict[str, frozenset[str]]]:
    """Return a regex finding, at every position, the longest trigger that starts there, and
    for each trigger the triggers that are its prefixes (they start there too)."""
    triggers = _all_triggers()
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for trigger in triggers:
        node = root
        for char in trigger:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [re.escape(k) + build(v) for k, v in sorted(node.items()) if k]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    prefixes = {t: frozenset(p for p in triggers if t.startswith(p)) for t in triggers}
    # The lookahead lets matches overlap, so "mo" inside "months" is seen as well as "month".
    return re.compile("(?=(" + build(root) + "))"), prefixes


# Not a trigger but a mark in the same set: "a number occurs". Never in a lower-cased text.
NUMBER = "{NUM}"


def triggers_in(lower: str) -> frozenset[str]:
    """Return the rule triggers that occur in ``lower``, and ``NUMBER`` if a number does."""
    finder, prefixes = _trigger_finder()
    found: set[str] = set()
    for longest in set(finder.findall(lower)):
        found |= prefixes[longest]
    if has_number(lower):
        found.add(NUMBER)
    return frozenset(found)


@cache
def _trigger_kinds() -> tuple[frozenset[str], tuple[str, ...], bool]:
    """Return the triggers made of word characters only; the others ("y.o", "birth control"),
    which can only be tested on the whole text; and whether a number can be told word by word
    (every number word is made of word characters)."""
    triggers = _all_triggers()
    words = frozenset(t for t in triggers if _WORD_ONLY.fullmatch(t))
    number_words = [row["word"] for row in read_tsv("numbers.tsv", ("word", "value"))]
    by_word = all(_WORD_ONLY.fullmatch(w) for w in number_words)
    return words, tuple(t for t in triggers if t not in words), by_word


_WORD_ONLY = re.compile(r"\w+")
# Lower-cased word -> the triggers inside it, and NUMBER if a number could match in it.
_WORD_TRIGGERS: dict[str, frozenset[str]] = {}
_WORD_TRIGGERS_SIZE = 200_000


def _triggers_of_word(word: str) -> frozenset[str]:
    """Return what ``triggers_in`` finds in one word; computed once per word and kept."""
    finder, prefixes = _trigger_finder()
    found: set[str] = set()
    for longest in set(finder.findall(word)):
        found |= prefixes[longest]
    # A number word inside a run of word characters is followed by a boundary only at the
    # run's end, so searching the word alone agrees with searching the text.
    if has_number(word):
        found.add(NUMBER)
    _WORD_TRIGGERS[word] = frozen = frozenset(found)
    return frozen


def triggers_of(text: str) -> frozenset[str]:
    """Return what ``triggers_in(text.lower())`` returns, from the words of ``text``.

    A trigger of word characters lies inside one run of them, so the triggers of each distinct
    word are looked up once (and kept), and only the few others are searched for in the text.
    """
    lower = text.lower()
    _, others, by_word = _trigger_kinds()
    if len(lower) != len(text) or not by_word:
        return triggers_in(lower)
    # word_spans lower-cases the same way when the length does not change.
    where = word_spans(text)[3]
    known = _WORD_TRIGGERS
    missing = list(filterfalse(known.__contains__, where))
    if missing and len(known) + len(missing) > _WORD_TRIGGERS_SIZE:
        known.clear()  # a bound on memory: registries use some tens of thousands of words
        missing = list(where)
    for word in missing:
        _triggers_of_word(word)
    found = set().union(*map(known.__getitem__, where))
    found.update(t for t in others if t in lower)
    return frozenset(found)


def runs(pattern: Pattern, present: frozenset[str]) -> bool:
    """Return True when one of the row's triggers is ``present`` (or it has none), and a
    number is, for rows that need one."""
    if pattern.needs_number and NUMBER not in present:
        return False
    return not pattern.trigger or not present.isdisjoint(pattern.trigger)


_SELECTED_SIZE = 4096


class _Gates:
    """The rows of one kind as bit masks, so that ``applicable`` costs a few set operations.

    Bit ``i`` stands for row ``i`` in table order. The rows each mask selects are kept, so a
    criterion whose triggers open the same rows as an earlier one's reuses that list.
    """

    def __init__(self, kind: str) -> None:
        self.rows = rules(kind)
        self.untriggered = 0  # rows that run whatever the triggers
        self.without_number = 0  # rows that run when no number is present
        self.by_trigger: dict[str, int] = {}
        for index, (pattern, _) in enumerate(self.rows):
            bit = 1 << index
            if not pattern.needs_number:
                self.without_number |= bit
            if not pattern.trigger:
                self.untriggered |= bit
            for trigger in pattern.trigger:
                self.by_trigger[trigger] = self.by_trigger.get(trigger, 0) | bit
        self.triggers = frozenset(self.by_trigger)
        self.selected: dict[int, tuple[Rule, ...]] = {}

    def of(self, present: frozenset[str]) -> tuple[Rule, ...]:
        """Return the rows that ``runs`` allows when ``present`` are the criterion's triggers."""
        mask = self.untriggered
        by_trigger = self.by_trigger
        for trigger in self.triggers.intersection(present):
            mask |= by_trigger[trigger]
        if NUMBER not in present:
            mask &= self.without_number
        found = self.selected.get(mask)
        if found is None:
            found = tuple(row for index, row in enumerate(self.rows) if mask >> index & 1)
            if len(self.selected) >= _SELECTED_SIZE:
                self.selected.clear()  # a bound on memory for kinds with many rows
            self.selected[mask] = found
        return found


@cache
def _gates(kind: str) -> _Gates:
    """Return the gates of one kind, built once, when its rows are first asked for."""
    return _Gates(kind)


def applicable(kind: str, present: frozenset[str]) -> list[Rule]:
    """Return the compiled rows of one kind that ``runs`` allows on a criterion."""
    return list(_gates(kind).of(present))


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _group(match: re.Match[str], name: str) -> str | None:
    """Return a named group, or None when the row has no such group or it did not take part."""
    if name not in match.re.groupindex:
        return None
    return match.group(name)


def bounds_of(op: str, value: float) -> Bounds:
    """Return the interval that "<op> <value>" describes."""
    if op == "ge":
        return Bounds(low=value)
    if op == "gt":
        return Bounds(low=value, low_inclusive=False)
    if op == "le":
        return Bounds(high=value)
    if op == "lt":
        return Bounds(high=value, high_inclusive=False)
    return Bounds(low=value, high=value)


_POST_LOW = re.compile(r"less|lower|below|younger|under|better", re.IGNORECASE)


def _post_op(post: str) -> str:
    return "le" if _POST_LOW.search(post) else "ge"


def _merge(first: Bounds, second: Bounds) -> Bounds | None:
    """Return the intersection of a lower and an upper bound, or None if they do not combine."""
    if first.high is None and second.low is None and second.high is not None:
        return Bounds(
            low=first.low,
            high=second.high,
            low_inclusive=first.low_inclusive,
            high_inclusive=second.high_inclusive,
        )
    if first.low is None and second.high is None and second.low is not None:
        return Bounds(
            low=second.low,
            high=first.high,
            low_inclusive=second.low_inclusive,
            high_inclusive=first.high_inclusive,
        )
    return None


# --- negated comparators ---------------------------------------------------------------------

# A negation that governs the bound written right after it, with at most a verb, an article,
# whom it is about and a qualifier of the value between: "Must not have ECOG greater than 3",
# "Patients must not have a systolic blood pressure greater than 200 mmHg", "No serum
# creatinine greater than 2.0 mg/dL", "No patients with WBC less than 4000", "There should be no
# plasma HIV-1 RNA greater than 200 copies/mL". Anything else between ("no HRT and either age >
# 55", "not on dialysis with creatinine > 2") means the negation governs something else, and the
# bound is read as written, unless it defines the negated condition (``_DEFINED_LEAD``).
_NEGATION = r"""(?:
        (?P<modal>\b(?:must|should|shall|may|can|could|will|would|do|does|did)\s+not
            |\b(?:cannot|mustn['’]t|shouldn['’]t|won['’]t|don['’]t|doesn['’]t))
        (?:\s+(?P<verb>have|has|be|show|present\s+with)(?:\s+had)?)?
      |(?P<no>\b(?:there\s+(?:should|must|shall|can|may|will)\s+be\s+)?no)
        (?:\s+(?:patients?|subjects?|participants?|persons?|people|individuals?|one
            |children|minors|adults|women|men|volunteers|candidates)
           (?:\s+(?:with|having|who\s+(?:have|has)))?)?
    )"""
_VALUE_QUALIFIERS = r"""(?:(?:a|an|the|any)\s+)?
    (?:(?:known|baseline|basal|mean|average|current|supine|sitting|resting|standing|fasting
        |random|morning|serum|plasma|blood|urine|urinary)\s+)*\Z"""
_NEGATED_LEAD = re.compile(_NEGATION + r"\s+" + _VALUE_QUALIFIERS, re.IGNORECASE | re.VERBOSE)
# A negated condition and the bound that defines it: a bracket, "defined as", "i.e.", "as
# indicated by" or "with" between the condition's words and the bound. "No renal failure
# (creatinine > 2.5)", "Must not have impaired renal function (creatinine greater than 1.6)",
# "No hypotension with basal sitting systolic arterial pressure less than 100", "No severe
# anemia (i.e., hemoglobin less than 9.0 g/dL)". The condition's words hold no number, no
# comparator and no clause break, so "No supine BP < 100/60 with pulse < 50" (a conjunction of
# two bounds, whose complement is a disjunction) and "No cardiac disease, LVEF ≥ 40%" stay out.
# A bare colon is left out too: it opens a run-on list's section ("No hepatic disease Renal:
# Creatinine less than 2.5 mg/dL") or states the requirement ("No significant cerebrovascular
# disease: Modified Hachinski score of 4 or less"). A modal negation must govern "have" (not
# "cannot be well controlled (systolic blood pressure ≥ 150 mmHg)", where the bound describes
# the uncontrolled state the patient has).
_DEFINED_LEAD = re.compile(
    _NEGATION
    + r"""(?:\s+(?!(?:and|unless|except|but|if|than|least|greater|less|more|above|below|under
            |over|exceeding)\b)[a-z][\w'’/-]*){1,8}?
    \s*(?:\((?:\s*i\.?\s?e\.?,?)?|,?\s*\bi\.\s?e\.,?|\(?\s*\bdefined\s+as
        |,?\s*\bas\s+(?:defined|indicated|evidenced)\s+by|\bwith)\s*"""
    + _VALUE_QUALIFIERS,
    re.IGNORECASE | re.VERBOSE,
)
# A definition that goes on after its bound is a conjunction ("No poorly controlled
# hypertension (diastolic greater than 110 mmHg and systolic greater than 180)", "No DIC
# defined as fibrinogen less than 100 mg/dL AND prolonged PT"): its complement is a
# disjunction, which one bound cannot state, so the bound is read as written.
_DEFINITION_GOES_ON = re.compile(r"\s*,?\s*(?:and|with|plus)\b", re.IGNORECASE)
_LEAD_REACH = 100
_CLAUSE_BEFORE = re.compile(r"(?:\A|[.;:(\[•*\n])\s*[-–]?\s*\Z")
_COMPARATOR_AT = re.compile(r"(?:older|younger|greater|more|less|lower|higher)\b", re.IGNORECASE)


def negation_governs(text: str, start: int, end: int) -> bool:
    """Return True when a negation governs the bound at ``start:end``: right before it
    (``_NEGATED_LEAD``) or through the condition it defines (``_DEFINED_LEAD``). A "no" must open
    a clause or be written "No" (run-on lists: "Renal: ... No serum creatinine greater than 2.0
    mg/dL"); one right before a comparator is part of it ("no older than"), read by the rows
    themselves."""
    window_start = max(0, start - _LEAD_REACH)
    lead = _NEGATED_LEAD.search(text, window_start, start)
    if lead is None:
        lead = _DEFINED_LEAD.search(text, window_start, start)
        if (
            lead is None
            or (lead.group("modal") is not None and lead.group("verb") in {None, "be"})
            or _DEFINITION_GOES_ON.match(text, end)
        ):
            return False
    if lead.group("modal") is None:
        no_at = lead.start("no")
        opens = text.startswith("No", no_at) or text[no_at : no_at + 5].lower() == "there"
        if not opens and not _CLAUSE_BEFORE.search(text, window_start, no_at):
            return False
        if not text[lead.end("no") : start].strip() and _COMPARATOR_AT.match(text, start):
            return False  # "a sample no older than 3 years": "no" is the comparator's own
    return True


_Bounded = TypeVar("_Bounded", AgeConstraint, Measurement, ScoreConstraint)


def complement(
    bounds: Bounds, floor: float | None = None, ceiling: float | None = None
) -> Bounds | None:
    """Return the values outside ``bounds`` when they form one interval, or None.

    "Not > 3" is ≤ 3 and "not < 12" is ≥ 12. A range has values outside it on both sides, two
    intervals a ``Bounds`` cannot hold, unless it reaches an end of its scale (``floor``,
    ``ceiling``): "no NYHA class III-IV" on a 1-4 scale is below III.
    """
    low, high = bounds.low, bounds.high
    if low is not None and (high is None or (ceiling is not None and high >= ceiling)):
        return Bounds(high=low, high_inclusive=not bounds.low_inclusive)
    if high is not None and (low is None or (floor is not None and low <= floor)):
        return Bounds(low=high, low_inclusive=not bounds.high_inclusive)
    return None


# Every negation the lead knows has one of these ("cannot" ends in "not").
_NEGATION_WORD = re.compile(r"\bno\b|not\b|n['’]t\b", re.IGNORECASE)
# What joins the bounds of one negated list: "No hematocrit less than 28% (or hemoglobin less
# than 9.0 g/dL), or platelet count less than 100,000", "Must not have serum bilirubin greater
# than 4 mg/dl, transaminases greater than 3 times ULN". "and" is left out: "No X > 2 and Y ≥ 3"
# may add a requirement of its own.
_LIST_JOIN = re.compile(r"[\s()]*(?:,[\s()]*(?:(?:or|nor)\b[\s()]*)?|(?:or|nor)\b[\s()]*)")


def negated_readings(text: str, found: list[_Bounded]) -> list[_Bounded]:
    """Return ``found`` with each bound a negation governs read as its complement: the
    criterion says what the value must not be, so it states what the value must be. The
    negation governs the bounds listed after a governed one as well (see ``_LIST_JOIN``)."""
    if not found or _NEGATION_WORD.search(text) is None:
        return found  # most criteria: nothing to look for
    governed_end: int | None = None  # where the last governed bound ends
    negated: set[int] = set()
    for index in sorted(range(len(found)), key=lambda i: found[i].span):
        start, end = found[index].span
        listed = governed_end is not None and (
            start <= governed_end or _LIST_JOIN.fullmatch(text, governed_end, start) is not None
        )
        if listed or negation_governs(text, start, end):
            negated.add(index)
            governed_end = max(end, governed_end or end)
        else:
            governed_end = None
    return [_complemented(c) if i in negated else c for i, c in enumerate(found)]


def _complemented(constraint: _Bounded) -> _Bounded:
    """Return ``constraint`` with its bounds complemented, or unchanged when they cannot be."""
    if isinstance(constraint, ScoreConstraint):
        scale = lexicon.score_of(constraint.score)
        floor, ceiling = (scale.low, scale.high) if scale is not None else (None, None)
        bounds = complement(constraint.bounds, floor, ceiling)
        return constraint if bounds is None else replace(constraint, bounds=bounds, classes=())
    bounds = complement(constraint.bounds)
    if bounds is None:
        return constraint
    if isinstance(constraint, AgeConstraint):
        years = complement(constraint.years)
        return constraint if years is None else replace(constraint, bounds=bounds, years=years)
    canonical = None if constraint.canonical is None else complement(constraint.canonical)
    return replace(constraint, bounds=bounds, canonical=canonical)


# --- age --------------------------------------------------------------------------------------

_YEARS_PER = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}
_UNIT_NAMES = {"y": "years", "m": "months", "w": "weeks", "d": "days"}


def ages(text: str, present: frozenset[str]) -> list[AgeConstraint]:
    """Return the age constraints in a criterion."""
    if NUMBER not in present:
        return []  # every age row needs a number
    inclusive = any(search(p, regex, text) for p, regex in applicable("inclusive", present))
    out: list[AgeConstraint] = []
    taken: list[tuple[int, int]] = []
    for pattern, regex in applicable("age", present):
        for match in finditer(pattern, regex, text):
            if _overlaps(match.span(), taken):
                continue
            end = match.end()
            unit_written = (
                _group(match, "unit") or _group(match, "lunit") or _group(match, "next_unit")
            )
            key = (unit_written or "years").lower()[0]
            if key not in _YEARS_PER:
                continue
            other_side: tuple[Bounds, int, str] | None = None
            low_text, high_text = _group(match, "low"), _group(match, "high")
            if low_text is not None and high_text is not None:
                low, high = lexicon.parse_number(low_text), lexicon.parse_number(high_text)
                if low is None or high is None or low >= high:
                    continue
                exclusive = bool(_group(match, "hop")) and "=" not in (_group(match, "hop") or "")
                bounds = Bounds(low=low, high=high, high_inclusive=not exclusive or inclusive)
            else:
                value = lexicon.parse_number(_group(match, "value") or "")
                if value is None:
                    continue
                op_text = _group(match, "op")
                op = lexicon.comparator_op(op_text) if op_text else None
                if op is None:
                    post = _group(match, "post")
                    if post is None:
                        continue
                    op = _post_op(post)
                if inclusive and op in {"gt", "lt"}:
                    op = "ge" if op == "gt" else "le"
                bounds = bounds_of(op, value)
                chained = _age_chain(text, end, bounds, key, unit_written is not None)
                if chained is not None and not _overlaps((end, chained[1]), taken):
                    bounds, end, key = chained
                    unit_written = unit_written or _UNIT_NAMES[key]
                else:
                    other_side = _age_other_side(text, end, bounds, key, unit_written is not None)
                    if other_side is not None and _overlaps((end, other_side[1]), taken):
                        other_side = None
            if _OTHER_PERSON.search(
                text, max(0, match.start() - 40), match.start() + 12
            ) or _OTHER_AFTER.match(text, other_side[1] if other_side else end):
                continue  # the age of a donor, parent or partner, not of the patient
            if other_side is not None:
                key = other_side[2]
                unit_written = unit_written or _UNIT_NAMES[key]
            first = _age_constraint(
                pattern, (match.start(), end), bounds, key, _group(match, "lunit"), unit_written
            )
            if first is None:
                continue
            taken.append(first.span)
            out.append(first)
            if other_side is not None:
                second = _age_constraint(
                    pattern, (match.start(), other_side[1]), other_side[0], key, None, unit_written
                )
                if second is not None:
                    taken.append((end, other_side[1]))
                    out.append(second)
    return _joined(text, sorted(out, key=lambda a: a.span))


def _age_constraint(
    pattern: Pattern,
    span: tuple[int, int],
    bounds: Bounds,
    key: str,
    low_unit: str | None,
    unit_written: str | None,
) -> AgeConstraint | None:
    """Return the age constraint of ``bounds`` in the unit ``key``, or None if no age could be.

    ``low_unit`` is the low end's own unit where a range writes one ("6 months to 14 years").
    """
    factor = _YEARS_PER[key]
    low_factor = _YEARS_PER.get(low_unit.lower()[0], factor) if low_unit else factor
    years = Bounds(
        low=None if bounds.low is None else round(bounds.low * low_factor, 4),
        high=None if bounds.high is None else round(bounds.high * factor, 4),
        low_inclusive=bounds.low_inclusive,
        high_inclusive=bounds.high_inclusive,
    )
    if (
        (years.high or 0) > 125
        or (years.low or 0) > 125
        or (years.low is not None and years.high is not None and years.low > years.high)
    ):
        return None  # an equality ("aged = 8 months") stays: the labels' reading of "="
    confidence = pattern.confidence
    if unit_written is None:
        confidence = min(confidence, 0.75)
    return AgeConstraint(
        span=span,
        confidence=confidence,
        rule=pattern.name,
        bounds=bounds,
        unit=_UNIT_NAMES[key],
        years=years,
    )


_OTHER_PERSON = re.compile(
    r"\b(?:donors?|parents?|caregivers?|partners?|mothers?|fathers?|siblings?|relatives?)\b",
    re.IGNORECASE,
)
# "(age ≤ 40) and older first-degree (age >50) donors": a bracketed age before the person.
_OTHER_AFTER = re.compile(
    r"\s*\)[^,;.()]{0,40}?(?:\([^()]{0,20}\)[^,;.()]{0,10}?)?\b(?:donors?|parents?|caregivers?"
    r"|partners?|mothers?|fathers?|siblings?|relatives?)\b",
    re.IGNORECASE,
)
_JOIN = re.compile(
    r"^\s*(?:old|of\s+age)?[\s,;]*(?:and|but|&|to|-|–)?[\s,]*(?:age[ds]?\s*)?$", re.IGNORECASE
)


def _age_chain(
    text: str, end: int, bounds: Bounds, key: str, unit_fixed: bool
) -> tuple[Bounds, int, str] | None:
    """Return the range, its end and its unit key when "and ≤ 70 years" follows an age bound.

    A first bound written with no unit takes the second one's ("≥ 6 and < 24 months old");
    one written with a unit needs the same unit after the second.
    """
    following = _following_age_bound("age_chain", text, end, key, unit_fixed)
    if following is None:
        return None
    op, value, bound_end, key = following
    second = bounds_of(op, value)
    if bounds.low is not None and bounds.low == bounds.high:
        # "age =18 and <75 years", "= 18 and = 85 years of age": a range is written, so each
        # "=" is one end of it (two equalities would admit no age at all)
        if op == "eq" and value > bounds.low:
            second = Bounds(high=value)
        bounds = Bounds(low=bounds.low) if second.low is None else Bounds(high=bounds.high)
    merged = _merge(bounds, second)
    if merged is None or merged.low is None or merged.high is None or merged.low >= merged.high:
        return None
    return merged, bound_end, key


def _age_other_side(
    text: str, end: int, bounds: Bounds, key: str, unit_fixed: bool
) -> tuple[Bounds, int, str] | None:
    """Return the bound, its end and unit key of "or > 70 years" after "Age < 18".

    Only a bound on the other side, beyond the first, counts (an excluded middle: the two are
    two constraints, as for labs); "Age > 2 or < 80" is no such pair.
    """
    if (bounds.low is None) == (bounds.high is None):
        return None
    following = _following_age_bound("age_other_side", text, end, key, unit_fixed)
    if following is None:
        return None
    op, value, bound_end, key = following
    second = bounds_of(op, value)
    beyond = (second.low is not None and bounds.high is not None and second.low >= bounds.high) or (
        second.high is not None and bounds.low is not None and second.high <= bounds.low
    )
    return (second, bound_end, key) if beyond else None


def _following_age_bound(
    rule_name: str, text: str, end: int, key: str, unit_fixed: bool
) -> tuple[str, float, int, str] | None:
    """Return (comparator, value, end, unit key) of the bound the row `rule_name` matches at
    `end`, or None. A unit other than `key` is taken only when the first bound wrote none."""
    found = comparator_bound_at(rule_name, text, end)
    if found is None:
        return None
    match, op, value = found
    unit = match.group("unit")
    if unit is not None and unit.lower()[0] != key:
        if unit_fixed or unit.lower()[0] not in _YEARS_PER:
            return None
        key = unit.lower()[0]
    return op, value, match.end(), key


def _range_of(first: Bounds, second: Bounds) -> Bounds | None:
    """Return ``_merge`` of two bounds, two equalities in a row ("= 18 and = 85") as the ends."""
    if first.low == first.high and second.low == second.high:
        if first.low is None or second.low is None or first.low >= second.low:
            return None
        return Bounds(low=first.low, high=second.high)
    return _merge(first, second)


def _joined(text: str, found: list[AgeConstraint]) -> list[AgeConstraint]:
    """Join "Age ≥18 years" and "≤75 years old" written one after the other into one range."""
    out: list[AgeConstraint] = []
    for age in found:
        last = out[-1] if out else None
        if last is not None and _JOIN.match(text[last.span[1] : age.span[0]]):
            bounds = _range_of(last.bounds, age.bounds)
            years = _range_of(last.years, age.years)
            if (
                bounds is not None
                and years is not None
                and (years.low is None or years.high is None or years.low < years.high)
            ):  # "Age < 18 or > 70 years" are two ages, not one range
                out[-1] = AgeConstraint(
                    span=(last.span[0], age.span[1]),
                    confidence=min(last.confidence, age.confidence),
                    rule=last.rule,
                    bounds=bounds,
                    unit=last.unit,
                    years=years,
                )
                continue
        out.append(age)
    return out


# --- sex and pregnancy ------------------------------------------------------------------------

_SEX_WORDS = {
    "female": "female",
    "women": "female",
    "male": "male",
    "men": "male",
    "all": "all",
    "both": "all",
}


def sexes(text: str, present: frozenset[str]) -> list[SexConstraint]:
    """Return the sex constraints in a criterion (at most one)."""
    for pattern, regex in applicable("sex", present):
        match = search(pattern, regex, text)
        if match is None:
            continue
        word = (_group(match, "sex") or _group(match, "sex2") or "").lower()
        sex = _SEX_WORDS.get(word, pattern.label)
        if sex in {"female", "male", "all"}:
            return [
                SexConstraint(
                    span=match.span(),
                    confidence=pattern.confidence,
                    rule=pattern.name,
                    sex=sex,  # type: ignore[arg-type]
                )
            ]
    return []


def pregnancies(
    text: str, negated_at: list[tuple[int, int]], present: frozenset[str]
) -> list[PregnancyConstraint]:
    """Return the pregnancy-related constraints; ``negated_at`` are negated spans."""
    out: list[PregnancyConstraint] = []
    for pattern, regex in applicable("pregnancy", present):
        for match in finditer(pattern, regex, text):
            out.append(
                PregnancyConstraint(
                    span=match.span(),
                    confidence=pattern.confidence,
                    rule=pattern.name,
                    status=pattern.label,  # type: ignore[arg-type]
                    negated=_overlaps(match.span(), negated_at),
                )
            )
            break  # one per status is enough
    return out


def not_checkable(text: str, present: frozenset[str]) -> list[NotCheckable]:
    """Return one constraint per reason a patient record cannot answer the criterion."""
    out = []
    for pattern, regex in applicable("not_checkable", present):
        match = search(pattern, regex, text)
        if match is not None:
            out.append(
                NotCheckable(
                    span=match.span(),
                    confidence=pattern.confidence,
                    rule=pattern.name,
                    reason=pattern.label,  # type: ignore[arg-type]
                )
            )
    return out


# --- time windows -----------------------------------------------------------------------------

_DAYS_PER = {"y": 365.25, "m": 30.44, "w": 7.0, "d": 1.0, "h": 1 / 24}
_TIME_NAMES = {"y": "years", "m": "months", "w": "weeks", "d": "days", "h": "hours"}


def windows(text: str, present: frozenset[str]) -> list[TimeWindow]:
    """Return the time windows written in a criterion."""
    out: list[TimeWindow] = []
    taken: list[tuple[int, int]] = []
    for pattern, regex in applicable("time_window", present):
        for match in finditer(pattern, regex, text):
            if _overlaps(match.span(), taken):
                continue
            value_text = _group(match, "value")
            amount = lexicon.parse_number(value_text) if value_text else 1.0
            if amount is None:
                continue
            unit_text = match.group("unit").lower()
            if unit_text.startswith("half"):
                unit, days = "half-lives", None
            else:
                key = "m" if unit_text.startswith("mo") else unit_text[0]
                unit, days = _TIME_NAMES[key], round(amount * _DAYS_PER[key], 2)
            relation = pattern.label
            rel = (_group(match, "rel") or "").lower()
            if rel == "ago" and relation == "within":
                relation = "within"
            anchor = _group(match, "anchor")
            taken.append(match.span())
            out.append(
                TimeWindow(
                    relation=relation,  # type: ignore[arg-type]
                    amount=amount,
                    unit=unit,
                    days=days,
                    anchor=" ".join(anchor.split()) if anchor else None,
                    span=match.span(),
                    rule=pattern.name,
                )
            )
    return out
