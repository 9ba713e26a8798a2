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

import msgspec

from trialfinder.criteria.constraints import (
    Constraint,
    NotCheckable,
    ParsedCriteria,
    ParsedCriterion,
    PregnancyConstraint,
    Unparsed,
)
from trialfinder.match._checker import OPEN_STATUSES, Checker, all_hold, any_holds
from trialfinder.match.concepts import PatientConcepts
from trialfinder.match.derive import with_derived
from trialfinder.match.profile import PatientProfile
from trialfinder.match.verdict import (
    CriterionVerdict,
    Evidence,
    TrialOutcome,
    TrialVerdict,
    Verdict,
)
from trialfinder.model import Trial

__all__ = ["OPEN_STATUSES", "eligibility_factor", "evaluate_trial"]


_ORED_IN_EXCLUSION = ("condition", "treatment", "pregnancy", "measurement", "score")
_NOT_EXCLUDED_SCALE = 0.05
_EXCEPTION = re.compile(
    r"\b(?:unless|other\s+than|except(?:ing)?|excluding|apart\s+from|aside\s+from"
    r"|with\s+the\s+exception\s+of)\b",
    re.IGNORECASE,
)
_NON = re.compile(r"\bnon[-\s]?$", re.IGNORECASE)  # "non-" right before a span
_STRUCTURED_QUESTIONS = {
    "age not given": "How old is the patient?",
    "sex not given": "What is the patient's sex?",
    "no diagnosis given": "What is the patient's diagnosis?",
}


def _statement(evidence: list[Evidence], section: str) -> bool | None:
    if section == "inclusion":
        kinds = dict.fromkeys(e.kind for e in evidence)
        return all_hold([any_holds([e.holds for e in evidence if e.kind == k]) for k in kinds])
    ored = [e.holds for e in evidence if e.kind in _ORED_IN_EXCLUSION]
    qualifiers = [e.holds for e in evidence if e.kind not in _ORED_IN_EXCLUSION and e.kind != "age"]
    ages = [e.holds for e in evidence if e.kind == "age"]
    if ages:  # two ages are two sides of an excluded middle: "Age < 18 or > 70 years"
        qualifiers.append(any_holds(ages))
    if not ored:
        return all_hold(qualifiers)
    return all_hold([any_holds(ored), *qualifiers])


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
    checker: Checker, section: str, index: int, criterion: ParsedCriterion
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
    checker = Checker(patient, on_date, trial, concepts)
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
