"""Free-text clinical note → ``PatientProfile``, by rules only, keeping every fact's span.

The rows live in ``note_rules.py``; this module applies them:

1. age and sex: the earliest age rule, the earliest sex word (pronouns as a fallback);
2. conditions and treatments: vocabulary mentions, then free phrases after "history of",
   "diagnosed with", "s/p" that no mention covers;
3. ConText: each mention takes the cues of its sentence within their scope — negated,
   historical, resolved, current, family or hypothetical (the last two are dropped);
4. labs, blood pressure, scores and pregnancy.

The note is kept in ``notes`` and never logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from trialfinder.criteria import lexicon
from trialfinder.criteria.lexicon import Term, TermIndex
from trialfinder.criteria.units import UnitError, parse_unit
from trialfinder.errors import QueryError
from trialfinder.match.note_rules import (
    CONTEXT_RULES,
    NOTE_RULES,
    ContextRule,
    NoteRule,
    compile_rule,
    note_conditions,
    note_treatments,
)
from trialfinder.match.profile import (
    Condition,
    ConditionStatus,
    Observation,
    PatientProfile,
    Pregnancy,
    Score,
    Sex,
    Span,
    Treatment,
    TreatmentKind,
)

__all__ = ["Cue", "find_cues", "profile_from_note"]

_LEAD = 60  # characters in which shorthand "48 M" counts as age and sex
_MAX_NOTE = 200_000
_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|\n")
_WORD = re.compile(r"\S+")
_PROCEDURE_CLASSES = {"procedure", "transplantation", "device"}
_THERAPY_CLASSES = {"radiotherapy", "cell therapy", "behavioural", "unspecified", "respiratory"}


@dataclass(frozen=True, slots=True)
class Cue:
    """A ConText cue found in a note."""

    rule: ContextRule
    start: int
    end: int


@cache
def _rules(kind: str) -> tuple[tuple[NoteRule, re.Pattern[str]], ...]:
    return tuple((r, compile_rule(r.regex)) for r in NOTE_RULES if r.kind == kind)


@cache
def _cue_regexes() -> tuple[tuple[ContextRule, re.Pattern[str]], ...]:
    return tuple(
        (rule, compile_rule(r"(?<![\w/])(?:" + rule.literal + r")(?![\w/])"))
        for rule in CONTEXT_RULES
    )


@cache
def _condition_index() -> TermIndex:
    return TermIndex(note_conditions())


@cache
def _treatment_index() -> TermIndex:
    return TermIndex(note_treatments())


def find_cues(text: str) -> list[Cue]:
    """Return the ConText cues in ``text``, longest first where two overlap."""
    candidates = [
        Cue(rule, match.start(), match.end())
        for rule, pattern in _cue_regexes()
        for match in pattern.finditer(text)
    ]
    # Longest first, so "no residual" (pseudo) wins over "no" and "no history of" over "no".
    candidates.sort(key=lambda cue: (cue.start - cue.end, cue.start))
    kept: list[Cue] = []
    for cue in candidates:
        if not any(cue.start < k.end and k.start < cue.end for k in kept):
            kept.append(cue)
    return sorted(kept, key=lambda cue: cue.start)


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each sentence: a stop followed by a blank ends one, as does a line."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.end()].strip():
            yield start, match.end()
        start = match.end()
    if text[start:].strip():
        yield start, len(text)


def _words_between(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text[start:end])) if end > start else 0


def _modifiers(text: str, start: int, end: int, cues: list[Cue]) -> set[str]:
    """Return the categories of the cues whose scope covers ``text[start:end]``."""
    out: set[str] = set()
    terminators = [c for c in cues if c.rule.category == "TERMINATE"]
    for cue in cues:
        rule = cue.rule
        if rule.category in {"TERMINATE", "PSEUDO"} or (cue.start < end and start < cue.end):
            continue
        if cue.end <= start and rule.direction in {"FORWARD", "BIDIRECTIONAL"}:
            gap, low, high = _words_between(text, cue.end, start), cue.end, start
        elif cue.start >= end and rule.direction in {"BACKWARD", "BIDIRECTIONAL"}:
            gap, low, high = _words_between(text, end, cue.start), end, cue.start
        else:
            continue
        if gap > rule.max_scope or any(low <= t.start < high for t in terminators):
            continue
        out.add(rule.category)
    return out


def _first(kind: str, text: str) -> tuple[re.Match[str], NoteRule] | None:
    best: tuple[re.Match[str], NoteRule] | None = None
    for rule, pattern in _rules(kind):
        for match in pattern.finditer(text):
            if rule.lead_only and match.start() > _LEAD:
                break
            if best is None or match.start() < best[0].start():
                best = (match, rule)
            break
    return best


_PREGNANCY: dict[str, Pregnancy] = {
    "pregnant": "pregnant",
    "breastfeeding": "breastfeeding",
    "not_pregnant": "not_pregnant",
}
_SEXES: dict[str, Sex] = {"female": "female", "male": "male", "F": "female", "M": "male"}


def _age(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    if groups.get("months"):
        return round(int(groups["months"]) / 12, 2)
    if groups.get("days"):
        days = int(groups["days"]) * (1 if groups["per"].lower().startswith("d") else 7)
        return round(days / 365.25, 3)
    if groups.get("age") and int(groups["age"]) <= 120:
        return float(groups["age"])
    return None


def _age_and_sex(text: str) -> tuple[float | None, Span | None, Sex | None, Span | None]:
    """Return age and sex with their spans: the first stated, pronouns only as a fallback."""
    age: float | None = None
    age_span: Span | None = None
    sex: Sex | None = None
    sex_span: Span | None = None
    found = _first("age", text)
    if found is not None:
        match = found[0]
        age = _age(match)
        age_span = None if age is None else Span(match.start(), match.end())
        if match.groupdict().get("sex"):
            sex = _SEXES[match.group("sex")]
            sex_span = Span(match.start("sex"), match.end("sex"))
    word = _first("sex", text)
    if word is not None and (sex_span is None or word[0].start() < sex_span.start):
        sex, sex_span = _SEXES[word[1].label], Span(word[0].start(), word[0].end())
    if sex is None:
        pronouns = {
            rule.label: list(pattern.finditer(text)) for rule, pattern in _rules("sex_pronoun")
        }
        female, male = pronouns.get("female", []), pronouns.get("male", [])
        if len(female) != len(male):
            label, winner = ("female", female) if len(female) > len(male) else ("male", male)
            sex, sex_span = _SEXES[label], Span(winner[0].start(), winner[0].end())
    return age, age_span, sex, sex_span


def _treatment_kind(group: str, concept: str) -> TreatmentKind:
    if group in _PROCEDURE_CLASSES:
        return "procedure"
    if group in _THERAPY_CLASSES or concept.lower().endswith("therapy"):
        return "therapy"
    return "drug"


def _mentions(sentence: str, offset: int) -> list[tuple[int, int, Term, bool]]:
    """Return condition and treatment mentions, the longest winning where two overlap.

    "steroid-resistant nephrotic syndrome" is a condition, not the drug "steroid".
    """
    found = [(a, b, t, False) for a, b, t in _condition_index().find(sentence)]
    found += [(a, b, t, True) for a, b, t in _treatment_index().find(sentence)]
    found.sort(key=lambda m: (m[0] - m[1], m[3], m[0]))
    kept: list[tuple[int, int, Term, bool]] = []
    for mention in found:
        if not _overlaps(mention[0], mention[1], [(k[0], k[1]) for k in kept]):
            kept.append(mention)
    return [(a + offset, b + offset, t, is_t) for a, b, t, is_t in sorted(kept, key=lambda m: m[0])]


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in taken)


def _clean_phrase(phrase: str) -> str:
    return phrase.strip(" -/'").strip()


def _facts(
    text: str,
) -> tuple[list[Condition], list[Treatment], list[Observation], list[Score], Pregnancy | None]:
    conditions: list[Condition] = []
    treatments: list[Treatment] = []
    observations: list[Observation] = []
    scores: list[Score] = []
    pregnancy: Pregnancy | None = None
    for s_start, s_end in _sentences(text):
        sentence = text[s_start:s_end]
        cues = [Cue(c.rule, c.start + s_start, c.end + s_start) for c in find_cues(sentence)]
        taken: list[tuple[int, int]] = []
        for a, b, term, is_treatment in _mentions(sentence, s_start):
            taken.append((a, b))
            if not is_treatment:
                condition = _condition(text, a, b, term.concept, cues)
                if condition is not None:
                    conditions.append(condition)
                continue
            mods = _modifiers(text, a, b, cues)
            if mods & {"FAMILY", "HYPOTHETICAL"}:
                continue
            treatments.append(
                Treatment(
                    name=term.concept,
                    kind=_treatment_kind(term.group, term.concept),
                    current="CURRENT" in mods and "HISTORICAL" not in mods,
                    negated="NEGATED_EXISTENCE" in mods,
                    span=Span(a, b),
                    source="note",
                )
            )
        for kind in ("condition_phrase", "procedure_phrase"):
            for _, pattern in _rules(kind):
                for match in pattern.finditer(sentence):
                    a, b = match.start("phrase") + s_start, match.end("phrase") + s_start
                    phrase = _clean_phrase(match.group("phrase"))
                    if not phrase or _overlaps(a, b, taken):
                        continue
                    taken.append((a, b))
                    if kind == "condition_phrase":
                        condition = _condition(text, a, b, phrase, cues)
                        if condition is not None:
                            conditions.append(condition)
                    else:
                        treatments.append(
                            Treatment(name=phrase, kind="procedure", span=Span(a, b), source="note")
                        )
        observations.extend(_labs(sentence, s_start))
        scores.extend(_scores(sentence, s_start))
        for rule, pattern in _rules("pregnancy"):
            for match in pattern.finditer(sentence):
                a, b = match.start() + s_start, match.end() + s_start
                mods = _modifiers(text, a, b, cues)
                if mods & {"FAMILY", "HYPOTHETICAL", "HISTORICAL"}:
                    continue
                negated = "NEGATED_EXISTENCE" in mods
                pregnancy = "not_pregnant" if negated else _PREGNANCY[rule.label]
    return conditions, treatments, observations, scores, pregnancy


def _condition(text: str, a: int, b: int, name: str, cues: list[Cue]) -> Condition | None:
    mods = _modifiers(text, a, b, cues)
    if mods & {"FAMILY", "HYPOTHETICAL"}:
        return None
    status: ConditionStatus = "active"
    if "RESOLVED" in mods:
        status = "resolved"
    elif "HISTORICAL" in mods:
        status = "history"
    return Condition(
        text=name,
        status=status,
        negated="NEGATED_EXISTENCE" in mods,
        span=Span(a, b),
        source="note",
    )


def _unit(written: str | None) -> str | None:
    if not written:
        return None
    try:
        return parse_unit(written)
    except UnitError:
        return written


def _labs(sentence: str, offset: int) -> Iterator[Observation]:
    for _, pattern in _rules("lab"):
        for match in pattern.finditer(sentence):
            lab = lexicon.lab_of(match.group("lab"))
            value = lexicon.parse_number(match.group("value"))
            if lab is None or value is None:
                continue
            yield Observation(
                loinc=lab.loinc,
                name=lab.name,
                value=value,
                unit=_unit(match.group("unit")),
                span=Span(match.start() + offset, match.end() + offset),
                source="note",
            )
    labs = lexicon.labs()
    for _, pattern in _rules("blood_pressure"):
        for match in pattern.finditer(sentence):
            span = Span(match.start() + offset, match.end() + offset)
            for key in ("sbp", "dbp"):
                yield Observation(
                    loinc=labs[key].loinc,
                    name=key,
                    value=float(match.group(key)),
                    unit="mmHg",
                    span=span,
                    source="note",
                )


def _scores(sentence: str, offset: int) -> Iterator[Score]:
    for _, pattern in _rules("score"):
        for match in pattern.finditer(sentence):
            score = lexicon.score_of(match.group("score"))
            value = float(match.group("value"))
            if score is None or not score.low <= value <= score.high:
                continue
            yield Score(
                name=score.name,
                value=value,
                span=Span(match.start() + offset, match.end() + offset),
                source="note",
            )


def profile_from_note(text: str) -> PatientProfile:
    """Return the profile read from a clinical note; every fact carries its span in ``text``.

    Raises QueryError when the note is empty or longer than 200,000 characters.
    """
    if not text.strip():
        raise QueryError("The clinical note is empty; send the note's text", "note")
    if len(text) > _MAX_NOTE:
        raise QueryError(
            f"The clinical note has {len(text):,} characters; at most {_MAX_NOTE:,} are read",
            "note",
        )
    age, age_span, sex, sex_span = _age_and_sex(text)
    conditions, treatments, observations, scores, pregnancy = _facts(text)
    if sex == "male":
        pregnancy = None
    return PatientProfile(
        age_years=age,
        sex=sex,
        conditions=conditions,
        observations=observations,
        scores=scores,
        treatments=treatments,
        pregnancy=pregnancy,
        notes=text,
        age_span=age_span,
        sex_span=sex_span,
        source="note",
    )
