"""Matching pages: the trial page's "Check my eligibility" panel and "Find trials for a patient".

Both are plain HTML forms posted to the server (no script needed; htmx only swaps the panel in
place). What the user enters or uploads is used for this one response: it is read into memory
(never spooled to disk), not logged, not stored, and never echoed into an error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from trialfinder.criteria.constraints import ParsedCriteria
from trialfinder.errors import QueryError
from trialfinder.match import (
    MatchResult,
    Question,
    TrialVerdict,
    evaluate_trial,
    load_profile,
    match_patient,
    profile_from_answers,
    questions_for,
)
from trialfinder.model import Trial
from trialfinder.store.base import Store
from trialfinder.web._render import Renderer, WebSettings

__all__ = [
    "MAX_ANSWERS_BYTES",
    "MAX_UPLOAD_BYTES",
    "CheckPanel",
    "FormTooLarge",
    "MatchPage",
    "check_panel_data",
    "install_match_pages",
    "match_page_data",
    "read_form",
]

MAX_ANSWERS_BYTES = 100_000
"""Largest answers form of the eligibility panel (40 short answers need a few kB)."""
MAX_UPLOAD_BYTES = 1_000_000
"""Largest "Find trials" form, note or file included (a FHIR Bundle of a long record fits)."""
MATCH_LIMIT = 20


class FormTooLarge(QueryError):
    """The posted form is over its size limit (answered with 413)."""


@dataclass(frozen=True, slots=True)
class CheckPanel:
    """The eligibility panel: the trial's questions, the accepted answers, and the verdict."""

    nct_id: str
    questions: list[Question]
    answers: dict[str, str] = field(default_factory=dict)
    verdict: TrialVerdict | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class MatchPage:
    """The "Find trials for a patient" page: ranked trials, or what was wrong with the input."""

    result: MatchResult | None = None
    error: str = ""
    source: str = ""


def _accepted(questions: list[Question], answers: Mapping[str, str]) -> dict[str, str]:
    """The answers that are valid on their own, to fill the form in again."""
    kept: dict[str, str] = {}
    for question in questions:
        answer = answers.get(question.id, "").strip()
        if not answer:
            continue
        try:
            profile_from_answers([question], {question.id: answer})
        except QueryError:
            continue
        kept[question.id] = answer
    return kept


def check_panel_data(
    trial: Trial,
    parsed: ParsedCriteria,
    answers: Mapping[str, str] | None = None,
    on_date: dt.date | None = None,
) -> CheckPanel:
    """The panel of ``trial`` (criteria ``parsed`` as `parsed_criteria_of` reads them): its
    questions and, given ``answers``, the verdict or the error."""
    questions = questions_for(parsed, trial)
    if answers is None:
        return CheckPanel(nct_id=trial.nct_id, questions=questions)
    kept = _accepted(questions, answers)
    try:
        profile = profile_from_answers(questions, answers)
    except QueryError as error:
        return CheckPanel(trial.nct_id, questions, kept, error=error.message)
    verdict = evaluate_trial(trial, parsed, profile, on_date or dt.date.today())
    return CheckPanel(trial.nct_id, questions, kept, verdict=verdict)


async def _limited(request: Request, max_bytes: int) -> AsyncGenerator[bytes, None]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FormTooLarge(
            f"The form is {int(declared):,} bytes; at most {max_bytes:,} are accepted", "form"
        )
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise FormTooLarge(f"The form is over {max_bytes:,} bytes", "form")
        yield chunk


async def read_form(request: Request, max_bytes: int) -> dict[str, str | bytes]:
    """Return the posted form's fields; an uploaded file's field holds its bytes.

    Reads at most ``max_bytes`` (FormTooLarge beyond), in memory only: the limit is below the
    multipart parser's 1 MiB spooling threshold. Raises QueryError for other content types.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        body = b"".join([chunk async for chunk in _limited(request, max_bytes)])
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if kind != "multipart/form-data":
        raise QueryError(
            f"The form was sent as {kind or 'nothing'!r}; send it from the page "
            "(application/x-www-form-urlencoded or multipart/form-data)",
            "form",
        )
    assert max_bytes < MultiPartParser.spool_max_size  # uploads stay in memory
    parser = MultiPartParser(
        request.headers, _limited(request, max_bytes), max_files=1, max_fields=10
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise QueryError(f"The form could not be read: {error.message}", "form") from None
    fields: dict[str, str | bytes] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                fields[name] = await value.read()
            await value.close()
        else:
            fields[name] = value
    return fields


def _text(value: str | bytes | None) -> str:
    return value if isinstance(value, str) else ""


def match_page_data(store: Store, form: Mapping[str, str | bytes]) -> MatchPage:
    """Ranked trials for the uploaded file (FHIR R4 Bundle or JSON profile) or the pasted note."""
    upload = form.get("file")
    note = _text(form.get("patient")).strip()
    if isinstance(upload, bytes) and upload.strip():
        if upload.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:1] != b"{":
            return MatchPage(
                error="The file is not JSON: upload a FHIR R4 Bundle or a patient profile "
                "(.json), or paste a note into the text box"
            )
        data, source = upload, "file"
    elif note:
        data, source = note.encode("utf-8"), "note"
    elif isinstance(upload, bytes):
        return MatchPage(error="The file is empty: upload a FHIR R4 Bundle or a patient profile")
    else:
        return MatchPage(error="Paste a note or choose a file (FHIR R4 Bundle or JSON profile)")
    try:
        profile = load_profile(data)
    except QueryError as error:
        return MatchPage(error=f"The {source} could not be read: {error.message}", source=source)
    result = match_patient(store, profile, limit=MATCH_LIMIT)
    return MatchPage(result=result, source=source)


def install_match_pages(app: FastAPI, store: Store, settings: WebSettings) -> None:
    """Add ``/match`` (GET shows the form, POST answers) and the old check page's redirect."""
    renderer = Renderer(settings)

    async def to_panel(request: Request, nct_id: str) -> Response:
        # The check used to be a page of its own: send old links and forms to the panel.
        return RedirectResponse(f"/trials/{nct_id}#check-eligibility", status_code=308)

    app.add_api_route(
        "/trials/{nct_id}/check", to_panel, methods=["GET", "POST"], include_in_schema=False
    )

    @app.get("/match", include_in_schema=False)
    def match_form() -> Response:
        return renderer.page("match.html", {"current": "match", "page": MatchPage()})

    @app.post("/match", include_in_schema=False)
    async def match_answer(request: Request) -> Response:
        status = 200
        try:
            form = await read_form(request, MAX_UPLOAD_BYTES)
            page = await run_in_threadpool(match_page_data, store, form)
        except FormTooLarge as error:
            page, status = MatchPage(error=error.message), 413
        except QueryError as error:
            page, status = MatchPage(error=error.message), 400
        if page.error and status == 200:
            status = 400
        context = {"current": "match", "page": page}
        return renderer.page("match.html", context, status_code=status)
