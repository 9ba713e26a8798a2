"""The patient-facing website: server-rendered pages over a store, with small enhancements.

`install_web(app, store)` adds everything to a FastAPI app; `create_web_router` and
`mount_static` are the parts, for apps that want to arrange them differently.
"""

from __future__ import annotations

from trialfinder.web._render import WebSettings
from trialfinder.web._routes import (
    create_web_app,
    create_web_router,
    install_error_pages,
    install_web,
    mount_static,
)

__all__ = [
    "WebSettings",
    "create_web_app",
    "create_web_router",
    "install_error_pages",
    "install_web",
    "mount_static",
]
