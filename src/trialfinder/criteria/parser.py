"""Read eligibility criteria into typed constraints: the public entry is ``parse_criteria``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from trialfinder.criteria import lexicon
from trialfinder.criteria._context import Context, Cue, context_of, find_cues
from trialfinder.criteria._extract import (
    ages,
    applicable,
    formula_of,
    measurements,
    not_checkable,
    pregnancies,
    pressures,
    sexes,
    triggers_of,
    windows,
)
from trialfinder.criteria._scores import scores
from trialfinder.criteria.constraints import (
    ConditionConstraint,
    Constraint,
    ParsedCriteria,
    ParsedCriterion,
    TimeWindow,
    TreatmentConstraint,
    Unparsed,
)
from trialfinder.criteria.splitter import split_criteria, unescape
from trialfinder.criteria.tables import finditer

__all__ = ["parse_criteria", "parse_criterion"]

_WINDOW_REACH = 120
_QUALIFIER_REACH = 40
_CLAUSE_END = re.compile(r";|\.\s")


@cache
def _mesh_index(terms: tuple[str, ...]) -> lexicon.TermIndex:
    """Return a matcher over a record's own MeSH terms, each its own concept."""
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


def _longest_first(
    mentions: list[tuple[int, int, lexicon.Term, str]],
) -> list[tuple[int, int, lexicon.Term, str]]:
    """Drop mentions inside a longer one."""
    kept: list[tuple[int, int, lexicon.Term, str]] = []
    for mention in sorted(mentions, key=lambda m: (m[0] - m[1], m[0])):
        if not any(k[0] <= mention[0] and mention[1] <= k[1] for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m[0])


def parse_criterion(text: str, *, mesh_terms: Sequence[str] = ()) -> list[Constraint]:
    """Return the constraints read from one criterion, each with its span, rule and confidence.

    Text that no rule reads comes back as one ``Unparsed`` constraint, never silently dropped.

    Args:
        mesh_terms: the record's own condition MeSH terms, matched as extra concepts.
    """
    return _parse(text, mesh_terms)


class _Memo:
    """The constraints of recently parsed criteria, by text and the MeSH mentions in it.

    Registry criteria repeat ("Pregnant or breastfeeding women", "Signed informed consent"):
    about a quarter of the criteria in the shared records are word-for-word repeats. Results
    are immutable structs, so a repeat gets a copy of the list that was read the first time.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[tuple[str, tuple[tuple[int, int, str], ...]], list[Constraint]] = {}

    def get(self, key: tuple[str, tuple[tuple[int, int, str], ...]]) -> list[Constraint] | None:
        found = self.items.get(key)
        return None if found is None else list(found)

    def put(
        self, key: tuple[str, tuple[tuple[int, int, str], ...]], value: list[Constraint]
    ) -> None:
        if self.size <= 0:
            return
        if len(self.items) >= self.size:
            del self.items[next(iter(self.items))]  # the oldest: dicts keep insertion order
        self.items[key] = list(value)

    def clear(self) -> None:
        self.items.clear()


MEMO = _Memo(50_000)


def _parse(text: str, mesh_terms: Sequence[str]) -> list[Constraint]:
    """Return the constraints of a criterion, read once per text and MeSH mentions."""
    clean = unescape(text)
    mesh_found = (
        [(s, e, t, "mesh") for s, e, t in _mesh_index(tuple(mesh_terms)).find(clean)]
        if mesh_terms
        else []
    )
    key = (text, tuple((s, e, t.concept) for s, e, t, _ in mesh_found))
    cached = MEMO.get(key)
    if cached is not None:
        return cached
    found = _read(text, clean, mesh_found)
    MEMO.put(key, found)
    return found


def _read(
    text: str,
    clean: str,
    mesh_found: list[tuple[int, int, lexicon.Term, str]],
) -> list[Constraint]:
    present = triggers_of(clean)
    found: list[Constraint] = []
    found += not_checkable(clean, present)
    found += ages(clean, present)
    found += sexes(clean, present)
    formula = formula_of(clean, present)
    labs = measurements(clean, formula)
    labs += pressures(clean, present, labs)
    found += labs
    score_list = scores(clean, present)
    found += score_list
    found_windows = windows(clean, present)
    cues = find_cues(clean, _extra_cues(clean, present))
    negated_spans = [(c.start, c.end + 60) for c in cues if c.category == "NEGATED_EXISTENCE"]
    found += pregnancies(clean, negated_spans, present)
    numeric = [c.span for c in labs] + [c.span for c in score_list]

    # A mention that only names a gene, a scale or a therapy's target: "ALK" in "anaplastic
    # lymphoma kinase", "lung cancer TNM staging", "cancer therapy".
    modifiers = applicable("mention_modifier", present)

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
        if not any(p.label == "any" and regex.match(clean, m[1]) for p, regex in modifiers)
    ]

    # Conditions: the shipped list, then the record's MeSH terms.
    condition_mentions = [
        (s, e, t, "conditions.tsv") for s, e, t in lexicon.condition_index().find(clean)
    ]
    condition_mentions += mesh_found
    condition_mentions = [
        m
        for m in _longest_first(condition_mentions)
        if not any(regex.match(clean, m[1]) for _, regex in modifiers)
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
    return ParsedCriteria(
        inclusion=[ParsedCriterion.of(c, _parse(c.text, mesh_terms)) for c in lists.inclusion],
        exclusion=[ParsedCriterion.of(c, _parse(c.text, mesh_terms)) for c in lists.exclusion],
    )
