"""``/portail/saisie``: Saisie d'une facture, the course's practical exercise.

Job: the form (recipient from the directory, then its services; billing framework; type 380 /
381; number; dates; engagement and contract references; lines with quantity, unit price and VAT
rate; payment terms; UBL or CII), its check and computation
(:mod:`edi_gateway.web.portal.entry_model`: errors next to their field, the VAT breakdown and
totals shown), the drafts ("brouillon": saved, listed, resumed), and the deposit: the invoice
XML (:mod:`edi_gateway.web.portal.entry_xml`) goes through the same pipeline as a dropped file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from edi_gateway.web.deposit_ops import name_problem
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal import deposits
from edi_gateway.web.portal.common import PREFIX, check_csrf, page_user, render, service
from edi_gateway.web.portal.entry_model import LINES, RATES, Entry, Errors, read_entry
from edi_gateway.web.portal.entry_values import MIME, Attachment
from edi_gateway.web.portal.entry_xml import build
from edi_gateway.web.portal.suppliers import suppliers
from edi_gateway.web.reference_ops import billing_frameworks

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SYNTAX = {"UBL": "IN_DP_E1_UBL_INVOICE", "CII": "IN_DP_E1_CII_16B"}
MAX_FIELD = 500
ATTACHMENT_BYTES = 5 * 1024 * 1024  # Chorus Pro: < 10 MB per attachment (§1.5); kept small
ATTACHMENT_NAME = 50  # NomPJ maxLength in CPPFacturePivot (§1.5)


async def _attachment(upload: Any, errors: dict[str, tuple[str, str]]) -> Attachment | None:
    """The optional attachment (BG-24) of the form, checked: a name of at most 50 characters
    with an extension EN 16931 takes (pdf, png, jpg, csv), at most 5 MiB; else an error on
    ``piece``."""
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        return None
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    data = await upload.read(ATTACHMENT_BYTES + 1)
    if name_problem(name) or len(name) > ATTACHMENT_NAME or extension not in MIME:
        errors["piece"] = (
            "Pièce jointe : nom de 50 caractères au plus, en .pdf, .png, .jpg ou .csv.",
            "Attachment: a name of 50 characters at most, .pdf, .png, .jpg or .csv.",
        )
    elif len(data) > ATTACHMENT_BYTES:
        errors["piece"] = ("Pièce jointe de 5 Mo au plus.", "Attachment of 5 MB at most.")
    else:
        return name, data
    return None


def _supplier_siret(request: Request) -> str:
    user = page_user(request)
    sirets = [s for s in user.sirets("factures_emises") if s in suppliers()]
    if not sirets:
        raise ApiError(403, "pas de fiche fournisseur pour vos structures | no supplier record")
    return sirets[0]


def _page(
    request: Request,
    values: dict[str, str],
    status: int = 200,
    checked: tuple[Entry, Errors] | None = None,
    show_errors: bool = True,
    **extra: Any,
) -> Response:
    """The form with ``values``; ``checked`` is their :func:`read_entry` when already made."""
    directory = service(request).directory.current()
    structure = directory.structure(values.get("destinataire"))
    entry, errors = checked or read_entry(values, directory, datetime.now(UTC).date())
    return render(
        request,
        "entry.html",
        status,
        values=values,
        structures=[s for s in directory.structures if s.active],
        structure=structure,
        entry=entry,
        errors=errors if show_errors else {},
        lines=range(LINES),
        rates=RATES,
        frameworks=billing_frameworks(),
        drafts=service(request).store().drafts(page_user(request).login),
        today=datetime.now(UTC).date(),
        **extra,
    )


@router.get("/saisie")
def entry_form(
    request: Request,
    destinataire: str = "",
    brouillon: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The empty form (or a draft resumed); ``destinataire`` preselects the recipient."""
    _supplier_siret(request)
    values: dict[str, str] = {"destinataire": destinataire}
    if brouillon is not None:
        saved = service(request).store().draft(page_user(request).login, brouillon)
        if saved is None:
            raise ApiError(404, "brouillon inconnu | no such draft")
        values = {**saved, "brouillon": str(brouillon)}
    return _page(request, values, show_errors=False)


@router.post("/saisie")
async def entry_submit(request: Request) -> Response:
    """``action``: ``calculer`` (check and show totals), ``brouillon`` (save), ``deposer``."""
    form = await request.form()
    values = {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.pop("csrf", None))
    action = values.pop("action", "calculer")
    siret = _supplier_siret(request)
    login = page_user(request).login
    ctx = service(request)
    text = values.get("brouillon", "")
    draft = int(text) if text.isdigit() and len(text) < 18 else None
    if action == "brouillon":
        fields = {k: v for k, v in values.items() if k != "brouillon"}
        saved = ctx.store().save_draft(login, fields, draft)
        return _page(request, {**fields, "brouillon": str(saved)}, saved=saved)
    directory = ctx.directory.current()
    entry, errors = read_entry(values, directory, datetime.now(UTC).date())
    attachment = await _attachment(form.get("piece"), errors) if action == "deposer" else None
    if action != "deposer" or errors:
        status = 422 if errors and action == "deposer" else 200
        return _page(request, values, status, (entry, errors))
    buyer = directory.structure(entry.recipient)
    if buyer is None:  # checked by read_entry; the directory may have changed since
        return _page(request, values, 422, (entry, errors))
    data = build(entry, suppliers()[siret], buyer, attachment)
    name = f"saisie-{entry.number}.xml"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    id_flux = await deposits.deposit(request, siret, safe, data, SYNTAX[entry.syntax])
    if draft is not None:
        ctx.store().delete_draft(login, draft)
    return RedirectResponse(f"{PREFIX}/flux/{id_flux}", status_code=303)
