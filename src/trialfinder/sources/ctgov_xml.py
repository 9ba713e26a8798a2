"""Legacy ClinicalTrials.gov XML (``<clinical_study>``, public.xsd): one document → `Trial`.

This is the format of the AllPublicXML downloads and the TREC Clinical Trials corpora. Its
display text ("Active, not recruiting", "Phase 1/Phase 2", "Double (Participant, Investigator)",
"August 2015") is mapped onto the API v2 enumerations and ISO dates that the JSON reader yields,
so both formats give the same `Trial`. Text not in the tables below is mapped generically
("Case-Control" → ``CASE_CONTROL``) rather than rejected.

The parser loads no DTD, expands no entity and opens no URL, and a document that declares a
DOCTYPE is refused: registry XML never has one, so it can only be an XXE or entity-expansion
attempt.
"""

from __future__ import annotations

import functools
import re
import textwrap
import threading
from datetime import date

from lxml import etree

from trialfinder.errors import RecordError
from trialfinder.model import (
    ArmGroup,
    Contact,
    Design,
    Intervention,
    Location,
    MeshTerm,
    Official,
    Outcome,
    SecondaryId,
    Sponsor,
    Trial,
)
from trialfinder.sources.ctgov_json import MAX_RECORD_BYTES
from trialfinder.sources.normalize import (
    age_in_years,
    check_nct_id,
    check_trial,
    standard_age_groups,
)

# Display text → API v2 enumeration, only where the generic rule (upper-case, runs of other
# characters → "_") gives something else or a legacy spelling needs folding.
_OVERALL_STATUS = {"Unknown status": "UNKNOWN"}
_PHASE = {
    "Early Phase 1": "EARLY_PHASE1",
    "Phase 1": "PHASE1",
    "Phase 2": "PHASE2",
    "Phase 3": "PHASE3",
    "Phase 4": "PHASE4",
}
_STUDY_TYPE = {"Observational [Patient Registry]": "OBSERVATIONAL"}
_ENROLLMENT_TYPE = {"Anticipated": "ESTIMATED", "Estimate": "ESTIMATED"}
_PRIMARY_PURPOSE = {"Educational/Counseling/Training": "ECT"}
_INTERVENTION_MODEL = {
    "Single Group Assignment": "SINGLE_GROUP",
    "Parallel Assignment": "PARALLEL",
    "Crossover Assignment": "CROSSOVER",
    "Factorial Assignment": "FACTORIAL",
    "Sequential Assignment": "SEQUENTIAL",
}
# Masking is "<level> (<who>, <who>)"; records before 2017 said "Double Blind (Subject, ...)".
_MASKING = {"Open Label": "NONE", "Single Blind": "SINGLE", "Double Blind": "DOUBLE"}
_WHO_MASKED = {"Subject": "PARTICIPANT", "Caregiver": "CARE_PROVIDER", "Open Label": ""}
_AGENCY_CLASS = {"U.S. Fed": "FED", "Individual": "INDIV", "Ambiguous": "AMBIG"}
_HEALTHY_VOLUNTEERS = {"Accepts Healthy Volunteers": True, "Yes": True, "No": False}
_YES_NO = {"Yes": True, "No": False}
_COMMON = {"N/A": "NA"}

_NOT_WORD = re.compile(r"[^0-9A-Za-z]+")
_MASKING_TEXT = re.compile(r"(?P<level>[^(]*?)\s*(?:\((?P<who>[^)]*)\))?")

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august")
        + ("september", "october", "november", "december"),
        start=1,
    )
}
_DATE_TEXT = re.compile(
    r"""(?P<month>[A-Za-z]+)\.?       # August, Aug
    \s+(?:(?P<day>\d{1,2}),\s*)?     # optional day: 31,
    (?P<year>\d{4})                  # 2015""",
    re.VERBOSE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")

# libxml2's XML_ERR_INVALID_ENCODING: bytes that do not decode in the document's encoding.
_XML_ERR_INVALID_ENCODING = 81
# lxml appends the position to libxml2's message; it is reported once, up front, instead.
_LXML_POSITION = re.compile(r", line \d+, column \d+$")

_local = threading.local()


def _parser() -> etree.XMLParser:
    """Return this thread's hardened parser (lxml parsers must not be shared across threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def parse_clinical_study(data: bytes, where: str) -> Trial:
    """Parse one ``<clinical_study>`` document into a `Trial`, or raise `RecordError` saying why."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(
            "too_large",
            f"{where}: record is {len(data):,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit",
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        reason = _LXML_POSITION.sub("", error.msg)
        if error.code == _XML_ERR_INVALID_ENCODING:
            raise RecordError(
                "invalid_utf8",
                f"{where}: bytes at line {line}, column {column} are not valid in the "
                f"document's encoding (UTF-8 unless declared): {reason}",
            ) from None
        raise RecordError(
            "invalid_xml", f"{where}: not well-formed XML at line {line}, column {column}: {reason}"
        ) from None
    doctype = root.getroottree().docinfo.doctype
    if doctype:
        raise RecordError(
            "invalid_xml",
            f"{where}: declares {doctype}; ClinicalTrials.gov XML has no DOCTYPE, so the "
            "document is refused (its entities were not expanded)",
        )
    if root.tag != "clinical_study":
        raise RecordError(
            "invalid_xml", f"{where}: root element is <{root.tag}>, expected <clinical_study>"
        )
    return study_to_trial(root, where)


def study_to_trial(root: etree._Element, where: str) -> Trial:
    """Map a parsed ``<clinical_study>`` element onto the model, checking id, ages and dates."""
    study = _Children(root)
    ids = study.one("id_info")
    nct_id = check_nct_id(ids.text("nct_id"), where)
    eligibility = study.one("eligibility")
    design = study.one("study_design_info")
    sponsors = study.one("sponsors")
    interventions = [_Children(i) for i in study.all("intervention")]
    minimum_age = eligibility.text("minimum_age")
    maximum_age = eligibility.text("maximum_age")
    masking, who_masked = _masking(design.text("masking"))

    minimum_years = age_in_years(minimum_age, nct_id, "minimum_age")
    maximum_years = age_in_years(maximum_age, nct_id, "maximum_age")
    trial = Trial(
        nct_id=nct_id,
        org_study_id=ids.text("org_study_id"),
        secondary_ids=[SecondaryId(id=s) for s in ids.texts("secondary_id")],
        brief_title=study.text("brief_title"),
        official_title=study.text("official_title"),
        acronym=study.text("acronym"),
        overall_status=_enum(study.text("overall_status"), _OVERALL_STATUS),
        why_stopped=study.text("why_stopped"),
        phases=_phases(study.text("phase")),
        study_type=_enum(study.text("study_type"), _STUDY_TYPE),
        conditions=study.texts("condition"),
        keywords=study.texts("keyword"),
        condition_mesh=[MeshTerm(term=t) for t in study.one("condition_browse").texts("mesh_term")],
        interventions=[
            Intervention(
                type=_enum(i.text("intervention_type")),
                name=name,
                description=i.text("description"),
                other_names=i.texts("other_name"),
                arm_group_labels=i.texts("arm_group_label"),
            )
            for i in interventions
            if (name := i.text("intervention_name"))
        ],
        intervention_mesh=[
            MeshTerm(term=t) for t in study.one("intervention_browse").texts("mesh_term")
        ],
        brief_summary=study.textblock("brief_summary"),
        detailed_description=study.textblock("detailed_description"),
        enrollment_count=_count(study.text("enrollment"), nct_id),
        enrollment_type=_enum(study.attribute("enrollment", "type"), _ENROLLMENT_TYPE),
        sex=_enum(eligibility.text("gender")) or "ALL",
        gender_based=_YES_NO.get(eligibility.text("gender_based")),
        gender_description=eligibility.text("gender_description"),
        minimum_age=minimum_age,
        minimum_age_years=minimum_years,
        maximum_age=maximum_age,
        maximum_age_years=maximum_years,
        std_ages=standard_age_groups(minimum_years, maximum_years),
        healthy_volunteers=_HEALTHY_VOLUNTEERS.get(eligibility.text("healthy_volunteers")),
        eligibility_criteria=eligibility.textblock("criteria"),
        design=Design(
            primary_purpose=_enum(design.text("primary_purpose"), _PRIMARY_PURPOSE),
            allocation=_enum(design.text("allocation")),
            intervention_model=_enum(design.text("intervention_model"), _INTERVENTION_MODEL),
            intervention_model_description=design.text("intervention_model_description"),
            masking=masking,
            who_masked=who_masked,
            observational_model=_enum(design.text("observational_model")),
            time_perspective=_enum(design.text("time_perspective")),
        ),
        arm_groups=[
            ArmGroup(
                label=label,
                type=_enum(a.text("arm_group_type")),
                description=a.text("description"),
                intervention_names=_arm_interventions(label, interventions),
            )
            for a in map(_Children, study.all("arm_group"))
            if (label := a.text("arm_group_label"))
        ],
        central_contacts=[
            _contact(_Children(c), "CONTACT")
            for c in (*study.all("overall_contact"), *study.all("overall_contact_backup"))
        ],
        overall_officials=[
            Official(name=_person(o), affiliation=o.text("affiliation"), role=_enum(o.text("role")))
            for o in map(_Children, study.all("overall_official"))
        ],
        locations=[_location(_Children(loc)) for loc in study.all("location")],
        lead_sponsor=_sponsor(sponsors.one("lead_sponsor")),
        collaborators=[
            s for c in sponsors.all("collaborator") if (s := _sponsor(_Children(c))) is not None
        ],
        start_date=_date(study, "start_date", nct_id),
        primary_completion_date=_date(study, "primary_completion_date", nct_id),
        completion_date=_date(study, "completion_date", nct_id),
        first_posted=_date(study, "study_first_posted", nct_id)
        or _date(study, "firstreceived_date", nct_id),
        last_update_posted=_date(study, "last_update_posted", nct_id)
        or _date(study, "lastchanged_date", nct_id),
        primary_outcomes=_outcomes(study.all("primary_outcome")),
        secondary_outcomes=_outcomes(study.all("secondary_outcome")),
        has_results=bool(study.all("clinical_results")),
        source_format="ctgov_xml",
    )
    return check_trial(trial)


def _clean(text: str | None) -> str:
    """Strip `text`, turning the CRs of ``&#xD;`` line ends (2023 downloads) into plain LFs."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


class _Children:
    """The children of one element (or of none), grouped by tag in a single pass.

    A study needs a few hundred lookups and lxml's path lookups cost about 5 µs each, so
    indexing once keeps the reader several times faster.
    """

    __slots__ = ("_by_tag",)

    def __init__(self, element: etree._Element | None) -> None:
        by_tag: dict[str, list[etree._Element]] = {}
        if element is not None:
            for child in element:
                by_tag.setdefault(child.tag, []).append(child)
        self._by_tag = by_tag

    def all(self, tag: str) -> list[etree._Element]:
        return self._by_tag.get(tag, [])

    def one(self, tag: str) -> _Children:
        """The first child `tag`, indexed; an empty index when there is none."""
        found = self._by_tag.get(tag)
        return _Children(found[0] if found else None)

    def text(self, tag: str) -> str:
        found = self._by_tag.get(tag)
        return _clean(found[0].text) if found else ""

    def texts(self, tag: str) -> list[str]:
        return [text for e in self._by_tag.get(tag, []) if (text := _clean(e.text))]

    def attribute(self, tag: str, name: str) -> str:
        found = self._by_tag.get(tag)
        return _clean(found[0].get(name)) if found else ""

    def textblock(self, tag: str) -> str:
        """``<tag><textblock>`` without the XML's indentation, paragraph breaks kept."""
        found = self._by_tag.get(tag)
        raw = found[0].findtext("textblock") if found else None
        if not raw:
            return ""
        if "\r" in raw:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        return textwrap.dedent(raw).strip()


def _enum(text: str, table: dict[str, str] | None = None) -> str:
    """Map display text to its API v2 enumeration: from `table`, else generically."""
    if not text:
        return ""
    if table is not None and text in table:
        return table[text]
    return _generic_enum(text)


@functools.lru_cache(maxsize=4096)
def _generic_enum(text: str) -> str:
    """``"Active, not recruiting"`` → ``ACTIVE_NOT_RECRUITING``; cached, as values repeat."""
    return _COMMON.get(text) or _NOT_WORD.sub("_", text).strip("_").upper()


def _phases(text: str) -> list[str]:
    """``"Phase 1/Phase 2"`` → ``["PHASE1", "PHASE2"]``; ``"N/A"`` → ``["NA"]``."""
    if not text:
        return []
    if text in _COMMON:
        return [_COMMON[text]]
    return [_enum(part.strip(), _PHASE) for part in text.split("/") if part.strip()]


def _masking(text: str) -> tuple[str, list[str]]:
    """Split ``"Double (Participant, Investigator)"`` into ``DOUBLE`` and who is masked."""
    match = _MASKING_TEXT.fullmatch(text)
    if not text or match is None:
        return _enum(text, _MASKING), []
    who = match["who"] or ""
    roles = [_enum(w.strip(), _WHO_MASKED) for w in who.split(",") if w.strip()]
    return _enum(match["level"], _MASKING), [r for r in roles if r]


def _count(text: str, nct_id: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise RecordError(
            "wrong_type", f"{nct_id}: enrollment {text!r} is not a whole number of participants"
        )
    return int(text)


def _date(study: _Children, tag: str, nct_id: str) -> str:
    """Return ``<tag>`` as ISO text as precise as given: "August 2015" → "2015-08"."""
    text = study.text(tag)
    if not text or _ISO_DATE.fullmatch(text):
        return text
    match = _DATE_TEXT.fullmatch(text)
    name = match["month"].lower() if match is not None else ""
    month = _MONTHS.get(name) or next(
        (n for full, n in _MONTHS.items() if len(name) >= 3 and full.startswith(name)), None
    )
    if match is None or month is None:
        raise RecordError(
            "bad_date", f"{nct_id}: {tag} {text!r} is not 'Month YYYY' or 'Month D, YYYY'"
        )
    year = int(match["year"])
    if match["day"] is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(match["day"])).isoformat()
    except ValueError:
        raise RecordError(
            "bad_date", f"{nct_id}: {tag} {text!r} is not a day of the calendar"
        ) from None


def _person(element: _Children) -> str:
    """Join the name parts; most records put the whole name, degrees too, in last_name."""
    name = " ".join(
        part for tag in ("first_name", "middle_name", "last_name") if (part := element.text(tag))
    )
    degrees = element.text("degrees")
    return f"{name}, {degrees}" if name and degrees else name or degrees


def _contact(element: _Children, role: str) -> Contact:
    return Contact(
        name=_person(element),
        role=role,
        phone=element.text("phone"),
        phone_ext=element.text("phone_ext"),
        email=element.text("email"),
    )


def _location(site: _Children) -> Location:
    """One site; its contacts and investigators become contacts, as in API v2."""
    facility = site.one("facility")
    address = facility.one("address")
    return Location(
        facility=facility.text("name"),
        city=address.text("city"),
        state=address.text("state"),
        zip=address.text("zip"),
        country=address.text("country"),
        status=_enum(site.text("status"), _OVERALL_STATUS),
        contacts=[
            *(
                _contact(_Children(c), "CONTACT")
                for c in (*site.all("contact"), *site.all("contact_backup"))
            ),
            *(
                _contact(i, _enum(i.text("role")) or "INVESTIGATOR")
                for i in map(_Children, site.all("investigator"))
            ),
        ],
    )


def _sponsor(element: _Children) -> Sponsor | None:
    name = element.text("agency")
    if not name:
        return None
    return Sponsor(name=name, agency_class=_enum(element.text("agency_class"), _AGENCY_CLASS))


def _arm_interventions(label: str, interventions: list[_Children]) -> list[str]:
    """Name the interventions given to arm `label` as API v2 does: ``"Drug: Aspirin"``."""
    names = []
    for intervention in interventions:
        if label in intervention.texts("arm_group_label"):
            name = intervention.text("intervention_name")
            kind = intervention.text("intervention_type")
            names.append(f"{kind}: {name}" if kind else name)
    return names


def _outcomes(elements: list[etree._Element]) -> list[Outcome]:
    return [
        Outcome(
            measure=measure,
            description=o.text("description"),
            time_frame=o.text("time_frame"),
        )
        for o in map(_Children, elements)
        if (measure := o.text("measure"))
    ]
