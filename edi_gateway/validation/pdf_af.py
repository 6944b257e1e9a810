"""The catalog ``/AF`` (associated files) array of a PDF: which file plays which role.

Job: :func:`catalog_relationships` for :func:`edi_gateway.validation.pdf.read_pdf`. PDF/A-3
(ISO 19005-3) lists every embedded file in the document catalog's ``/AF`` array, each file
specification carrying an ``/AFRelationship`` (``Source``, ``Data``, ``Alternative``,
``Supplement``, ``Unspecified``). Factur-X 1.0x (section on the embedded XML file, "Data
relationship") gives the invoice XML the relationship ``Data``, ``Alternative`` or ``Source``, the
same three values the factur-x package accepts for it (``facturx.XML_AFRelationship``); additional
attachments are ``Supplement`` or ``Unspecified``. When a PDF carries two invoice XMLs, the one
so designated is the invoice (:mod:`edi_gateway.validation.detect_pdf`). Nothing here raises.
"""

from __future__ import annotations

from typing import Any

#: /AFRelationship values that designate the invoice XML (Factur-X 1.0x; facturx 7.8
#: ``XML_AFRelationship`` = data, source, alternative), without the leading slash.
INVOICE_RELATIONSHIPS = frozenset({"Data", "Alternative", "Source"})


def catalog_relationships(catalog: Any) -> dict[str, str]:
    """``{lower-cased file name: relationship}`` of the file specifications in ``catalog['/AF']``.

    Args:
        catalog: the pypdf document catalog (``reader.root_object``).

    Returns:
        Each file specification's ``/UF`` and ``/F`` name (lower-cased) mapped to its
        ``/AFRelationship`` without the slash (``"Alternative"``), ``"Unspecified"`` when absent
        (PDF 2.0 default). Empty when there is no ``/AF`` array or it cannot be read (a damaged
        array is already a GW-PDF-04 warning of :mod:`edi_gateway.validation.pdf`).
    """
    found: dict[str, str] = {}
    try:
        af = catalog.get("/AF")
        for ref in af.get_object() if af is not None else ():
            spec = ref.get_object()
            relationship = str(spec.get("/AFRelationship", "/Unspecified")).lstrip("/")
            for key in ("/UF", "/F"):
                if spec.get(key) is not None:
                    found.setdefault(str(spec[key].get_object()).lower(), relationship)
    except Exception:  # pypdf: any exception type on a damaged /AF array
        return found
    return found
