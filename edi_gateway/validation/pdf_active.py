"""Active content in a PDF: JavaScript, which PDF/A-3 (hence Factur-X) forbids.

Job: :func:`javascript_in` says where a PDF carries JavaScript (ISO 19005-3 §6.6.1: no
JavaScript action and no ``/JavaScript`` name tree; §6.6.2 additional actions), so the gateway
never delivers a script to a public buyer: the document catalog's ``/Names /JavaScript`` tree and
``/OpenAction``, the catalog's and each page's ``/AA``, and each annotation's ``/A`` and ``/AA``
(the first 1,000 pages, each action chain followed through ``/Next`` up to 50 steps). Input: an
open ``pypdf.PdfReader``; output: a short description of the first place found, or None. Never
raises (a damaged part is skipped).
"""

from __future__ import annotations

import contextlib
from typing import Any

MAX_PAGES = 1000
MAX_CHAIN = 50


def _resolve(value: Any) -> Any:
    with contextlib.suppress(Exception):
        return value.get_object() if hasattr(value, "get_object") else value
    return None


def _is_javascript(action: Any) -> bool:
    for _ in range(MAX_CHAIN):
        action = _resolve(action)
        if not hasattr(action, "get"):
            return False
        if str(action.get("/S", "")) == "/JavaScript" or "/JS" in action:
            return True
        action = action.get("/Next")
        if isinstance(_resolve(action), list):
            return any(_is_javascript(a) for a in _resolve(action)[:MAX_CHAIN])
    return False


def _in_actions(holder: Any) -> bool:
    holder = _resolve(holder)
    if not hasattr(holder, "get"):
        return False
    if _is_javascript(holder.get("/A")) or _is_javascript(holder.get("/OpenAction")):
        return True
    triggers = _resolve(holder.get("/AA"))
    return hasattr(triggers, "values") and any(_is_javascript(a) for a in triggers.values())


def javascript_in(reader: Any) -> str | None:
    """Where ``reader``'s PDF holds JavaScript (``catalog /Names /JavaScript``, ``catalog
    action``, ``page 3``, ``page 3 annotation``), or None."""
    with contextlib.suppress(Exception):
        catalog = _resolve(reader.trailer["/Root"])
        names = _resolve(catalog.get("/Names"))
        if hasattr(names, "get") and names.get("/JavaScript") is not None:
            return "catalog /Names /JavaScript"
        if _in_actions(catalog):
            return "catalog action"
    with contextlib.suppress(Exception):
        for number, page in enumerate(reader.pages, start=1):
            if number > MAX_PAGES:
                break
            if _in_actions(page):
                return f"page {number}"
            for annotation in _resolve(page.get("/Annots")) or []:
                if _in_actions(annotation):
                    return f"page {number} annotation"
    return None
