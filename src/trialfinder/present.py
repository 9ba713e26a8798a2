"""Human wording of a trial: the sections of a trial page, shared by the CLI, the web and the API.

One data function (`trial_sections`) feeds the terminal view, the HTML page and its JSON twin, so
the three never disagree on a label or a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialfinder.criteria import lexicon
from trialfinder.criteria.constraints import (
    AgeConstraint,
    Bounds,
    ConditionConstraint,
    Constraint,
    Measurement,
    NotCheckable,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TimeWindow,
    TreatmentConstraint,
)
from trialfinder.model import Trial

_SPECIAL_WORDS = {
    "NA": "Not applicable",
    "EARLY_PHASE1": "Early phase 1",
    "NON_RANDOMIZED": "Non-randomized",
    "ALL": "All",
}


def humanise(value: str) -> str:
    """``ACTIVE_NOT_RECRUITING`` → ``Active, not recruiting``; ``PHASE2`` → ``Phase 2``."""
    if not value:
        return ""
    if value in _SPECIAL_WORDS:
        return _SPECIAL_WORDS[value]
    if value == "ACTIVE_NOT_RECRUITING":
        return "Active, not recruiting"
    if value.startswith("PHASE") and value[5:].isdigit():
        return f"Phase {value[5:]}"
    return value.replace("_", " ").capitalize()


def phase_text(phases: list[str]) -> str:
    """``["PHASE1", "PHASE2"]`` → ``Phase 1/Phase 2``; no phase → empty."""
    return "/".join(humanise(p) for p in phases)


def _number(years: float) -> str:
    return f"{years:g}" if years >= 1 or years == 0 else f"{years:.2g}"


def ages_text(trial: Trial) -> str:
    """``6 to 18 years old``, ``18+ years old``, ``Up to 65 years old`` or ``All ages``."""
    low = _split_age(trial.minimum_age) if trial.minimum_age_years is not None else None
    high = _split_age(trial.maximum_age) if trial.maximum_age_years is not None else None
    if low is None and high is None:
        return "All ages"
    if high is None and low is not None:
        return f"{low[0]}+ {low[1]} old"
    if low is None and high is not None:
        return f"Up to {high[0]} {high[1]} old"
    assert low is not None and high is not None
    if low[1] == high[1]:
        return f"{low[0]} to {high[0]} {high[1]} old"
    return f"{low[0]} {low[1]} to {high[0]} {high[1]} old"


def _split_age(text: str) -> tuple[str, str]:
    """``"1 Year"`` → ``("1", "years")``: the number and a plural, lower-case unit."""
    parts = text.split()
    if len(parts) != 2:
        return text, ""
    value, unit = parts
    unit = unit.lower()
    return value, unit if unit.endswith("s") else unit + "s"


def enrollment_text(trial: Trial) -> str:
    """``50 estimated patients`` / ``5,796 actual patients``; empty when unknown."""
    if trial.enrollment_count is None:
        return ""
    kind = {"ESTIMATED": "estimated ", "ACTUAL": "actual "}.get(trial.enrollment_type, "")
    noun = "patient" if trial.enrollment_count == 1 else "patients"
    return f"{trial.enrollment_count:,} {kind}{noun}"


def sex_text(trial: Trial) -> str:
    """``All``, ``Female`` or ``Male``, with the gender-based note when the registry gives one."""
    text = {"ALL": "All", "FEMALE": "Female", "MALE": "Male"}.get(trial.sex, humanise(trial.sex))
    return text


def volunteers_text(trial: Trial) -> str:
    """``Accepts Healthy Volunteers`` / ``No Healthy Volunteers`` / empty when unknown."""
    if trial.healthy_volunteers is None:
        return ""
    return "Accepts Healthy Volunteers" if trial.healthy_volunteers else "No Healthy Volunteers"


def masking_text(trial: Trial) -> str:
    """``Double (Participant, Investigator)`` / ``None (Open Label)``."""
    design = trial.design
    if not design.masking:
        return ""
    if design.masking == "NONE":
        return "None (Open Label)"
    who = ", ".join(humanise(w) for w in design.who_masked)
    return f"{humanise(design.masking)} ({who})" if who else humanise(design.masking)


def groups_text(trial: Trial) -> str:
    """``50 participants in 1 patient group``, as the specifying page words it."""
    groups = len(trial.arm_groups)
    if not groups:
        return ""
    noun = "patient group" if groups == 1 else "patient groups"
    if trial.enrollment_count is None:
        return f"{groups} {noun}"
    people = "participant" if trial.enrollment_count == 1 else "participants"
    return f"{trial.enrollment_count:,} {people} in {groups} {noun}"


def funder_types(trial: Trial) -> list[str]:
    """Distinct sponsor classes (industry, NIH, other, ...) of the sponsor and collaborators."""
    sponsors = ([trial.lead_sponsor] if trial.lead_sponsor else []) + trial.collaborators
    seen: list[str] = []
    for sponsor in sponsors:
        label = {
            "NIH": "NIH",
            "FED": "Other U.S. federal agency",
            "OTHER_GOV": "Other government",
        }.get(sponsor.agency_class, humanise(sponsor.agency_class))
        if label and label not in seen:
            seen.append(label)
    return seen


@dataclass(frozen=True, slots=True)
class Section:
    """One labelled section of a trial page: a title and (label, value) rows or free text."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    items: list[str] = field(default_factory=list)


def trial_sections(trial: Trial) -> list[Section]:
    """The trial page, section by section, in the order and with the labels the page uses."""
    from trialfinder.criteria.splitter import split_criteria

    criteria = split_criteria(trial.eligibility_criteria)
    design = trial.design
    status = humanise(trial.overall_status)
    return [
        Section(
            "Status and phase",
            rows=[("Status", status), ("Phase", phase_text(trial.phases) or "Not applicable")]
            + ([("Why stopped", trial.why_stopped)] if trial.why_stopped else []),
        ),
        Section("Conditions", items=list(trial.conditions)),
        Section(
            "Treatments",
            items=[
                f"{humanise(i.type)}: {i.name}" if i.type else i.name for i in trial.interventions
            ],
        ),
        Section("Study type", text=humanise(trial.study_type)),
        Section("Funder types", items=funder_types(trial)),
        Section(
            "Identifiers",
            rows=[("NCT id", trial.nct_id)]
            + ([("Sponsor's study id", trial.org_study_id)] if trial.org_study_id else [])
            + [(s.type and humanise(s.type) or "Other id", s.id) for s in trial.secondary_ids],
        ),
        Section("About", text=trial.brief_summary),
        Section(
            "Eligibility",
            rows=[
                ("Enrollment", enrollment_text(trial)),
                ("Sex", sex_text(trial)),
                ("Ages", ages_text(trial)),
                ("Volunteers", volunteers_text(trial)),
            ],
        ),
        Section("Inclusion criteria", items=[c.text for c in criteria.inclusion]),
        Section("Exclusion criteria", items=[c.text for c in criteria.exclusion]),
        Section(
            "Trial design",
            rows=[
                ("Primary purpose", humanise(design.primary_purpose)),
                ("Allocation", humanise(design.allocation)),
                ("Interventional model", humanise(design.intervention_model)),
                ("Masking", masking_text(trial)),
            ],
        ),
        Section(
            "Patient groups",
            text=groups_text(trial),
            items=[
                f"{a.label} ({humanise(a.type)}): {a.description}".strip().rstrip(":")
                for a in trial.arm_groups
            ],
        ),
        Section(
            "Central trial contact",
            items=[
                " · ".join(filter(None, (c.name, c.phone, c.email))) for c in trial.central_contacts
            ],
        ),
        Section(
            "Research sites",
            text=f"{len(trial.locations):,} site{'s' if len(trial.locations) != 1 else ''}",
            items=[
                ", ".join(filter(None, (loc.facility, loc.city, loc.state, loc.country)))
                + (f" ({humanise(loc.status)})" if loc.status else "")
                for loc in trial.locations
            ],
        ),
    ]


# Canonical units as a reader writes them; others are shown as their pint expression.
_UNITS = {
    "ml_min_173": "mL/min/1.73 m²",
    "giga_per_liter": "×10⁹/L",
    "thousand_per_microliter": "×10³/µL",
    "1/mm**3": "/mm³",
    "percent": "%",
    "umol/L": "µmol/L",
    "ug/L": "µg/L",
    "1": "",
}


def _value(value: float) -> str:
    """``100000.0`` → ``100,000``; ``1.5`` → ``1.5``."""
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"


def bounds_text(bounds: Bounds, unit: str = "", *, floor: float | None = None) -> str:
    """``≥ 6 and < 18 years``, ``0–2``, ``≤ 2``; a low bound equal to ``floor`` is left out."""
    low = None if bounds.low == floor else bounds.low
    high = bounds.high
    if low is not None and high is not None and bounds.low_inclusive and bounds.high_inclusive:
        text = f"{_value(low)}–{_value(high)}"
    else:
        parts = []
        if low is not None:
            parts.append(f"{'≥' if bounds.low_inclusive else '>'} {_value(low)}")
        if high is not None:
            parts.append(f"{'≤' if bounds.high_inclusive else '<'} {_value(high)}")
        text = " and ".join(parts)
    return f"{text} {unit}".strip()


def window_text(window: TimeWindow) -> str:
    """``within 6 months`` / ``at least 4 weeks relative to enrolment``."""
    relation = "within" if window.relation == "within" else "at least"
    text = f"{relation} {_value(window.amount)} {window.unit}"
    return f"{text} relative to {window.anchor}" if window.anchor else text


def _role(negated: bool, section: str) -> str:
    # An exclusion criterion excludes what it names; "no ..." turns that round.
    return "excluded" if negated != (section == "exclusion") else "required"


def _measurement_text(c: Measurement) -> str:
    lab = lexicon.labs().get(c.analyte)
    name = lab.synonyms[0] if lab is not None and lab.synonyms else c.analyte
    if c.uln_multiple:
        return f"{name} {bounds_text(c.bounds, '× ULN')}"
    if c.titre:
        low = "" if c.bounds.low is None else f"≥ 1:{_value(c.bounds.low)}"
        high = "" if c.bounds.high is None else f"≤ 1:{_value(c.bounds.high)}"
        return f"{name} titre {' and '.join(p for p in (low, high) if p)}"
    if c.canonical is not None:
        return f"{name} {bounds_text(c.canonical, _UNITS.get(c.canonical_unit, c.canonical_unit))}"
    return f"{name} {bounds_text(c.bounds, c.unit or '')}"


def _score_text(c: ScoreConstraint) -> str:
    if c.classes:
        return f"{c.score} class {'/'.join(c.classes)}"
    score = lexicon.scores().get(c.score)
    return f"{c.score} {bounds_text(c.bounds, floor=score.low if score else None)}"


def _context_text(kind: str, name: str, role: str, history: bool, window: TimeWindow | None) -> str:
    notes = [role] + (["history"] if history else []) + ([window_text(window)] if window else [])
    return f"{kind}: {name} ({', '.join(notes)})"


def constraint_text(constraint: Constraint, section: str) -> str:
    """What was read from a criterion of ``section``: ``age ≥ 6 years``, ``ECOG ≤ 2``,
    ``condition: Lupus Nephritis (required)``; empty for text no rule could read."""
    c = constraint
    if isinstance(c, AgeConstraint):
        return f"age {bounds_text(c.bounds, c.unit)}"
    if isinstance(c, SexConstraint):
        return f"sex: {c.sex}"
    if isinstance(c, PregnancyConstraint):
        status = c.status.replace("_", " ")
        return f"pregnancy: {status} ({_role(c.negated, section)})"
    if isinstance(c, Measurement):
        text = _measurement_text(c)
        return text if c.subgroup is None else f"{text} (for {c.subgroup})"
    if isinstance(c, ScoreConstraint):
        return _score_text(c)
    if isinstance(c, ConditionConstraint):
        role = _role(c.negated, section)
        return _context_text("condition", c.concept, role, c.temporality == "history", c.window)
    if isinstance(c, TreatmentConstraint):
        role = _role(c.negated, section)
        return _context_text("treatment", c.therapy, role, c.temporality == "history", c.window)
    if isinstance(c, NotCheckable):
        return f"not checkable: {c.reason.replace('_', ' ')}"
    return ""


def official_url(nct_id: str) -> str:
    """The record's page on ClinicalTrials.gov."""
    return f"https://clinicaltrials.gov/study/{nct_id}"
