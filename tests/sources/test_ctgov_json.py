"""The API v2 JSON reader: field mapping on real records, and a reason for every bad record."""

from __future__ import annotations

import json

import pytest

from support import FIXTURES, shared_data
from trialfinder.errors import RecordError
from trialfinder.model import Contact, GeoPoint, MeshTerm
from trialfinder.sources.ctgov_json import MAX_RECORD_BYTES, parse_study
from trialfinder.sources.normalize import standard_age_groups


def test_fixture_maps_every_section() -> None:
    trial = parse_study((FIXTURES / "NCT05397184.json").read_bytes(), "fixture")
    assert trial.nct_id == "NCT05397184"
    assert trial.org_study_id == "19IC17"
    assert trial.brief_title == "Base Edited CAR7 T Cells to Treat T Cell Malignancies (TvT CAR7)"
    assert trial.acronym == "TvT CAR7"
    assert trial.overall_status == "RECRUITING"
    assert trial.phases == ["PHASE1"]
    assert trial.study_type == "INTERVENTIONAL"
    assert trial.minimum_age == "6 Months"
    assert trial.minimum_age_years == 0.5
    assert trial.maximum_age == "16 Years"
    assert trial.maximum_age_years == 16.0
    assert trial.sex == "ALL"
    assert trial.healthy_volunteers is False
    assert trial.enrollment_count == 10
    assert trial.enrollment_type == "ESTIMATED"
    assert trial.design.intervention_model == "SINGLE_GROUP"
    assert trial.design.masking == "NONE"
    assert trial.design.primary_purpose == "OTHER"
    assert trial.interventions[0].type == "BIOLOGICAL"
    assert trial.interventions[0].name == "Cryopreserved BE CAR7 T cells (BE752TBCCLCAR7PBL)"
    assert trial.arm_groups[0].type == "EXPERIMENTAL"
    assert trial.central_contacts[0] == Contact(
        name="Robert Chiesa, Dr",
        role="CONTACT",
        phone="020 7405 9200",
        phone_ext="8434",
        email="Robert.Chiesa@gosh.nhs.uk",
    )
    site = trial.locations[0]
    assert (site.facility, site.city, site.zip, site.country, site.status) == (
        "Ilyas Ali",
        "London",
        "WC1N 1EH",
        "United Kingdom",
        "RECRUITING",
    )
    assert site.geo == GeoPoint(lat=51.50853, lon=-0.12574)
    assert trial.condition_mesh == [
        MeshTerm(id="D000007945", term="Leukemia, Lymphoid"),
        MeshTerm(id="D000054198", term="Precursor Cell Lymphoblastic Leukemia-Lymphoma"),
    ]
    assert trial.start_date == "2022-04-19"
    assert trial.last_update_posted == "2023-07-05"
    assert trial.first_posted == "2022-05-31"
    assert trial.source_format == "ctgov_json"


def test_pallas_hand_verified_values() -> None:
    path = shared_data("ctgov", "NCT02513394.json")
    trial = parse_study(path.read_bytes(), str(path))
    assert trial.acronym == "PALLAS"
    assert trial.overall_status == "ACTIVE_NOT_RECRUITING"
    assert trial.enrollment_count == 5796
    assert trial.enrollment_type == "ACTUAL"
    assert trial.design.allocation == "RANDOMIZED"
    assert trial.design.intervention_model == "PARALLEL"
    assert [i.name for i in trial.interventions] == [
        "Palbociclib",
        "Standard Adjuvant Endocrine Therapy",
    ]
    assert len(trial.locations) == 437
    assert trial.locations[0].city == "Mobile"
    assert trial.lead_sponsor is not None
    assert trial.lead_sponsor.name == "Alliance Foundation Trials, LLC."
    assert len(trial.collaborators) == 5
    assert trial.minimum_age_years == 18.0
    assert trial.maximum_age_years is None
    assert trial.has_results is True
    assert trial.primary_outcomes[0].measure == "Invasive Disease Free Survival (iDFS)"


def test_every_shared_record_parses() -> None:
    folder = shared_data("ctgov")
    paths = sorted(folder.glob("*.json"))
    assert len(paths) == 790
    nct_ids = {parse_study(p.read_bytes(), str(p)).nct_id for p in paths}
    assert nct_ids == {p.stem for p in paths}


def _study(**eligibility: object) -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "A trial"},
            "eligibilityModule": eligibility,
        }
    }


BAD_RECORDS = [
    pytest.param(b'{"protocolSection": {"identificationModule"', "invalid_json", id="truncated"),
    pytest.param(b"\xff\xfe not json", "invalid_json", id="binary"),
    pytest.param(
        b'{"protocolSection": {"identificationModule": {"nctId": "NCT01234567", '
        b'"briefTitle": "caf\xe9"}}}',
        "invalid_utf8",
        id="latin1-byte",
    ),
    pytest.param(b"{}", "missing_nct_id", id="no-nct-id"),
    pytest.param(
        b'{"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}',
        "bad_nct_id",
        id="short-nct-id",
    ),
    pytest.param(
        b'{"protocolSection": {"identificationModule": {"nctId": 1234567}}}',
        "wrong_type",
        id="int-nct-id",
    ),
    pytest.param(json.dumps(_study(minimumAge="6 Yrs")).encode(), "bad_age", id="unknown-age-unit"),
    pytest.param(
        json.dumps(_study(minimumAge="20 Years", maximumAge="10 Years")).encode(),
        "absurd_value",
        id="min-above-max",
    ),
    pytest.param(
        json.dumps(_study(maximumAge="900 Years")).encode(), "absurd_value", id="900-years"
    ),
    pytest.param(
        json.dumps(_study(sex=["ALL"])).encode(), "wrong_type", id="list-instead-of-string"
    ),
]


@pytest.mark.parametrize(("data", "code"), BAD_RECORDS)
def test_bad_record_is_rejected_with_its_code(data: bytes, code: str) -> None:
    with pytest.raises(RecordError) as error:
        parse_study(data, "test.json")
    assert error.value.code == code
    assert error.value.message.startswith("test.json: ") or error.value.message.startswith(
        "NCT01234567: "
    )


def test_wrong_type_message_names_the_json_path() -> None:
    data = b'{"protocolSection": {"designModule": {"phases": [2]}}}'
    with pytest.raises(RecordError) as error:
        parse_study(data, "x.json")
    assert error.value.message == (
        "x.json: Expected `str`, got `int` - at `$.protocolSection.designModule.phases[0]`"
    )


def test_fifty_megabyte_field_is_quarantined_as_too_large() -> None:
    study = _study(eligibilityCriteria="x" * (50 * 1024 * 1024))
    data = json.dumps(study).encode()
    with pytest.raises(RecordError) as error:
        parse_study(data, "big.json")
    assert error.value.code == "too_large"
    assert error.value.message == (
        f"big.json: record is {len(data):,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit"
    )


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("6 Years", 6.0),
        ("18 Months", 1.5),
        ("1 Year", 1.0),
        ("2 Weeks", 0.0383),
        ("28 Days", 0.0767),
        ("N/A", None),
        ("", None),
    ],
    ids=["years", "months", "one-year", "weeks", "days", "n/a", "absent"],
)
def test_ages_are_normalised_to_years(text: str, years: float | None) -> None:
    trial = parse_study(json.dumps(_study(minimumAge=text)).encode(), "age.json")
    assert trial.minimum_age == text
    assert trial.minimum_age_years == years


@pytest.mark.parametrize(
    ("minimum", "maximum", "groups"),
    [
        (6.0, 18.0, ["CHILD", "ADULT"]),
        (6.0, 17.99, ["CHILD"]),
        (18.0, None, ["ADULT", "OLDER_ADULT"]),
        (None, None, ["CHILD", "ADULT", "OLDER_ADULT"]),
        (65.0, 80.0, ["OLDER_ADULT"]),
        (None, 0.5, ["CHILD"]),
    ],
    ids=["6-18", "under-18", "18-plus", "no-limits", "65-80", "infants"],
)
def test_standard_age_groups(
    minimum: float | None, maximum: float | None, groups: list[str]
) -> None:
    assert standard_age_groups(minimum, maximum) == groups
