"""Per-flux work paid once (issue #9): one parse and one Saxon conversion per document, cheap
log redaction and XML text cleaning, with the same results as the slow forms they replace."""

from __future__ import annotations

from edi_gateway.core import redaction, xmlsafe
from edi_gateway.outputs.statut_envelope import xml_text
from edi_gateway.pipeline.engine import Engine
from edi_gateway.validation import schematron
from edi_gateway.validation.validator import Validator
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "02-ok-ubl-mairie-services-techniques.xml"


def test_one_saxon_conversion_per_tree():
    processor, _ = schematron._processor()
    tree = xmlsafe.parse(EXAMPLE.read_bytes())
    first = schematron._to_xdm(processor, tree)
    assert schematron._to_xdm(processor, tree) is first
    other = xmlsafe.parse(EXAMPLE.read_bytes())  # equal bytes, another tree: converted anew
    assert schematron._to_xdm(processor, other) is not first


def test_the_report_carries_the_tree_the_xml_layer_parsed():
    report = Validator().validate(EXAMPLE.read_bytes(), EXAMPLE.name)
    assert report.tree is not None and report.tree.getroot().tag.endswith("}Invoice")
    assert Validator().validate(b"not xml at all", "x.txt").tree is None
    assert "tree" not in repr(report)


def test_an_invoice_is_parsed_once_from_detection_to_reception(tmp_path, monkeypatch):
    """Detection parses the invoice; the XML, XSD and Schematron layers and the CPP reception
    stage (envelope, rules) reuse that tree (a rejected invoice: no pivot is built)."""
    from edi_gateway.core import config as config_module
    from tests.fixtures.daemon import support

    rejected = ROOT / "examples" / "11-rej-service-obligatoire.xml"
    data = rejected.read_bytes()
    engine = Engine(config_module.load(support.write_config(tmp_path)))
    parses = []
    real = xmlsafe.parse
    monkeypatch.setattr(
        xmlsafe, "parse", lambda doc, *a, **k: parses.append(doc == data) or real(doc, *a, **k)
    )
    outcome = engine.process_path(rejected, "depot-edi")
    engine.close()
    assert str(outcome.verdict) == "rejected" and outcome.reason == "REJ_COH"
    assert parses.count(True) == 1, parses


def _slow_xml_text(value: str) -> str:
    kept = "".join(
        ch for ch in value if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ch >= "\ue000"
    )
    return kept.replace("\ufffe", "").replace("\uffff", "")


def test_xml_text_drops_exactly_what_xml_cannot_carry():
    edges = [*range(0x30), 0x7F, 0x85, 0xD7FF, 0xD800, 0xDBFF, 0xDC80, 0xDFFF, 0xE000]
    edges += [0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF]
    sample = "".join(chr(code) for code in edges) + "Facture n° 12 – é"
    assert xml_text(sample) == _slow_xml_text(sample)
    assert xml_text("a\x00b\x1fc\ud800d\ufffee") == "abcde"


def test_short_values_still_lose_xml_and_long_ones_their_iban():
    assert redaction._clean_text("<a>") == redaction.XML_REMOVED
    assert redaction._clean_text("ok") == "ok"
    iban = "FR7630006000011234567890189"
    assert redaction._clean_text(f"pay {iban}") == f"pay {redaction.IBAN_REMOVED}"
    assert redaction._clean_text(f"pay {iban}") == f"pay {redaction.IBAN_REMOVED}"  # cached
    fullwidth = "ＦＲ７６"  # non-ASCII: never taken for short
    assert redaction._clean_text(fullwidth) == fullwidth
