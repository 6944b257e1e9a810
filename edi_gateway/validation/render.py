"""Renderings of :class:`~edi_gateway.model.ValidationReport` for ``edi-gateway validate``.

- :func:`text`: readable, grouped by layer; ANSI colour only when asked (the CLI asks on a
  terminal without ``NO_COLOR``). Locations in the readable prefixed form
  (:func:`readable_location`).
- :func:`json_line`: one JSON object per file (keys file, syntax, profile, flux_syntax, verdict,
  findings, artefacts, scenario, packs).
- :func:`svrl`: the raw SVRL of each Schematron artefact that ran, or a comment saying none ran.
- :func:`html`: one self-contained HTML page for many reports: inline CSS, no script, no external
  resource, every value escaped with :func:`html.escape`; the readable location is shown, the
  full one is its ``title``.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence

from edi_gateway.core.model import Finding, Layer, Severity, ValidationReport, Verdict
from edi_gateway.core.terminal import json_text, printable
from edi_gateway.validation import locations
from edi_gateway.validation.artefacts import UNSTATED

_COLOURS = {
    Verdict.ACCEPTED: "32",  # green
    Verdict.REJECTED: "31",  # red
    Verdict.INADMISSIBLE: "35",  # magenta
    Severity.ERROR: "31",
    Severity.WARNING: "33",
    Severity.INFO: "36",
}


#: Last line of the text output when ``validate`` ran without ``--cpp``.
CPP_NOT_RUN = (
    "Chorus Pro reception rules (CPP-REC-*) not run: add --cpp to check routing against the "
    "structures directory (config gateway.structures), deposit date today."
)
_STATED = {UNSTATED: "(version not stated by the artefact)"}


def _paint(text: str, key: Verdict | Severity, colour: bool) -> str:
    return f"\033[{_COLOURS[key]}m{text}\033[0m" if colour else text


def readable_location(finding: Finding) -> str:
    """Where a finding points, for people: ``Finding.readable_location`` (the node's path with
    the customary prefixes, ``/ubl:Invoice/cac:LegalMonetaryTotal``), else the location shortened
    from its text (:func:`edi_gateway.validation.locations.readable_text`); "" when there is none.
    JSON and
    SVRL keep the location exactly as the ruleset gave it."""
    if finding.readable_location:
        return finding.readable_location
    return locations.readable_text(finding.location) if finding.location else ""


def _where(finding: Finding) -> str:
    parts = []
    if finding.line is not None:
        parts.append(f"line {finding.line}")
    where = readable_location(finding)
    if where:
        parts.append(where)
    return "; ".join(parts)


def text(report: ValidationReport, *, colour: bool = False) -> str:
    """Return a multi-line, human-readable report of one file, findings grouped by layer."""
    d = report.detection
    lines = [
        f"{printable(report.file)}: {_paint(report.verdict.upper(), report.verdict, colour)}",
        f"  {printable(d.kind)}; syntax {d.label}; profile {printable(d.profile or '-')}; "
        f"flux {d.flux_syntax or '-'}",
        f"  layers run: {', '.join(report.layers_run) or '-'}"
        + (f"; skipped: {', '.join(report.layers_skipped)}" if report.layers_skipped else ""),
    ]
    if report.scenario:
        lines.append(f"  scenario: {scenario_line(report)}")
    if report.artefacts:
        lines.append(f"  artefacts: {artefact_versions(report)}")
    for layer in Layer:
        found = [f for f in report.findings if f.layer is layer]
        if not found:
            continue
        lines.append(f"  [{layer}] {len(found)} finding{'s' if len(found) > 1 else ''}")
        for f in found:
            severity = _paint(f"{f.severity:<7}", f.severity, colour)
            lines.append(f"    {severity} {printable(f.rule)}: {printable(f.message)}")
            where = _where(f)
            if where:
                lines.append(f"            at {printable(where)}")
    return "\n".join(lines)


def artefact_versions(report: ValidationReport) -> str:
    """``name version`` of each artefact, comma-separated; a version the artefact does not state
    (``artefacts.UNSTATED``, kept as is in JSON) reads "(version not stated by the artefact)"."""
    return ", ".join(
        f"{name} {_STATED.get(version, version)}" for name, version in report.artefacts.items()
    )


def scenario_line(report: ValidationReport) -> str:
    """``<scenario id> (packs <name> <version>, ...)``, or ``-`` when no scenario ran."""
    if not report.scenario:
        return "-"
    packs = ", ".join(f"{name} {version}" for name, version in report.packs.items())
    return f"{report.scenario} (packs {packs})"


def summary(reports: Sequence[ValidationReport]) -> str:
    """One line counting verdicts, e.g. ``3 files: 2 accepted, 1 rejected, 0 inadmissible``."""
    return summary_of({v: sum(r.verdict is v for r in reports) for v in Verdict})


def summary_of(counts: Mapping[Verdict, int]) -> str:
    """:func:`summary` from verdict counts (a verdict missing counts 0)."""
    total = sum(counts.values())
    parts = ", ".join(f"{counts.get(v, 0)} {v}" for v in Verdict)
    return f"{total} file{'s' if total != 1 else ''}: {parts}"


def as_dict(report: ValidationReport) -> dict[str, object]:
    """The JSON shape of one report (see module docstring)."""
    return {
        "file": report.file,
        "syntax": report.detection.label,
        "profile": report.detection.profile,
        "flux_syntax": report.detection.flux_syntax,
        "verdict": str(report.verdict),
        "findings": [f.as_dict() for f in report.findings],
        "artefacts": dict(report.artefacts),
        "scenario": report.scenario,
        "packs": dict(report.packs),
    }


def json_line(report: ValidationReport) -> str:
    """One JSON object on one line (no trailing newline), UTF-8 characters kept."""
    return json_text(as_dict(report))


def svrl(report: ValidationReport) -> str:
    """The SVRL documents of every Schematron artefact that ran, each after a comment naming it.

    The XML declaration of each SVRL is dropped so the output of several files stays readable;
    when no Schematron artefact ran, one XML comment says so and why (the verdict).
    """
    if not report.svrl:
        return f"<!-- {_comment(report.file)}: no Schematron ran (verdict {report.verdict}) -->"
    out = [f"<!-- {_comment(report.file)}: scenario {_comment(scenario_line(report))} -->"]
    for name, data in report.svrl.items():
        body = data.decode("utf-8")
        if body.startswith("<?xml"):
            body = body.split("?>", 1)[1].lstrip()
        out.append(f"<!-- {_comment(report.file)}: {_comment(name)} -->\n{body.rstrip()}")
    return "\n".join(out)


def _comment(value: str) -> str:
    """Make ``value`` safe inside an XML comment (no ``--``)."""
    return value.replace("--", "- -")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:75em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f4f4f4}code{font-size:.85em;word-break:break-all}
.accepted{color:#1a7f37}.rejected{color:#c62828}.inadmissible{color:#8e24aa}
.error{background:#fdecea}.warning{background:#fff8e1}.info{background:#e8f4fd}
.meta{color:#555;font-size:.9em}
"""


def html(reports: Sequence[ValidationReport], *, title: str = "edi-gateway validation") -> str:
    """Return one self-contained HTML page for ``reports``; every value is HTML-escaped."""
    return html_page([html_section(r) for r in reports], summary(reports), title=title)


def html_page(sections: Sequence[str], summary_line: str, *, title: str) -> str:
    """The self-contained page around ``sections`` (from :func:`html_section`)."""
    e = _html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1><p>{e(summary_line)}</p>",
        *sections,
        "</body></html>",
    ]
    return "\n".join(parts)


def _html_location(finding: Finding) -> str:
    """The readable location in ``<code>``, the full one (as the ruleset gave it) as its title."""
    if not finding.location:
        return ""
    full = _html.escape(finding.location)
    return f'<code title="{full}">{_html.escape(readable_location(finding))}</code>'


def html_section(report: ValidationReport) -> str:
    """One report as an HTML section (heading, meta line, findings table), values escaped."""
    e = _html.escape
    d = report.detection
    verdict = str(report.verdict)
    rows = [
        f'<tr class="{e(str(f.severity))}"><td>{e(str(f.layer))}</td><td>{e(f.rule)}</td>'
        f"<td>{e(str(f.severity))}</td><td>{'' if f.line is None else f.line}</td>"
        f"<td>{e(f.message)}</td><td>{_html_location(f)}</td>"
        f"<td>{e(f.source)}</td></tr>"
        for f in report.findings
    ]
    artefacts = artefact_versions(report)
    table = (
        "<table><tr><th>layer</th><th>rule</th><th>severity</th><th>line</th><th>message</th>"
        "<th>location</th><th>source</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No findings.</p>"
    )
    return (
        f'<h2>{e(report.file)}: <span class="{e(verdict)}">{e(verdict.upper())}</span></h2>'
        f'<p class="meta">{e(d.kind)}; syntax {e(d.label)}; profile {e(d.profile or "-")}; '
        f"flux {e(d.flux_syntax or '-')}<br>layers run: {e(', '.join(report.layers_run))}"
        f"; skipped: {e(', '.join(report.layers_skipped) or '-')}<br>"
        f"scenario: {e(scenario_line(report))}<br>artefacts: {e(artefacts or '-')}</p>{table}"
    )
