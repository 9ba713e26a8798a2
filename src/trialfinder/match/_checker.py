"""The checker behind `evaluate_trial`: one patient against one trial's constraints, each
constraint kind checked with its evidence (split from evaluate.py by job)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from msgspec.structs import replace as replace_struct

from trialfinder.criteria import lexicon
from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Constraint,
    Measurement,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TimeWindow,
    TreatmentConstraint,
)
from trialfinder.criteria.tables import normal_key
from trialfinder.criteria.units import UnitError, convert
from trialfinder.match.concepts import (
    ConceptFact,
    PatientConcepts,
    concept_keys,
    restricting_qualifier,
    restricting_qualifiers,
    words_of,
)
from trialfinder.match.profile import Observation, PatientProfile, Span
from trialfinder.match.verdict import (
    Evidence,
)
from trialfinder.model import Trial

OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION", "AVAILABLE")
"""Statuses in which a trial can still take a patient."""

_NOTE_REACH = 80  # characters before a diagnosis in the note searched for a criterion qualifier
# A measurement subgroup that is one sex and nothing more: "men", "for males", "in women",
# "female patients". "Females using Fredericia formula" or "women of childbearing potential" are
# no such subgroup: they say more than the sex, so they are looked up as conditions.
_SEX_SUBGROUP = re.compile(
    r"""(?:(?:for|in|among)\s+)?(?:(?:adult|the)\s+)?
    (?:(?P<female>wom[ae]n|females?|girls?)|(?P<male>m[ae]n|males?|boys?))
    (?:\s+(?:patients?|subjects?|participants?))?""",
    re.IGNORECASE | re.VERBOSE,
)
# Analytes that name a group: the patient's value of each member is checked against the bound.
_MEMBERS = {"transaminases": ("alt", "ast")}
_PREGNANCY_QUESTIONS = {
    "pregnant": "Is the patient pregnant?",
    "breastfeeding": "Is the patient breastfeeding?",
    "childbearing_potential": "Could the patient become pregnant?",
    "contraception": "Does the patient use contraception?",
    "pregnancy_test": "Has the patient had a negative pregnancy test?",
}


def _span(span: Span | None) -> tuple[int, int] | None:
    return None if span is None else (span.start, span.end)


def any_holds(values: Sequence[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def all_hold(values: Sequence[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _date_unknown(window: TimeWindow) -> str:
    """Return the reason's note that a window cannot be checked for want of a date."""
    return f"; date unknown for '{window.relation} {window.amount:g} {window.unit}'"


def _in_window(date: dt.date, window: TimeWindow, on: dt.date) -> bool | None:
    if window.days is None:
        return None
    elapsed = (on - date).days
    return elapsed <= window.days if window.relation == "within" else elapsed >= window.days


class Checker:
    """Checks constraints against one patient; built once per trial evaluation."""

    def __init__(
        self,
        profile: PatientProfile,
        on: dt.date,
        trial: Trial,
        concepts: PatientConcepts | None = None,
    ) -> None:
        self.profile = profile
        low, high = trial.minimum_age_years, trial.maximum_age_years
        age = profile.age_years
        self.age_fits_trial = (
            age is not None
            and (low is not None or high is not None)
            and (low is None or age >= low)
            and (high is None or age <= high)
        )
        self.on = on
        self.concepts = concepts or PatientConcepts.of(profile)
        own = [m.term for m in trial.condition_mesh] + list(trial.conditions)
        self.own = concept_keys(own)
        self.own_words = tuple(words_of(n) for n in own)

    def for_patient(self, stated: list[Constraint]) -> list[Constraint]:
        """Return the constraints that apply to this patient: a subgroup's bound ("≤ 3 × ULN for
        Gilbert's syndrome") replaces the main bound of its analyte when the patient is known to
        be in the subgroup, and is left out otherwise."""
        applying = [
            c
            for c in stated
            if isinstance(c, Measurement)
            and c.subgroup is not None
            and self._in_subgroup(c.subgroup)
        ]
        replaced = {c.analyte for c in applying}
        return [
            c
            for c in stated
            if not isinstance(c, Measurement)
            or (c in applying if c.subgroup is not None else c.analyte not in replaced)
        ]

    def _in_subgroup(self, subgroup: str) -> bool:
        """Return True when the patient is of the sex ``subgroup`` names ("for men": QTcF
        bounds per sex), or the profile states a condition naming it, not negated."""
        sex = _sex_of_subgroup(subgroup)
        if sex is not None:
            return self.profile.sex == sex
        match = self._find(self.concepts.conditions, concept_keys([subgroup]), words_of(subgroup))
        if match is None:
            return False
        condition = match[0].condition
        return condition is not None and not condition.negated

    # -- one constraint ---------------------------------------------------------------------

    def check(self, constraint: Constraint, section: str) -> Evidence | None:
        if isinstance(constraint, AgeConstraint):
            return self._age(constraint)
        if isinstance(constraint, SexConstraint):
            return self._sex(constraint)
        if isinstance(constraint, PregnancyConstraint):
            return self._pregnancy(constraint, section)
        if isinstance(constraint, Measurement):
            return self._measurement(constraint)
        if isinstance(constraint, ScoreConstraint):
            return self._score(constraint)
        if isinstance(constraint, ConditionConstraint):
            return self._condition(constraint, section)
        if isinstance(constraint, TreatmentConstraint):
            return self._treatment(constraint)
        return None

    def _evidence(
        self,
        constraint: Constraint,
        holds: bool | None,
        reason: str,
        *,
        fact: str | None = None,
        fact_span: tuple[int, int] | None = None,
        check: str = "",
    ) -> Evidence:
        kind = type(constraint).__struct_config__.tag
        return Evidence(
            kind=str(kind),
            rule=constraint.rule,
            span=constraint.span,
            holds=holds,
            reason=reason,
            fact=fact,
            fact_span=fact_span,
            check=check,
        )

    def _age(self, c: AgeConstraint) -> Evidence:
        age = self.profile.age_years
        if age is None:
            return self._evidence(c, None, "age not given", check="How old is the patient?")
        holds = c.years.contains(age)
        if not holds and self.age_fits_trial:
            return self._evidence(
                c,
                None,
                f"age {age:g} is not in {_bounds_text(c.years, 'years')} but within the trial's "
                "age limits: this part may apply to one group only",
                fact=f"age {age:g}",
                fact_span=_span(self.profile.age_span),
                check="Does this age limit apply to the patient's group?",
            )
        return self._evidence(
            c,
            holds,
            f"age {age:g} {'is' if holds else 'is not'} in {_bounds_text(c.years, 'years')}",
            fact=f"age {age:g}",
            fact_span=_span(self.profile.age_span),
        )

    def _sex(self, c: SexConstraint) -> Evidence:
        sex = self.profile.sex
        if c.sex == "all":
            return self._evidence(c, True, "open to all sexes")
        if sex not in ("female", "male"):
            return self._evidence(c, None, "sex not given", check="What is the patient's sex?")
        return self._evidence(
            c,
            sex == c.sex,
            f"patient is {sex}; criterion names {c.sex}",
            fact=f"sex {sex}",
            fact_span=_span(self.profile.sex_span),
        )

    def _pregnancy(self, c: PregnancyConstraint, section: str) -> Evidence:
        state = self.profile.pregnancy
        holds: bool | None = None
        if self.profile.sex == "male":
            # "Women of childbearing potential must use contraception", "non-pregnant females"
            # do not apply to men: an inclusion requirement is then met, an exclusion does not
            # hold. (A trial for pregnant women is closed to men by its structured sex.)
            holds = section == "inclusion"
            reason = f"{c.status.replace('_', ' ')} does not apply to a male patient"
            return self._evidence(c, holds, reason)
        if c.status in ("pregnant", "breastfeeding"):
            if c.status == "pregnant" and state is not None:
                holds, reason = state == "pregnant", f"pregnancy status: {state.replace('_', ' ')}"
            elif c.status == "breastfeeding" and state == "breastfeeding":
                holds, reason = True, "patient is breastfeeding"
            else:
                reason = f"{c.status.replace('_', ' ')} not given"
        else:
            reason = f"{c.status.replace('_', ' ')} cannot be read from a record"
        if holds is not None and c.negated:
            holds = not holds
        check = "" if holds is not None else _PREGNANCY_QUESTIONS[c.status]
        return self._evidence(c, holds, reason, check=check)

    def _measurement(self, c: Measurement) -> Evidence:
        if c.analyte in _MEMBERS:
            return self._group_measurement(c, _MEMBERS[c.analyte])
        name = c.analyte.replace("_", " ")
        question = f"What is the patient's {name} ({c.unit or c.canonical_unit})?"
        if c.uln_multiple or c.titre or c.canonical is None:
            found = self._observation(c.loinc, c.analyte)
            why = "upper limit of normal" if c.uln_multiple else "unit not written"
            return self._evidence(
                c,
                None,
                f"{name} bound needs the {why}" if found else f"{name} not given",
                check=question,
            )
        found = self._observation(c.loinc, c.analyte)
        if found is None or found.value is None:
            return self._evidence(c, None, f"{name} not given", check=question)
        try:
            value = (
                found.value
                if not found.unit
                else convert(found.value, found.unit, c.canonical_unit, analyte=c.analyte)
            )
        except UnitError:
            return self._evidence(
                c, None, f"{name} unit {found.unit!r} cannot be compared", check=question
            )
        holds = c.canonical.contains(value)
        shown = f"{found.value:g} {found.unit or ''}".strip()
        return self._evidence(
            c,
            holds,
            f"{name} {shown} {'is' if holds else 'is not'} in "
            f"{_bounds_text(c.canonical, c.canonical_unit)}",
            fact=f"{found.name or name} {shown}",
            fact_span=_span(found.span),
        )

    def _group_measurement(self, c: Measurement, members: tuple[str, ...]) -> Evidence:
        """Check a bound on a group ("transaminases ≤ 100 U/L") against each member the patient
        has (ALT, AST). A bound with an upper limit holds when every member is within it; a
        bound with only a lower limit ("transaminases > 100 U/L", i.e. raised) holds when any
        member is above it, so that it stays the negation of the opposite bound."""
        labs = lexicon.labs()
        checked = [
            self._measurement(replace_struct(c, analyte=member, loinc=labs[member].loinc))
            for member in members
        ]
        holds_each = [e.holds for e in checked]
        holds = all_hold(holds_each) if c.bounds.high is not None else any_holds(holds_each)
        deciding = next(e for e in checked if e.holds is holds)
        return replace_struct(deciding, reason="; ".join(e.reason for e in checked))

    def _observation(self, loinc: str, analyte: str) -> Observation | None:
        best: Observation | None = None
        for observation in self.profile.observations:
            same = observation.loinc == loinc or (
                observation.loinc is None
                and observation.name is not None
                and (lab := lexicon.lab_of(observation.name)) is not None
                and lab.name == analyte
            )
            if (
                same
                and observation.value is not None
                and (
                    best is None or (observation.date or dt.date.min) >= (best.date or dt.date.min)
                )
            ):
                best = observation
        return best

    def _score(self, c: ScoreConstraint) -> Evidence:
        wanted = lexicon.score_of(c.score)
        question = f"What is the patient's {c.score} score?"
        for score in self.profile.scores:
            known = lexicon.score_of(score.name)
            if (known is not None and known is wanted) or normal_key(score.name) == normal_key(
                c.score
            ):
                holds = c.bounds.contains(score.value)
                return self._evidence(
                    c,
                    holds,
                    f"{c.score} {score.value:g} {'is' if holds else 'is not'} in "
                    f"{_bounds_text(c.bounds, '')}",
                    fact=f"{score.name} {score.value:g}",
                    fact_span=_span(score.span),
                )
        return self._evidence(c, None, f"{c.score} not given", check=question)

    def _condition(self, c: ConditionConstraint, section: str) -> Evidence:
        question = f"Does the patient have {c.text}?"
        if c.experiencer == "family":
            return self._evidence(
                c, None, "family history is not in the profile", check=f"Family history: {question}"
            )
        keys = concept_keys([c.concept, c.text, *c.synonyms])
        words = words_of(c.concept)
        match = self._find(self.concepts.conditions, keys, words)
        if match is None:
            return self._evidence(c, None, f"{c.text}: not in the profile", check=question)
        fact, how = match
        condition = fact.condition
        assert condition is not None
        present = not condition.negated
        rules_out = (section == "exclusion") != c.negated
        if (
            present
            and rules_out
            and (fact.keys & self.own or any(w and w <= words for w in self.own_words))
        ):
            return self._evidence(
                c,
                None,
                f"{c.text}: the trial's own condition; the criterion likely means another one",
                fact=fact.name,
                fact_span=_span(condition.span),
                check=question,
            )
        holds: bool | None = present
        reason = f"patient {'has' if present else 'does not have'} {fact.name} ({how} concept)"
        written = [
            q
            for q in restricting_qualifiers()
            if re.search(rf"\b{q}\b", c.text.lower()) and q not in c.concept.lower()
        ]
        missing = [q for q in (*c.qualifiers, *written) if not self._noted(q, condition.span)]
        if present and missing:
            holds = None
            reason += f"; '{missing[0]}' not known"
        if present and c.window is not None:
            within = (
                None if condition.onset is None else _in_window(condition.onset, c.window, self.on)
            )
            holds = within
            reason += _date_unknown(c.window) if within is None else ""
        if holds is not None and c.negated:
            holds = not holds
        return self._evidence(
            c,
            holds,
            reason,
            fact=fact.name,
            fact_span=_span(condition.span),
            check=question if holds is None else "",
        )

    def _noted(self, qualifier: str, span: Span | None) -> bool:
        """Return True unless ``qualifier`` narrows a diagnosis and the note does not say it."""
        word = restricting_qualifier(qualifier)
        if word is None:
            return True
        notes = self.profile.notes
        if notes is None or span is None:
            return False
        near = notes[max(0, span.start - _NOTE_REACH) : span.end + _NOTE_REACH // 2].lower()
        return word in " ".join(near.split())

    def _treatment(self, c: TreatmentConstraint) -> Evidence:
        question = f"Has the patient had {c.text}?"
        keys = concept_keys([c.therapy, c.text], therapy=True)
        match = self._find(self.concepts.treatments, keys, words_of(c.therapy))
        if match is None:
            return self._evidence(c, None, f"{c.text}: not in the profile", check=question)
        fact, how = match
        treatment = fact.treatment
        assert treatment is not None
        present = not treatment.negated
        holds: bool | None = present
        reason = f"patient {'had' if present else 'did not have'} {fact.name} ({how})"
        if present and c.temporality == "current" and not treatment.current:
            holds = None if treatment.end is None else treatment.end >= self.on
            reason += "; not known to be current" if holds is None else ""
        if present and c.window is not None:
            last = self.on if treatment.current else (treatment.end or treatment.start)
            holds = None if last is None else _in_window(last, c.window, self.on)
            reason += _date_unknown(c.window) if holds is None else ""
        if holds is not None and c.negated:
            holds = not holds
        return self._evidence(
            c,
            holds,
            reason,
            fact=fact.name,
            fact_span=_span(treatment.span),
            check=question if holds is None else "",
        )

    @staticmethod
    def _find(
        facts: Sequence[ConceptFact], keys: frozenset[str], words: frozenset[str]
    ) -> tuple[ConceptFact, str] | None:
        """Return the best matching fact: present facts before negated ones, same before broader."""
        found: list[tuple[int, int, ConceptFact, str]] = []
        for order, fact in enumerate(facts):
            how = fact.matches(keys, words)
            if how is not None:
                negated = bool(
                    (fact.condition and fact.condition.negated)
                    or (fact.treatment and fact.treatment.negated)
                )
                found.append((int(negated) * 2 + int(how != "same"), order, fact, how))
        if not found:
            return None
        best = min(found, key=lambda f: (f[0], f[1]))
        return best[2], best[3]


def _sex_of_subgroup(subgroup: str) -> str | None:
    """Return "female" or "male" when a measurement subgroup is one sex ("for men"), else None."""
    match = _SEX_SUBGROUP.fullmatch(subgroup.strip())
    if match is None:
        return None
    return "female" if match.group("female") else "male"


def _bounds_text(bounds: object, unit: str) -> str:
    from trialfinder.criteria.constraints import Bounds

    assert isinstance(bounds, Bounds)
    low = "" if bounds.low is None else f"{'≥' if bounds.low_inclusive else '>'} {bounds.low:g}"
    high = "" if bounds.high is None else f"{'≤' if bounds.high_inclusive else '<'} {bounds.high:g}"
    return " and ".join(p for p in (low, high) if p) + (f" {unit}" if unit else "")


# -- one criterion ----------------------------------------------------------------------------
