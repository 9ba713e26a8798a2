"""Hostile input against the web site and the JSON API: markup stays text, headers are strict,
sizes are limited, injection attempts get results or a 400, and schemathesis finds no 5xx."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.exceptions import StarletteDeprecationWarning

from support import FIXTURES
from trialfinder.api import create_app
from trialfinder.api.app import MAX_BODY_BYTES, MAX_QUERY_BYTES
from trialfinder.ingest import ingest
from trialfinder.store import Store, open_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

MARK = "Qx7hostile"
PAYLOAD = f'<script>alert("{MARK}")</script><img src=x onerror=alert(1)>"\'&'
HOSTILE_ID = "NCT05397184"
# Values the parser checks against a list or a format: markup there quarantines the record.
_KEPT = {"nctId", "overallStatus", "studyType", "phases", "sex", "status", "type", "role"}


def _hostile(value: Any, key: str = "") -> Any:
    """The record with the payload appended to every free-text string."""
    if isinstance(value, dict):
        return {k: _hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile(v, key) for v in value]
    if isinstance(value, str) and key not in _KEPT and "date" not in key.lower():
        if value.isupper() or "Age" in key or key in ("zip", "country"):
            return value
        return value + " " + PAYLOAD
    return value


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("hostile")
    record = _hostile(json.loads((FIXTURES / f"{HOSTILE_ID}.json").read_text()))
    (folder / "src").mkdir()
    (folder / "src" / f"{HOSTILE_ID}.json").write_text(json.dumps(record))
    store = open_store(f"sqlite:///{folder / 'trials.db'}")
    report = ingest(store, [folder / "src"])
    assert (report.new, report.quarantined) == (1, 0), store.list_quarantine()
    yield store
    store.close()


@pytest.fixture(scope="module")
def web(hostile_store: Store) -> Iterator[Any]:
    with TestClient(create_app(store=hostile_store)) as client:
        yield client


def test_the_payload_reached_many_text_fields(hostile_store: Store) -> None:
    trial = hostile_store.get_trial(HOSTILE_ID)
    assert trial is not None
    assert PAYLOAD in trial.brief_title
    assert PAYLOAD in trial.eligibility_criteria
    assert all(PAYLOAD in c for c in trial.conditions)


PAGES = {
    "trial page": f"/trials/{HOSTILE_ID}",
    "search page": f"/?q={MARK}",
    "check page": f"/trials/{HOSTILE_ID}/check",
    "feed": "/feed.atom",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_markup_in_every_text_field_is_rendered_as_text(web: Any, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 200
    assert MARK in response.text  # the hostile record is on the page...
    assert "<script>alert(" not in response.text  # ...but never as markup
    assert "<img src=x" not in response.text
    assert "&lt;script&gt;alert(" in response.text


def test_json_api_returns_the_text_as_data(web: Any) -> None:
    response = web.get(f"/api/v2/studies/{HOSTILE_ID}")
    assert response.headers["content-type"] == "application/json"
    identification = response.json()["protocolSection"]["identificationModule"]
    assert identification["briefTitle"].endswith(" " + PAYLOAD)


STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: "
    "https://tile.openstreetmap.org; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ANSWERS = {
    "html page": (f"/trials/{HOSTILE_ID}", 200, STRICT_CSP),
    "html 404": ("/no/such/page", 404, STRICT_CSP),
    "json": ("/api/v2/studies?pageSize=1", 200, "default-src 'none'; frame-ancestors 'none'"),
    "json 400": ("/api/v2/studies/NCT1", 400, "default-src 'none'; frame-ancestors 'none'"),
    "json 404": ("/api/v2/studies/NCT00000000", 404, "default-src 'none'; frame-ancestors 'none'"),
}


@pytest.mark.parametrize("path, status, policy", ANSWERS.values(), ids=ANSWERS.keys())
def test_every_answer_carries_the_security_headers(
    web: Any, path: str, status: int, policy: str
) -> None:
    response = web.get(path)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_over_long_query_string_is_414(web: Any) -> None:
    query = "query.term=" + "a" * MAX_QUERY_BYTES
    response = web.get(f"/api/v2/studies?{query}")
    assert response.status_code == 414
    assert response.json() == {
        "ok": False,
        "error": f"query string is {len(query):,} bytes; at most 16,384 are accepted",
        "status": 414,
    }
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/v2/match", "/api/v2/studies"])
def test_over_large_body_is_413_before_it_is_read(web: Any, path: str) -> None:
    size = MAX_BODY_BYTES + 1
    response = web.post(path, content=b"x" * size)
    assert response.status_code == 413
    assert response.json()["error"] == (
        f"request body is {size:,} bytes; at most 2,000,000 are accepted"
    )


@pytest.mark.parametrize("path", ["/match", "/trials/NCT00000102"])
def test_over_large_form_gets_an_html_413_page(web: Any, path: str) -> None:
    size = MAX_BODY_BYTES + 1
    response = web.post(path, content=b"x" * size)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Request too large</h1>" in response.text
    assert f"request body is {size:,} bytes; at most 2,000,000 are accepted" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_over_long_page_address_gets_an_html_414_page(web: Any) -> None:
    response = web.get("/?q=" + "a" * MAX_QUERY_BYTES)
    assert response.status_code == 414
    assert "<h1>Address too long</h1>" in response.text


INJECTIONS = [
    "' or 1=1 --",
    '"; drop table trials; --',
    "asthma) union select nct_id, record from trials --",
    'NEAR(a b, -1) OR "',
    "title:asthma*",
    "* OR ^ - : ( ) { } \" ' \\",
    "AND OR NOT",
    "\x00\x01\u202e",
    "%' and sleep(5) --",
    "a" * 2000,
]
SEARCH_PARAMETERS = ["query.term", "query.cond", "query.intr", "query.titles", "query.locn"]


@pytest.mark.parametrize("parameter", SEARCH_PARAMETERS)
@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_injection_attempts_give_results_or_a_400(web: Any, parameter: str, text: str) -> None:
    response = web.get("/api/v2/studies", params={parameter: text})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["ok"] is False
    assert web.get("/api/v2/studies/" + HOSTILE_ID).status_code == 200  # the table is still there


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_injection_attempts_in_the_web_search_give_a_page(web: Any, text: str) -> None:
    response = web.get("/", params={"q": text})
    assert response.status_code in (200, 400)
    assert response.headers["content-type"] == "text/html; charset=utf-8"


ADVANCED = [
    "AREA[Phase](PHASE2 OR 1=1)",
    "AREA[LastUpdatePostDate]RANGE['; drop table trials; --,MAX]",
    "AREA[x]y",
    "((((((((((",
]


@pytest.mark.parametrize("text", ADVANCED, ids=range(len(ADVANCED)))
def test_filter_advanced_injection_gives_results_or_a_400(web: Any, text: str) -> None:
    response = web.get("/api/v2/studies", params={"filter.advanced": text})
    assert response.status_code in (200, 400), response.text


@pytest.fixture(scope="module")
def schema_app(hostile_store: Store) -> Any:
    return create_app(store=hostile_store)


@pytest.mark.slow
def test_openapi_schema_fuzzing_finds_no_server_error(schema_app: Any) -> None:
    """Schemathesis cases from /openapi.json, 40 per operation: no answer is a 5xx."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", schema_app)
    server_errors: list[tuple[str, str, int, str]] = []
    statuses: list[int] = []
    operations = [result.ok() for result in loaded.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call()
            statuses.append(response.status_code)
            if response.status_code >= 500:
                server_errors.append(
                    (case.method, case.formatted_path, response.status_code, response.text[:200])
                )

        call()
    assert len(operations) >= 10
    assert len(statuses) >= 10 * len(operations)
    assert server_errors == []


def test_schema_covers_the_match_endpoints(schema_app: Any, tmp_path: Path) -> None:
    paths = schema_app.openapi()["paths"]
    assert "/api/v2/match" in paths
    assert "/api/v2/studies/{nctId}/check" in paths
