"""The "Check my eligibility" and "Find trials for a patient" pages (plain form POSTs)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

NCT = "NCT05397184"


def _skip_without(client: Any) -> None:
    if client.get(f"/trials/{NCT}").status_code == 404:
        pytest.skip(f"{NCT} is not in the shared sample")


def test_trial_page_links_the_check_panel(client: Any) -> None:
    _skip_without(client)
    assert (
        f'<a href="/trials/{NCT}/check">Check my eligibility</a>'
        in client.get(f"/trials/{NCT}").text
    )


def test_check_form_asks_age_and_answers_with_reasons(client: Any) -> None:
    _skip_without(client)
    form = client.get(f"/trials/{NCT}/check").text
    assert '<input type="text" inputmode="decimal" name="age"' in form
    answer = client.post(
        f"/trials/{NCT}/check",
        content=b"age=40&sex=male",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert "Result: not eligible" in answer.text
    assert "age 40 is not within 6 Months to 16 Years" in answer.text


def test_bad_answer_shows_the_rule_not_the_value(client: Any) -> None:
    _skip_without(client)
    answer = client.post(
        f"/trials/{NCT}/check",
        content=b"age=Zyxwvut",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert "Answer to &#39;How old is the patient?&#39; must be a number" in answer.text
    assert "Zyxwvut" not in answer.text


def test_find_trials_page_ranks_and_logs_nothing(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert 'href="/match"' in client.get("/match").text
    with caplog.at_level(logging.DEBUG):
        page = client.post(
            "/match",
            content=b"patient=Zyxwvut+62-year-old+man+with+type+2+diabetes+and+hypertension",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert page.status_code == 200
    assert "candidate trials" in page.text
    assert "Zyxwvut" not in caplog.text
