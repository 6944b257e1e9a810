"""The interactive API page (``/docs``), served with no network: Swagger UI from a package.

Job: FastAPI's own ``/docs`` loads Swagger UI from a CDN, so it shows nothing on a machine without
internet access and sends every trainee's browser to a third party. This page is FastAPI's
``get_swagger_ui_html`` pointed at the Swagger UI files of the ``swagger-ui-bundle`` package
(Apache-2.0), mounted under ``/docs-static``; ``/openapi.json`` stays FastAPI's.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

STATIC = "/docs-static"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets on ``app`` (created with ``docs_url=None``)."""
    app.mount(STATIC, StaticFiles(directory=swagger_ui_path), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
