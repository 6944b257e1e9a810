"""Rule packs: pins, ``artefacts install`` (folder, zip, wrong hash, half-copied), ``list``, and
the validator with and without them (the XRechnung / CEN regression)."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path
from types import MappingProxyType

import pytest

from edi_gateway.cli import main
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Verdict
from edi_gateway.validation import pack_install, pack_pins, packs
from edi_gateway.validation.validator import Validator

from .conftest import CORPUS, SHARED, need_shared

ARTEFACTS = SHARED / "artefacts"
CEN = ARTEFACTS / "cen-en16931-1.3.16"
MUSTANG = ARTEFACTS / "mustang-validator-resources"
XR_UBL = CORPUS / "kosit-xrechnung-testsuite/business-cases/standard/01.01a-INVOICE_ubl.xml"
SR_461 = (
    CORPUS
    / "kosit-validator-config-xrechnung/cen-unit-test/cii-cii-sr-461-bt-7-cardinality-test.xml"
)


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, pack_pins.PackPin]:
    """A release folder of two files and a pin for it (in place of rules/packs.toml)."""
    release = tmp_path / "release" / "toy-1.0"
    (release / "xslt").mkdir(parents=True)
    (release / "LICENSE").write_text("licence text\n", encoding="utf-8")
    (release / "xslt" / "rules.xslt").write_text("<x/>\n", encoding="utf-8")
    files = {
        rel: hashlib.sha256((release / rel).read_bytes()).hexdigest()
        for rel in ("LICENSE", "xslt/rules.xslt")
    }
    pin = pack_pins.PackPin("toy", "1.0", "Toy", "MIT", "here", MappingProxyType(files))
    monkeypatch.setattr(pack_pins, "pins", lambda path=None: MappingProxyType({"toy": pin}))
    return release, pin


def test_install_copies_the_pinned_files_with_a_manifest(
    toy: tuple[Path, pack_pins.PackPin], tmp_path: Path
) -> None:
    """A good release is found from its parent folder, copied with pack.toml; again: a no-op."""
    release, pin = toy
    target = tmp_path / "state" / "packs"
    pack, new = pack_install.install(release.parent, target)
    assert new and pack.root == target / "toy-1.0"
    assert (pack.root / "xslt" / "rules.xslt").read_text(encoding="utf-8") == "<x/>\n"
    manifest = (pack.root / "pack.toml").read_text(encoding="utf-8")
    assert 'licence = "MIT"' in manifest and pin.files["LICENSE"] in manifest
    assert packs.available(target)["toy"].version == "1.0"
    assert pack_install.install(release, target)[1] is False


def test_wrong_hash_is_refused_and_nothing_installed(
    toy: tuple[Path, pack_pins.PackPin], tmp_path: Path
) -> None:
    """One changed byte: refused naming the file; the packs folder holds nothing afterwards."""
    release, _ = toy
    (release / "xslt" / "rules.xslt").write_text("<y/>\n", encoding="utf-8")
    target = tmp_path / "packs"
    with pytest.raises(
        ArtefactError, match=r"1 file\(s\) differ from their SHA-256 pin: xslt/rules.xslt"
    ):
        pack_install.install(release, target)
    assert list(target.iterdir()) == []


def test_half_copied_release_is_refused(
    toy: tuple[Path, pack_pins.PackPin], tmp_path: Path
) -> None:
    """A release missing a pinned file is refused, also from a zip; nothing installed."""
    release, _ = toy
    (release / "LICENSE").unlink()
    archive = tmp_path / "toy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(release / "xslt" / "rules.xslt", "toy-1.0/xslt/rules.xslt")
    target = tmp_path / "packs"
    for source in (release, archive):
        with pytest.raises(ArtefactError, match=r"1 pinned file\(s\) missing: LICENSE"):
            pack_install.install(source, target)
    assert list(target.iterdir()) == []


def test_half_copied_installed_pack_is_not_used(
    toy: tuple[Path, pack_pins.PackPin], tmp_path: Path
) -> None:
    """An installed pack folder that lost a file is listed as not usable and never used."""
    release, _ = toy
    target = tmp_path / "packs"
    pack, _ = pack_install.install(release, target)
    (pack.root / "LICENSE").unlink()
    found = packs.survey(target)
    assert found.packs == () and "1 pinned file(s) missing" in found.problems["toy-1.0"]
    assert "toy" not in packs.available(target)


def test_zip_with_a_name_outside_is_refused(
    toy: tuple[Path, pack_pins.PackPin], tmp_path: Path
) -> None:
    """A zip member with '..' is refused before anything is written outside."""
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../outside.txt", "x")
    with pytest.raises(ArtefactError, match="refused member"):
        pack_install.install(archive, tmp_path / "packs")
    assert not (tmp_path / "outside.txt").exists()


def test_pins_equal_the_published_sha256sums() -> None:
    """rules/packs.toml pins exactly the files and hashes of ../shared/artefacts/SHA256SUMS."""
    sums = need_shared(ARTEFACTS / "SHA256SUMS").read_text(encoding="utf-8")
    published = {}
    for line in sums.splitlines():
        digest, _, path = line.partition("  ")
        folder, _, rel = path.removeprefix("./").partition("/")
        published[(folder, rel)] = digest
    folders = {
        "cen-en16931": "cen-en16931-1.3.16",
        "mustang-validator": "mustang-validator-resources",
    }
    pinned = {
        (folders[p.name], rel): d for p in pack_pins.pins().values() for rel, d in p.files.items()
    }
    assert pinned == published and len(pinned) == 110


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two shared releases installed through the CLI into a temporary state folder."""
    need_shared(CEN)
    folder = tmp_path_factory.mktemp("state") / "packs"
    archive = tmp_path_factory.mktemp("zip") / "mustang.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", ARTEFACTS, MUSTANG.name)
    assert main(["artefacts", "install", str(CEN), "--packs", str(folder)]) == 0
    assert main(["artefacts", "install", str(archive), "--packs", str(folder)]) == 0
    return folder


def test_list_shows_packs_and_active_scenarios(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`artefacts list --verify` names the packs and every scenario active."""
    capsys.readouterr()
    assert main(["artefacts", "list", "--verify", "--packs", str(installed)]) == 0
    out = capsys.readouterr().out
    assert "  cen-en16931 1.3.16 (CEN/TC 434" in out and "  mustang-validator 096db40a" in out
    assert re.search(r"active +cii-xrechnung-3:", out) and "needs" not in out


def test_xrechnung_errors_only_cius_or_cen_rules_see(installed: Path) -> None:
    """Regression (issue 8): an XRechnung UBL without BT-10 (BR-DE-15) and an XRechnung CII with
    two BT-7 (CII-SR-461) were accepted with the built-in rules; with the packs, rejected."""
    no_bt10 = re.sub(
        rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>", b"", need_shared(XR_UBL).read_bytes()
    )
    builtin, with_packs = Validator(), Validator(packs_dir=installed)
    for data, rule in ((no_bt10, "BR-DE-15"), (need_shared(SR_461).read_bytes(), "CII-SR-461")):
        before, after = builtin.validate(data, "x.xml"), with_packs.validate(data, "x.xml")
        assert before.verdict is Verdict.ACCEPTED
        assert any(f.rule == "GW-VAL-05" and "not installed" in f.message for f in before.findings)
        assert after.verdict is Verdict.REJECTED and rule in {f.rule for f in after.errors}
        assert after.scenario in ("ubl-xrechnung-3", "cii-xrechnung-3")
        assert after.packs["cen-en16931"] == "1.3.16" and after.packs["mustang-validator"]


def test_missing_pack_keeps_todays_rules(tmp_path: Path) -> None:
    """An empty packs folder: the built-in scenario runs and says which pack it misses."""
    data = need_shared(SR_461).read_bytes()
    report = Validator(packs_dir=tmp_path).validate(data, "sr-461.xml")
    assert report.scenario == "cii-cius" and report.packs == {"factur-x": packs.builtin().version}
    [note] = [f for f in report.findings if f.rule == "GW-VAL-05"]
    assert "(pack cen-en16931 1.3.16, mustang-validator 096db40a)" in note.message


def test_a_damaged_or_empty_zip_is_refused_with_its_name(tmp_path: Path) -> None:
    """A truncated zip (central directory cut) and an empty one are refused naming the zip, never
    a traceback nor the temporary folder; nothing is installed."""
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w") as zf:
        zf.writestr("a.txt", "x" * 100_000)
    data = whole.read_bytes()
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(data[: len(data) // 2] + data[-22:])  # keeps the end record only
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    packs_dir = tmp_path / "packs"
    with pytest.raises(ArtefactError, match=r"damaged\.zip: damaged zip file"):
        pack_install.install(damaged, packs_dir)
    with pytest.raises(ArtefactError, match=r"empty\.zip \(unzipped\): holds no pinned") as err:
        pack_install.install(empty, packs_dir)
    assert ".unzip-" not in str(err.value)
    assert [p.name for p in packs_dir.iterdir()] == []
