"""Matching pages: "Check my eligibility" for one trial and "Find trials for a patient".

Both are plain HTML forms posted to the server (no script needed). What the user enters is used
for this one response: it is not logged, stored, or echoed into an error message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import Response

from trialfinder.errors import QueryError
from trialfinder.match import (
    evaluate_trial,
    load_profile,
    match_patient,
    parsed_criteria_of,
    profile_from_answers,
    questions_for,
)
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store.base import Store
from trialfinder.web._render import Renderer, WebSettings

__all__ = ["MAX_FORM_BYTES", "install_match_pages"]

MAX_FORM_BYTES = 1_000_000


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise QueryError(f"the form is over {MAX_FORM_BYTES:,} bytes", "form")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _not_found(renderer: Renderer, nct_id: str) -> Response:
    from trialfinder.web._routes import not_found_context  # _routes installs this module

    return renderer.page("not_found.html", not_found_context(f"/trials/{nct_id}"), status_code=404)


def _check_context(trial: Any, questions: Any) -> dict[str, Any]:
    return {"trial": trial, "questions": questions, "current": "", "error": None, "verdict": None}


def install_match_pages(app: FastAPI, store: Store, settings: WebSettings) -> None:
    """Add ``/match`` and ``/trials/{nct_id}/check`` (GET shows the form, POST answers)."""
    renderer = Renderer(settings)

    def trial_or_404(nct_id: str) -> Any:
        wanted = nct_id.strip().upper()
        trial = store.get_trial(wanted) if NCT_ID.fullmatch(wanted) else None
        return trial

    @app.get("/trials/{nct_id}/check", include_in_schema=False)
    def check_form(nct_id: str) -> Response:
        trial = trial_or_404(nct_id)
        if trial is None:
            return _not_found(renderer, nct_id)
        questions = questions_for(parsed_criteria_of(trial), trial)
        return renderer.page("check.html", _check_context(trial, questions))

    @app.post("/trials/{nct_id}/check", include_in_schema=False)
    async def check_answer(request: Request, nct_id: str) -> Response:
        trial = trial_or_404(nct_id)
        if trial is None:
            return _not_found(renderer, nct_id)
        parsed = parsed_criteria_of(trial)
        questions = questions_for(parsed, trial)
        context = _check_context(trial, questions)
        try:
            profile = profile_from_answers(questions, await _form(request))
        except QueryError as error:
            context["error"] = error.message
            return renderer.page("check.html", context, status_code=400)
        context["verdict"] = evaluate_trial(trial, parsed, profile, dt.date.today())
        return renderer.page("check.html", context)

    @app.get("/match", include_in_schema=False)
    def match_form() -> Response:
        return renderer.page("match.html", {"current": "match", "error": None, "result": None})

    @app.post("/match", include_in_schema=False)
    async def match_answer(request: Request) -> Response:
        context: dict[str, Any] = {"current": "match", "error": None, "result": None}
        try:
            patient = (await _form(request)).get("patient", "")
            result = match_patient(store, load_profile(patient.encode("utf-8")), limit=20)
        except QueryError as error:
            context["error"] = error.message
            return renderer.page("match.html", context, status_code=400)
        context["result"] = result
        return renderer.page("match.html", context)
