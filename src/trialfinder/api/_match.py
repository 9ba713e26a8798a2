"""Patient matching routes: ``POST /api/v2/match`` and ``POST /api/v2/studies/{nctId}/check``.

The request body is the patient: a JSON profile, a FHIR R4 Bundle or a plain-text note, at most
``MAX_PATIENT_BYTES``. Nothing of it is logged or stored; errors name the field, never the value.
The body is read on the event loop; reading the patient and matching (a note's rules, store
reads, hundreds of milliseconds) run in the thread pool, so that the process answers other
requests meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from trialfinder.errors import QueryError
from trialfinder.match import (
    MatchResult,
    PatientProfile,
    evaluate_trial,
    load_profile,
    match_patient,
    parsed_criteria_of,
    questions_for,
)
from trialfinder.search import parse_distance, resolve_place
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store import Store
from trialfinder.store.base import GeoArea

__all__ = ["MAX_PATIENT_BYTES", "PayloadTooLarge", "add_match_routes", "read_patient"]

MAX_PATIENT_BYTES = 1_000_000
"""Largest patient document accepted (a FHIR Bundle of a long record fits)."""

_encoder = msgspec.json.Encoder()


def _json(data: object, status: int = 200) -> Response:
    return Response(_encoder.encode(data), status_code=status, media_type="application/json")


class PayloadTooLarge(QueryError):
    """The patient document is over the size limit (answered with 413)."""


async def read_patient(request: Request) -> PatientProfile:
    """Return the profile in the request body, reading at most ``MAX_PATIENT_BYTES``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PATIENT_BYTES:
        raise PayloadTooLarge(
            f"patient document is {int(declared):,} bytes; at most {MAX_PATIENT_BYTES:,} "
            "are accepted",
            "body",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PATIENT_BYTES:
            raise PayloadTooLarge(f"patient document is over {MAX_PATIENT_BYTES:,} bytes", "body")
        chunks.append(chunk)
    return await run_in_threadpool(load_profile, b"".join(chunks))


def _date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"date {text[:20]!r} is not a date YYYY-MM-DD", "date") from None


def add_match_routes(app: FastAPI) -> None:
    """Add the two matching routes to ``app`` (its store is ``app.state.store``)."""

    @app.post("/api/v2/match", tags=["match"])
    async def match(
        request: Request,
        near: Annotated[str | None, Query(description="A place, e.g. 'Boston, MA'")] = None,
        within: Annotated[str, Query(description="Distance from near, e.g. 100mi")] = "100mi",
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        date: Annotated[str | None, Query(description="Screening date YYYY-MM-DD")] = None,
    ) -> Response:
        """Ranked open trials for the patient in the body, each with its verdict."""
        profile = await read_patient(request)
        store: Store = request.app.state.store
        answer = await run_in_threadpool(_match_answer, store, profile, near, within, limit, date)
        return _json(answer)

    @app.post("/api/v2/studies/{nctId}/check", tags=["match"])
    async def check(
        request: Request,
        nctId: Annotated[str, Path(description="e.g. NCT02513394")],
        date: Annotated[str | None, Query(description="Screening date YYYY-MM-DD")] = None,
    ) -> Response:
        """Per-criterion verdicts of one trial for the patient in the body, and its questions."""
        wanted = nctId.strip().upper()
        if not NCT_ID.fullmatch(wanted):
            raise QueryError(
                f"nctId {nctId[:40]!r} is not an NCT id ('NCT' followed by 8 digits)", "nctId"
            )
        profile = await read_patient(request)
        store: Store = request.app.state.store
        answer = await run_in_threadpool(_check_answer, store, wanted, profile, date)
        if answer is None:
            return _json(
                {"ok": False, "error": f"study {wanted} is not in this mirror", "status": 404},
                404,
            )
        return _json(answer)


def _match_answer(
    store: Store,
    profile: PatientProfile,
    near: str | None,
    within: str,
    limit: int,
    date: str | None,
) -> MatchResult:
    """The answer of ``POST /api/v2/match`` (blocking: store reads and criteria)."""
    geo = None
    if near:
        place = resolve_place(near, "near")
        geo = GeoArea(place.lat, place.lon, parse_distance(within, "within"))
    return match_patient(store, profile, on_date=_date(date), geo=geo, limit=limit)


def _check_answer(
    store: Store, nct_id: str, profile: PatientProfile, date: str | None
) -> dict[str, object] | None:
    """The answer of ``POST /api/v2/studies/{nctId}/check``, or None when the trial is not
    stored (blocking: store reads and criteria)."""
    trial = store.get_trial(nct_id)
    if trial is None:
        return None
    parsed = parsed_criteria_of(trial, store)
    verdict = evaluate_trial(trial, parsed, profile, _date(date))
    return {"verdict": verdict, "questions": questions_for(parsed, trial)}
