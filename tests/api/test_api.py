"""The API v2-shaped JSON API, in-process, over the 790 real studies."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
import pytest

from trialfinder.api import select_fields, study_document, trial_to_v2
from trialfinder.store import Store


def test_error_shape(client: Any) -> None:
    response = client.get("/api/v2/studies", params={"pageSize": "0"})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "pageSize 0 is not between 1 and 1000",
        "status": 400,
    }


def test_condition_synonym_with_fields(client: Any) -> None:
    response = client.get(
        "/api/v2/studies",
        params={"query.cond": "SLE", "fields": "NCTId,OverallStatus", "countTotal": "true"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "studies": [
            {
                "protocolSection": {
                    "identificationModule": {"nctId": "NCT05843643"},
                    "statusModule": {"overallStatus": "NOT_YET_RECRUITING"},
                }
            }
        ],
        "totalCount": 1,
    }


def test_default_is_every_status_and_pages_reach_the_end(client: Any) -> None:
    seen: list[str] = []
    params = {"pageSize": "300", "fields": "NCTId", "countTotal": "true"}
    while True:
        body = client.get("/api/v2/studies", params=params).json()
        assert body["totalCount"] == 790
        seen += [s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert len(seen) == len(set(seen)) == 790


def test_geo_filter_adds_nearest_site(client: Any) -> None:
    body = client.get(
        "/api/v2/studies",
        params={"query.cond": "leukemia", "filter.geo": "distance(02115,5mi)", "sort": "distance"},
    ).json()
    first = body["studies"][0]
    assert first["protocolSection"]["identificationModule"]["nctId"] == "NCT03319901"
    site = first["trialfinder"]["nearestSite"]
    assert (site["facility"], site["city"], site["distanceKm"]) == (
        "Massachusetts General Hospital",
        "Boston",
        3.19,
    )


def test_advanced_filter(client: Any) -> None:
    advanced = "AREA[Phase]PHASE3 AND AREA[MinimumAge]RANGE[MIN, 16 years]"
    body = client.get(
        "/api/v2/studies",
        params={"filter.advanced": advanced, "countTotal": "true", "pageSize": "1"},
    ).json()
    assert body["totalCount"] == 17


def test_unsupported_advanced_filter_says_what_works(client: Any) -> None:
    response = client.get("/api/v2/studies", params={"filter.advanced": "AREA[Foo]bar"})
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "filter.advanced: AREA[Foo] is not supported; supported: AREA[Phase]"
    )


def test_csv(client: Any) -> None:
    response = client.get(
        "/api/v2/studies",
        params={"query.cond": "SLE", "format": "csv", "fields": "NCTId,BriefTitle,Study Status"},
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["NCT Number", "Study Title", "Study Status"],
        [
            "NCT05843643",
            "Program to Assess Adverse Events and Change in Disease Activity of Oral "
            "Upadacitinib in Adult Participants With Moderate to Severe Systemic Lupus "
            "Erythematosus",
            "NOT_YET_RECRUITING",
        ],
    ]


def test_single_study_is_the_raw_v2_record(client: Any, api_store: Store) -> None:
    response = client.get("/api/v2/studies/NCT02513394")
    raw = api_store.get_raw("NCT02513394")
    assert raw is not None
    assert response.json() == msgspec.json.decode(raw[1])


def test_single_study_fields_by_module(client: Any) -> None:
    body = client.get("/api/v2/studies/nct02513394", params={"fields": "ConditionsModule"}).json()
    assert list(body["protocolSection"]) == ["conditionsModule"]


def test_trial_to_v2_agrees_with_the_raw_record(api_store: Store) -> None:
    trial = api_store.get_trial("NCT02513394")
    raw = study_document(api_store, "NCT02513394")
    assert trial is not None and raw is not None
    built = trial_to_v2(trial)
    paths = [
        ("protocolSection", "identificationModule", "nctId"),
        ("protocolSection", "identificationModule", "briefTitle"),
        ("protocolSection", "statusModule", "overallStatus"),
        ("protocolSection", "designModule", "phases"),
        ("protocolSection", "conditionsModule", "conditions"),
        ("protocolSection", "eligibilityModule", "minimumAge"),
        ("protocolSection", "contactsLocationsModule", "locations", "city"),
        ("hasResults",),
    ]
    assert select_fields(built, paths) == select_fields(raw, paths)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/v2/studies/NCT99999999", 404, "study NCT99999999 is not in this mirror"),
        (
            "/api/v2/studies/x';--",
            400,
            "nctId \"x';--\" is not an NCT id ('NCT' followed by 8 digits)",
        ),
        ("/api/v2/studies?format=xml", 400, "format 'xml' is not json or csv"),
        (
            "/api/v2/studies?fields=Nope",
            400,
            "fields: 'Nope' is not a study field; use piece "
            "names like NCTId, BriefTitle, OverallStatus, Condition, or paths like "
            "protocolSection.identificationModule",
        ),
        (
            "/api/v2/studies?filter.overallStatus=OPEN",
            400,
            "filter.overallStatus: 'OPEN' is not "
            "one of ACTIVE_NOT_RECRUITING, COMPLETED, ENROLLING_BY_INVITATION, NOT_YET_RECRUITING, "
            "RECRUITING, SUSPENDED, TERMINATED, WITHDRAWN, AVAILABLE, NO_LONGER_AVAILABLE, "
            "TEMPORARILY_NOT_AVAILABLE, APPROVED_FOR_MARKETING, WITHHELD, UNKNOWN",
        ),
        ("/api/v2/studies?sort=distance", 400, "sorting by distance needs a place (filter.geo)"),
        ("/api/v2/studies?countTotal=yes", 400, "countTotal 'yes' is not true or false"),
        ("/api/v2/nowhere", 404, "Not Found"),
    ],
    ids=["missing", "bad-id", "format", "fields", "status", "sort", "countTotal", "route"],
)
def test_errors_name_the_parameter(client: Any, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert (response.status_code, response.json()["error"]) == (status, message)


HOSTILE = ['"', "NEAR(", "*", "-", "1' or '1'='1", "a" * 10_240, "😀", "%00", "AREA[Phase]"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize(
    "parameter",
    [
        "query.term",
        "query.cond",
        "query.locn",
        "filter.geo",
        "filter.advanced",
        "aggFilters",
        "sort",
        "fields",
        "pageToken",
        "filter.ids",
        "filter.age",
    ],
)
def test_hostile_values_get_200_or_clear_400(client: Any, parameter: str, value: str) -> None:
    response = client.get(
        "/api/v2/studies",
        params={parameter: value, "fields": "NCTId"}
        if parameter != "fields"
        else {parameter: value},
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        body = response.json()
        assert set(body) == {"ok", "error", "status"}
        assert body["error"]


def test_facets_total_equals_total_count(client: Any) -> None:
    params = {"query.cond": "leukemia"}
    facets = client.get("/api/v2/facets", params=params).json()
    total = client.get("/api/v2/studies", params={**params, "countTotal": "true"}).json()
    assert facets["totalCount"] == total["totalCount"] == 108
    for facet in facets["facets"]:
        if facet["field"] in ("overallStatus", "studyType", "sex"):
            assert sum(v["count"] for v in facet["values"]) == 108


def test_version_and_size(client: Any) -> None:
    assert client.get("/api/v2/version").json() == {
        "apiVersion": "2.0.3",
        "dataTimestamp": "2025-12-05T00:00:00",
    }
    size = client.get("/api/v2/stats/size").json()
    assert size["totalStudies"] == 790
    assert size["largestStudies"][0] == {"id": "NCT02513394", "sizeBytes": 1154625}
    assert sum(r["studiesCount"] for r in size["ranges"]) == 790


def test_sites_and_one_site(client: Any) -> None:
    body = client.get(
        "/api/v2/sites", params={"query": "dana farber boston", "pageSize": "1"}
    ).json()
    assert body["totalCount"] == 3
    site = body["sites"][0]
    assert (site["facility"], site["trialCount"]) == ("Dana-Farber Cancer Institute", 11)
    one = client.get(f"/api/v2/sites/{site['siteId']}").json()
    assert len(one["studies"]) == 11


def test_openapi_lists_official_parameter_names(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v2/studies"]["get"]["parameters"]}
    assert {"query.cond", "filter.geo", "pageToken", "countTotal", "fields"} <= names
