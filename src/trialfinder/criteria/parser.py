"""Read eligibility criteria into typed constraints: the public entry is ``parse_criteria``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from trialfinder.criteria import lexicon
from trialfinder.criteria._context import Context, Cue, context_of, find_cues
from trialfinder.criteria._extract import (
    ages,
    applicable,
    negated_readings,
    not_checkable,
    pregnancies,
    sexes,
    triggers_of,
    windows,
)
from trialfinder.criteria._lab_context import renamed_by_context
from trialfinder.criteria._labs import formula_of, measurements, pressures
from trialfinder.criteria._scores import scores
from trialfinder.criteria._short_forms import (
    Mention,
    is_short_form,
    merge_short_forms,
    short_form_definitions,
    without_redefined,
)
from trialfinder.criteria._stenosis import stenoses
from trialfinder.criteria._value_first import values_first
from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Constraint,
    ParsedCriteria,
    ParsedCriterion,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TimeWindow,
    TreatmentConstraint,
    Unparsed,
)
from trialfinder.criteria.splitter import split_criteria, unescape
from trialfinder.criteria.tables import Pattern, finditer

__all__ = ["parse_criteria", "parse_criterion"]

_WINDOW_REACH = 120
_QUALIFIER_REACH = 40
_CLAUSE_END = re.compile(r";|\.\s")


@lru_cache(maxsize=256)
def _mesh_index(terms: tuple[str, ...]) -> lexicon.TermIndex:
    """Return a matcher over a record's own MeSH terms, each its own concept.

    Kept for the last few term lists (a trial's criteria share one): an ingest sees a new list
    with nearly every trial, and an unbounded cache would keep every one.
    """
    return lexicon.TermIndex(
        tuple(lexicon.Term(t, lexicon.mesh_name_variants(t)) for t in terms if len(t) > 2)
    )


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(b[0] - a[1], a[0] - b[1], 0)


def _same_clause(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    low, high = min(a[1], b[1]), max(a[0], b[0])
    return low >= high or _CLAUSE_END.search(text, low, high) is None


def _nearest_window(text: str, span: tuple[int, int], found: list[TimeWindow]) -> TimeWindow | None:
    best: TimeWindow | None = None
    for window in found:
        distance = _gap(span, window.span)
        if (
            distance <= _WINDOW_REACH
            and _same_clause(text, span, window.span)
            and (best is None or distance < _gap(span, best.span))
        ):
            best = window
    return best


def _extra_cues(text: str, present: frozenset[str]) -> list[Cue]:
    """Return the cues the negation table finds (forms that are not fixed literals)."""
    out = []
    for pattern, regex in applicable("negation", present):
        for match in finditer(pattern, regex, text):
            out.append(
                Cue(
                    match.start(),
                    match.end(),
                    pattern.label,
                    "TERMINATE" if pattern.label == "TERMINATE" else "FORWARD",
                )
            )
    return out


def _temporality(context: Context, window: TimeWindow | None, default: str) -> str:
    if context.hypothetical:
        return "hypothetical"
    if context.historical or (window is not None and not context.current):
        return "history"
    if context.current:
        return "current"
    return default


# A sex this close to a contraception, childbearing or pregnancy-test statement, in the same
# clause, says whom that statement is about, not who may take part: "adequate contraception
# (males and females)", "Female patients of childbearing potential must use ...". A woman or a
# man must come right before the statement (no age between: "Healthy women aged 18-40 who use
# contraception" names who may take part); "postmenopausal", "sterile" and "non-childbearing"
# say who may take part too.
_PAIR_REACH = 100
_ONE_SEX_REACH = 40
_NOT_FERTILE = re.compile(r"menopaus|steril", re.IGNORECASE)
_NON = re.compile(r"non[\s-]*$", re.IGNORECASE)


def _about_fertility(text: str, statement: PregnancyConstraint) -> bool:
    if statement.status == "childbearing_potential":
        start, end = statement.span
        return not _NOT_FERTILE.search(text, start, end) and not _NON.search(
            text, max(0, start - 5), start
        )
    return statement.status in {"contraception", "pregnancy_test"}


def _without_fertility_sexes(
    text: str, found: list[Constraint], pregnancy_list: list[PregnancyConstraint]
) -> list[Constraint]:
    """Return ``found`` without the sexes that only say whom a contraception statement is about."""
    statements = [p.span for p in pregnancy_list if _about_fertility(text, p)]
    if not statements:
        return found
    ages = [c.span for c in found if isinstance(c, AgeConstraint)]

    def about(sex: SexConstraint, span: tuple[int, int]) -> bool:
        if not _same_clause(text, sex.span, span):
            return False
        if sex.sex == "all":
            return _gap(sex.span, span) <= _PAIR_REACH
        return 0 <= span[0] - sex.span[1] <= _ONE_SEX_REACH and not any(
            sex.span[1] <= a[0] and a[1] <= span[0] for a in ages
        )

    return [
        c
        for c in found
        if not (isinstance(c, SexConstraint) and any(about(c, span) for span in statements))
    ]


# An age that says which scale applies: "Lansky (age < 16 years) or Karnofsky (age ≥ 16 years)",
# "Karnofsky ≥ 50 for patients > 16 years old". Such an age sits after "for" / "if" near a
# scale's name, or in a bracket after one, in the same clause.
_SCALE_REACH = 80
_SCOPED_AGE = re.compile(
    r"""(?:(?P<bracket>[(\[])[^()\[\]]*     # inside an open bracket: "Lansky (age < 16"
    |\b(?:for|if)\b[^.;:()\[\]]{0,25})$  # after "for" or "if": "for patients ≥ 12 and"
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _is_scale_age(text: str, span: tuple[int, int], names: list[tuple[int, int]]) -> bool:
    """Return True when the age at ``span`` picks a scale rather than bounding the patient."""
    scope = _SCOPED_AGE.search(text, max(0, span[0] - 40), span[0])
    if scope is None:
        return False
    bracket = scope.start("bracket")
    return any(
        _gap(span, name) <= _SCALE_REACH
        and _same_clause(text, span, name)
        and (bracket < 0 or name[1] <= bracket)
        for name in names
    )


def _without_scale_ages(text: str, found: list[AgeConstraint]) -> list[AgeConstraint]:
    """Return the ages of ``found`` that are not a scale's age range."""
    names = lexicon.score_index().find(text) if found else []
    return [age for age in found if not (names and _is_scale_age(text, age.span, names))]


def _score_names(text: str, found: list[ScoreConstraint]) -> list[tuple[int, int]]:
    """Return the spans that name the scales of ``found``, or a whole span when none is listed.

    A condition inside a scale's name is part of the name ("Beck Depression Inventory"); one
    between the name and the values is the patient's ("VAS back pain score of at least 50 mm",
    "class III or IV heart failure as defined by the New York Heart Association (NYHA)
    functional classification", whose name runs on past the span the values end).
    """
    if not found:
        return []
    names = lexicon.score_index().find(text)
    spans: list[tuple[int, int]] = []
    for score in found:
        inside = [n for n in names if score.span[0] <= n[0] < score.span[1]]
        spans += inside or [score.span]
    return spans


def _longest_first(
    mentions: list[tuple[int, int, lexicon.Term, str]],
) -> list[tuple[int, int, lexicon.Term, str]]:
    """Drop mentions inside a longer one."""
    kept: list[tuple[int, int, lexicon.Term, str]] = []
    for mention in sorted(mentions, key=lambda m: (m[0] - m[1], m[0])):
        if not any(k[0] <= mention[0] and mention[1] <= k[1] for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m[0])


# Labels of "mention_modifier" rows matched right after a mention: "any" drops conditions and
# therapies, "condition" conditions only, "therapy" therapies only. Rows labelled "not_therapy"
# or "not_procedure" are searched over the whole criterion instead: a therapy mention (for
# "not_procedure", one of class procedure) inside their ``scope`` group is no treatment.
def _without_no_treatments(
    text: str, rows: list[tuple[Pattern, re.Pattern[str]]], mentions: list[Mention]
) -> list[Mention]:
    """Return ``mentions`` without those inside the scope of a "not_therapy" row, or of a
    "not_procedure" row for a procedure. A row runs only where it could drop a mention."""
    has_procedure = any(term.group == "procedure" for _, _, term, _ in mentions)
    scopes = [
        (*match.span("scope"), pattern.label == "not_therapy")
        for pattern, regex in rows
        if pattern.label == "not_therapy" or (pattern.label == "not_procedure" and has_procedure)
        for match in finditer(pattern, regex, text)
    ]
    if not scopes:
        return mentions
    return [
        (start, end, term, source)
        for start, end, term, source in mentions
        if not any(
            s <= start and end <= e and (every or term.group == "procedure")
            for s, e, every in scopes
        )
    ]


def parse_criterion(text: str, *, mesh_terms: Sequence[str] = ()) -> list[Constraint]:
    """Return the constraints read from one criterion, each with its span, rule and confidence.

    Text that no rule reads comes back as one ``Unparsed`` constraint, never silently dropped.

    Args:
        mesh_terms: the record's own condition MeSH terms, matched as extra concepts.
    """
    return _parse(text, mesh_terms)


# A memo key: the criterion, its MeSH mentions and the short forms the trial defines in it.
_Key = tuple[str, tuple[tuple[int, int, str], ...], tuple[tuple[str, str], ...]]


class _Memo:
    """The constraints of recently parsed criteria, by text and the MeSH mentions in it.

    Registry criteria repeat ("Pregnant or breastfeeding women", "Signed informed consent"):
    about a quarter of the criteria in the shared records are word-for-word repeats. Results
    are immutable structs, so a repeat gets a fresh list of the ones read the first time. They
    are kept in tuples, which the garbage collector stops tracking (the structs are untracked,
    ``gc=False``), so a full memo adds nothing to its full passes.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[_Key, tuple[Constraint, ...]] = {}
        self.hits = 0  # readings served from the memo since the last ``clear``

    def get(self, key: _Key) -> list[Constraint] | None:
        found = self.items.get(key)
        if found is None:
            return None
        self.hits += 1
        return list(found)

    def put(self, key: _Key, value: list[Constraint]) -> None:
        if self.size <= 0:
            return
        if len(self.items) >= self.size:
            del self.items[next(iter(self.items))]  # the oldest: dicts keep insertion order
        self.items[key] = tuple(value)

    def clear(self) -> None:
        self.items.clear()
        self.hits = 0


MEMO = _Memo(50_000)


def _parse(
    text: str, mesh_terms: Sequence[str], trial_definitions: dict[str, str] | None = None
) -> list[Constraint]:
    """Return the constraints of a criterion, read once per text, MeSH mentions and the short
    forms that the rest of the trial's criteria define ("isolated myeloid sarcoma (MS)")."""
    clean = unescape(text)
    mesh_found = (
        [(s, e, t, "mesh") for s, e, t in _mesh_index(tuple(mesh_terms)).find(clean)]
        if mesh_terms
        else []
    )
    used = (
        tuple((short, long) for short, long in trial_definitions.items() if short in clean)
        if trial_definitions
        else ()
    )
    key = (text, tuple((s, e, t.concept) for s, e, t, _ in mesh_found), used)
    cached = MEMO.get(key)
    if cached is not None:
        return cached
    found = _read(text, clean, mesh_found, used)
    MEMO.put(key, found)
    return found


def _read(
    text: str,
    clean: str,
    mesh_found: list[tuple[int, int, lexicon.Term, str]],
    trial_definitions: tuple[tuple[str, str], ...] = (),
) -> list[Constraint]:
    present = triggers_of(clean)
    found: list[Constraint] = []
    found += not_checkable(clean, present)
    found += negated_readings(clean, _without_scale_ages(clean, ages(clean, present)))
    found += sexes(clean, present)
    formula = formula_of(clean, present)
    labs = measurements(clean, formula)
    labs += pressures(clean, present, labs)
    labs = values_first(clean, present, labs, formula)
    labs = renamed_by_context(clean, present, labs)
    labs += stenoses(clean, present)
    labs = negated_readings(clean, labs)
    found += labs
    score_list = negated_readings(clean, scores(clean, present))
    found += score_list
    found_windows = windows(clean, present)
    cues = find_cues(clean, _extra_cues(clean, present))
    negated_spans = [(c.start, c.end + 60) for c in cues if c.category == "NEGATED_EXISTENCE"]
    pregnancy_list = pregnancies(clean, negated_spans, present)
    found = _without_fertility_sexes(clean, found, pregnancy_list)
    found += pregnancy_list
    numeric = [c.span for c in labs] + _score_names(clean, score_list)

    # A mention that only names a gene, a scale or a therapy's target: "ALK" in "anaplastic
    # lymphoma kinase", "lung cancer TNM staging", "cancer therapy".
    rows = applicable("mention_modifier", present)
    after_therapy = [regex for p, regex in rows if p.label in {"any", "therapy"}]
    after_condition = [regex for p, regex in rows if p.label in {"any", "condition"}]
    # An organisation's or a book's name: "International Association for the Study of Lung
    # Cancer", "Diagnostic and Statistical Manual of Mental Disorders".
    names = [
        match.span()
        for pattern, regex in rows
        if pattern.label == "name"
        for match in finditer(pattern, regex, clean)
    ]

    # Therapies and procedures.
    mentions = [(s, e, t, "therapies.tsv") for s, e, t in lexicon.therapy_index().find(clean)]
    for pattern, regex in applicable("therapy", present):
        for match in finditer(pattern, regex, clean):
            span = match.span("therapy")
            if pattern.name == "therapy_named_class" and not any(
                c.category in {"HISTORICAL", "CURRENT", "NEGATED_EXISTENCE"}
                and 0 <= span[0] - c.end <= 30
                for c in cues
            ):
                continue
            name = " ".join(match.group("therapy").split())
            mentions.append(
                (span[0], span[1], lexicon.Term(name.lower(), (), pattern.label), pattern.name)
            )
    therapy_mentions = [
        m
        for m in _longest_first(mentions)
        if not any(regex.match(clean, m[1]) for regex in after_therapy)
        and not (names and any(s <= m[0] and m[1] <= e for s, e in names))
    ]

    # Conditions: the shipped list, then the record's MeSH terms.
    condition_mentions = [
        (s, e, t, "conditions.tsv") for s, e, t in lexicon.condition_index().find(clean)
    ]
    condition_mentions += mesh_found
    condition_mentions = [
        m
        for m in _longest_first(condition_mentions)
        if not any(regex.match(clean, m[1]) for regex in after_condition)
        and not (names and any(s <= m[0] and m[1] <= e for s, e in names))
        and not any(s <= m[0] and m[1] <= e for s, e in numeric)
        and not any(
            t[0] <= m[0] and m[1] <= t[1] and t[1] - t[0] > m[1] - m[0] for t in therapy_mentions
        )
    ]
    therapy_mentions = [
        t
        for t in therapy_mentions
        if not any(
            c[0] <= t[0] and t[1] <= c[1] and c[1] - c[0] > t[1] - t[0] for c in condition_mentions
        )
        and not any(s <= t[0] and t[1] <= e for s, e in numeric)
    ]
    # After the conditions, so that "tumor" stays part of "on the most recent tumor biopsy".
    if therapy_mentions:
        therapy_mentions = _without_no_treatments(clean, rows, therapy_mentions)

    if any(is_short_form(clean[m[0] : m[1]]) for m in condition_mentions + therapy_mentions):
        definitions = {**dict(trial_definitions), **short_form_definitions(clean)}
        if definitions:
            condition_mentions = without_redefined(
                clean, condition_mentions, lexicon.condition_index(), definitions
            )
            therapy_mentions = without_redefined(
                clean, therapy_mentions, lexicon.therapy_index(), definitions
            )
    condition_mentions, therapy_mentions = merge_short_forms(
        clean, condition_mentions, therapy_mentions
    )

    qualifiers = [
        (m.span(), " ".join(m.group().split()))
        for pattern, regex in (applicable("qualifier", present) if condition_mentions else ())
        for m in finditer(pattern, regex, clean)
    ]
    for start, end, term, source in condition_mentions:
        span = (start, end)
        context = context_of(clean, cues, start, end)
        window = _nearest_window(clean, span, found_windows)
        near = [
            q
            for q_span, q in qualifiers
            if _gap(span, q_span) <= _QUALIFIER_REACH
            and _same_clause(clean, span, q_span)
            and not (start <= q_span[0] and q_span[1] <= end)
            and min((_gap(q_span, (s, e)) for s, e, _, _ in condition_mentions), default=0)
            == _gap(q_span, span)
        ]
        abbreviation = clean[start:end].isupper() and end - start <= 5
        found.append(
            ConditionConstraint(
                span=span,
                confidence=0.6 if abbreviation else 0.85 if source == "mesh" else 0.8,
                rule=source,
                concept=term.concept,
                text=clean[start:end],
                synonyms=term.synonyms[:8],
                negated=context.negated,
                temporality=_temporality(context, window, "current"),  # type: ignore[arg-type]
                experiencer="family" if context.family else "patient",
                qualifiers=tuple(dict.fromkeys(near)),
                window=window,
                source="mesh" if source == "mesh" else "vocabulary",
            )
        )
    for start, end, term, source in therapy_mentions:
        context = context_of(clean, cues, start, end)
        window = _nearest_window(clean, (start, end), found_windows)
        found.append(
            TreatmentConstraint(
                span=(start, end),
                confidence=0.8 if source == "therapies.tsv" else 0.65,
                rule=source,
                therapy=term.concept,
                therapy_class=term.group,
                text=clean[start:end],
                negated=context.negated,
                temporality=_temporality(context, window, "any"),  # type: ignore[arg-type]
                window=window,
            )
        )
    if not found:
        stripped = text.rstrip()
        found.append(
            Unparsed(span=(0, len(stripped)), confidence=1.0, rule="unparsed", text=stripped)
        )
    found.sort(key=lambda c: c.span)
    return found


def parse_criteria(text: str, *, mesh_terms: Sequence[str] = ()) -> ParsedCriteria:
    """Return a trial's inclusion and exclusion criteria, each with its constraints.

    Args:
        text: the eligibility criteria text block as the registry gives it.
        mesh_terms: the record's condition MeSH terms, used as extra condition concepts.
    """
    lists = split_criteria(text)
    defined = short_form_definitions(unescape(text))
    return ParsedCriteria(
        inclusion=[
            ParsedCriterion.of(c, _parse(c.text, mesh_terms, defined)) for c in lists.inclusion
        ],
        exclusion=[
            ParsedCriterion.of(c, _parse(c.text, mesh_terms, defined)) for c in lists.exclusion
        ],
    )
