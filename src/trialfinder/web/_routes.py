"""The website's routes: thin shells that call a data function, then render HTML or JSON."""

from __future__ import annotations

import inspect
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from trialfinder.criteria.constraints import ParsedCriteria
from trialfinder.errors import QueryError
from trialfinder.match import parsed_criteria_of
from trialfinder.model import Trial
from trialfinder.present import official_url
from trialfinder.search import Place, resolve_place
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store.base import Store
from trialfinder.web._match_pages import (
    MAX_ANSWERS_BYTES,
    CheckPanel,
    FormTooLarge,
    check_panel_data,
    install_match_pages,
    read_form,
)
from trialfinder.web._render import Renderer, WebSettings, json_twin
from trialfinder.web._search_page import FEED_SIZE, SearchForm, search_page_data
from trialfinder.web._site_pages import site_page_data, site_search_data
from trialfinder.web._trial_page import trial_page_data

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api/"
_DIGITS = re.compile(r"\d+")


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


class _DataDate:
    """The date the store's data was last updated, re-read at most once a minute."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.value = ""
        self.read_at = 0.0

    def get(self) -> str:
        if time.monotonic() - self.read_at > 60:
            self.value = self.store.get_state("last_sync") or self.store.stats().last_update_posted
            self.read_at = time.monotonic()
        return self.value


def not_found_context(path: str) -> dict[str, Any]:
    """What the 404 page says about `path`: a mistyped NCT number leads to a search for it."""
    last = path.rstrip("/").rsplit("/", 1)[-1][:80]
    suggestions: list[tuple[str, str]] = []
    digits = "".join(_DIGITS.findall(last))
    if path.startswith("/trials/") or last.upper().startswith("NCT"):
        if len(digits) == 8 and f"NCT{digits}" != last:
            suggestions.append((f"/trials/NCT{digits}", f"Trial NCT{digits}"))
        if last:
            suggestions.append((f"/?q={last}", f"Search the trials for “{last}”"))
    return {"path": path, "suggestions": suggestions}


def create_web_router(store: Store, settings: WebSettings | None = None) -> APIRouter:
    """The HTML pages (search, trial, sites, resources, legal) over `store`.

    Mount the static files too (`mount_static`) and, for friendly 404 and error pages, install
    the handlers (`install_error_pages`); `install_web` does all three.
    """
    renderer = Renderer(settings or WebSettings.from_environment())
    data_date = _DataDate(store)
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def search_page(request: Request) -> Response:
        try:
            form = SearchForm.from_params(_params(request))
        except QueryError as error:
            page = replace(search_page_data(store, SearchForm()), error=error.message)
            context = {"page": page, "current": "trials", "data_date": data_date.get()}
            return renderer.page("search.html", context, status_code=400)
        page = search_page_data(store, form)
        status = 400 if page.error else 200
        if _wants_json(request):
            return json_twin(page, status_code=status)
        # htmx requests get the whole page too and pick out #search (hx-select).
        context = {"page": page, "current": "trials", "data_date": data_date.get()}
        return renderer.page("search.html", context, status_code=status)

    @router.get("/trials")
    def trials_list(request: Request) -> Response:
        # The trial list is the search page; /trials is where people guess it is.
        query = request.url.query
        return Response(status_code=308, headers={"Location": "/" + (f"?{query}" if query else "")})

    @router.get("/feed.atom")
    def search_feed(request: Request) -> Response:
        try:
            form = SearchForm.from_params(_params(request))
        except QueryError:
            form = SearchForm()
        page = search_page_data(store, form, page_size=FEED_SIZE, newest_first=True)
        base = str(request.base_url).rstrip("/")
        updated = max((card.last_update_posted for card in page.results), default="")
        return renderer.feed(
            {
                "page": page,
                "base": base,
                "self_url": base + "/feed.atom" + form.query_string(),
                "updated": updated or datetime.now(UTC).date().isoformat(),
            }
        )

    def trial_response(
        request: Request,
        trial: Trial,
        parsed: ParsedCriteria,
        panel: CheckPanel,
        *,
        status_code: int = 200,
    ) -> Response:
        place: Place | None = None
        place_error = ""
        if place_text := request.query_params.get("place", "").strip()[:200]:
            try:
                place = resolve_place(place_text, "place")
            except QueryError as error:
                place_error = error.message
        page = trial_page_data(trial, place, parsed)
        if _wants_json(request):
            return json_twin(page)
        context = {
            "page": page,
            "check": panel,
            "current": "trials",
            "place_error": place_error,
            "data_date": data_date.get(),
        }
        return renderer.page("trial.html", context, status_code=status_code)

    @router.get("/trials/{nct_id}")
    def trial_page(request: Request, nct_id: str) -> Response:
        normal = nct_id.strip().upper()
        if normal != nct_id and NCT_ID.fullmatch(normal):
            return Response(status_code=308, headers={"Location": f"/trials/{normal}"})
        trial = store.get_trial(nct_id) if NCT_ID.fullmatch(nct_id) else None
        if trial is None:
            raise StarletteHTTPException(404)
        parsed = parsed_criteria_of(trial, store)
        return trial_response(request, trial, parsed, check_panel_data(trial, parsed))

    @router.post("/trials/{nct_id}")
    async def trial_check(request: Request, nct_id: str) -> Response:
        # The eligibility panel's answers: the trial page with the verdict in the panel, or
        # (for htmx) the panel alone. POST keeps answers out of URLs and access logs.
        # The form is read here, on the event loop; the store and the criteria in the thread
        # pool, so that the process answers other requests meanwhile.
        normal = nct_id.strip().upper()
        form_error: QueryError | None = None
        try:
            form = await read_form(request, MAX_ANSWERS_BYTES)
        except QueryError as error:  # FormTooLarge too
            form, form_error = {}, error
        answers = {k: v for k, v in form.items() if isinstance(v, str)}
        return await run_in_threadpool(check_response, request, normal, answers, form_error)

    def check_response(
        request: Request, nct_id: str, answers: dict[str, str], form_error: QueryError | None
    ) -> Response:
        """The trial page, or its panel alone, with the verdict on `answers` (blocking)."""
        trial = store.get_trial(nct_id) if NCT_ID.fullmatch(nct_id) else None
        if trial is None:
            raise StarletteHTTPException(404)
        parsed = parsed_criteria_of(trial, store)
        try:
            if form_error is not None:
                raise form_error
            panel = check_panel_data(trial, parsed, answers)
            status = 400 if panel.error else 200
        except QueryError as error:
            status = 413 if isinstance(error, FormTooLarge) else 400
            panel = replace(check_panel_data(trial, parsed), error=error.message)
        if request.headers.get("hx-request") == "true":
            return renderer.page("_check_panel.html", {"check": panel}, status_code=status)
        return trial_response(request, trial, parsed, panel, status_code=status)

    @router.get("/sites")
    def sites_page(request: Request) -> Response:
        page = site_search_data(store, _params(request))
        status = 400 if page.error else 200
        if _wants_json(request):
            return json_twin(page, status_code=status)
        return renderer.page("sites.html", {"page": page, "current": "sites"}, status_code=status)

    @router.get("/sites/{site_id}")
    def site_page(request: Request, site_id: str) -> Response:
        page = site_page_data(store, site_id[:64])
        if page is None:
            raise StarletteHTTPException(404)
        if _wants_json(request):
            return json_twin(page)
        return renderer.page("site.html", {"page": page, "current": "sites"})

    @router.get("/resources")
    def resources_page() -> Response:
        return renderer.page("resources.html", {"current": "resources"})

    @router.get("/legal")
    def legal_page() -> Response:
        return renderer.page(
            "legal.html", {"current": "legal", "registry_url": official_url("").rstrip("/")}
        )

    return router


def mount_static(app: FastAPI) -> None:
    """Serve the website's CSS, scripts and vendored libraries under /static."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


async def _call(handler: Any, request: Request, error: Exception) -> Response:
    # Exception handlers may be plain functions or coroutines.
    result = handler(request, error)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def install_error_pages(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Answer 404s and errors outside /api/ with helpful HTML pages; /api/ keeps its JSON."""
    renderer = Renderer(settings or WebSettings.from_environment())
    previous = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
    previous_500 = app.exception_handlers.get(Exception)

    async def on_http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if request.url.path.startswith(API_PREFIX) or error.status_code != 404:
            return await _call(previous, request, error)
        context = {"current": "", **not_found_context(request.url.path)}
        return renderer.page("not_found.html", context, status_code=404)

    async def on_crash(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX) and previous_500 is not None:
            return await _call(previous_500, request, error)
        context = {"current": "", "message": "Something went wrong on our side."}
        return renderer.page("error.html", context, status_code=500)

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_crash)


def install_web(app: FastAPI, store: Store, settings: WebSettings | None = None) -> None:
    """Add the website to an app: its pages at /, its static files, its 404 and error pages."""
    settings = settings or WebSettings.from_environment()
    app.include_router(create_web_router(store, settings))
    install_match_pages(app, store, settings)
    mount_static(app)
    install_error_pages(app, settings)


def create_web_app(store_url: str | None = None) -> FastAPI:
    """A website-only app over the store at `store_url` (the full app is `trialfinder serve`)."""
    from trialfinder.store import open_store

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_web(app, open_store(store_url, read_only=True))
    return app
