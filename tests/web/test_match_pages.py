"""The trial page's "Check my eligibility" panel and the "Find trials for a patient" page."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from support import REPO_ROOT
from trialfinder.web._match_pages import MAX_UPLOAD_BYTES

NCT = "NCT05397184"  # a paediatric nephrotic syndrome trial: 6 months to 16 years
FORM = {"content-type": "application/x-www-form-urlencoded"}
HTMX = {**FORM, "hx-request": "true"}
BUNDLE = (REPO_ROOT / "tests" / "match" / "fixtures" / "srns-boy-bundle.json").read_bytes()


def _skip_without(client: Any) -> None:
    if client.get(f"/trials/{NCT}").status_code == 404:
        pytest.skip(f"{NCT} is not in the shared sample")


def _panel(html: str) -> str:
    start = html.index('<section id="check-eligibility"')
    return html[start : html.index("</section>", start)]


def test_trial_page_carries_the_panel_with_questions(client: Any) -> None:
    _skip_without(client)
    panel = _panel(client.get(f"/trials/{NCT}").text)
    assert f'<form class="check-form" method="post" action="/trials/{NCT}#check-eligibility"' in (
        panel
    )
    assert f'hx-post="/trials/{NCT}" hx-target="#check-eligibility" hx-swap="outerHTML"' in panel
    assert '<label for="q-age">How old is the patient? (years)</label>' in panel
    assert '<input type="radio" name="sex" value="unknown"> Don&#39;t know' in panel
    assert 'id="check-result"' not in panel


def test_posting_answers_shows_the_trial_page_with_the_verdict(client: Any) -> None:
    _skip_without(client)
    page = client.post(f"/trials/{NCT}", content=b"age=40&sex=male", headers=FORM)
    assert page.status_code == 200
    assert "<h1>" in page.text  # the whole trial page
    panel = _panel(page.text)
    assert "<h3>Not eligible</h3>" in panel
    assert "age 40 is not within 6 Months to 16 Years" in panel
    # accepted answers are filled in again
    assert 'name="age" value="40"' in panel
    assert '<input type="radio" name="sex" value="male" checked>' in panel


def test_htmx_gets_the_panel_alone(client: Any) -> None:
    _skip_without(client)
    page = client.post(f"/trials/{NCT}", content=b"age=9&sex=male", headers=HTMX)
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<section id="check-eligibility"')
    assert "<h1>" not in page.text
    assert re.search(r"<h3>(Possibly eligible|Eligible)</h3>", page.text)


def test_bad_answer_shows_the_rule_not_the_value(client: Any) -> None:
    _skip_without(client)
    answer = client.post(f"/trials/{NCT}", content=b"age=Zyxwvut&sex=male", headers=HTMX)
    assert answer.status_code == 400
    assert (
        '<p class="error" role="alert" id="check-error">Answer to &#39;How old is the patient?'
        "&#39; must be a number between 0 and 130</p>"
    ) in answer.text
    assert "Zyxwvut" not in answer.text
    assert '<input type="radio" name="sex" value="male" checked>' in answer.text


def test_old_check_page_redirects_to_the_panel(client: Any) -> None:
    _skip_without(client)
    moved = client.get(f"/trials/{NCT}/check", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/trials/{NCT}#check-eligibility"


def test_panel_of_a_missing_trial_is_404(client: Any) -> None:
    assert client.post("/trials/NCT00000000", content=b"age=4", headers=FORM).status_code == 404


def test_find_trials_from_a_pasted_note(client: Any) -> None:
    page = client.post(
        "/match",
        files={"file": ("", b"", "application/octet-stream")},
        data={"patient": "62-year-old man with type 2 diabetes and hypertension"},
    )
    assert page.status_code == 200
    assert re.search(r'<h2 id="results-heading">\d+ best of \d+ trials checked', page.text)
    assert re.search(r'<span class="badge verdict-[a-z-]+">', page.text)


def test_find_trials_from_an_uploaded_fhir_bundle(client: Any) -> None:
    page = client.post("/match", files={"file": ("boy.json", BUNDLE, "application/fhir+json")})
    assert page.status_code == 200
    assert '<h2 id="results-heading">' in page.text


@pytest.mark.parametrize(
    ("upload", "status", "message"),
    [
        (
            b"%PDF-1.7 binary",
            400,
            "The file is not JSON: upload a FHIR R4 Bundle or a patient profile (.json), "
            "or paste a note into the text box",
        ),
        (
            b'{"resourceType": "Bundle", "entry": [',
            400,
            "The file could not be read: Patient data looks like JSON but is not valid JSON: "
            "Expecting value at line 1 column 38",
        ),
        (b"x" * (MAX_UPLOAD_BYTES + 1), 413, "The form is "),
        (b"", 400, "The file is empty: upload a FHIR R4 Bundle or a patient profile"),
    ],
    ids=["not-json", "malformed", "oversized", "empty"],
)
def test_bad_uploads_get_a_clear_error(
    client: Any, upload: bytes, status: int, message: str
) -> None:
    page = client.post("/match", files={"file": ("patient.json", upload, "application/json")})
    assert page.status_code == status
    assert f'<p class="error" role="alert" id="match-error">{message}' in page.text.replace(
        "&#39;", "'"
    )


def test_find_trials_without_input_asks_for_it(client: Any) -> None:
    page = client.post("/match", content=b"patient=", headers=FORM)
    assert page.status_code == 400
    assert "Paste a note or choose a file (FHIR R4 Bundle or JSON profile)" in page.text


def test_nothing_entered_is_logged(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    marker = "Zyxwvut-marker"
    with caplog.at_level(logging.DEBUG):
        client.post(f"/trials/{NCT}", content=f"age={marker}".encode(), headers=FORM)
        client.post(f"/trials/{NCT}", content=b"age=41.5&sex=female", headers=HTMX)
        client.post("/match", data={"patient": f"{marker} 62-year-old man with diabetes"})
        upload = BUNDLE.replace(b'"id": "p1"', f'"id": "{marker}"'.encode())
        client.post("/match", files={"file": ("p.json", upload, "application/json")})
        client.post("/match", files={"file": ("p.json", marker.encode(), "application/json")})
    assert marker not in caplog.text
    assert "41.5" not in caplog.text
    assert "diabetes" not in caplog.text
