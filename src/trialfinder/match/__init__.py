"""Patient matching: a ``PatientProfile`` from JSON, FHIR R4 or a note; verdicts; ranking."""

from __future__ import annotations

from trialfinder.match.derive import (
    Derived,
    age_on,
    bedside_schwartz,
    bmi,
    ckd_epi_2021,
    derive,
    with_derived,
)
from trialfinder.match.evaluate import OPEN_STATUSES, eligibility_factor, evaluate_trial
from trialfinder.match.fhir import profile_from_bundle
from trialfinder.match.note import profile_from_note
from trialfinder.match.profile import (
    Allergy,
    Condition,
    Location,
    Observation,
    PatientProfile,
    Score,
    Span,
    Treatment,
    load_profile,
    profile_json_schema,
)
from trialfinder.match.questions import Question, profile_from_answers, questions_for
from trialfinder.match.rank import (
    MatchResult,
    RankedTrial,
    match_patient,
    parsed_criteria_of,
    rank_trials,
    relevance,
)
from trialfinder.match.verdict import CriterionVerdict, Evidence, TrialVerdict

__all__ = [
    "OPEN_STATUSES",
    "Allergy",
    "Condition",
    "CriterionVerdict",
    "Derived",
    "Evidence",
    "Location",
    "MatchResult",
    "Observation",
    "PatientProfile",
    "Question",
    "RankedTrial",
    "Score",
    "Span",
    "Treatment",
    "TrialVerdict",
    "age_on",
    "bedside_schwartz",
    "bmi",
    "ckd_epi_2021",
    "derive",
    "eligibility_factor",
    "evaluate_trial",
    "load_profile",
    "match_patient",
    "parsed_criteria_of",
    "profile_from_answers",
    "profile_from_bundle",
    "profile_from_note",
    "profile_json_schema",
    "questions_for",
    "rank_trials",
    "relevance",
    "with_derived",
]
