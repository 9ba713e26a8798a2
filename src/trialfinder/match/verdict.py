"""What evaluating one trial for one patient returns: a verdict per criterion and for the trial.

Every struct is a msgspec struct, so ``msgspec.json.encode(verdict)`` is the JSON the API and the
CLI print. ``verdict`` on a criterion says whether the patient passes it: an exclusion criterion
whose statement holds for the patient ("has heart failure") is ``not_met``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "CriterionVerdict",
    "Evidence",
    "TrialVerdict",
    "Verdict",
]

Verdict = Literal["met", "not_met", "unknown"]
"""A criterion: the patient passes it, fails it, or the profile cannot tell."""

TrialOutcome = Literal["eligible", "not_eligible", "possibly_eligible"]
Section = Literal["structured", "inclusion", "exclusion"]


class Evidence(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One constraint checked against the patient: what the criterion says, what the patient has.

    ``holds`` is whether the constraint's statement is true of the patient (None: cannot tell);
    ``fact`` names the patient fact relied on and ``fact_span`` its place in the note, if any.
    """

    kind: str
    rule: str
    span: tuple[int, int]
    holds: bool | None
    reason: str
    fact: str | None = None
    fact_span: tuple[int, int] | None = None
    check: str = ""


class CriterionVerdict(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One criterion (or structured field) with the verdict for this patient and its evidence.

    ``index`` is the criterion's position in its section; ``is_checkable`` is False for criteria no
    patient record can answer (consent, investigator judgement) and for text no rule could read.
    """

    section: Section
    index: int
    text: str
    verdict: Verdict
    reason: str
    is_checkable: bool = True
    evidence: list[Evidence] = []


class TrialVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one trial for one patient.

    ``outcome``: ``not_eligible`` when a criterion rules the patient out (listed in
    ``ruled_out_by``), ``eligible`` when every checkable criterion is met, otherwise
    ``possibly_eligible`` with ``open_questions``. ``eligibility`` is the ranking factor in [0, 1]
    (see ``match.rank``). ``to_review`` lists criteria no record can answer.
    """

    nct_id: str
    outcome: TrialOutcome
    eligibility: float
    on_date: str
    criteria: list[CriterionVerdict]
    ruled_out_by: list[str]
    open_questions: list[str]
    to_review: list[str]
    met: int
    not_met: int
    unknown: int
