"""Structured logs: JSON lines, bound flux fields, redaction safety net, several processes."""

from __future__ import annotations

import io
import json
import multiprocessing
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
import structlog

from edi_gateway.core import config as config_module
from edi_gateway.core import logs, redaction

ROOT = Path(__file__).resolve().parent.parent
IBAN = "FR7630006000011234567890189"  # checksum-valid example IBAN (ISO 13616 shape)


@pytest.fixture
def config(tmp_path):
    """The shipped configuration with its log file moved under tmp_path/log/."""
    base = config_module.load(ROOT / "config.toml")
    yield replace(base, log_file=tmp_path / "log" / "gateway.jsonl", log_level="info")
    structlog.reset_defaults()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_json_line_has_timestamp_level_event_and_bound_fields(config):
    """A line logged inside bound_flux carries the UTC timestamp, level, event and flux keys."""
    logs.configure(config, console=False)
    with logs.bound_flux("EDIGW11100000000000000042", "facture 1.xml", "depot-edi"):
        logs.get_logger().info("flux.validated", stage="validate", duration_ms=3.2)
    logs.get_logger().info("gateway.stopped")
    first, second = _lines(config.log_file)
    assert first["event"] == "flux.validated"
    assert first["level"] == "info"
    assert first["timestamp"].endswith("Z") and first["timestamp"][:4].isdigit()
    assert first["id_flux"] == "EDIGW11100000000000000042"
    assert first["file"] == "facture 1.xml"
    assert first["channel"] == "depot-edi"
    assert first["stage"] == "validate" and first["duration_ms"] == 3.2
    assert "id_flux" not in second


def test_level_filter_drops_debug(config):
    """With log_level info, debug lines are not written."""
    logs.configure(config, console=False)
    logs.get_logger().debug("channel.swept", files=3)
    logs.get_logger().warning("worker.restarted", worker=0)
    assert [line["event"] for line in _lines(config.log_file)] == ["worker.restarted"]


def test_redact_drops_xml_iban_and_bytes_and_truncates():
    """Values that look like XML or carry an IBAN never reach the log; long text is cut."""
    event = {
        "event": "flux.failed",
        "id_flux": "AB12CD1100000000000000001",
        "message": "bad <cbc:ID>F-1</cbc:ID> here",
        "note": f"paid to {IBAN} today",
        "spaced": "FR76 3000 6000 0112 3456 7890 189",
        "payload": b"%PDF-1.7",
        "long": "x" * 1000,
        "count": 3,
    }
    cleaned = redaction.redact(None, "info", dict(event))
    assert cleaned["message"] == redaction.XML_REMOVED
    assert cleaned["note"] == f"paid to {redaction.IBAN_REMOVED} today"
    assert cleaned["spaced"] == redaction.IBAN_REMOVED
    assert cleaned["payload"] == "[8 bytes removed]"
    assert len(cleaned["long"]) == redaction.MAX_VALUE_CHARS + 1
    assert cleaned["count"] == 3
    assert cleaned["id_flux"] == event["id_flux"]


def test_redact_keeps_iban_lookalikes_with_a_bad_checksum():
    """An identifier shaped like an IBAN but failing mod-97 (an invoice number) is kept."""
    cleaned = redaction.redact(
        None, "info", {"event": "e", "number": "FR7630006000011234567890188"}
    )
    assert cleaned["number"] == "FR7630006000011234567890188"


def test_non_utf8_name_is_logged_readably(config):
    """A surrogate-escaped file name is written as \\xNN text, the line stays valid JSON."""
    logs.configure(config, console=False)
    logs.get_logger().info("flux.claimed", file="caf\udce9.xml")
    assert _lines(config.log_file)[0]["file"] == "caf\\xe9.xml"


def test_console_is_key_value_when_not_a_tty(config):
    """On a non-terminal stream the console gets plain key=value lines."""
    stream = io.StringIO()
    logs.configure(config, console=True, stream=stream)
    logs.get_logger().info("gateway.started", workers=2)
    text = stream.getvalue()
    assert "event='gateway.started'" in text and "workers=2" in text and "level='info'" in text


def test_a_failing_log_file_never_raises(config):
    """A closed log file descriptor (disk gone) makes logging a no-op, not an exception."""
    logs.configure(config, console=False)
    import os

    os.close(logs._current.fd)
    logs.get_logger().error("flux.failed", message="still running")  # must not raise
    logs._current.fd = None


def _child(config, index: int) -> None:
    logs.configure(config, console=False)
    with logs.bound_flux(f"EDIGW1110000000000000000{index}", f"f{index}.xml", "depot-edi"):
        for n in range(200):
            logs.get_logger().info("flux.validated", n=n, filler="y" * 2000)


def test_several_processes_append_whole_lines(config):
    """Three spawned processes writing 200 long lines each leave 600 intact JSON lines."""
    config.log_file.parent.mkdir(parents=True)
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_child, args=(config, i)) for i in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    lines = _lines(config.log_file)
    assert len(lines) == 600
    assert {line["id_flux"][-1] for line in lines} == {"0", "1", "2"}
    assert all(line["file"] == f"f{line['id_flux'][-1]}.xml" for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        "fr7630006000011234567890189",  # lower case
        "Fr76 3000 6000 0112 3456 7890 189",  # mixed case, spaces
        "FR76-3000-6000-0112-3456-7890-189",  # dashes
        "FR76.3000.6000.0112.3456.7890.189",  # dots
        "ref:FR7630006000011234567890189/x",  # inside a longer token
        "GB82WEST12345698765432",  # another country, another length
    ],
)
def test_redact_finds_ibans_in_any_case_with_any_separator(text):
    """Lower-case IBANs, '-', '.' or ' ' separators, IBANs glued to other characters: removed."""
    cleaned = redaction.redact(None, "info", {"event": "e", "note": text})
    assert "3000" not in cleaned["note"] and "5698" not in cleaned["note"]
    assert redaction.IBAN_REMOVED in cleaned["note"]


def test_redact_removes_every_copy_of_a_repeated_iban():
    """An IBAN written three times in one token leaves no digit of it behind."""
    cleaned = redaction.redact(None, "info", {"event": "e", "note": IBAN * 3})
    assert cleaned["note"] == redaction.IBAN_REMOVED * 3


def test_invoice_values_in_the_log_go_through_the_iban_net(config):
    """service_code and recipient read from an invoice are redacted like any other value."""
    logs.configure(config, console=False)
    logs.get_logger().info("flux.routed", recipient="x" + IBAN.lower(), service_code=IBAN)
    [line] = _lines(config.log_file)
    assert line["recipient"] == "x" + redaction.IBAN_REMOVED
    assert line["service_code"] == redaction.IBAN_REMOVED


def test_a_log_file_that_is_a_folder_is_a_config_error(config, tmp_path):
    """log_file naming a folder (``/etc``) raises ConfigError naming the key, no traceback."""
    from edi_gateway.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"gateway\.log_file .*Is a directory"):
        logs.configure(replace(config, log_file=tmp_path), console=False)


def test_run_with_a_folder_as_log_file_exits_2(tmp_path, capsys):
    """``edi-gateway run`` with log_file = a folder prints a configuration error, exit 2."""
    from edi_gateway import cli
    from tests.fixtures.daemon import support

    path = support.write_config(tmp_path)
    text = path.read_text().replace('"var/log/gateway.jsonl"', '"/etc"')
    path.write_text(text)
    assert cli.main(["run", "--config", str(path)]) == 2
    assert "gateway.log_file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    [
        "iban_us_FR76_3000_6000_0112_3456_7890_189.xml",  # file name, underscore separators
        "DE89_3704_0044_0532_0130_00",
        "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",  # no-break space
        "FR76\u20093000\u20096000\u20090112\u20093456\u20097890\u2009189",  # thin space
        "FR76\u30003000\u30006000\u30000112\u30003456\u30007890\u3000189",  # ideographic space
        "FR76\u202f3000\u202f6000\u202f0112\u202f3456\u202f7890\u202f189",  # narrow nbsp
        "FR76 - 3000 - 6000 - 0112 - 3456 - 7890 - 189",
        "FR76:3000:6000:0112:3456:7890:189",
        "FR76+3000+6000+0112+3456+7890+189",
        "FR76,3000,6000,0112,3456,7890,189",
        "FR76\t3000\t6000\t0112\t3456\t7890\t189",
        "FR76\u200b3000\u200b6000\u200b0112\u200b3456\u200b7890\u200b189",  # zero-width space
        "FR\u200d76\u20603000\ufeff6000\u034f0112\u00ad3456\u180e7890\u200c189",  # ignorables
        # fullwidth FR76 3000 6000 0112 3456 7890 189
        "\uff26\uff32\uff17\uff16\uff13\uff10\uff10\uff10\uff16\uff10\uff10\uff10\uff10\uff11"
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff18\uff19",
        "FR76\u20133000\u20146000\u22120112\u20103456\u20117890\u2015189",  # dash variants
        "FR76 \u200b 3000 \u200b 6000 0112 3456 7890 189",  # a zero-width char in a gap
    ],
)
def test_redact_finds_ibans_behind_unicode_separators_and_forms(text):
    """IBANs written with '_', ':', '+', ',', tab, ' - ', any Unicode space or dash, zero-width
    or other invisible characters, or fullwidth forms are removed whole: no digit group left."""
    cleaned = redaction.redact(None, "info", {"event": "e", "note": text})["note"]
    assert redaction.IBAN_REMOVED in cleaned
    folded = unicodedata.normalize("NFKC", cleaned)
    for group in ("3000", "6000", "0112", "3456", "7890", "3704", "0532"):
        assert group not in folded


def test_redact_keeps_the_rest_of_a_file_name_around_an_iban():
    """Only the IBAN span of a file name is replaced; the prefix and the extension stay."""
    text = "iban_us_FR76_3000_6000_0112_3456_7890_189.xml"
    cleaned = redaction.redact(None, "info", {"event": "e", "file": text})["file"]
    assert cleaned == f"iban_us_{redaction.IBAN_REMOVED}.xml"


def test_flux_done_service_code_with_underscores_is_redacted(config):
    """A BT-10 service code FR76_3000_... logged with flux.done leaves no IBAN in the log."""
    logs.configure(config, console=False)
    with logs.bound_flux(
        "EDIGW11100000000000000042", "iban_FR76_3000_6000_0112_3456_7890_189.xml", "depot-edi"
    ):
        logs.get_logger().info("flux.done", service_code="FR76_3000_6000_0112_3456_7890_189")
    text = config.log_file.read_text(encoding="utf-8")
    assert "3456" not in text and "0112" not in text
    [line] = _lines(config.log_file)
    assert line["service_code"] == redaction.IBAN_REMOVED
    assert line["id_flux"] == "EDIGW11100000000000000042"


@pytest.mark.parametrize(
    "text",
    [
        "EDIGW11100000000000000042",  # an IdFlux
        "99900001000010",  # a SIRET
        "SIRET 999 000 010 00010",
        "2026-03-01T12:00:00+01:00",  # a date
        "facture_2026_03_01_FAC-2026-0001.xml",  # a file name without an IBAN
        "FR76_3000_6000_0112_3456_7890_188",  # wrong check digits
        "FAC-2026-0001, FAC-2026-0002 : 1 000,00 EUR",
    ],
)
def test_redact_keeps_text_without_an_iban(text):
    """IdFlux, SIRET, dates, ordinary file names and IBAN look-alikes with a bad mod-97 stay."""
    assert redaction.redact(None, "info", {"event": "e", "note": text})["note"] == text


def test_json_lines_escape_bidi_and_c1_controls_in_values(config):
    """A file name with a right-to-left override (U+202E), NEL (U+0085) and U+2028 is written
    as ``\\uNNNN`` escapes (a `tail` of the log cannot be reordered or split by it) and reads
    back unchanged."""
    logs.configure(config, console=False)
    name = "facture\u202egpj.xml\u0085x\u2028y"
    logs.get_logger().info("flux.claimed", file=name)
    raw = config.log_file.read_text(encoding="utf-8")
    assert "\\u202e" in raw and "\\u0085" in raw and "\\u2028" in raw
    assert "\u202e" not in raw and "\u0085" not in raw and "\u2028" not in raw
    assert _lines(config.log_file)[0]["file"] == name
