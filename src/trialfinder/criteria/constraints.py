"""Typed constraints read from one criterion, and the parsed criteria of a trial.

Every constraint keeps ``span`` (start, end in the criterion text), ``confidence`` and ``rule``,
the name of the pattern or word list that produced it: the evidence a verdict can cite. All types
are msgspec structs, tagged by ``kind``, so ``msgspec.json.encode`` and ``decode`` round-trip.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from trialfinder.criteria.splitter import CriterionText

__all__ = [
    "AgeConstraint",
    "ConditionConstraint",
    "Constraint",
    "Measurement",
    "NotCheckable",
    "ParsedCriteria",
    "ParsedCriterion",
    "PregnancyConstraint",
    "ScoreConstraint",
    "SexConstraint",
    "TimeWindow",
    "TreatmentConstraint",
    "Unparsed",
]

Comparator = Literal["ge", "gt", "le", "lt", "eq"]


# Constraints and their parts hold only numbers, strings, tuples and other such structs, so
# they can form no reference cycle: ``gc=False`` keeps them out of the cyclic garbage
# collector, whose full passes over the parser's repeat memo (tens of thousands of readings)
# had cost about 5% of parsing time.


class _Base(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", gc=False):
    span: tuple[int, int]
    confidence: float
    rule: str


class Bounds(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A closed, open or half-open interval; None means unbounded on that side."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool:
        """Return True when ``value`` lies inside the interval."""
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )


class AgeConstraint(_Base, frozen=True, kw_only=True, tag="age"):
    """An age range; ``years`` holds the same bounds converted to years."""

    bounds: Bounds
    unit: str  # years, months, weeks or days, as written
    years: Bounds


class SexConstraint(_Base, frozen=True, kw_only=True, tag="sex"):
    """The sex the criterion names: female, male or all."""

    sex: Literal["female", "male", "all"]


class PregnancyConstraint(_Base, frozen=True, kw_only=True, tag="pregnancy"):
    """Pregnancy, breastfeeding, contraception, childbearing potential or a pregnancy test."""

    status: Literal[
        "pregnant", "breastfeeding", "contraception", "childbearing_potential", "pregnancy_test"
    ]
    negated: bool = False


class Measurement(_Base, frozen=True, kw_only=True, tag="measurement"):
    """A lab or vital sign with its bounds, as written and in the analyte's canonical unit.

    ``uln_multiple`` means the bounds are multiples of the upper limit of normal; ``titre``
    means they are reciprocal titres (1:80 -> 80). ``canonical`` is None when the unit was not
    written or cannot be converted. ``subgroup`` names whom a second bound is for ("Gilbert's
    syndrome" in "≤ 1.5 × ULN or ≤ 3 × ULN for Gilbert's syndrome"); None for the main bound.
    """

    analyte: str
    loinc: str
    bounds: Bounds
    unit: str | None
    canonical_unit: str
    canonical: Bounds | None
    uln_multiple: bool = False
    titre: bool = False
    formula: str | None = None
    subgroup: str | None = None


class ScoreConstraint(_Base, frozen=True, kw_only=True, tag="score"):
    """A clinical score or class within bounds (NYHA and ASA classes as 1-4, Child-Pugh A-C)."""

    score: str
    bounds: Bounds
    classes: tuple[str, ...] = ()


class TimeWindow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """When: "within 6 months prior to screening" or "at least 4 weeks before enrolment"."""

    relation: Literal["within", "at_least"]
    amount: float
    unit: str  # years, months, weeks, days, hours or half-lives
    days: float | None
    anchor: str | None
    span: tuple[int, int]
    rule: str


class ConditionConstraint(_Base, frozen=True, kw_only=True, tag="condition"):
    """A diagnosis named in the criterion, with its context."""

    concept: str
    text: str
    synonyms: tuple[str, ...] = ()
    negated: bool = False
    temporality: Literal["current", "history", "hypothetical"] = "current"
    experiencer: Literal["patient", "family"] = "patient"
    qualifiers: tuple[str, ...] = ()
    window: TimeWindow | None = None
    source: Literal["vocabulary", "mesh"] = "vocabulary"


class TreatmentConstraint(_Base, frozen=True, kw_only=True, tag="treatment"):
    """A therapy or procedure, prior or current, with a time window when one is written."""

    therapy: str
    therapy_class: str
    text: str
    negated: bool = False
    temporality: Literal["current", "history", "hypothetical", "any"] = "any"
    window: TimeWindow | None = None


class NotCheckable(_Base, frozen=True, kw_only=True, tag="not_checkable"):
    """A criterion a patient record cannot answer (consent, judgement, logistics, other trials)."""

    reason: Literal[
        "consent", "investigator_judgement", "logistics", "other_trial", "study_staff", "legal"
    ]


class Unparsed(_Base, frozen=True, kw_only=True, tag="unparsed"):
    """Text no rule could read; kept so that it is shown, never dropped."""

    text: str


Constraint = (
    AgeConstraint
    | SexConstraint
    | PregnancyConstraint
    | Measurement
    | ScoreConstraint
    | ConditionConstraint
    | TreatmentConstraint
    | NotCheckable
    | Unparsed
)


class ParsedCriterion(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion and what was read from it; spans in constraints are into ``text``."""

    text: str
    start: int
    end: int
    depth: int
    parent: int | None
    constraints: list[Constraint]

    @classmethod
    def of(cls, criterion: CriterionText, constraints: list[Constraint]) -> ParsedCriterion:
        """Return a parsed criterion built from a split criterion."""
        return cls(
            text=criterion.text,
            start=criterion.start,
            end=criterion.end,
            depth=criterion.depth,
            parent=criterion.parent,
            constraints=constraints,
        )


class ParsedCriteria(msgspec.Struct, frozen=True, kw_only=True):
    """The inclusion and exclusion criteria of a trial, each with its constraints."""

    inclusion: list[ParsedCriterion]
    exclusion: list[ParsedCriterion]
