"""Rendering: the Jinja environment, security headers, the Content-Security-Policy, settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
import msgspec
from fastapi.responses import HTMLResponse, JSONResponse, Response

TILE_URL_SETTING = "TRIALFINDER_TILE_URL"
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"

NAVIGATION = (
    ("/", "Clinical trials", "trials"),
    ("/sites", "Research sites", "sites"),
    ("/match", "Find trials for a patient", "match"),
    ("/resources", "Resources", "resources"),
    ("/legal", "Legal", "legal"),
)


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the website is set up: the map tile server (empty: no tiles, markers only)."""

    tile_url: str = DEFAULT_TILE_URL
    tile_attribution: str = DEFAULT_TILE_ATTRIBUTION

    @classmethod
    def from_environment(cls) -> WebSettings:
        """Settings from $TRIALFINDER_TILE_URL (set it empty to show maps without tiles)."""
        tile_url = os.environ.get(TILE_URL_SETTING, DEFAULT_TILE_URL).strip()
        attribution = DEFAULT_TILE_ATTRIBUTION if tile_url == DEFAULT_TILE_URL else ""
        return cls(tile_url=tile_url, tile_attribution=attribution)

    def content_security_policy(self) -> str:
        """A strict policy: scripts and styles only from our own files; tiles from their server."""
        images = "'self' data:"
        if self.tile_url:
            parts = urlsplit(self.tile_url.replace("{s}", "a"))
            host = parts.netloc.replace("a.", "*.", 1) if "{s}" in self.tile_url else parts.netloc
            images += f" {parts.scheme}://{host}"
        return "; ".join(
            (
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                f"img-src {images}",
                "connect-src 'self'",
                "font-src 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
                "base-uri 'none'",
            )
        )


def security_headers(settings: WebSettings) -> dict[str, str]:
    """Headers every HTML page carries."""
    return {
        "Content-Security-Policy": settings.content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def _map_points(sites: list[Any]) -> str:
    points = [
        {"name": site.facility, "lat": site.lat, "lon": site.lon, "url": site.url}
        for site in sites
        if site.lat is not None and site.lon is not None
    ]
    return msgspec.json.encode(points).decode()


def atom_date(value: str) -> str:
    """A registry date (``2015``, ``2015-08`` or ``2015-08-31``) as an Atom timestamp."""
    parts = (value.split("-") + ["01", "01"])[:3]
    return "-".join(parts) + "T00:00:00Z"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("trialfinder.web", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml", "atom"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["status_class"] = lambda status: (
        "status-" + (str(status).lower().replace("_", "-") or "unknown")
    )
    environment.filters["map_points"] = _map_points
    environment.filters["atom_date"] = atom_date
    return environment


TEMPLATES = _environment()


def compile_templates() -> None:
    """Compile every template now (about 50 ms), so that an app process does it when it
    starts, not on its first pages while requests queue behind them."""
    for name in TEMPLATES.list_templates():
        TEMPLATES.get_template(name)


class Renderer:
    """Renders pages with the site-wide context and headers."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.headers = security_headers(settings)

    def page(
        self, template: str, context: dict[str, Any], *, status_code: int = 200
    ) -> HTMLResponse:
        """Render `template` (a full page or an htmx fragment) with the navigation and settings."""
        html = TEMPLATES.get_template(template).render(
            navigation=NAVIGATION, settings=self.settings, **context
        )
        return HTMLResponse(html, status_code=status_code, headers=self.headers)

    def feed(self, context: dict[str, Any]) -> Response:
        """Render the Atom feed of a search."""
        xml = TEMPLATES.get_template("feed.atom").render(**context)
        return Response(
            xml,
            media_type="application/atom+xml; charset=utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )


def json_twin(data: Any, *, status_code: int = 200) -> JSONResponse:
    """The JSON twin of a page: the same data object the template received."""
    return JSONResponse(msgspec.to_builtins(data), status_code=status_code)
