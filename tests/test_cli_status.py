"""``edi-gateway status set|show`` and ``edi-gateway invoices``: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.core.config import Config
from edi_gateway.store.database import Store
from tests.fixtures.lifecycle.builders import (
    NO_PAYMENT,
    SELLER_SIREN,
    SELLER_SIRET,
    add_available_invoice,
    make_config,
)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    cfg = make_config(tmp_path)
    with Store(cfg.database) as store:
        add_available_invoice(store)
        add_available_invoice(
            store,
            number="F-2026-0002",
            recipient=NO_PAYMENT,
            service=None,
            id_flux="EDIGW11100000000000000002",
        )
    return cfg


def _run(config: Config, *argv: str) -> int:
    return main([*argv, "--config", str(config.path)])


def test_set_by_id_prints_the_move_and_the_flow(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """``status set 1 SUSPENDUE --motif`` exits 0 and names both statuses and the flow file."""
    code = _run(
        config,
        "status",
        "set",
        "1",
        "SUSPENDUE",
        "--motif",
        "LIVR_INCOMP",
        "--comment",
        "BL manquant",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "invoice 1 (F-2026-0001): 03 MISE_A_DISPOSITION -> 06 SUSPENDUE" in out
    assert f"fournisseurs/{SELLER_SIRET}/FEN1200A_EDIGW1_EDIGW11200" in out


def test_set_by_seller_and_number_in_json(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """SELLER:NUMBER finds the invoice (SIREN or SIRET); JSON carries code, name, reform code."""
    assert (
        _run(config, "status", "set", f"{SELLER_SIREN}:F-2026-0001", "07", "--format", "json") == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == {"code": "07", "name": "SERVICE_FAIT"}
    assert (data["previous"]["name"], data["reform_code"]) == ("MISE_A_DISPOSITION", "204")
    assert (
        _run(
            config,
            "status",
            "set",
            f"{SELLER_SIRET}:F-2026-0001",
            "MANDATEE",
            "--mandate",
            "DP-7",
            "--format",
            "json",
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["status"]["code"] == "08"


def test_refused_exits_1_with_the_cpp_code(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused status exits 1 and prints 20002 with both statuses on stderr."""
    assert _run(config, "status", "set", "1", "COMPLETEE", "--as", "supplier") == 1
    err = capsys.readouterr().err
    assert "refused (20002)" in err and "03 MISE_A_DISPOSITION" in err and "12 COMPLETEE" in err
    assert _run(config, "status", "set", "1", "REJETEE", "--format", "json") == 1
    assert json.loads(capsys.readouterr().err)["refused"]["code"] == "GW-LC-02"


@pytest.mark.parametrize(
    "argv",
    [
        ("status", "set", "99", "07"),
        ("status", "set", "nobody:F-1", "07"),
        ("status", "set", "F-2026-0001", "07"),
        ("status", "show", "99"),
        ("status", "set", "999999999999999999999999", "SUSPENDUE"),  # past SQLite's INTEGER
        ("status", "show", "999999999999999999999999"),
        ("status", "set", "\u00b2", "07"),  # a Unicode digit int() does not take
        ("invoices", "--status", "PAYEE"),
    ],
)
def test_unknown_invoice_or_status_exits_2(config: Config, argv: tuple[str, ...]) -> None:
    """An invoice that cannot be found, or an unknown status filter, is a usage error (2)."""
    assert _run(config, *argv) == 2


def test_broken_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing configuration file exits 2 with a message, not a traceback."""
    assert main(["status", "show", "1", "--config", str(tmp_path / "none.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_show_prints_history_newest_first(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """``status show`` lists every status newest first with actor, motif and comment."""
    _run(config, "status", "set", "1", "06", "--motif", "EJ_ERR", "--comment", "EJ absent")
    _run(config, "status", "set", "1", "12", "--as", "supplier", "--attach", str(config.path))
    capsys.readouterr()
    assert _run(config, "status", "show", "1", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["invoice"]["status"] == {"code": "12", "name": "COMPLETEE"}
    assert [h["code"] for h in data["history"]] == ["12", "06", "03", "02", "01"]
    assert [h["actor"] for h in data["history"][:2]] == ["supplier", "recipient"]
    assert (data["history"][1]["motif"], data["history"][1]["comment"]) == ("EJ_ERR", "EJ absent")
    assert data["history"][1]["label_fr"] == "Suspendue"
    assert _run(config, "status", "show", "1") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("12 COMPLETEE")
    assert lines[2].startswith("12") and "supplier" in lines[2]
    assert "EJ_ERR" in lines[3] and "EJ absent" in lines[3]


def test_invoices_lists_and_filters(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    """``invoices`` lists both invoices; --structure and --status (code or name) filter them."""
    _run(config, "status", "set", "2", "SERVICE_FAIT")
    capsys.readouterr()
    assert _run(config, "invoices", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["id"], i["status_name"]) for i in listed] == [
        (2, "SERVICE_FAIT"),
        (1, "MISE_A_DISPOSITION"),
    ]
    assert _run(config, "invoices", "--structure", NO_PAYMENT, "--format", "json") == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [2]
    assert _run(config, "invoices", "--status", "03") == 0
    out = capsys.readouterr().out
    assert "F-2026-0001" in out and "F-2026-0002" not in out and out.endswith("1 invoice(s)\n")


def test_show_orders_history_by_time_then_id(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """History is newest first by time, events of the same time by id: an event recorded later
    but dated earlier (old data) does not sit on top."""
    with Store(config.database) as store:
        for code, name, at in (
            ("07", "SERVICE_FAIT", "2026-03-01T08:00:00.000+00:00"),
            ("40", "PRISE_EN_COMPTE_DESTINATAIRE", "2026-03-02T09:00:02.000+00:00"),
        ):
            store.add_event(
                invoice_id=1, status_code=code, status_name=name, actor="recipient", at=at
            )
    assert _run(config, "status", "show", "1", "--format", "json") == 0
    history = json.loads(capsys.readouterr().out)["history"]
    assert [h["code"] for h in history] == ["40", "03", "02", "01", "07"]


def test_show_names_the_recipient_like_invoices_does(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a service code the head line names the SIRET alone (no "/-"), as ``invoices``
    does; with one it is SIRET/SERVICE in both."""
    assert _run(config, "status", "show", "2") == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert f"to {NO_PAYMENT}: 03 MISE_A_DISPOSITION" in head and "/-" not in head
    assert _run(config, "invoices") == 0
    assert f" {NO_PAYMENT} " in capsys.readouterr().out
    assert _run(config, "status", "show", "1") == 0
    assert "to 99900001000010/SERVICES-TECHNIQUES: 03" in capsys.readouterr().out


def test_invoices_text_escapes_control_characters() -> None:
    """`invoices` prints a seller id carrying a C1 CSI and a line separator as escapes."""
    from edi_gateway.cli.invoices import render_text

    item = {
        "id": 1,
        "invoice_id": 1,
        "number": "X\u20281",
        "seller": "\u009b2J",
        "recipient_siret": "99900001000010",
        "service_code": None,
        "status_code": "03",
        "status_name": "MISE_A_DISPOSITION",
        "updated_at": "2026-11-29T22:00:00.000+00:00",
    }
    from edi_gateway.cli import invoices

    cells = {key: item.get(key, "x") for key, _, _ in invoices.COLUMNS}
    out = render_text([{**item, **cells}])
    assert "\u009b" not in out and "\u2028" not in out
