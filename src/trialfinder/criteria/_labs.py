"""The applier for lab and vital-sign rows: analyte first, then its value ("eGFR ≥ 30 mL/min").

An analyte's name is the longest ``lexicon.lab_index`` finds at its start; the rows are then
matched from its end, in table order, and the first that reads a value wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from msgspec.structs import replace as replace_struct

from trialfinder.criteria import lexicon
from trialfinder.criteria._extract import (
    Rule,
    _group,
    _merge,
    _overlaps,
    _post_op,
    applicable,
    bounds_of,
    rule,
    rules,
)
from trialfinder.criteria.constraints import Bounds, Measurement
from trialfinder.criteria.tables import Pattern, TableError, compile_pattern, finditer, search
from trialfinder.criteria.units import UnitError, convert

_CONNECTOR = re.compile(
    r"^(?:[\s,/&]|and|or|and/or|count|counts|levels?|values?|\([^()]*\))*$", re.IGNORECASE
)
_DIGIT = re.compile(r"\d")
# The words a list of names shares before its value: no comma, bracket or further list item.
# Nor "ratio" ("protein/creatinine ratio of ≥ 1.0": one quotient) or "by" ("PT or PTT
# prolonged by > 2 seconds": a change).
_PLAIN_WORDS = re.compile(
    r"(?:(?!\b(?:and|or|than|respectively|ratios?|by)\b)[^,;()])*", re.IGNORECASE
)
# A word or sign that joins two names into a list ("(INR)" after a name is its short form).
_JOINT = re.compile(r",|&|/|\b(?:and|or)\b", re.IGNORECASE)
# A bracket opened just before a name: "liver function tests (AST and ALT) < 2.5 × ULN".
_OPENED = re.compile(r"\(\s*\Z")
_CONDITION_BEFORE = re.compile(r"\b(?:if|when|unless|provided)\s+(?:the\s+)?(?:\w+\s+){0,2}\Z")
# "/" joins two names, also after the first one's short form: "(AST)/Alanine aminotransferase".
_SLASH_NAME = re.compile(r"\s*(?:\([^()\n]{1,12}\)\s*)?/\s*")
_LIMIT_ROWS = frozenset({"lab_uln", "lab_uln_above", "lab_uln_implied"})
_GRADE = re.compile(r"\bgrades?\b|\bscores?\b|\bCTCAE\b", re.IGNORECASE)
# What follows a name that labels the value before it: a closing bracket, or "or"/"and"/a comma
# and the next value ("> 140 mm Hg systolic or > 90").
_AFTER_LABEL = re.compile(
    r"\s*(?:(?P<closing>\))|(?:,|or\b|and\b)\s*(?:[<>≤≥=\d]|less|greater|more|above|below))",
    re.IGNORECASE,
)
_DURATION = re.compile(r"\s*(?:years?|months?|weeks?|days?|hours?)\b", re.IGNORECASE)
_A_LEVEL = re.compile(r"\b(?:than|ULN|normal)\b", re.IGNORECASE)
_RENAL = {"egfr", "creatinine_clearance", "creatinine"}
# Names of a condition that stand for the heart rate only with a rate written after them:
# "sinus tachycardia greater than 100 beats/min", "bradycardia (< 50 bpm)"; not "ventricular
# tachycardia (greater than 5 beats)", a count of beats. "/min" counts as a rate ("< 50/min").
_RATE_NAMES = frozenset({"tachycardia", "bradycardia", "sinus tachycardia", "sinus bradycardia"})
_PER_MINUTE = re.compile(r"\s*(?:/|per\s)\s*min", re.IGNORECASE)
# Short forms that stand for an analyte only with its unit written: "PVR > 4 Wood units" is the
# pulmonary vascular resistance, "PVR > 100 cc" a post-void residual.
_UNIT_WRITTEN_NAMES = frozenset({"pvr"})
# The canonical units of cell counts, and a number with full stops between groups of three digits.
_COUNT_UNITS = frozenset({"giga_per_liter", "1/mm**3"})
_DOTTED_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
# A value written as a multiple of a power of ten that no unit spells, the unit after it:
# "8 X 10(4) copies/ml", "5 x 10^4 IU/mL" (a count's "x 10(9)/L" is a unit, read as one).
_POWER_OF_TEN = re.compile(r"\s*[xX×*]\s*10\s*(?:\^|\*\*|\()\s*(?P<exponent>[1-9]|1[0-2])\)?")
# Analytes kept unconverted when their unit is written in another dimension than the canonical
# one: GFR and clearance in mL/min with or without "/1.73 m²", FEV1 and FVC in litres, viral
# loads in IU/mL as often as in copies/mL, the prothrombin time as a share of the normal (the
# Quick value of European criteria: "PT less than 60%", "prothrombin time < 40%").
_UNCONVERTED = {
    "egfr": "min",
    "creatinine_clearance": "min",
    "fev1": "l",
    "fvc": "l",
    "hbv_dna": "iu",
    "hcv_rna": "iu",
    "pt": "%",
}
# GFR and clearance written as a share of the normal for age, kept unconverted in per cent: "GFR
# at least 50% of normal", "eGFR < 80% of age adjusted normal", "30% predicted for age"; not a
# share without that reference ("a decline in eGFR of > 30%").
_SHARE_OF_NORMAL = re.compile(
    r"\s*(?:of\s+)?(?:the\s+)?(?:age[-\s]+adjusted\s+)?(?:predicted|normal|expected|lower\s+limit)\b",
    re.IGNORECASE,
)
_SHARE_OF_NORMAL_ANALYTES = frozenset({"egfr", "creatinine_clearance"})
# A change is not a level: "no decline in hemoglobin of 2 g/dL or more", "a decrease in LVEF of
# ≥ 15 points". ("Elevation of ALT > 3 × ULN" is a level, so elevation is not in the list.)
_CHANGE_BEFORE = re.compile(
    r"\b(?:declines?|decreases?|increases?|drops?|rises?|reductions?|changes?|falls?"
    r"|improvements?|worsening)\s+(?:in|of)\s+(?:the\s+)?(?:serum\s+|plasma\s+|blood\s+)?\Z",
    re.IGNORECASE,
)
# A value to bring a reading to is a target, not the patient's level: "isoproterenol infusion to
# a heart rate of ≥ 100 bpm", "titrated to a target SBP < 120 mmHg", "transfused to a hemoglobin
# of 10 g/dL"; so is one a treatment is given to keep or reach: "FiO2 between 0.30 and 0.60 to
# maintain SpO2 90-95%", "to achieve target heart rate of 50-60/minute".
_TARGET_BEFORE = re.compile(
    r"\b(?:(?:infusions?|infused|titrated|titration|paced|pacing|transfused|transfusions?)\s+to"
    r"|to\s+(?:maintain|achieve|keep))\s+(?:a|an|the)?\s*(?:target\s+|goal\s+)?\Z",
    re.IGNORECASE,
)
# A name that is one term of a ratio the table does not list is not that analyte: "AST to
# platelet ratio index (APRI)", "neutrophil-to-lymphocyte ratio ≥ 3", "AST/ALT ratio > 2" (the
# listed ratios, "urine protein-to-creatinine ratio", "FEV1/FVC ratio", are longer names and win).
# Terms written out may carry their short forms: "FEV1/Inspiratory Vital Capacity (IVC) ratio",
# "forced expiratory volume in one second (FEV1)/forced vital capacity (FVC) ratio <0.70".
_SHORT_FORM = r"(?:\s*\([^()\n]{1,12}\))?"
_RATIO_TERM_AFTER = re.compile(
    r"\s*(?:(?:-|\s)to(?:-|\s)+|/\s*)[\w-]+(?:\s+[\w-]+){0,2}" + _SHORT_FORM + r"\s+ratios?\b",
    re.IGNORECASE,
)
_RATIO_TERM_BEFORE = re.compile(
    r"[\w)-]\s*(?:(?:-|\s)to(?:-|\s)+|/\s*)(?:[\w-]+(?:\s+[\w-]+){0,2}\s*\()?\Z",
    re.IGNORECASE,
)
_RATIO_AFTER = re.compile(r"(?:" + _SHORT_FORM + r"|\))\s+ratios?\b", re.IGNORECASE)
# The end of the cardiac cycle names a ventricle's pressure or size, not the blood pressure:
# "left ventricular end-diastolic pressure ≤ 15 mmHg", "LV end-systolic diameter > 45 mm".
_END_OF_PHASE_BEFORE = re.compile(r"\bend[-\s]\Z", re.IGNORECASE)
# An intervertebral disc's height is not the patient's: "disc height of at least 5 mm", "central
# disc height less than 4 millimeters" (a spine device's criterion, read as no measurement).
_DISC_BEFORE = re.compile(r"\bdis[ck]s?\s+\Z", re.IGNORECASE)
# A hormone's receptor is not the hormone: "progesterone-receptor positive, i.e.: At least 10
# fmole/mg cytosol protein", "estrogen receptor > 10%" (a tumour's receptor status).
_RECEPTOR_AFTER = re.compile(r"[\s-]+receptors?\b", re.IGNORECASE)
# A share of the marrow named without its share is a state, and may name a subgroup: "(at least
# 500/mm3 if extensive bone marrow involvement)"; a share followed by the cells it counts is
# theirs: "bone marrow involvement with ≥ 20% lymphoblasts" (blasts, read value first).
_STATE_NAMES = frozenset({"bone_marrow_involvement", "bone_marrow_infiltration"})
# A normal range stated as a fact is a reference, not a bound on the patient: "(Normal
# homocysteine levels are 4.3-9.9 µmol/L for male ...)", "FVC normal range is 80-120% of predicted".
_REFERENCE_RANGE = re.compile(r"\bnormal\s+(?:[\w-]+\s+){0,3}(?:is|are)\s+\Z", re.IGNORECASE)
# Names of a group of analytes and their members: when the criterion names a member beside one
# ("transaminases (ALT and AST)", "transaminase (AST)"), the member is what is measured; beside
# other analytes only ("Transaminases, alkaline phosphatase, total bilirubin ≤ 5 × ULN"), the
# group is measured too.
_GROUPS = {"transaminases": frozenset({"alt", "ast"})}
# Analytes read only by the row of that label: visual acuity from a Snellen fraction, since
# its other numbers ("≥ 73 letters", "3 or more lines", "0.7") are on scales the text rarely
# names.
_ONLY_ROW = {"visual_acuity": "snellen"}
_ONLY_LABELS = frozenset(_ONLY_ROW.values())
# Short names that mean another analyte in a criterion about PD-L1: there "TC ≥ 50%" is the
# share of tumour cells stained (the SP263/SP142 scoring), not total cholesterol.
_PD_L1_CONTEXT = {"tc": "pd_l1_tc"}
_TURNED = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt", "eq": "eq"}
# The subgroup a first bound is written for, at the end of the gap before it: "QTcF for males".
_GAP_SUBGROUP = re.compile(r"\b(?:for|in)\s+([^()\d]{3,40}?)\s*\Z", re.IGNORECASE)
# A sex written just before a bound, bare or opening a bracket: "QTc interval male ≥ 450 ms",
# "QTc prolongation (Male: > 450 ms", "creatinine (males 0.9 - 1.4 mg/dL": the bound is that sex's
# even when no bound for the other follows.
_GAP_SEX = re.compile(r"(?:\(\s*|\b)((?:fe)?males?|(?:wo)?men)[\s:\\]*\Z", re.IGNORECASE)


def _kept_unconverted(analyte: str, unit: str) -> bool:
    """Return True when ``unit`` is the one an analyte of `_UNCONVERTED` is kept in unconverted
    (a GFR in "mL/min" without "/1.73 m²", FEV1 in litres)."""
    return _UNCONVERTED.get(analyte, "\n") in unit.lower()


def _a_share_of_normal(analyte: str, read: _Read, text: str) -> bool:
    """Return True for a GFR or clearance given in per cent of the normal for age."""
    return (
        analyte in _SHARE_OF_NORMAL_ANALYTES
        and read.unit is not None
        and read.unit.strip() == "%"
        and _SHARE_OF_NORMAL.match(text, read.end) is not None
    )


def _a_ratio_term(text: str, start: int, end: int) -> bool:
    """Return True when the name from ``start`` to ``end`` is one term of a ratio: "neutrophil-to-
    lymphocyte ratio", "AST to platelet ratio index", "AST/ALT ratio"."""
    if _RATIO_TERM_AFTER.match(text, end) is not None:
        return True
    # 80 characters back: the first term may sit before a line break and its indent.
    return (
        _RATIO_AFTER.match(text, end) is not None
        and _RATIO_TERM_BEFORE.search(text, max(0, start - 80), start) is not None
    )


def _a_name_follows(text: str, end: int) -> bool:
    """Return True when a lab's name follows ``end`` after blanks: "≥ 20% lymphoblasts"."""
    return _lab_finder().match(text, len(text) - len(text[end:].lstrip())) is not None


def _names_an_owner(mentions: Iterable[str]) -> bool:
    """Return True when one of the lab ``mentions`` names an analyte that owns a value; a share
    of the marrow (``_STATE_NAMES``) is a state and does not: "(at least 500/mm3 if extensive
    bone marrow involvement)", "bone marrow involvement with ≥ 20% lymphoblasts"."""
    for mention in mentions:
        lab = lexicon.lab_of(mention)
        if lab is None or lab.name not in _STATE_NAMES:
            return True
    return False


def _lab_named(name: str, lowered: str) -> lexicon.Lab | None:
    """Return the lab a mention names in this criterion (``lowered``): "TC" near "PD-L1" is the
    tumour-cell share of PD-L1, elsewhere total cholesterol."""
    other = _PD_L1_CONTEXT.get(name.lower())
    if other is not None and "pd-l1" in lowered:
        return lexicon.labs()[other]
    return lexicon.lab_of(name)


@cache
def _value_before() -> re.Pattern[str]:
    """Return a regex for a value, its unit and maybe a bracket, ending where it is applied."""
    return re.compile(
        r"[\d%]\s*(?:" + lexicon.unit_regex() + r")?\s*(?P<bracket>\(\s*)?\Z", re.IGNORECASE
    )


def _labels_a_value(text: str, start: int, end: int) -> bool:
    """Return True for a name that labels the value before it, not one after it: "≥ 160 mmHg
    (systolic) or ≥ 100", "> 140 mm Hg systolic or > 90". Unbracketed, the name must be followed
    by "or", "and" or a comma and then the next value: in "1.5 mg/dL SGOT less than 2" and
    "2.0 mg/dL AST or ALT less than 5 times normal" the name owns the value after it."""
    after = _AFTER_LABEL.match(text, end)
    if after is None:
        return False  # the common case, found without searching backwards
    before = _value_before().search(text[max(0, start - 40) : start])
    if before is None:
        return False
    return (after.group("closing") is not None) == (before.group("bracket") is not None)


@cache
def _lab_finder() -> re.Pattern[str]:
    return re.compile(lexicon.lab_regex(), re.IGNORECASE)


_ANALYTE = "(?P<analyte>{LAB})"


@cache
def _after_analyte() -> tuple[Rule, ...]:
    """Return the lab rows compiled to match from the end of an analyte's name.

    The name is the one ``lexicon.lab_index`` finds, the longest at its start, whether written
    in capitals or not ("FLC ratio", not the "FLC" in it; "FEV-1/FVC", not "FEV-1").
    """
    out = []
    for pattern, _ in rules("lab"):
        if not pattern.regex.startswith(_ANALYTE):
            raise TableError(f"Pattern {pattern.name!r}: a lab row must start with {_ANALYTE}")
        tail = replace(pattern, regex="(?P<analyte>)" + pattern.regex[len(_ANALYTE) :])
        out.append((pattern, compile_pattern(tail)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Read:
    bounds: Bounds
    unit: str | None
    end: int


def _log_mar(fraction: str) -> float | None:
    """Return the logMAR of a Snellen fraction: "20/40" -> 0.3, "6/6" -> 0.0."""
    numerator, denominator = (float(part) for part in fraction.split("/"))
    if numerator <= 0 or denominator <= 0:
        return None
    return round(math.log10(denominator / numerator), 2)


def _read_snellen(match: re.Match[str]) -> _Read | None:
    """Return the logMAR bounds of "20/40 or better", "20/40 to 20/200", "< 20/200"."""
    first = _log_mar(match.group("snellen"))
    to_text = _group(match, "snellen_to")
    if first is None:
        return None
    if to_text is not None:
        second = _log_mar(to_text)
        if second is None or second == first:
            return None
        return _Read(Bounds(low=min(first, second), high=max(first, second)), None, match.end())
    op_text, quality, post = _group(match, "op"), _group(match, "quality"), _group(match, "post")
    if op_text is not None:
        written = lexicon.comparator_op(op_text)
        op = _TURNED[written] if written else None  # a smaller fraction is a larger logMAR
    elif quality is not None:  # "worse than 20/80", "equal or better than 20/20"
        inclusive = _group(match, "equal") is not None or _group(match, "or_equal") is not None
        if quality.lower() == "better":
            op = "le" if inclusive else "lt"
        else:
            op = "ge" if inclusive else "gt"
    elif post is not None:
        op = "le" if "better" in post.lower() else "ge"
    else:
        return None  # "visual acuity of 20/40": no direction
    return None if op is None else _Read(bounds_of(op, first), None, match.end())


def _number(text: str, unit: str | None, counted: bool) -> float | None:
    """Return the number written, reading a full stop before three digits as the thousands
    separator of a cell count per µL or mm³, or one written without a unit: "platelets
    < 150.000 cells/mm3", "Tc < 100.000/µl" (no count is written to three decimals); "ANC
    ≥ 1.500 × 10^9/L" keeps its decimal point."""
    if (
        counted
        and _DOTTED_THOUSANDS.fullmatch(text)
        and (unit is None or lexicon.unit_of(unit) == "1/mm**3")
    ):
        return float(text.replace(".", ""))
    return lexicon.parse_number(text)


def _read_values(match: re.Match[str], text: str, counted: bool) -> _Read | None:
    """Return the bounds a lab match states, following "and ≤ 10%" chains; ``counted`` says the
    analyte is a cell count (see `_number`)."""
    if _group(match, "snellen") is not None:
        return _read_snellen(match)
    unit = _group(match, "unit") or _group(match, "lunit")
    titre = _group(match, "titre")
    if titre is not None:
        titre_op = lexicon.comparator_op(_group(match, "op") or "") or "ge"
        return _Read(bounds_of(titre_op, float(titre)), None, match.end())
    low_text, high_text = _group(match, "low"), _group(match, "high")
    if low_text is not None and high_text is not None:
        low, high = _number(low_text, unit, counted), _number(high_text, unit, counted)
        if low is None or high is None or low >= high:
            return None
        top_op = lexicon.comparator_op(_group(match, "hop") or "≤")  # "7% to <8%"
        if top_op not in {"le", "lt"}:
            return None
        return _Read(Bounds(low=low, high=high, high_inclusive=top_op == "le"), unit, match.end())
    value_text = _group(match, "value")
    value = _number(value_text or "", unit, counted)
    if value_text == "" and _group(match, "uln") is not None:
        value = 1.0  # "≤ ULN": the limit itself
    if value is None:
        return None
    end = match.end()
    if unit is None and value_text:
        scaled = _times_power_of_ten(text, match.end("value"), value)
        if scaled is not None:
            value, unit, end = scaled
    op_text = _group(match, "op")
    op = lexicon.comparator_op(op_text) if op_text else None
    if op is None and _group(match, "within") is not None:
        op = "le"  # "within 2 times the ULN", "up to 2.5 × ULN"
    if op is None:
        post = _group(match, "post")
        if post is None:
            return None
        op = _post_op(post)
    bounds = bounds_of(op, value)
    if _group(match, "uln") is None:
        chain = rule("lab_chain")[1].match(text, end)
        if chain is not None:
            second_op = lexicon.comparator_op(chain.group("op"))
            second = lexicon.parse_number(chain.group("value"))
            if second_op is not None and second is not None:
                if op == "eq" and second_op in {"le", "lt"} and second > value:
                    # "eGFR =20 mL/min and <60 mL/min": an old record's "≥" lost as "=";
                    # an upper bound above it makes the "=" the range's other end
                    bounds = Bounds(low=value)
                merged = _merge(bounds, bounds_of(second_op, second))
                if merged is not None and (merged.low or 0) < (merged.high or 0):
                    bounds, end = merged, chain.end()
                    unit = unit or chain.group("unit")
    return _Read(bounds, unit, end)


def _times_power_of_ten(text: str, at: int, value: float) -> tuple[float, str, int] | None:
    """Return (value, unit, end) of "8 X 10(4) copies/ml" read at the multiplication sign after
    the value (``at``), or None when no power of ten and unit follow."""
    power = _POWER_OF_TEN.match(text, at)
    if power is None:
        return None
    unit = _unit_after().match(text, power.end())
    if unit is None:
        return None  # "30 x 10(9)/1", "2.5 x 10^6 CD34+ cells/kg": no unit read
    return value * 10 ** int(power.group("exponent")), unit.group("unit"), unit.end()


@cache
def _unit_after() -> re.Pattern[str]:
    """Return the regex of a unit written after a value, blanks first."""
    return re.compile(r"\s*(?P<unit>" + lexicon.unit_regex() + ")")


@lru_cache(maxsize=4096)
def _convertible(unit: str, to_unit: str, analyte: str) -> bool:
    """Return False when ``convert`` raises UnitError for these units, whatever the value.

    Kept per unit pair: ``convert`` caches the factors it finds but not its failures, which
    pint would otherwise work out again for every "mg/dL" written after a mmol/L analyte.
    """
    try:
        convert(1.0, unit, to_unit, analyte)
    except UnitError:
        return False
    return True


def _canonical(lab: lexicon.Lab, bounds: Bounds, unit: str | None) -> Bounds | None:
    """Return the bounds in the lab's canonical unit, or None when that cannot be known."""
    if unit:
        source = lexicon.unit_of(unit)
        if source is None:
            return None
    elif lab.unit in {"1", "percent", "U/L", "mmHg", "ms", "1/min"}:
        source = lab.unit  # these are written without a unit as a rule
    elif lab.unit == "giga_per_liter":
        known = [v for v in (bounds.low, bounds.high) if v is not None]
        # Without a unit, 1500 means per µL and 1.5 means ×10⁹/L: the two conventions.
        source = "1/mm**3" if known and min(known) >= 1000 else "giga_per_liter"
    else:
        return None
    if (bounds.low is not None or bounds.high is not None) and not _convertible(
        source, lab.unit, lab.name
    ):
        return None  # what the UnitError below would say, known without asking pint again

    def one(value: float | None) -> float | None:
        if value is None:
            return None
        return round(convert(value, source, lab.unit, lab.name), 6)

    try:
        return Bounds(
            low=one(bounds.low),
            high=one(bounds.high),
            low_inclusive=bounds.low_inclusive,
            high_inclusive=bounds.high_inclusive,
        )
    except UnitError:
        return None


_LEADING_BRACKET = re.compile(r"\s*\([^()\n]*\)")


def _spelled_out(gap: str, inner: list[re.Match[str]], name: str) -> bool:
    """Return True when every name in the gap spells out ``name`` or names its members, in a
    bracket right after it with no number outside a name: "QTcF (corrected QT interval
    Fridericia method) value …", "Transaminases (SGOT and/or SGPT) may be up to …"; not
    "anemia (hemoglobin ≤ 9 g/dL), or … transfusion requirement of ≥ 2 units"."""
    bracket = _LEADING_BRACKET.match(gap)
    mentioned = lexicon.lab_of(name)
    if bracket is None or mentioned is None:
        return False
    if _DIGIT.search(_lab_finder().sub("", bracket.group())):
        return False  # a value in the bracket: "(hemoglobin ≤ 9 g/dL)"; "(CD4+)" is a name
    members = _GROUPS.get(mentioned.name, frozenset())
    for found in inner:
        lab = lexicon.lab_of(found.group())
        if found.end() > bracket.end() or lab is None:
            return False
        if lab != mentioned and lab.name not in members:
            return False
    return True


def _shared_tail(gap: str, inner: list[re.Match[str]], opened: re.Match[str] | None) -> bool:
    """Return True when the names in the gap are a list joined by connectors and the words after
    the last one lead in to the value of them all: "SGOT and total bilirubin should be less than
    2X ULN", "AST and ALT values must be ≤ 2.5 × ULN". The words hold no further list item (a
    comma, "and", "or": "LH, FSH, urine analyses, and sperm count ≥ 15"), no quotient ("ratio")
    and no change ("prolonged by"); "than" keeps a worded comparator ("less than or equal to 147
    and 168") out of the words, so the value still starts at it. A bracket ``opened`` just before
    the first name may close after the last: "(AST or ALT) ≤ 3 × ULN"."""
    last = inner[-1].end()
    after = gap[last:]
    closing = after.rfind(")") + 1  # the last name's own bracket: "(ALT or SGPT) should be"
    names, words = gap[: last + closing], after[closing:]
    joints = _lab_finder().sub("", names)
    if opened is not None and joints.count(")") > joints.count("("):
        cut = joints.rindex(")")
        joints = joints[:cut] + joints[cut + 1 :]
    return (
        _CONNECTOR.match(joints) is not None
        and _JOINT.search(_LEADING_BRACKET.sub("", joints)) is not None
        and _PLAIN_WORDS.fullmatch(words) is not None
    )


def _slash_partner(gap: str, name: str, uln: bool) -> str | None:
    """Return the analyte joined to ``name`` by a slash at the start of the gap, if any.

    The index skips a name after "/" (the FVC of "FEV1/FVC"); "AST/ALT ≤ 2.5 × ULN",
    "SGOT/SGPT" and "Aspartate transaminase (AST)/Alanine aminotransferase (ALT)" name two
    analytes of one unit. Different units ("INR/PT") pair only for a
    multiple of the ULN; a ratio ("FEV(1)/FVC") is a synonym of its own in vocab/labs.tsv.
    """
    if "/" not in gap[:18]:
        return None
    partner = _SLASH_NAME.match(gap)
    if partner is None:
        return None
    found = _lab_finder().match(gap[partner.end() :])  # no "/" behind it to stop the match
    first, second = lexicon.lab_of(name), lexicon.lab_of(found.group()) if found else None
    if first is None or second is None or found is None:
        return None
    if first.unit != second.unit and not uln:
        return None
    return found.group()


def _in_specimen(
    text: str, read: _Read, named: dict[str, tuple[lexicon.Lab, Bounds | None]]
) -> dict[str, tuple[lexicon.Lab, Bounds | None]]:
    """Return ``named`` with each analyte moved to its urine twin ("m_protein_urine") when the
    words after the value name a urine specimen ("per 24-hour urine collection")."""
    labs = lexicon.labs()
    twins = {name: labs[f"{name}_urine"] for name in named if f"{name}_urine" in labs}
    if not twins or not any(r.match(text, read.end) for _, r in rules("lab_specimen")):
        return named
    out: dict[str, tuple[lexicon.Lab, Bounds | None]] = {}
    for name, (lab, canonical) in named.items():
        twin = twins.get(name)
        if twin is None:
            out[name] = (lab, canonical)
        else:
            out[twin.name] = (twin, _canonical(twin, read.bounds, read.unit))
    return out


def measurements(text: str, formula: str | None) -> list[Measurement]:
    """Return the lab and vital-sign constraints in a criterion."""
    lowered = text.lower()
    # Plain "in" tests, cheaper than a regex over every criterion.
    has_limit = "uln" in lowered or "upper" in lowered or "unl" in lowered or "ulrr" in lowered
    if not has_limit and _DIGIT.search(text) is None:
        return []  # no value: neither a number nor "≤ ULN"
    out: list[Measurement] = []
    taken: list[tuple[int, int]] = []
    finder = _lab_finder()
    for mention_start, mention_end in lexicon.lab_index().find(text):
        if not has_limit and _DIGIT.search(text, mention_end) is None:
            continue  # no value after the name: every row needs a number or "ULN"
        before = text[max(0, mention_start - 40) : mention_start]
        if (
            (" in" in before or " of" in before)
            and _CHANGE_BEFORE.search(before)
            or (" to" in before and _TARGET_BEFORE.search(before))
            or (_labels_a_value(text, mention_start, mention_end))
            or _a_ratio_term(text, mention_start, mention_end)
            or _END_OF_PHASE_BEFORE.search(before)
            or _DISC_BEFORE.search(before)
            or _RECEPTOR_AFTER.match(text, mention_end)
        ):
            continue
        for pattern, regex in _after_analyte():
            if pattern.name in _LIMIT_ROWS and not has_limit:
                continue  # no "ULN" in the criterion: the rows for multiples cannot match
            match = regex.match(text, mention_end)
            if match is None:
                continue
            value_start = match.end("gap")
            if _overlaps((value_start, match.end()), taken):
                break
            gap = match.group("gap")
            if _GRADE.search(gap):
                break  # "thrombocytopenia grade ≥ 3", "hypoglycemia ... Gold score ≥ 4": no count
            if _REFERENCE_RANGE.search(text, max(0, mention_start - 40), value_start):
                break  # "normal homocysteine levels are 4.3-9.9 µmol/L": a reference range
            analytes = [text[mention_start:mention_end]]
            paired = _slash_partner(gap, analytes[0], _group(match, "uln") is not None)
            if paired is not None:
                analytes.append(paired)
                gap = gap[gap.index(paired) + len(paired) :]
            inner = list(finder.finditer(gap))
            if inner:
                residue = finder.sub("", gap)
                if (
                    not _CONNECTOR.match(residue)
                    and not _spelled_out(gap, inner, analytes[0])
                    and not _shared_tail(gap, inner, _OPENED.search(text, 0, mention_start))
                ):
                    break  # the value belongs to the later analyte, which has its own turn
                analytes += [m.group() for m in inner]
            if pattern.name == "lab_uln_implied" and _CONDITION_BEFORE.search(
                text[max(0, mention_start - 40) : mention_start]
            ):
                break  # "(≤ 2.5 × ULN if alkaline phosphatase no greater than ULN)": a condition
            first_lab = _lab_named(analytes[0], lowered)
            counted = first_lab is not None and first_lab.unit in _COUNT_UNITS
            read = _read_values(match, text, counted)
            if read is None or (read.unit is None and _DURATION.match(text, read.end)):
                continue  # "for more than 6 months": a duration, not a value
            if (
                read.unit is None
                and analytes[0].lower() in _RATE_NAMES
                and not _PER_MINUTE.match(text, read.end)
            ):
                continue  # "ventricular tachycardia (greater than 5 beats)": no rate
            uln = _group(match, "uln") is not None
            titre = _group(match, "titre") is not None
            named: dict[str, tuple[lexicon.Lab, Bounds | None]] = {}
            for name in analytes:
                if read.unit is None and name.lower() in _UNIT_WRITTEN_NAMES:
                    continue  # "post-void residual (PVR) > 100cc": no resistance unit
                lab = _lab_named(name, lowered)
                if lab is not None and lab.name in _STATE_NAMES and _a_name_follows(text, read.end):
                    continue  # "bone marrow involvement with ≥ 20% lymphoblasts": the blasts'
                only = _ONLY_ROW.get(lab.name) if lab is not None else None
                if (only is not None or pattern.label in _ONLY_LABELS) and only != pattern.label:
                    continue  # "BCVA ≥ 73 letters": not a Snellen fraction; nor a fraction for BP
                if lab is not None and lab.name not in named:
                    canonical = None if uln or titre else _canonical(lab, read.bounds, read.unit)
                    named[lab.name] = (lab, read.bounds if titre else canonical)
            if len(named) > 1:
                named = {
                    name: v
                    for name, v in named.items()
                    if not _GROUPS.get(name, frozenset()).intersection(named)
                }
            named = _in_specimen(text, read, named)
            # "creatinine or CrCl ≥ 60 mL/min": the unit rules creatinine out. An analyte of
            # _UNCONVERTED whose unit fits no analyte named is kept unconverted ("GFR ≥ 30 mL/min").
            fits = any(c is not None for _, c in named.values())
            found = False
            first_index = len(out)
            for lab, canonical in named.values():
                if (
                    read.unit
                    and canonical is None
                    and not (uln or titre)
                    and (fits or not _kept_unconverted(lab.name, read.unit))
                    and not _a_share_of_normal(lab.name, read, text)
                ):
                    continue
                found = True
                out.append(
                    Measurement(
                        span=(mention_start, read.end),
                        confidence=(
                            0.6
                            if read.unit and canonical is None and not (uln or titre)
                            else pattern.confidence
                            if read.unit or uln or titre
                            else 0.75
                        ),
                        rule=pattern.name,
                        analyte=lab.name,
                        loinc=lab.loinc,
                        bounds=read.bounds,
                        unit=read.unit.strip() if read.unit else None,
                        canonical_unit="ULN" if uln else "titre" if titre else lab.unit,
                        canonical=canonical,
                        uln_multiple=uln,
                        titre=titre,
                        formula=formula if lab.name in _RENAL else None,
                    )
                )
            if found:
                taken.append((value_start, read.end))
                labs = [lab for lab, _ in named.values()]
                extra, first = _subgroup_bounds(text, read, uln, labs, gap)
                if not extra and not (uln or titre):
                    extra = _other_side(text, mention_start, read, labs)
                    if extra and read.unit is None and extra[0].unit is not None:
                        # "< 3.0 or > 5.4 mEq/L": one unit, written once, for both bounds
                        out[first_index:] = [
                            _in_unit(m, extra[0].unit, extra[0].confidence)
                            for m in out[first_index:]
                        ]
                sex = _GAP_SEX.search(gap) if first is None else None
                first = sex.group(1) if sex is not None else first
                if first is not None:
                    # "QTc ≥ 450 ms for men and ≥ 470 ms for women": the first bound is the
                    # men's; a bound given for each of two subgroups applies to neither alone.
                    out[first_index:] = [
                        replace_struct(m, subgroup=first) for m in out[first_index:]
                    ]
                out += extra
                taken += [m.span for m in extra]
                break
    return out


def _subgroup_bounds(
    text: str, read: _Read, uln: bool, labs: list[lexicon.Lab], gap: str
) -> tuple[list[Measurement], str | None]:
    """Return the bound a subgroup has after the first ("or ≤ 3 × ULN for Gilbert's syndrome"),
    and the subgroup the first bound is written for, if any ("≥ 450 ms for men and ≥ 470 ms for
    women", "QTcF for males ≥ 450 ms or for females ≥ 470 ms": ``gap`` is "for males").

    The second bound must limit the same side as the first; without a unit of its own it takes
    the first's ("≤ 1.5 mg/dL (≤ 3 for Gilbert's)").
    """
    matches = ((p, r.match(text, read.end)) for p, r in rules("lab_subgroup"))
    pattern, match = next(((p, m) for p, m in matches if m is not None), (None, None))
    if pattern is None or match is None:
        return [], None
    op_text = match.group("op")
    # "(5 times ULN if liver involvement)": no comparator of its own, the first bound's.
    op = lexicon.comparator_op(op_text) if op_text else _op_of(read.bounds)
    value = lexicon.parse_number(match.group("value") or match.group("value_only") or "")
    if op is None or value is None:
        return [], None
    bounds = bounds_of(op, value)
    if (bounds.low is None) != (read.bounds.low is None) or (bounds.high is None) != (
        read.bounds.high is None
    ):
        return [], None
    second_uln = _group(match, "uln") is not None or _group(match, "uln_only") is not None
    unit = _group(match, "unit") or (None if uln or second_uln else read.unit)
    if unit is None and not second_uln and uln:
        second_uln = True  # "≤ 1.5 × ULN (≤ 3 for Gilbert's)"
    subgroup = " ".join(match.group("subgroup").split())
    named = (m.group() for m in _lab_finder().finditer(subgroup))
    if _names_an_owner(named) or _A_LEVEL.search(subgroup):
        return (
            [],
            None,
        )  # "(≤ 2.5 × ULN if alkaline phosphatase no greater than ULN)": a lab's level
    out = []
    for lab in labs:
        canonical = None if second_uln else _canonical(lab, bounds, unit)
        out.append(
            Measurement(
                span=(match.start("op" if op_text else "value_only"), match.end("subgroup")),
                confidence=pattern.confidence,
                rule=pattern.name,
                analyte=lab.name,
                loinc=lab.loinc,
                bounds=bounds,
                unit=unit.strip() if unit else None,
                canonical_unit="ULN" if second_uln else lab.unit,
                canonical=canonical,
                uln_multiple=second_uln,
                subgroup=subgroup,
            )
        )
    first = _group(match, "first")
    if first is None and pattern.name == "lab_subgroup_first":
        named_first = _GAP_SUBGROUP.search(gap)
        first = named_first.group(1) if named_first else None
    return out, " ".join(first.split()) if first else None


def _other_side(text: str, start: int, read: _Read, labs: list[lexicon.Lab]) -> list[Measurement]:
    """Return the bound on the other side after "or": "potassium < 3.0 or > 5.4 mEq/L".

    Only a one-sided bound followed by one on the opposite side, beyond it, counts: "≤ 200
    cells/mm3 or ≤ 15%" gives two ways to meet one side, "> 5 or < 10" no excluded middle.
    After an equality, a second one with another value counts ("Hgb =8.5 g/dL and =11.5
    g/dL", see the row ``lab_equal_again``). Without a unit of its own the second bound takes
    the first's. Its span starts at the analyte's name (``start``), which both bounds measure.
    """
    first_low, first_high = read.bounds.low, read.bounds.high
    equal = first_low is not None and first_low == first_high
    if (first_low is None) == (first_high is None) and not equal:
        return []
    pattern, regex = rule("lab_equal_again" if equal else "lab_other_side")
    match = regex.match(text, read.end)
    if match is None:
        return []
    op = "eq" if equal else lexicon.comparator_op(match.group("op"))
    value = lexicon.parse_number(match.group("value"))
    if op is None or value is None:
        return []
    bounds = bounds_of(op, value)
    beyond = (bounds.low is not None and first_high is not None and bounds.low >= first_high) or (
        bounds.high is not None and first_low is not None and bounds.high <= first_low
    )
    if not beyond or value == first_low:
        return []
    unit = match.group("unit") or read.unit
    out = []
    for lab in labs:
        canonical = _canonical(lab, bounds, unit)
        if unit and canonical is None and not _kept_unconverted(lab.name, unit):
            continue  # a unit this analyte is not measured in
        out.append(
            Measurement(
                span=(start, match.end()),
                confidence=pattern.confidence if unit else 0.75,
                rule=pattern.name,
                analyte=lab.name,
                loinc=lab.loinc,
                bounds=bounds,
                unit=unit.strip() if unit else None,
                canonical_unit=lab.unit,
                canonical=canonical,
            )
        )
    return out


def _in_unit(found: Measurement, unit: str, confidence: float) -> Measurement:
    """Return a bound read without a unit in the unit written after the bound that follows it."""
    lab = lexicon.labs()[found.analyte]
    canonical = _canonical(lab, found.bounds, unit)
    if canonical is None:
        return found
    return replace_struct(found, unit=unit, canonical=canonical, confidence=confidence)


def _op_of(bounds: Bounds) -> str:
    """Return the comparator of a one-sided bound: "le" for ≤ 2.5, "gt" for > 1.5."""
    if bounds.high is not None:
        return "le" if bounds.high_inclusive else "lt"
    return "ge" if bounds.low_inclusive else "gt"


def plain_measurement(
    match: re.Match[str],
    lab: lexicon.Lab,
    pattern: Pattern,
    bounds: Bounds,
    end: int,
    unit: str,
    canonical: Bounds | None,
    formula: str | None = None,
) -> Measurement:
    """Return the measurement of ``lab`` that ``pattern`` read from ``match`` up to ``end``: no
    ULN multiple, no titre (the value-first rows and blood-pressure pairs)."""
    return Measurement(
        span=(match.start(), end),
        confidence=pattern.confidence,
        rule=pattern.name,
        analyte=lab.name,
        loinc=lab.loinc,
        bounds=bounds,
        unit=unit,
        canonical_unit=lab.unit,
        canonical=canonical,
        uln_multiple=False,
        titre=False,
        formula=formula,
    )


def pressures(text: str, present: frozenset[str], found: list[Measurement]) -> list[Measurement]:
    """Return systolic and diastolic bounds written as one pair: "BP < 160/100 mmHg"."""
    out: list[Measurement] = []
    taken = [m.span for m in found]
    for pattern, regex in applicable("pressure_pair", present):
        for match in finditer(pattern, regex, text):
            if _overlaps(match.span(), taken):
                continue
            op = lexicon.comparator_op(match.group("op"))
            second = _group(match, "dop")  # "≥ 160 mmHg (systolic) or ≥ 100 mmHg (diastolic)"
            dbp_op = lexicon.comparator_op(second) if second else op
            if op is None or dbp_op is None:
                continue
            unit = match.group("unit")
            for name, name_op in (("sbp", op), ("dbp", dbp_op)):
                lab = lexicon.labs()[name]
                bounds = bounds_of(name_op, float(match.group(name)))
                canonical = _canonical(lab, bounds, unit)
                out.append(
                    plain_measurement(match, lab, pattern, bounds, match.end(), unit, canonical)
                )
            taken.append(match.span())
    return out


def formula_of(text: str, present: frozenset[str]) -> str | None:
    """Return the renal formula named in a criterion (Schwartz, CKD-EPI, ...), or None."""
    for pattern, regex in applicable("formula", present):
        if search(pattern, regex, text):
            return pattern.label
    return None
