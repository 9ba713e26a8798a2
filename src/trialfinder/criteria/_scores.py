"""The applier for score rows: named scales from ``vocab/scores.tsv`` and generic "<name> score".

Rows are tried in table order; a later row never takes a span an earlier one already read.
"""

from __future__ import annotations

import re
from functools import cache

from msgspec.structs import replace

from trialfinder.criteria import lexicon
from trialfinder.criteria._extract import (
    _group,
    _merge,
    _overlaps,
    _post_op,
    bounds_of,
    rule,
    rules,
    runs,
)
from trialfinder.criteria._labs import _CHANGE_BEFORE
from trialfinder.criteria.constraints import Bounds, ScoreConstraint
from trialfinder.criteria.patterns.scores import BMI_UNIT, DECIMAL_COMMA
from trialfinder.criteria.tables import finditer

_ROMAN = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "V": 5.0, "VI": 6.0}
_CHILD_PUGH = {"A": (5.0, 6.0), "B": (7.0, 9.0), "C": (10.0, 15.0)}
_RANGE_SEP = re.compile(r"\s*(?:-|–|~|to|through)\s*", re.IGNORECASE)
_LIST_SEP = re.compile(r"\s*%?\s*(?:,|or|and|&|/|-|–|~|to|through)\s*", re.IGNORECASE)
# The class word written again inside a list: "grade III or grade IV".
_CLASS_WORD = re.compile(r"\b(?:class|grade|stage)\s+", re.IGNORECASE)
# A list or range that goes on after a value: "ECOG =0-2" is a range, not "= 0".
_LIST_GOES_ON = re.compile(
    r"\s*(?:,\s*(?:or|and)?|or|and|&|-|–|to)\s*(?:\d|(?-i:[IV]+)\b)", re.IGNORECASE
)
_BMI_UNIT = re.compile(BMI_UNIT, re.IGNORECASE)  # "23.0 kg/m2 and 39.9": the unit, not a value
_DECIMAL_COMMA = re.compile(DECIMAL_COMMA)
_MINUS = frozenset({"-", "−"})
# A T- or Z-score right after another test's short form is that test's standard score, not a
# bone density's ("SDMT z-score"); "BMD T-score" and "DXA T-score" are the scale's own names.
_STANDARD_SCORES = frozenset({"T-score", "Z-score"})
_TEST_BEFORE = re.compile(
    r"(?-i:\b(?!(?:AND|NOT|NOR|THE|FOR|WITH)\b)[A-Z][A-Za-z0-9]+[A-Z][\w-]*)\s+\Z"
)
# A value of a scale's own between its name and another scale's, outside brackets: "NYHA Grade
# III/IV, COPD GOLD > 2" (not "Karnofsky (for patients > 12 years of age) or Lansky ≥ 50%").
_OWN_VALUE = re.compile(r"\d|(?-i:\b(?:I|II|III|IV|V|VI)\b)|[<>≤≥]")
_SIGNED_VALUE = re.compile(r"[-−+]?\d+(?:\.\d+)?")  # each end of "-1 and -2.49", "-2 to +1"


@cache
def _comparator_before() -> re.Pattern[str]:
    """Return the regex of a comparator written right before a scale's name ("an" or "the" may
    stand between): "heart failure greater than New York Heart Association Class II"."""
    return re.compile(
        r"(?P<op>" + lexicon.comparator_regex() + r")\s*(?:an?\s+|the\s+)?\Z", re.IGNORECASE
    )


def _with_comparator_before(text: str, found: ScoreConstraint) -> ScoreConstraint:
    """Return ``found`` bounded by a comparator written before the scale's name, if one is.

    Only a single value takes it: "Greater than an ASA Class 1" is above class 1, and "more or
    equal to ASA class III" is class III or worse, not class 1 or class III alone.
    """
    bounds = found.bounds
    if bounds.low is None or bounds.low != bounds.high:
        return found
    start = found.span[0]
    before = _comparator_before().search(text, max(0, start - 30), start)
    op = lexicon.comparator_op(before.group("op")) if before is not None else None
    if before is None or op is None or op == "eq":
        return found
    span = (before.start(), found.span[1])
    return replace(found, span=span, bounds=bounds_of(op, bounds.low), classes=())
    start = found.span[0]
    before = _comparator_before().search(text, max(0, start - 30), start)
    if before is None:
        return found
    op = lexicon.comparator_op(" ".join(before.group().split()[: len(before.group().split())]))
    return found


def _decimal_points(text: str) -> str:
    """Return ``text`` with its decimal commas as points ("18,5-24,9" -> "18.5-24.9"), so that a
    list's commas alone separate its values."""
    return _DECIMAL_COMMA.sub(lambda m: m.group().replace(",", "."), text)


def _score_value(score: lexicon.Score, text: str, classed: bool = False) -> float | None:
    """Return the value ``text`` writes on ``score``'s scale, or None when it is off the scale;
    a roman numeral is read on a roman scale, or on any scale after a class word (``classed``:
    "GOLD stage III" is stage 3)."""
    text = _decimal_points(text.strip().replace("−", "-"))  # a typographic minus: "T ≤ −2.5"
    if text in _ROMAN and (score.scale == "roman" or classed):
        return _ROMAN[text]
    if text in _CHILD_PUGH:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if score.low <= value <= score.high else None


_PATTERN_SUM = re.compile(r"(\d)\s*\+\s*(\d)")
_GLEASON_PATTERN = re.compile(r"\bpatterns?\b", re.IGNORECASE)
_SUM_AFTER = re.compile(r"\s*\+\s*\d")


def _a_gleason_pattern(score: lexicon.Score, match: re.Match[str], text: str) -> bool:
    """Return True when a Gleason reading is one of the two patterns whose sum is the score, not
    the score: "Gleason pattern 5", or a value that a "+ 3" follows ("Gleason ≤ 3+4 or 4+3")."""
    if score.name != "Gleason" or _group(match, "sums") is not None:
        return False
    gap = _group(match, "gap") or ""
    return (
        _GLEASON_PATTERN.search(gap) is not None or _SUM_AFTER.match(text, match.end()) is not None
    )


def _listed_bounds(
    score: lexicon.Score, match: re.Match[str], values: list[float]
) -> Bounds | None:
    """Return the bounds of values listed for a score: their span, or one value under the
    match's comparator; None when one is off the scale (a comparator takes one value only)."""
    if not values or not all(score.low <= v <= score.high for v in values):
        return None
    op_text = _group(match, "op")
    if op_text is None:
        return Bounds(low=min(values), high=max(values))
    op = lexicon.comparator_op(op_text)
    return bounds_of(op, values[0]) if op is not None and len(values) == 1 else None


def _sum_bounds(score: lexicon.Score, match: re.Match[str], sums: str) -> Bounds | None:
    """Return the bounds of scores written as sums ("Gleason 4+3 or 4+4" is 7-8, "≥ 4+3" at
    least 7); a comparator takes one sum only."""
    totals = [float(int(a) + int(b)) for a, b in _PATTERN_SUM.findall(sums)]
    return _listed_bounds(score, match, totals)


_IHC_DIGIT = re.compile(r"[0-3]|zero", re.IGNORECASE)


def _plus_bounds(score: lexicon.Score, match: re.Match[str], plus: str) -> Bounds | None:
    """Return the bounds of an immunohistochemistry score written "2+ or 3+", "0-2+", "≥ 2+";
    at least one value carries its "+", and a comparator takes one value only."""
    if "+" not in plus:
        return None
    values = [0.0 if v.lower() == "zero" else float(v) for v in _IHC_DIGIT.findall(plus)]
    return _listed_bounds(score, match, values)


def _score_bounds(score: lexicon.Score, match: re.Match[str], text: str) -> ScoreConstraint | None:
    values = _group(match, "values")
    classes: tuple[str, ...] = ()
    end = match.end()
    if _a_gleason_pattern(score, match, text):
        return None
    sums = _group(match, "sums")
    plus = _group(match, "plus")
    signed = _group(match, "signed")
    if sums is not None or plus is not None:
        written = (
            _sum_bounds(score, match, sums)
            if sums is not None
            else _plus_bounds(score, match, plus or "")
        )
        if written is None:
            return None
        bounds = written
    elif signed is not None:
        ends = [_score_value(score, end_text) for end_text in _SIGNED_VALUE.findall(signed)]
        known_ends = [v for v in ends if v is not None]
        if len(known_ends) != 2 or len(ends) != 2:
            return None  # an end off the scale: "RASS -6 to 0"
        bounds = Bounds(low=min(known_ends), high=max(known_ends))
    elif values is not None:
        if score.low < 0 and text[match.start("values") - 1 : match.start("values")] in _MINUS:
            return None  # "T-score worse than -1.0": a negative value this list cannot read
        values = _CLASS_WORD.sub("", values)  # "grade III or grade IV"
        parts = [p for p in _LIST_SEP.split(_BMI_UNIT.sub(" ", _decimal_points(values))) if p]
        if score.scale == "letter" and all(p in _CHILD_PUGH for p in parts):
            classes = tuple(parts)
            spans = [_CHILD_PUGH[p] for p in parts]
            bounds = Bounds(low=min(s[0] for s in spans), high=max(s[1] for s in spans))
        else:
            classed = _group(match, "classed") is not None
            numbers = [_score_value(score, p, classed) for p in parts]
            if not numbers or any(n is None for n in numbers):
                return None
            known = [n for n in numbers if n is not None]
            if score.scale == "roman":
                classes = tuple(parts)
            if len(known) == 1 and score.name == "BMI":
                return None  # "BMI 30": no direction
            bounds = Bounds(low=min(known), high=max(known))
    else:
        raw = _group(match, "value") or ""
        if score.scale == "letter" and raw in _CHILD_PUGH:
            low, high = _CHILD_PUGH[raw]
            value = high if (_group(match, "op") or "").strip() in {"≤", "<="} else low
        else:
            found = _score_value(score, raw)
            if found is None and raw[:1] in _MINUS:
                found = _score_value(score, raw[1:])  # "ECOG -2 or less": a dash on a 0-5 scale
            if found is None:
                return None
            value = found
        op_text = _group(match, "op")
        op = lexicon.comparator_op(op_text) if op_text else None
        if op == "eq" and _LIST_GOES_ON.match(text, match.end("value")):
            return None  # "ECOG =0-2": the list's own row reads the range
        if op is None:
            post = _group(match, "post")
            if post is None:
                return None
            op = _post_op(post)
        bounds = bounds_of(op, value)
        low_text = _group(match, "low")
        if low_text is not None:  # "from 18.5 to less than 25", "at least 40 and at most 90"
            range_low = _score_value(score, low_text)
            low_op = lexicon.comparator_op(_group(match, "low_op") or "≥")
            merged = (
                None
                if range_low is None or low_op is None
                else _merge(bounds_of(low_op, range_low), bounds)
            )
            if merged is None:
                return None
            bounds = merged
        chain = rule("score_chain")[1].match(text, end)
        if chain is not None:
            second_op = lexicon.comparator_op(chain.group("op"))
            second = _score_value(score, chain.group("value"))
            if second_op is not None and second is not None:
                merged = _merge(bounds, bounds_of(second_op, second))
                if merged is not None and not _empty(merged):  # "BMI <18 and >35": two sides
                    bounds, end = merged, chain.end()
        if bounds.high is None and bounds.low is not None:
            bounds, end = _range_end(score, bounds, text, end)
    return ScoreConstraint(
        span=(match.start(), end),
        confidence=0.0,
        rule="",
        score=score.name,
        bounds=bounds,
        classes=classes,
    )


_SIGNED_ROW = "score_signed_range"


@cache
def _has_negative_values(name: str) -> bool:
    """Return True when the scale a name names runs below zero (T-score, Z-score, RASS)."""
    score = lexicon.score_of(name)
    return score is not None and score.low < 0


def scores(text: str, present: frozenset[str]) -> list[ScoreConstraint]:
    """Return the score constraints in a criterion."""
    out: list[ScoreConstraint] = []
    taken: list[tuple[int, int]] = []
    names = lexicon.score_index().find(text)
    starts = [start for start, _ in names]
    for pattern, regex in rules("score"):
        if pattern.trigger:  # generic rows search; named rows start at a score's mention
            unnamed = not names and "score" in regex.groupindex and pattern.label is None
            if not runs(pattern, present) or unnamed:
                continue  # a row naming the scale after its value needs a scale's name or a label
            matches = list(finditer(pattern, regex, text))
        elif pattern.name == _SIGNED_ROW:  # tried only at scales that have negative values
            signed_starts = [start for start, end in names if _has_negative_values(text[start:end])]
            matches = [m for m in (regex.match(text, start) for start in signed_starts) if m]
        elif starts:
            matches = [m for m in (regex.match(text, start) for start in starts) if m]
        else:
            continue  # no scale named: a row that starts at a name has nowhere to start
        for match in matches:
            if _overlaps(match.span(), taken) or _crosses_a_field(match):
                continue
            if _numbers_an_item(text, match):
                continue  # "on the PCL-5, 3) no PTSD diagnosis": "3)" numbers the next item
            if _CHANGE_BEFORE.search(text, max(0, match.start() - 40), match.start()):
                continue  # "Increase in SLEDAI > 2 points": a change, not a level
            name = _group(match, "score") or pattern.label or None  # a row may fix the scale
            if name is not None:
                score = lexicon.score_of(name)
            else:
                generic = " ".join(match.group("name").split())  # a wrapped name on one line
                if lexicon.lab_of(generic):
                    continue
                # A known scale that its own rows did not read ("scores of 2 or higher on the
                # SDQ") keeps its name and range.
                score = lexicon.score_as_written(generic) or lexicon.Score(
                    generic, (generic,), float("-inf"), float("inf"), "number"
                )
            if score is None:
                continue
            if _own_values_before_another_scale(text, match, score, names):
                continue  # "NYHA Grade III/IV, COPD GOLD > 2": the value is GOLD's, read at GOLD
            if score.name in _STANDARD_SCORES and _TEST_BEFORE.search(
                text, max(0, match.start() - 20), match.start()
            ):
                continue  # "SDMT z-score range (-2 to +1)": the named test's z-score
            found = _score_bounds(score, match, text)
            if found is None:
                continue
            found = _with_comparator_before(text, found)
            taken.append(found.span)
            out.append(
                ScoreConstraint(
                    span=found.span,
                    confidence=pattern.confidence,
                    rule=pattern.name,
                    score=found.score,
                    bounds=found.bounds,
                    classes=found.classes,
                )
            )
            other = _other_side(score, found, text)
            if other is not None:
                taken.append(other.span)
                out.append(replace(other, confidence=pattern.confidence))
            out += _also_named(text, match, found, names, pattern.confidence)
    return out


def _own_values_before_another_scale(
    text: str, match: re.Match[str], score: lexicon.Score, names: list[tuple[int, int]]
) -> bool:
    """Return True when a scale has values of its own before another scale named ahead of the
    value a match reads: that value is the later scale's, which has its own turn."""
    if "gap" not in match.re.groupindex or match.start("gap") < 0:
        return False
    gap_start, gap_end = match.start("gap"), match.end("gap")
    for start, end in names:
        if start < gap_start or end > gap_end:
            continue
        other = lexicon.score_of(text[start:end])
        if (
            other is not None
            and other.name != score.name
            and _OWN_VALUE.search(_BRACKETED.sub("", text[match.end("score") : start]))
        ):
            return True
    return False


def _range_end(score: lexicon.Score, bounds: Bounds, text: str, end: int) -> tuple[Bounds, int]:
    """Return ``bounds`` closed by the top of a range written after them, and where it ends.

    "BMI >25 kg/m² to >40 kg/m²" and "BMI- >23- 35Kg/m2" are ranges whose top carries the
    lower bound's sign or none; a top with an upper sign ("> 25 to < 40") keeps its own.
    """
    match = rule("score_range_end")[1].match(text, end)
    if match is None or bounds.low is None:
        return bounds, end
    top = _score_value(score, match.group("value"))
    op = lexicon.comparator_op(match.group("op")) if match.group("op") else None
    if top is None or top <= bounds.low or op == "eq":
        return bounds, end
    upper = bounds_of(op, top) if op in {"le", "lt"} else bounds_of("le", top)
    merged = _merge(bounds, upper)
    return (bounds, end) if merged is None else (merged, match.end())


def _empty(bounds: Bounds) -> bool:
    """Return True when a range holds no value: its low end above its high end."""
    return bounds.low is not None and bounds.high is not None and bounds.low > bounds.high


def _other_side(score: lexicon.Score, found: ScoreConstraint, text: str) -> ScoreConstraint | None:
    """Return the second bound after "or" or "and": "BMI less than 20 or greater than 50".

    Only a one-sided bound counts, followed by one on the opposite side ("or", or "and" where
    the two sides leave no value between them: "BMI <18 and >35"), or on the same side where a
    bracket names the group each bound is for ("≥70% (MAC) or ≥60% (RIC)"); "≤ 2 or ≤ 3" does
    not.
    """
    if (found.bounds.low is None) == (found.bounds.high is None):
        return None
    pattern, regex = rule("score_other_side")
    match = regex.match(text, found.span[1])
    if match is None:
        return None
    op = lexicon.comparator_op(match.group("op"))
    value = _score_value(score, match.group("value"))
    if op is None or value is None:
        return None
    bounds = bounds_of(op, value)
    same_side = (bounds.low is None) == (found.bounds.low is None)
    for_groups = match.group("group_before") is not None or match.group("group_after") is not None
    if same_side and not (for_groups and match.group("join").lower() == "or"):
        return None
    if match.group("join").lower() == "and":
        both = _merge(found.bounds, bounds)
        if both is None or not _empty(both):
            return None  # "> 21 and < 35" is one range, read by the chain
    group_after = match.group("group_after")  # "(South Asian)": the group, not the score
    return ScoreConstraint(
        span=(match.start("op"), match.start("group_after") if group_after else match.end()),
        confidence=0.0,
        rule=pattern.name,
        score=found.score,
        bounds=bounds,
    )


def _crosses_a_field(match: re.Match[str]) -> bool:
    """Return True when the gap runs into another field of a PDQ list or names a lab outside
    brackets: "Performance status: Not specified Hematopoietic: WBC greater than 4,000", not
    "BMI (weight in kg divided by height in m²) of 18 to 30"."""
    gap = _group(match, "gap")
    if gap is None or len(gap) < 3:
        return False  # most gaps: "", " ", ": "
    return gap.count(":") > 1 or _lab_finder().search(_BRACKETED.sub("", gap)) is not None


_ITEM_CLOSE = re.compile(r"[ \t]*\)")
_BRACKET = re.compile(r"[()]")


def _numbers_an_item(text: str, match: re.Match[str]) -> bool:
    """Return True when the value a match reads is followed by a ")" that closes no bracket
    opened before it: "…on the PCL-5, 3) no PTSD" numbers a list's item, "(ECOG 0-1)" does not."""
    group = "values" if _group(match, "values") is not None else "value"
    if _group(match, group) is None:
        return False
    end = match.end(group)
    if _ITEM_CLOSE.match(text, end) is None:
        return False
    depth = 0  # brackets open before the value; a ")" that closes none ("3) ECOG") counts not
    for char in _BRACKET.findall(text, 0, end):
        depth = depth + 1 if char == "(" else max(0, depth - 1)
    return depth == 0


@cache
def _lab_finder() -> re.Pattern[str]:
    return re.compile(lexicon.lab_regex(), re.IGNORECASE)


_BRACKETED = re.compile(r"\([^()]*\)")
_JOINED = re.compile(r"(?:\bor\b|\band\b|/)")


def _alike(one: lexicon.Score, other: lexicon.Score | None) -> bool:
    """Return True when two scales run over the same range (Karnofsky and Lansky, 0-100)."""
    if other is None:
        return False
    return (one.low, one.high, one.scale) == (other.low, other.high, other.scale)


def _also_named(
    text: str,
    match: re.Match[str],
    found: ScoreConstraint,
    names: list[tuple[int, int]],
    confidence: float,
) -> list[ScoreConstraint]:
    """Return the same bounds for other scales named before the values: "Karnofsky or Lansky ≥ 50".

    A second name counts when "or", "and" or "/" joins it to the first and the values fit its
    own range; one after a slash only where the two scales are alike ("Karnofsky/Lansky").
    """
    if "gap" not in match.re.groupindex or match.start("gap") < 0:
        return []
    out: list[ScoreConstraint] = []
    seen = {found.score}
    slashed: list[tuple[int, int]] = []
    if "/" in text[match.end("score") : match.end("gap")]:
        # "Karnofsky/Lansky score ≥ 50"; a slash joins alike scales only, so "ECOG/KPS 0-1" is
        # no Karnofsky bound
        slashed = [
            span for span in lexicon.score_index_after_slash().find(text) if span not in names
        ]
    for start, end in names + slashed:
        if not (match.end("score") <= start and end <= match.end("gap")):
            continue
        other = lexicon.score_of(text[start:end])
        if (
            other is None
            or other.name in seen
            or not _JOINED.search(text, match.end("score"), start)
            or not all(
                b is None or other.low <= b <= other.high
                for b in (found.bounds.low, found.bounds.high)
            )
        ):
            continue
        if (start, end) in slashed and not _alike(other, lexicon.score_of(found.score)):
            continue
        seen.add(other.name)
        out.append(
            ScoreConstraint(
                span=(start, found.span[1]),
                confidence=confidence,
                rule="score_also_named",
                score=other.name,
                bounds=found.bounds,
                classes=found.classes,
            )
        )
    return out


@cache
def _score_finder() -> re.Pattern[str]:
    return re.compile(lexicon.score_regex(), re.IGNORECASE)
