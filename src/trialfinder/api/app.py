"""The FastAPI application: a JSON API shaped like ClinicalTrials.gov API v2 (OpenAPI at /docs).

`create_app` is the one place the app is built; the web pages mount on the same app later.
Every error leaves through one handler as ``{"ok": false, "error": ..., "status": ...}``.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import msgspec
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trialfinder.api._match import PayloadTooLarge, add_match_routes
from trialfinder.api._v2 import (
    Document,
    csv_columns,
    parse_fields,
    select_fields,
    study_document,
    study_documents,
    trials_csv,
)
from trialfinder.criteria import parse_criteria
from trialfinder.errors import QueryError, StoreError
from trialfinder.match import profile_from_note
from trialfinder.search import (
    MAX_PAGE_SIZE,
    SEARCH_PARAMETERS,
    find_sites,
    paging_from_params,
    parse_geo,
    query_from_params,
    search_studies,
)
from trialfinder.search import facet_studies as facet_counts
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store import Store, open_store
from trialfinder.store.base import Site, StudyHit
from trialfinder.web import install_web
from trialfinder.web._render import compile_templates

log = logging.getLogger(__name__)

API_VERSION = "2.0.3"
"""The ClinicalTrials.gov API version whose shape this API follows."""

_encoder = msgspec.json.Encoder()
_STUDY_PARAMETERS = frozenset(
    {*SEARCH_PARAMETERS, "fields", "format", "markupFormat", "pageSize", "pageToken", "countTotal"}
)
_SITE_PARAMETERS = frozenset(
    {"query", "filter.geo", "filter.country", "pageSize", "pageToken", "countTotal"}
)
_KM_PER_MILE = 1.609344

MAX_QUERY_BYTES = 16_384
"""Longest query string accepted (answered with 414 beyond it): searches are short."""

MAX_BODY_BYTES = 2_000_000
"""Largest declared request body accepted (413 beyond it); routes that read bodies check the
bytes they really read against their own, smaller limits as well."""

# Headers every answer carries; HTML pages set a fuller Content-Security-Policy of their own.
_SECURITY_HEADERS = (
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
)

FieldsParameter = Annotated[
    str | None,
    Query(description="Piece names or paths, e.g. NCTId,BriefTitle,protocolSection.statusModule"),
]


def _json(data: Any, status: int = 200) -> Response:
    return Response(_encoder.encode(data), status_code=status, media_type="application/json")


def error_response(message: str, status: int) -> Response:
    """The one error shape of the API."""
    return _json({"ok": False, "error": message, "status": status}, status)


def _check_parameters(params: Mapping[str, str], known: frozenset[str]) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise QueryError(
            f"unknown parameter {unknown[0][:60]!r}; this endpoint takes "
            + ", ".join(sorted(known)),
            unknown[0],
        )


def _format(params: Mapping[str, str]) -> str:
    value = params.get("format", "json")
    if value not in ("json", "csv"):
        raise QueryError(f"format {value[:40]!r} is not json or csv", "format")
    return value


def _site_json(site: Site, distance_km: float | None = None) -> Document:
    data: Document = {
        "siteId": site.site_id,
        "facility": site.name,
        "city": site.city,
        "state": site.state,
        "zip": site.zip,
        "country": site.country,
    }
    if site.lat is not None and site.lon is not None:
        data["geoPoint"] = {"lat": site.lat, "lon": site.lon}
    if site.trial_count:
        data["trialCount"] = site.trial_count
    if distance_km is not None:
        data["distanceKm"] = round(distance_km, 2)
        data["distanceMi"] = round(distance_km / _KM_PER_MILE, 2)
    return data


def _match_json(hit: StudyHit) -> Document | None:
    """trialfinder's addition to a study: its nearest matching site and the distance."""
    if hit.site is None:
        return None
    site = _site_json(hit.site, hit.distance_km)
    site.pop("trialCount", None)
    if hit.site_status:
        site["status"] = hit.site_status
    return {"nearestSite": site}


_SAMPLE_CRITERIA = """Inclusion Criteria:
- Age 6-18 years old, ECOG 0 to 2, eGFR >=30 ml/min/1.73m2
Exclusion Criteria:
- Received CAR-T therapy within 6 months prior to screening"""
_SAMPLE_NOTE = "A 12-year-old girl with lupus nephritis; creatinine 1.1 mg/dL."


def load_reading_rules() -> None:
    """Read a sample criteria text and a sample note once, so that each app process loads the
    criteria rules, units and note rules (about 1.5 s) when it starts, before it takes requests,
    and not on its first trial page or match while others wait behind it."""
    parse_criteria(_SAMPLE_CRITERIA)
    profile_from_note(_SAMPLE_NOTE)


def warm_up_process() -> None:
    """What each app process loads once before it takes requests: the reading rules and the
    compiled page templates."""
    load_reading_rules()
    compile_templates()


def create_app(store_url: str | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the app over the store at `store_url` (default: $TRIALFINDER_DATABASE).

    Pass `store` to serve an already open store (tests do); the app then leaves it open.
    """
    owned = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up_process()
        yield
        if owned:
            app.state.store.close()

    app = FastAPI(
        title="trialfinder",
        version=API_VERSION,
        description=(
            "Search a local mirror of ClinicalTrials.gov with the parameters and response "
            "shapes of the official API v2 (https://clinicaltrials.gov/data-api/api). "
            "Not supported: filter.advanced beyond the common AREA[...] forms, "
            "postFilter.*, query.outc, query.patient, and formats other than json and csv."
        ),
        lifespan=lifespan,
    )
    app.state.store = store if store is not None else open_store(store_url)
    app.add_middleware(_RequestLimits)
    _add_error_handlers(app)
    _add_routes(app)
    add_match_routes(app)
    install_web(app, app.state.store)  # the HTML pages at /, their static files and 404 page
    return app


class _RequestLimits:
    """Refuse over-long query strings (414) and over-large declared bodies (413) before routing,
    and add the security headers to every answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _over_limits(scope)
        if refused is not None:
            await refused(scope, receive, _with_headers(send))
            return
        await self.app(scope, receive, _with_headers(send))


def _over_limits(scope: Scope) -> Response | None:
    query: bytes = scope.get("query_string", b"")
    if len(query) > MAX_QUERY_BYTES:
        message = f"query string is {len(query):,} bytes; at most {MAX_QUERY_BYTES:,} are accepted"
        return _limit_response(scope, message, 414)
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            message = (
                f"request body is {int(value):,} bytes; at most {MAX_BODY_BYTES:,} are accepted"
            )
            return _limit_response(scope, message, 413)
    return None


def _limit_response(scope: Scope, message: str, status: int) -> Response:
    """The API's JSON error under /api/, a short HTML page for the website's pages."""
    if str(scope.get("path", "")).startswith("/api/"):
        return error_response(message, status)
    title = "Request too large" if status == 413 else "Address too long"
    body = (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>'
        f'<h1>{title}</h1><p>{html.escape(message)}.</p><p><a href="/">Back to trial search</a></p>'
    )
    return HTMLResponse(body, status)


def _with_headers(send: Send) -> Send:
    """`send`, adding the security headers an answer lacks."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in _SECURITY_HEADERS:
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _add_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, error: Exception) -> Response:
        return _error_for(error)

    for error_class in (QueryError, RequestValidationError, HTTPException, StoreError, Exception):
        app.add_exception_handler(error_class, handle)


def _error_for(error: Exception) -> Response:
    """Translate any exception into the error shape (the API's one translation point)."""
    if isinstance(error, PayloadTooLarge):
        return error_response(error.message, 413)
    if isinstance(error, QueryError):
        return error_response(error.message, 400)
    if isinstance(error, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
            for e in error.errors()
        )
        return error_response(f"invalid request: {problems}", 400)
    if isinstance(error, HTTPException):
        return error_response(str(error.detail), error.status_code)
    if isinstance(error, StoreError):
        log.error("store error: %s", error)
        return error_response(f"the store is unavailable: {error}", 503)
    log.exception("unexpected error")
    return error_response(f"internal error ({type(error).__name__}); see the server log", 500)


def _add_routes(app: FastAPI) -> None:
    @app.get("/api/v2/studies", tags=["studies"])
    def list_studies(
        request: Request,
        query_cond: Annotated[str | None, Query(alias="query.cond")] = None,
        query_term: Annotated[str | None, Query(alias="query.term")] = None,
        query_intr: Annotated[str | None, Query(alias="query.intr")] = None,
        query_titles: Annotated[str | None, Query(alias="query.titles")] = None,
        query_spons: Annotated[str | None, Query(alias="query.spons")] = None,
        query_locn: Annotated[str | None, Query(alias="query.locn")] = None,
        query_id: Annotated[str | None, Query(alias="query.id")] = None,
        filter_overall_status: Annotated[
            str | None,
            Query(
                alias="filter.overallStatus",
                description="Statuses separated by , or | (default: every status).",
            ),
        ] = None,
        filter_geo: Annotated[
            str | None,
            Query(
                alias="filter.geo",
                description="distance(lat,lon,50mi) or distance(Boston, MA,80km).",
            ),
        ] = None,
        filter_ids: Annotated[str | None, Query(alias="filter.ids")] = None,
        filter_advanced: Annotated[str | None, Query(alias="filter.advanced")] = None,
        filter_age: Annotated[
            str | None,
            Query(alias="filter.age", description="trialfinder: the patient's age in years."),
        ] = None,
        filter_country: Annotated[
            str | None, Query(alias="filter.country", description="trialfinder: countries.")
        ] = None,
        filter_ecog: Annotated[
            str | None,
            Query(
                alias="filter.ecog",
                description="trialfinder: the patient's ECOG grade (0-5); leaves out trials "
                "whose criteria, as read, ask for a lower one.",
            ),
        ] = None,
        filter_egfr: Annotated[
            str | None,
            Query(
                alias="filter.egfr",
                description="trialfinder: the patient's eGFR in mL/min/1.73 m²; leaves out "
                "trials whose criteria, as read, ask for a higher one.",
            ),
        ] = None,
        agg_filters: Annotated[
            str | None,
            Query(alias="aggFilters", description="e.g. phase:2 3,sex:f,ages:child,healthy:y"),
        ] = None,
        sort: Annotated[
            str | None,
            Query(description="@relevance, LastUpdatePostDate, StartDate, NCTId, distance"),
        ] = None,
        fields: FieldsParameter = None,
        format: Annotated[str | None, Query(description="json or csv")] = None,
        page_size: Annotated[
            str | None, Query(alias="pageSize", description=f"1 to {MAX_PAGE_SIZE}")
        ] = None,
        page_token: Annotated[str | None, Query(alias="pageToken")] = None,
        count_total: Annotated[str | None, Query(alias="countTotal")] = None,
    ) -> Response:
        """Search studies (ClinicalTrials.gov `GET /studies`)."""
        params = dict(request.query_params)
        _check_parameters(params, _STUDY_PARAMETERS)
        out_format = _format(params)
        query = query_from_params(params)
        paging = paging_from_params(params)
        field_paths = parse_fields(params.get("fields")) if out_format == "json" else None
        columns = csv_columns(params.get("fields")) if out_format == "csv" else []
        store = _store(request)
        page = search_studies(
            store,
            query,
            page_size=paging.page_size,
            page_token=paging.page_token,
            count_total=paging.count_total,
        )
        headers = {}
        if page.next_page_token:
            headers["x-next-page-token"] = page.next_page_token
        if page.total is not None:
            headers["x-total-count"] = str(page.total)
        if out_format == "csv":
            trials = list(store.get_trials_many([h.nct_id for h in page.hits]).values())
            return Response(
                trials_csv(trials, columns), media_type="text/csv; charset=utf-8", headers=headers
            )
        studies = []
        documents = study_documents(store, [hit.nct_id for hit in page.hits])
        for hit in page.hits:
            document = documents.get(hit.nct_id)
            if document is None:
                continue
            study = select_fields(document, field_paths)
            match = _match_json(hit)
            if match is not None and field_paths is None:
                study = {**study, "trialfinder": match}
            studies.append(study)
        body: Document = {"studies": studies}
        if page.next_page_token:
            body["nextPageToken"] = page.next_page_token
        if page.total is not None:
            body["totalCount"] = page.total
        return _json(body)

    @app.get("/api/v2/studies/{nctId}", tags=["studies"])
    def get_study(
        request: Request,
        nctId: Annotated[str, Path(description="e.g. NCT02513394")],
        fields: FieldsParameter = None,
        format: Annotated[str | None, Query(description="json or csv")] = None,
    ) -> Response:
        """One study (ClinicalTrials.gov `GET /studies/{nctId}`)."""
        params = dict(request.query_params)
        _check_parameters(params, frozenset({"fields", "format", "markupFormat"}))
        out_format = _format(params)
        nct_id = nctId
        wanted = nct_id.strip().upper()
        if not NCT_ID.fullmatch(wanted):
            raise QueryError(
                f"nctId {nct_id[:40]!r} is not an NCT id ('NCT' followed by 8 digits)", "nctId"
            )
        store = _store(request)
        if out_format == "csv":
            columns = csv_columns(params.get("fields"))
            trial = store.get_trial(wanted)
            if trial is None:
                return error_response(f"study {wanted} is not in this mirror", 404)
            return Response(trials_csv([trial], columns), media_type="text/csv; charset=utf-8")
        paths = parse_fields(params.get("fields"))
        document = study_document(store, wanted)
        if document is None:
            return error_response(f"study {wanted} is not in this mirror", 404)
        return _json(select_fields(document, paths))

    @app.get("/api/v2/facets", tags=["studies"])
    def facets(request: Request) -> Response:
        """Counts of matching studies per status, phase, study type, sex, age group and country.

        Takes the search parameters of `/api/v2/studies`. Studies without a phase count as NONE.
        """
        params = dict(request.query_params)
        _check_parameters(params, frozenset(SEARCH_PARAMETERS))
        store = _store(request)
        query = query_from_params(params)
        counts = facet_counts(store, query)
        total = sum(counts["overallStatus"].values())
        return _json(
            {
                "totalCount": total,
                "facets": [
                    {
                        "field": name,
                        "values": [{"value": v, "count": c} for v, c in values.items()],
                    }
                    for name, values in counts.items()
                ],
            }
        )

    @app.get("/api/v2/sites", tags=["sites"])
    def sites(
        request: Request,
        query: Annotated[
            str | None, Query(description="Words in the facility, city, state or country.")
        ] = None,
        filter_geo: Annotated[str | None, Query(alias="filter.geo")] = None,
        filter_country: Annotated[str | None, Query(alias="filter.country")] = None,
        page_size: Annotated[str | None, Query(alias="pageSize")] = None,
        page_token: Annotated[str | None, Query(alias="pageToken")] = None,
    ) -> Response:
        """Search research sites: nearest first with filter.geo, else those with most trials."""
        params = dict(request.query_params)
        _check_parameters(params, _SITE_PARAMETERS)
        paging = paging_from_params(params)
        geo = parse_geo(params["filter.geo"]) if params.get("filter.geo") else None
        countries = tuple(
            c.strip() for c in params.get("filter.country", "").split(",") if c.strip()
        )
        page = find_sites(
            _store(request),
            text=params.get("query", ""),
            countries=countries,
            geo=geo,
            page_size=paging.page_size,
            page_token=paging.page_token,
        )
        body: Document = {
            "sites": [_site_json(site, distance) for site, distance in page.sites],
            "totalCount": page.total,
        }
        if page.next_page_token:
            body["nextPageToken"] = page.next_page_token
        return _json(body)

    @app.get("/api/v2/sites/{siteId}", tags=["sites"])
    def site(
        request: Request, siteId: Annotated[str, Path(description="From /api/v2/sites")]
    ) -> Response:
        """One research site with the stored trials held there."""
        site_id = siteId
        store = _store(request)
        found = store.get_site(site_id) if len(site_id) <= 64 else None
        if found is None:
            return error_response(f"site {site_id[:64]!r} is not in this mirror", 404)
        site, trials = found
        data = _site_json(site)
        studies = []
        for nct_id, status in trials:
            trial = store.get_trial(nct_id)
            studies.append(
                {
                    "nctId": nct_id,
                    "briefTitle": trial.brief_title if trial else "",
                    "overallStatus": trial.overall_status if trial else "",
                    "locationStatus": status,
                }
            )
        data["studies"] = studies
        return _json(data)

    @app.get("/api/v2/version", tags=["meta"])
    def version(request: Request) -> Response:
        """API version and data timestamp (ClinicalTrials.gov `GET /version`)."""
        stats = _store(request).stats()
        timestamp = f"{stats.last_update_posted}T00:00:00" if stats.last_update_posted else ""
        return _json({"apiVersion": API_VERSION, "dataTimestamp": timestamp})

    @app.get("/api/v2/stats/size", tags=["meta"])
    def size_stats(request: Request) -> Response:
        """Study record sizes (ClinicalTrials.gov `GET /stats/size`)."""
        return _json(size_statistics(_store(request).record_sizes()))

    @app.get(
        "/api/v2/studies/{nctId}/criteria",
        tags=["studies"],
        response_model=None,
        responses={200: {"model": CriteriaReadingModel}},
    )
    def study_criteria(
        request: Request,
        nctId: Annotated[str, Path(description="e.g. NCT02513394")],
    ) -> Response:
        """How the criteria engine reads one study's eligibility criteria, item by item."""
        from trialfinder.criteria.reading import decode_reading, read_trial_criteria

        _check_parameters(dict(request.query_params), frozenset())
        wanted = nctId.strip().upper()
        if not NCT_ID.fullmatch(wanted):
            raise QueryError(
                f"nctId {nctId[:40]!r} is not an NCT id ('NCT' followed by 8 digits)", "nctId"
            )
        store = _store(request)
        stored = store.get_criteria(wanted)
        if stored is not None:
            version, data = stored.engine_version, stored.data
        else:  # not reparsed yet: read it now
            trial = store.get_trial(wanted)
            if trial is None:
                return error_response(f"study {wanted} is not in this mirror", 404)
            reading = read_trial_criteria(
                trial.nct_id,
                trial.eligibility_criteria,
                tuple(m.term for m in trial.condition_mesh),
            )
            version, data = reading.engine_version, reading.data
        parsed = msgspec.to_builtins(decode_reading(data))
        return _json(
            {"nctId": wanted, "engineVersion": version, "stored": stored is not None, **parsed}
        )


def size_statistics(sizes: list[tuple[str, int]]) -> Document:
    """The `/stats/size` answer: average, largest, percentiles and size ranges of records."""
    if not sizes:
        return {
            "averageSizeBytes": 0,
            "largestStudies": [],
            "percentiles": {},
            "ranges": [],
            "totalStudies": 0,
        }
    values = sorted(size for _, size in sizes)
    largest = sorted(sizes, key=lambda item: (-item[1], item[0]))[:10]

    def percentile(p: int) -> int:
        return values[min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1)]

    ranges: dict[int, int] = {}
    for size in values:
        ranges[size // 10_000] = ranges.get(size // 10_000, 0) + 1
    return {
        "averageSizeBytes": round(sum(values) / len(values)),
        "largestStudies": [{"id": nct_id, "sizeBytes": size} for nct_id, size in largest],
        "percentiles": {str(p): percentile(p) for p in (5, 10, 25, 50, 75, 90, 95)},
        "ranges": [
            {"sizeRange": f"{k * 10}KB-{(k + 1) * 10}KB", "studiesCount": count}
            for k, count in sorted(ranges.items())
        ],
        "totalStudies": len(values),
    }


class CriteriaItemModel(BaseModel):
    """One criterion: its text, span in the criteria text, nesting and constraints."""

    text: str
    start: int
    end: int
    depth: int
    parent: int | None
    constraints: list[dict[str, Any]] = Field(
        description="Each has kind, span (into text), confidence and rule (the rule's name)."
    )


class CriteriaReadingModel(BaseModel):
    """The answer of `GET /api/v2/studies/{nctId}/criteria`."""

    nctId: str
    engineVersion: str
    stored: bool = Field(description="False when read on request because not yet reparsed.")
    inclusion: list[CriteriaItemModel]
    exclusion: list[CriteriaItemModel]
