"""The eligibility criteria engine: split criteria text and read typed constraints from it."""

from __future__ import annotations

from trialfinder.criteria.constraints import (
    AgeConstraint,
    Bounds,
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
from trialfinder.criteria.parser import parse_criteria, parse_criterion
from trialfinder.criteria.splitter import CriteriaLists, CriterionText, split_criteria
from trialfinder.criteria.units import UnitError, convert, parse_unit

__all__ = [
    "AgeConstraint",
    "Bounds",
    "ConditionConstraint",
    "Constraint",
    "CriteriaLists",
    "CriterionText",
    "Measurement",
    "NotCheckable",
    "ParsedCriteria",
    "ParsedCriterion",
    "PregnancyConstraint",
    "ScoreConstraint",
    "SexConstraint",
    "TimeWindow",
    "TreatmentConstraint",
    "UnitError",
    "Unparsed",
    "convert",
    "parse_criteria",
    "parse_criterion",
    "parse_unit",
    "split_criteria",
]
