"""An invoice entered by hand on the portal (Saisie): the form's values checked and computed.

Job: :func:`read_entry` turns the form's fields into an :class:`Entry` (lines, VAT breakdown and
totals computed with decimals, rounded half-up to the cent) and a dict of errors by field, each
in French and English. The checks are those the reception would make, on the form, so that the
error shows next to its field: the recipient is an active structure of the directory; the service
code is given when the structure requires one (``codeServiceDoitEtreRenseigne``, CPP-REC-04),
exists, is active and open at the invoice date (CPP-REC-05..07); the engagement number (BT-13)
is given when the structure or the service requires one (CPP-REC-08, 09), or one of the two
when ``gestionNumeroEJOuCodeService`` (CPP-REC-10); the number (BT-1) has 1-20 characters
(CPP-REC-13, 20); the date (BT-2) is a real date, not in the future (CPP-REC-15, 19); the type is
380 or 381 (CPP-REC-14). Sources: ``../shared/domain/chorus-pro.md`` §2.3, docs/reception.md,
EN 16931-1 (BT-/BG- terms, VAT categories S and Z).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from edi_gateway.reception.envelope import HISTORIC_FRAMEWORKS, REFORM_FRAMEWORKS
from edi_gateway.reception.structures import Directory, Structure

LINES = 5  # line rows on the form
RATES = ("20", "10", "5.5", "2.1", "0")
TYPES = ("380", "381")
CENT = Decimal("0.01")
FRAMEWORKS = HISTORIC_FRAMEWORKS | REFORM_FRAMEWORKS  # BT-23 values the reception keeps
Errors = dict[str, tuple[str, str]]
Getter = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Line:
    """BG-25: name (BT-153), quantity (BT-129), unit net price (BT-146), VAT rate (BT-152),
    net amount (BT-131); ``row`` is its row on the form."""

    name: str
    quantity: Decimal
    price: Decimal
    rate: Decimal
    net: Decimal
    row: int = 0

    @property
    def category(self) -> str:
        """BT-151: S standard rate, Z zero rate."""
        return "Z" if self.rate == 0 else "S"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """The checked invoice: header, lines, VAT breakdown (BG-23) and totals (BG-22)."""

    recipient: str
    service: str
    framework: str
    type_code: str
    number: str
    issue_date: date | None
    due_date: date | None
    engagement: str
    contract: str
    terms: str
    syntax: str
    lines: tuple[Line, ...] = ()
    breakdown: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()  # (rate, taxable, VAT)
    total_net: Decimal = Decimal("0.00")
    total_vat: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")


MAX_AMOUNT = Decimal("1000000000")  # a quantity or unit price above this is a typing error
MAX_TEXT = {"designation": 200, "contrat": 60, "conditions": 200}  # BT-1, BT-13: CPP-REC-13/17


def _decimal(text: str) -> Decimal | None:
    """A number as typed (``12,50`` or ``12.50``), at most 6 decimals and under
    :data:`MAX_AMOUNT` in size; None otherwise."""
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        return None
    exponent = value.as_tuple().exponent
    return value if isinstance(exponent, int) and exponent >= -6 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def read_entry(form: dict[str, str], directory: Directory, today: date) -> tuple[Entry, Errors]:
    """The entry and its errors (empty when it can be built and deposited).

    Args:
        form: the submitted fields (strings; missing fields count as empty).
        directory: the structures directory in force.
        today: the deposit date (an invoice may not be dated after it).
    """

    def get(key: str) -> str:
        return str(form.get(key, "")).strip()

    errors: Errors = {}
    structure = _recipient(get("destinataire"), directory, errors)
    issue = _date(get("date"))
    _header(get, issue, today, errors)
    if structure is not None:
        _routing(structure, get("service"), get("engagement"), issue, errors)
    lines = _lines(get, errors)
    if not lines and "lignes" not in errors:
        errors["lignes"] = ("Saisissez au moins une ligne.", "Enter at least one line.")
    rates: dict[Decimal, Decimal] = {}
    for line in lines:
        rates[line.rate] = rates.get(line.rate, Decimal("0")) + line.net
    breakdown = tuple(
        (rate, taxable, (taxable * rate / 100).quantize(CENT, ROUND_HALF_UP))
        for rate, taxable in sorted(rates.items(), reverse=True)
    )
    net = sum((b[1] for b in breakdown), Decimal("0.00"))
    vat = sum((b[2] for b in breakdown), Decimal("0.00"))
    entry = Entry(
        recipient=get("destinataire"),
        service=get("service"),
        framework=get("cadre") or "A1",
        type_code=get("type") or "380",
        number=get("numero"),
        issue_date=issue,
        due_date=_date(get("echeance")),
        engagement=get("engagement"),
        contract=get("contrat"),
        terms=get("conditions"),
        syntax=get("syntaxe") or "UBL",
        lines=tuple(lines),
        breakdown=breakdown,
        total_net=net,
        total_vat=vat,
        total=net + vat,
    )
    return entry, errors


def _recipient(siret: str, directory: Directory, errors: Errors) -> Structure | None:
    if not siret:
        errors["destinataire"] = ("Choisissez le destinataire.", "Choose the recipient.")
        return None
    structure = directory.structure(siret)
    if structure is None:
        errors["destinataire"] = ("Structure inconnue de l'annuaire.", "Not in the directory.")
    elif not structure.active:
        errors["destinataire"] = ("Cette structure est inactive.", "This structure is inactive.")
        return None
    return structure


def _header(get: Getter, issue: date | None, today: date, errors: Errors) -> None:
    number = get("numero")
    invisible = any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in number)
    if not number or invisible:
        errors["numero"] = ("Saisissez le numéro de facture.", "Enter the invoice number.")
    elif len(number) > 20:
        errors["numero"] = ("20 caractères au plus (CPP-REC-13).", "20 characters at most.")
    if issue is None or not 1900 <= issue.year <= 2099:
        errors["date"] = ("Date de facture invalide (AAAA-MM-JJ).", "Invalid date (YYYY-MM-DD).")
    elif issue > today:
        errors["date"] = ("La date ne peut pas être future (CPP-REC-15).", "Not in the future.")
    if get("echeance") and _date(get("echeance")) is None:
        errors["echeance"] = ("Date d'échéance invalide.", "Invalid due date.")
    if (get("type") or "380") not in TYPES:
        errors["type"] = ("380 (facture) ou 381 (avoir).", "380 (invoice) or 381 (credit note).")
    if (get("syntaxe") or "UBL") not in ("UBL", "CII"):
        errors["syntaxe"] = ("UBL ou CII.", "UBL or CII.")
    if (get("cadre") or "A1") not in FRAMEWORKS:
        errors["cadre"] = ("Cadre de facturation inconnu.", "Unknown billing framework.")
    for key in ("contrat", "conditions"):
        if len(get(key)) > MAX_TEXT[key]:
            errors[key] = (f"{MAX_TEXT[key]} caractères au plus.", f"{MAX_TEXT[key]} at most.")


def _routing(
    structure: Structure, code: str, engagement: str, issue: date | None, errors: Errors
) -> None:
    service = structure.service(code) if code else None
    if code and service is None:
        errors["service"] = (
            "Ce service n'existe pas pour la structure (CPP-REC-05).",
            "No such service for this structure.",
        )
    elif service is not None and not service.active:
        errors["service"] = ("Ce service est inactif (CPP-REC-06).", "This service is inactive.")
    elif service is not None and issue is not None and not service.valid_on(issue):
        errors["service"] = (
            "Service fermé à la date de la facture (CPP-REC-07).",
            "Service closed on the invoice date.",
        )
    if structure.service_code_required and not code:
        errors["service"] = (
            "Cette structure exige un code service (CPP-REC-04).",
            "This structure requires a service code.",
        )
    needs_ej = structure.engagement_required or (
        service is not None and service.engagement_required
    )
    if needs_ej and not engagement:
        errors["engagement"] = (
            "Un numéro d'engagement est obligatoire ici (CPP-REC-08/09).",
            "An engagement number is required here.",
        )
    if structure.engagement_or_service and not engagement and not code:
        errors["engagement"] = (
            "Donnez un numéro d'engagement ou un code service (CPP-REC-10).",
            "Give an engagement number or a service code.",
        )
    if len(engagement) > 50:
        errors["engagement"] = ("50 caractères au plus (CPP-REC-17).", "50 characters at most.")


def _lines(get: Getter, errors: Errors) -> list[Line]:
    lines = []
    for n in range(LINES):
        name, qty, price, rate = (
            get(f"{k}_{n}") for k in ("designation", "quantite", "prix", "tva")
        )
        if not (name or qty or price):
            continue
        q, p, r = _decimal(qty), _decimal(price), _decimal(rate or "20")
        bad = q is None or q <= 0 or p is None or p < 0 or r is None or rate not in ("", *RATES)
        too_long = len(name) > MAX_TEXT["designation"]
        if not name or bad or too_long or q is None or p is None or r is None:
            errors[f"ligne_{n}"] = (
                "Désignation (200 caractères au plus), quantité (> 0) et prix unitaire (>= 0) "
                "de moins d'un milliard, 6 décimales au plus, et un taux de TVA de la liste.",
                "Name (200 characters at most), quantity (> 0) and unit price (>= 0) under a "
                "billion with 6 decimals at most, and a VAT rate of the list.",
            )
            continue
        net = (q * p).quantize(CENT, ROUND_HALF_UP)
        lines.append(Line(name=name, quantity=q, price=p, rate=r, net=net, row=n))
    return lines
