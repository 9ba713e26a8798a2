"""The trial page: one trial, section by section, with sites sorted by distance from a place.

`trial_page_data` feeds the HTML page and its JSON twin. Labels and wording come from
`trialfinder.present`, so the page, the CLI's `show` and the API say the same thing. Each
criterion comes in segments with what the criteria engine read from it highlighted
(`trialfinder.web._highlight`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Literal

from trialfinder.criteria.constraints import ParsedCriteria, ParsedCriterion, Unparsed
from trialfinder.criteria.splitter import CriterionText, split_criteria
from trialfinder.match import parsed_criteria_of
from trialfinder.model import Contact, Location, Trial
from trialfinder.present import (
    ages_text,
    enrollment_text,
    funder_types,
    groups_text,
    humanise,
    masking_text,
    official_url,
    phase_text,
    sex_text,
    volunteers_text,
)
from trialfinder.search import Place
from trialfinder.store.rows import site_id
from trialfinder.web._highlight import Segment, criterion_segments, legend_of
from trialfinder.web._search_page import distance_text

Reading = Literal["read", "unread", "absent"]


@dataclass(frozen=True, slots=True)
class CriterionNode:
    """One criterion and the criteria nested under it.

    ``segments`` are ``text`` in pieces, what was read marked by kind. ``reading`` is ``read``
    when a rule read something in it, ``unread`` when none could, ``absent`` when the trial's
    reading has no such criterion (then ``text`` is one plain segment).
    """

    text: str
    segments: list[Segment]
    reading: Reading = "absent"
    children: list[CriterionNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Treatment:
    """An intervention as the page words it: ``Biological: name`` and its description."""

    label: str
    description: str


@dataclass(frozen=True, slots=True)
class PatientGroup:
    """One arm: label, type, description and the treatments it receives."""

    label: str
    type: str
    description: str
    treatments: list[str]


@dataclass(frozen=True, slots=True)
class ContactView:
    """A person to contact, with `tel:`/`mailto:` links ready for the page."""

    name: str
    phone: str
    phone_url: str
    email: str
    email_url: str


@dataclass(frozen=True, slots=True)
class SiteView:
    """One location of the trial: the site, its recruitment status, address and contacts."""

    site_id: str
    url: str
    facility: str
    status: str
    status_label: str
    address: str
    lat: float | None
    lon: float | None
    distance_km: float | None
    distance: str
    contacts: list[ContactView]


@dataclass(frozen=True, slots=True)
class TrialPage:
    """Everything the trial page shows, in page order."""

    nct_id: str
    brief_title: str
    acronym: str
    official_title: str
    lead_sponsor: str
    status: str
    status_label: str
    phase: str
    why_stopped: str
    conditions: list[str]
    treatments: list[Treatment]
    study_type: str
    funder_types: list[str]
    identifiers: list[tuple[str, str]]
    brief_summary: list[str]
    detailed_description: list[str]
    eligibility: list[tuple[str, str]]
    inclusion: list[CriterionNode]
    exclusion: list[CriterionNode]
    legend: list[tuple[str, str]]
    criteria_text: str
    design: list[tuple[str, str]]
    groups_summary: str
    groups: list[PatientGroup]
    central_contacts: list[ContactView]
    sites: list[SiteView]
    place_name: str
    official_url: str
    last_update_posted: str
    first_posted: str


_MARKDOWN_ESCAPE = re.compile(r"\\([^\w\s])")


def plain(text: str) -> str:
    r"""Registry markdown shown as plain text: ``\<50kg`` → ``<50kg``."""
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def paragraphs(text: str) -> list[str]:
    """Split registry text into paragraphs at blank lines, wrapped lines joined."""
    text = plain(text)
    return [
        " ".join(block.split()) for block in text.replace("\r", "").split("\n\n") if block.strip()
    ]


def _node(item: CriterionText, parsed: ParsedCriterion | None, section: str) -> CriterionNode:
    if parsed is None:
        return CriterionNode(item.display, [Segment(item.display)])
    is_read = any(not isinstance(c, Unparsed) for c in parsed.constraints)
    segments = criterion_segments(parsed, section)
    return CriterionNode(item.display, segments, "read" if is_read else "unread")


def _tree(
    items: list[CriterionText], parsed: list[ParsedCriterion], section: str
) -> list[CriterionNode]:
    # The reading's items are matched by their text: a reading of older text fits where it can.
    by_text: defaultdict[str, deque[ParsedCriterion]] = defaultdict(deque)
    for criterion in parsed:
        by_text[criterion.text].append(criterion)
    nodes = [
        _node(item, by_text[item.text].popleft() if by_text[item.text] else None, section)
        for item in items
    ]
    roots: list[CriterionNode] = []
    for item, node in zip(items, nodes, strict=True):
        if item.parent is None:
            roots.append(node)
        else:
            nodes[item.parent].children.append(node)
    return roots


def _contact(contact: Contact) -> ContactView:
    phone = contact.phone + (f" ext. {contact.phone_ext}" if contact.phone_ext else "")
    digits = "".join(c for c in contact.phone if c.isdigit() or c == "+")
    return ContactView(
        name=contact.name,
        phone=phone,
        phone_url=f"tel:{digits}" if digits else "",
        email=contact.email,
        email_url=f"mailto:{contact.email}" if contact.email else "",
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def _site(location: Location, place: Place | None) -> SiteView:
    km = None
    if place is not None and location.geo is not None:
        km = distance_km(place.lat, place.lon, location.geo.lat, location.geo.lon)
    identifier = site_id(location)
    return SiteView(
        site_id=identifier,
        url=f"/sites/{identifier}",
        facility=location.facility or location.city or "Unnamed site",
        status=location.status,
        status_label=humanise(location.status) or "Status not given",
        address=", ".join(
            filter(None, (location.city, location.state, location.zip, location.country))
        ),
        lat=location.geo.lat if location.geo else None,
        lon=location.geo.lon if location.geo else None,
        distance_km=km,
        distance=distance_text(km),
        contacts=[_contact(c) for c in location.contacts],
    )


def _site_order(site: SiteView) -> tuple[int, float, int, str]:
    # Nearest first; sites without coordinates last; recruiting sites before others otherwise.
    recruiting = 0 if site.status == "RECRUITING" else 1
    if site.distance_km is None:
        return (1, 0.0, recruiting, site.facility)
    return (0, site.distance_km, recruiting, site.facility)


def _kinds(nodes: list[CriterionNode]) -> set[str]:
    kinds = set()
    for node in nodes:
        kinds |= {s.kind for s in node.segments if s.kind} | _kinds(node.children)
    return kinds


def trial_page_data(
    trial: Trial, place: Place | None = None, reading: ParsedCriteria | None = None
) -> TrialPage:
    """The trial page's content; with a `place`, sites come nearest first with distances.

    ``reading`` is the trial's parsed criteria (default: parsed now, ``parsed_criteria_of``).
    """
    criteria = split_criteria(trial.eligibility_criteria)
    if reading is None:
        reading = parsed_criteria_of(trial)
    inclusion = _tree(criteria.inclusion, reading.inclusion, "inclusion")
    exclusion = _tree(criteria.exclusion, reading.exclusion, "exclusion")
    design = trial.design
    arms_by_name: dict[str, list[str]] = {}
    for intervention in trial.interventions:
        label = _treatment_label(intervention.type, intervention.name)
        for arm in intervention.arm_group_labels:
            arms_by_name.setdefault(arm, []).append(label)
    identifiers = [("NCT number", trial.nct_id)]
    if trial.org_study_id:
        identifiers.append(("Sponsor's study id", trial.org_study_id))
    identifiers += [(humanise(s.type) or "Other id", s.id) for s in trial.secondary_ids]
    design_rows = [
        ("Primary purpose", humanise(design.primary_purpose)),
        ("Allocation", humanise(design.allocation)),
        ("Interventional model", humanise(design.intervention_model)),
        ("Masking", masking_text(trial)),
    ]
    sites = sorted((_site(loc, place) for loc in trial.locations), key=_site_order)
    return TrialPage(
        nct_id=trial.nct_id,
        brief_title=trial.brief_title or trial.official_title or trial.nct_id,
        acronym=trial.acronym,
        official_title=trial.official_title,
        lead_sponsor=trial.lead_sponsor.name if trial.lead_sponsor else "",
        status=trial.overall_status,
        status_label=humanise(trial.overall_status),
        phase=phase_text(trial.phases) or "Not applicable",
        why_stopped=trial.why_stopped,
        conditions=list(trial.conditions),
        treatments=[
            Treatment(_treatment_label(i.type, i.name), plain(i.description))
            for i in trial.interventions
        ],
        study_type=humanise(trial.study_type),
        funder_types=funder_types(trial),
        identifiers=identifiers,
        brief_summary=paragraphs(trial.brief_summary),
        detailed_description=paragraphs(trial.detailed_description),
        eligibility=[
            ("Enrollment", enrollment_text(trial)),
            ("Sex", sex_text(trial)),
            ("Ages", ages_text(trial)),
            ("Volunteers", volunteers_text(trial)),
        ],
        inclusion=inclusion,
        exclusion=exclusion,
        legend=legend_of(_kinds(inclusion) | _kinds(exclusion)),
        criteria_text=trial.eligibility_criteria,
        design=[(label, value) for label, value in design_rows if value],
        groups_summary=groups_text(trial),
        groups=[
            PatientGroup(
                label=arm.label,
                type=humanise(arm.type),
                description=plain(arm.description),
                treatments=arms_by_name.get(arm.label, []),
            )
            for arm in trial.arm_groups
        ],
        central_contacts=[_contact(c) for c in trial.central_contacts],
        sites=sites,
        place_name=place.name if place else "",
        official_url=official_url(trial.nct_id),
        last_update_posted=trial.last_update_posted,
        first_posted=trial.first_posted,
    )


def _treatment_label(kind: str, name: str) -> str:
    return f"{humanise(kind)}: {name}" if kind else name
