"""Evaluate one trial for one patient: a verdict per criterion, then one for the trial.

Order of work:

1. the structured fields: overall status, age limits, sex, healthy volunteers;
2. each criterion: every constraint read from it is checked against the patient (``holds``:
   True, False or None for "the profile does not say"), then combined —

   - inclusion: constraints of one kind are ORed ("type 1 or type 2 diabetes"), kinds are ANDed;
   - exclusion: conditions, treatments, pregnancy, labs and scores are ORed (criteria list what
     excludes: "MI, stroke or CABG"), then ANDed with any age or sex qualifier ("women who are
     pregnant");

   a bound for a subgroup ("≤ 3 × ULN for Gilbert's syndrome") replaces the main bound only for a
   patient known to be in the subgroup, and is left out for any other;
   an inclusion criterion is met when its statement holds; an exclusion criterion is met when its
   statement does not hold. None stays unknown: a fact the profile lacks is never assumed;
3. the trial: ``not_eligible`` when any criterion is not met, ``eligible`` when every checkable
   criterion is met, otherwise ``possibly_eligible``.

An exclusion criterion naming the trial's own condition ("other malignancy" in a cancer trial)
is not taken to exclude a patient who has that condition: it stays unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import msgspec

from trialfinder.criteria import lexicon
from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Constraint,
    Measurement,
    NotCheckable,
    ParsedCriteria,
    ParsedCriterion,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TimeWindow,
    TreatmentConstraint,
    Unparsed,
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
from trialfinder.match.derive import with_derived
from trialfinder.match.profile import Observation, PatientProfile, Span
from trialfinder.match.verdict import (
    CriterionVerdict,
    Evidence,
    TrialOutcome,
    TrialVerdict,
    Verdict,
)
from trialfinder.model import Trial

__all__ = ["OPEN_STATUSES", "eligibility_factor", "evaluate_trial"]

OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION", "AVAILABLE")
"""Statuses in which a trial can still take a patient."""

_ORED_IN_EXCLUSION = ("condition", "treatment", "pregnancy", "measurement", "score")
_NOT_EXCLUDED_SCALE = 0.05
_NOTE_REACH = 80  # characters before a diagnosis in the note searched for a criterion qualifier
_EXCEPTION = re.compile(
    r"\b(?:unless|other\s+than|except(?:ing)?|excluding|apart\s+from|aside\s+from"
    r"|with\s+the\s+exception\s+of)\b",
    re.IGNORECASE,
)
_NON = re.compile(r"\bnon[-\s]?$", re.IGNORECASE)  # "non-" right before a span
_PREGNANCY_QUESTIONS = {
    "pregnant": "Is the patient pregnant?",
    "breastfeeding": "Is the patient breastfeeding?",
    "childbearing_potential": "Could the patient become pregnant?",
    "contraception": "Does the patient use contraception?",
    "pregnancy_test": "Has the patient had a negative pregnancy test?",
}
_STRUCTURED_QUESTIONS = {
    "age not given": "How old is the patient?",
    "sex not given": "What is the patient's sex?",
    "no diagnosis given": "What is the patient's diagnosis?",
}


def _span(span: Span | None) -> tuple[int, int] | None:
    return None if span is None else (span.start, span.end)


def _any(values: Sequence[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _all(values: Sequence[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _in_window(date: dt.date, window: TimeWindow, on: dt.date) -> bool | None:
    if window.days is None:
        return None
    elapsed = (on - date).days
    return elapsed <= window.days if window.relation == "within" else elapsed >= window.days


class _Checker:
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
        """Return True when the profile states a condition naming ``subgroup``, not negated."""
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
            if within is None:
                holds, reason = None, f"{reason}; date unknown for '{c.window.relation} "
                reason += f"{c.window.amount:g} {c.window.unit}'"
            else:
                holds = within
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
            if holds is None:
                reason += f"; date unknown for '{c.window.relation} {c.window.amount:g} "
                reason += f"{c.window.unit}'"
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


def _bounds_text(bounds: object, unit: str) -> str:
    from trialfinder.criteria.constraints import Bounds

    assert isinstance(bounds, Bounds)
    low = "" if bounds.low is None else f"{'≥' if bounds.low_inclusive else '>'} {bounds.low:g}"
    high = "" if bounds.high is None else f"{'≤' if bounds.high_inclusive else '<'} {bounds.high:g}"
    return " and ".join(p for p in (low, high) if p) + (f" {unit}" if unit else "")


# -- one criterion ----------------------------------------------------------------------------


def _statement(evidence: list[Evidence], section: str) -> bool | None:
    if section == "inclusion":
        kinds = dict.fromkeys(e.kind for e in evidence)
        return _all([_any([e.holds for e in evidence if e.kind == k]) for k in kinds])
    ored = [e.holds for e in evidence if e.kind in _ORED_IN_EXCLUSION]
    qualifiers = [e.holds for e in evidence if e.kind not in _ORED_IN_EXCLUSION]
    if not ored:
        return _all(qualifiers)
    return _all([_any(ored), *qualifiers])


def _stated(criterion: ParsedCriterion) -> list[Constraint]:
    """The constraints the criterion states: those in an exception clause ("other than
    excisional biopsy", "unless ...") are left out, "non-pregnant" reads as negated."""
    cue = _EXCEPTION.search(criterion.text)
    cut = len(criterion.text) if cue is None else cue.start()
    stated: list[Constraint] = []
    for constraint in criterion.constraints:
        if constraint.span[0] >= cut:
            continue
        if (
            isinstance(constraint, PregnancyConstraint)
            and not constraint.negated
            and _NON.search(criterion.text, 0, constraint.span[0])
        ):
            constraint = msgspec.structs.replace(constraint, negated=True)
        stated.append(constraint)
    return stated


def _criterion(
    checker: _Checker, section: str, index: int, criterion: ParsedCriterion
) -> CriterionVerdict:
    stated = checker.for_patient(_stated(criterion))
    evidence = [e for c in stated if (e := checker.check(c, section)) is not None]
    if not evidence:
        others = [c for c in criterion.constraints if isinstance(c, NotCheckable)]
        reason = (
            f"not checkable from a record ({others[0].reason.replace('_', ' ')})"
            if others
            else "no rule could read this criterion"
            if any(isinstance(c, Unparsed) for c in criterion.constraints)
            else "nothing to check"
        )
        return CriterionVerdict(
            section=section,  # type: ignore[arg-type]
            index=index,
            text=criterion.text,
            verdict="unknown",
            reason=reason,
            is_checkable=False,
        )
    holds = _statement(evidence, section)
    verdict: Verdict
    if holds is None:
        verdict = "unknown"
    elif section == "inclusion":
        verdict = "met" if holds else "not_met"
    else:
        verdict = "not_met" if holds else "met"
    deciding = [e for e in evidence if e.holds is holds] or evidence
    reason = "; ".join(dict.fromkeys(e.reason for e in deciding))
    return CriterionVerdict(
        section=section,  # type: ignore[arg-type]
        index=index,
        text=criterion.text,
        verdict=verdict,
        reason=reason,
        evidence=evidence,
    )


# -- structured fields ------------------------------------------------------------------------


def _structured(
    trial: Trial, profile: PatientProfile, check_status: bool
) -> list[CriterionVerdict]:
    out: list[CriterionVerdict] = []

    def add(text: str, verdict: Verdict, reason: str) -> None:
        out.append(
            CriterionVerdict(
                section="structured", index=len(out), text=text, verdict=verdict, reason=reason
            )
        )

    if check_status and trial.overall_status:
        is_open = trial.overall_status in OPEN_STATUSES
        status = trial.overall_status.replace("_", " ").lower()
        add("Overall status", "met" if is_open else "not_met", f"the trial is {status}")
    low, high = trial.minimum_age_years, trial.maximum_age_years
    if low is not None or high is not None:
        limits = f"{trial.minimum_age or 'no minimum'} to {trial.maximum_age or 'no maximum'}"
        age = profile.age_years
        if age is None:
            add(f"Age {limits}", "unknown", "age not given")
        else:
            fits = (low is None or age >= low) and (high is None or age <= high)
            add(
                f"Age {limits}",
                "met" if fits else "not_met",
                f"age {age:g} {'is' if fits else 'is not'} within {limits}",
            )
    if trial.sex in ("FEMALE", "MALE"):
        wanted = trial.sex.lower()
        if profile.sex not in ("female", "male"):
            add(f"Sex: {wanted} only", "unknown", "sex not given")
        else:
            fits = profile.sex == wanted
            add(
                f"Sex: {wanted} only",
                "met" if fits else "not_met",
                f"patient is {profile.sex}",
            )
    if trial.healthy_volunteers is False:
        has_condition = any(not c.negated for c in profile.conditions)
        add(
            "Healthy volunteers: not accepted",
            "met" if has_condition else "unknown",
            "the patient has a diagnosis" if has_condition else "no diagnosis given",
        )
    return out


# -- the trial --------------------------------------------------------------------------------


def eligibility_factor(outcome: str, met: int, unknown: int) -> float:
    """Return the ranking factor of a verdict: 1 eligible; (met+1)/(met+unknown+2) possibly
    eligible; that times 0.05 when not eligible, so excluded trials sink but keep their order.
    """
    if outcome == "eligible":
        return 1.0
    share = (met + 1) / (met + unknown + 2)
    return share * (_NOT_EXCLUDED_SCALE if outcome == "not_eligible" else 1.0)


def _label(verdict: CriterionVerdict) -> str:
    if verdict.section == "structured":
        return f"{verdict.text}: {verdict.reason}"
    return f"{verdict.section} {verdict.index + 1}: {verdict.text} — {verdict.reason}"


def evaluate_trial(
    trial: Trial,
    parsed_criteria: ParsedCriteria,
    profile: PatientProfile,
    on_date: dt.date,
    *,
    check_status: bool = True,
    concepts: PatientConcepts | None = None,
) -> TrialVerdict:
    """Return the verdict on ``trial`` for ``profile`` on ``on_date`` (the screening date).

    Args:
        parsed_criteria: ``parse_criteria(trial.eligibility_criteria, mesh_terms=...)``.
        check_status: False to judge eligibility alone, whatever the trial's status.
        concepts: ``PatientConcepts.of(with_derived(profile, on_date))``, when evaluating many
            trials for one patient.
    """
    patient = with_derived(profile, on_date)
    checker = _Checker(patient, on_date, trial, concepts)
    verdicts = _structured(trial, patient, check_status)
    verdicts += [
        _criterion(checker, "inclusion", i, c) for i, c in enumerate(parsed_criteria.inclusion)
    ]
    verdicts += [
        _criterion(checker, "exclusion", i, c) for i, c in enumerate(parsed_criteria.exclusion)
    ]
    checkable = [v for v in verdicts if v.is_checkable]
    failed = [v for v in checkable if v.verdict == "not_met"]
    open_ = [v for v in checkable if v.verdict == "unknown"]
    met = sum(v.verdict == "met" for v in checkable)
    outcome: TrialOutcome = (
        "not_eligible" if failed else "possibly_eligible" if open_ else "eligible"
    )
    questions = [_STRUCTURED_QUESTIONS[v.reason] for v in open_ if v.section == "structured"]
    questions += [e.check for v in open_ for e in v.evidence if e.holds is None and e.check]
    return TrialVerdict(
        nct_id=trial.nct_id,
        outcome=outcome,
        eligibility=round(eligibility_factor(outcome, met, len(open_)), 4),
        on_date=on_date.isoformat(),
        criteria=verdicts,
        ruled_out_by=[_label(v) for v in failed],
        open_questions=list(dict.fromkeys(questions)),
        to_review=[_label(v) for v in verdicts if not v.is_checkable],
        met=met,
        not_met=len(failed),
        unknown=len(open_),
    )
