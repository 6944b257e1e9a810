"""The Service mode's parts on their own: [api] config, accounts and their file, the failure
throttle, tokens, deposit names and base64, the staged-deposit hand-over, the declared syntax."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
import structlog

from edi_gateway.cli import main
from edi_gateway.core import config
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Container, Detection, Layer, Severity, Syntax
from edi_gateway.ingest import http_deposit
from edi_gateway.ingest.claim import Claimer
from edi_gateway.pipeline import deposit_checks
from edi_gateway.store.database import Store
from edi_gateway.web import accounts_file
from edi_gateway.web.accounts import AccountBook, StructureRight
from edi_gateway.web.deposit_ops import decode, name_problem
from edi_gateway.web.errors import ApiError
from edi_gateway.web.throttle import FailureThrottle
from edi_gateway.web.tokens import TokenIssuer, load_key
from tests.fixtures.daemon import support

REPO = support.REPO


def _config(tmp_path: Path, api: str) -> Path:
    path = support.write_config(tmp_path)
    path.write_text(path.read_text() + f"\n[api]\n{api}\n", encoding="utf-8")
    return path


def test_api_section_defaults_and_shipped_values(tmp_path: Path) -> None:
    plain = config.load(support.write_config(tmp_path))
    assert plain.api.enabled is False and plain.api.port == 8280
    assert plain.api.host == "127.0.0.1" and plain.api.token_seconds == 3600
    # room for the base64 of the largest file, plus 64 KiB
    assert plain.api.max_request_bytes == -(-52428800 // 3) * 4 + 65536
    assert plain.api_channel.name == "depot-api"
    assert plain.api_channel.folder == plain.state_dir / "api-staging"
    assert plain.channel("depot-api").application_code == "EDIGW3"
    shipped = config.load(REPO / "config.toml")
    assert shipped.api.enabled is True and shipped.api.accounts == REPO / "rules" / "accounts.toml"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("port = 70000", "api.port"),
        ('application_code = "edigw3"', "api.application_code"),
        ('application_code = "EDIGW1"', "differ from every channel"),
        ('metrics = "public"', "api.metrics"),
        ("token_seconds = 0", "api.token_seconds"),
        ("deposit_timeout = -1", "api.deposit_timeout"),
        ("bogus = 1", "unknown key api.'bogus'"),
        ('port = "80"', "api.port has the wrong type"),
    ],
)
def test_bad_api_values_are_named(tmp_path: Path, line: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        config.load(_config(tmp_path, line))


def test_throttle_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    now = [0.0]
    throttle = FailureThrottle(limit=3, window=10, max_keys=2, clock=lambda: now[0])
    for _ in range(3):
        assert not throttle.blocked("a")
        throttle.failed("a")
    assert throttle.blocked("a") and not throttle.blocked("b")
    now[0] = 10.5
    assert not throttle.blocked("a")
    throttle.failed("b")
    throttle.failed("c")
    throttle.failed("d")  # max_keys: the oldest key is forgotten
    assert len(throttle._failures) == 2


def test_account_book_checks_passwords_and_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    shutil.copy(REPO / "rules" / "accounts.toml", path)
    book = AccountBook(path)
    assert book.account("TECH_MAIRIE", "Mairie-Demo-1") is not None
    assert book.account("TECH_MAIRIE", "wrong") is None
    assert book.account("NOBODY", "Mairie-Demo-1") is None
    assert book.client("demo-client", "demo-secret") is not None
    mairie = book.current().accounts["TECH_MAIRIE"]
    assert mairie.recipient_of("99900001000010", "ANY") and not mairie.is_supplier
    lycee = book.current().accounts["TECH_LYCEE_INTENDANCE"]
    assert lycee.recipient_of("99900002000019", "INTENDANCE")
    assert not lycee.recipient_of("99900002000019", "CDI")
    # a broken edit keeps the last good version, says why and logs it
    path.write_text(path.read_text() + "\n[[account]]\nlogin = 'X'\n", encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    with structlog.testing.capture_logs() as logged:
        assert "TECH_MAIRIE" in book.current().accounts
    assert book.error and "password_hash" in book.error
    assert [e["event"] for e in logged] == ["accounts.reload_failed"]


def test_a_blocked_login_spends_no_verification_and_refuses_even_the_right_password(
    tmp_path: Path,
) -> None:
    book = AccountBook(REPO / "rules" / "accounts.toml", FailureThrottle(limit=2))
    assert book.account("TECH_MAIRIE", "Mairie-Demo-1", "10.0.0.1") is not None  # remembered
    for _ in range(2):
        assert book.account("TECH_MAIRIE", "nope", "10.0.0.1") is None
    start = time.perf_counter()
    assert book.account("TECH_MAIRIE", "nope-again", "10.0.0.1") is None
    assert time.perf_counter() - start < 0.02  # no Argon2 run
    # throttled: the right password too (a remembered success must not answer a guesser)
    assert book.account("TECH_MAIRIE", "Mairie-Demo-1", "10.0.0.1") is None
    assert book.account("TECH_MAIRIE", "Mairie-Demo-1", "10.0.0.2") is not None  # elsewhere


def test_accounts_file_keeps_comments_and_refuses_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    shutil.copy(REPO / "rules" / "accounts.toml", path)
    right = StructureRight(siret="99900004000017", role="recipient", services=("VOIRIE",))
    accounts_file.add_account(path, "TECH_DEPARTEMENT", "Departement-1", [right])
    text = path.read_text()
    assert text.startswith("# Technical accounts") and "Departement-1" not in text
    assert AccountBook(path).account("TECH_DEPARTEMENT", "Departement-1") is not None
    with pytest.raises(ConfigError, match="exists"):
        accounts_file.add_account(path, "TECH_DEPARTEMENT", "x" * 8, [right])
    with pytest.raises(ConfigError, match="14 digits"):
        accounts_file.parse_right("123:recipient")
    with pytest.raises(ConfigError, match="role"):
        accounts_file.parse_right("99900004000017:boss")
    assert accounts_file.parse_right("99900004000017:both:A, B").services == ("A", "B")
    assert accounts_file.remove(path, "TECH_DEPARTEMENT") == "account"
    assert path.read_text() == (REPO / "rules" / "accounts.toml").read_text()  # as it was
    assert "TECH_DEPARTEMENT" not in AccountBook(path).current().accounts
    with pytest.raises(ConfigError, match="no account or client"):
        accounts_file.remove(path, "TECH_DEPARTEMENT")


def test_accounts_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _config(tmp_path, 'accounts = "accounts.toml"')
    shutil.copy(REPO / "rules" / "accounts.toml", tmp_path / "accounts.toml")
    monkeypatch.setattr("sys.stdin", io.StringIO("Secret-Hopital-1\n"))
    code = main(
        [
            "accounts",
            "add",
            "TECH_HOPITAL",
            "--structure",
            "99900003000018:recipient",
            "--config",
            str(cfg),
        ]
    )
    assert code == 0 and "added" in capsys.readouterr().out
    assert main(["accounts", "list", "--config", str(cfg)]) == 0
    listed = capsys.readouterr().out
    assert "account TECH_HOPITAL: 99900003000018 recipient" in listed and "argon2" not in listed
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert (
        main(
            [
                "accounts",
                "add",
                "X",
                "--structure",
                "99900003000018:recipient",
                "--config",
                str(cfg),
            ]
        )
        == 2
    )
    assert main(["accounts", "add", "--client", "app-2", "--generate", "--config", str(cfg)]) == 0
    secret = capsys.readouterr().out.split("shown once): ")[1].split()[0]
    assert AccountBook(tmp_path / "accounts.toml").client("app-2", secret) is not None
    assert main(["accounts", "remove", "app-2", "--config", str(cfg)]) == 0


def test_tokens_expire_and_are_tied_to_the_key(tmp_path: Path) -> None:
    key = load_key(tmp_path)
    assert load_key(tmp_path) == key and len(key) == 32
    assert (tmp_path / "api-token-key").stat().st_mode & 0o777 == 0o600
    issuer = TokenIssuer(key, 60)
    token = issuer.issue("c")["access_token"]
    assert isinstance(token, str) and issuer.client_of(token) == "c"
    assert issuer.client_of(str(issuer.issue("c", now=time.time() - 61)["access_token"])) is None
    assert TokenIssuer(b"x" * 32, 60).client_of(token) is None
    assert issuer.client_of("") is None and issuer.client_of("a.b.c") is None


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("facture.xml", True),
        ("Facture n°1 é.pdf", True),
        ("../x", False),
        ("a/b", False),
        ("a\\b", False),
        (".cache", False),
        ("a\x00b", False),
        ("a\u202eb", False),
        ("a\u2028b", False),
        (" x", False),
        ("x" * 201, False),
        ("x" * 200, True),
    ],
)
def test_deposit_names(name: str, ok: bool) -> None:
    assert (name_problem(name) is None) is ok


def test_base64_is_strict() -> None:
    assert decode("QUJD\nREVG") == b"ABCDEF"
    with pytest.raises(ApiError) as caught:
        decode("QUJ*")
    assert caught.value.status == 400


def test_a_cancelled_deposit_is_never_claimed_and_leaves_nothing(tmp_path: Path) -> None:
    cfg = config.load(support.write_config(tmp_path))
    with Store(cfg.database) as store:
        claimer = Claimer(cfg, store)
        path = http_deposit.stage(cfg, "f.xml", b"<x/>")
        cancelled = http_deposit.PendingDeposit(path=path, account="A", flux_syntax="S")
        assert cancelled.answer.cancel()
        assert http_deposit.take(claimer, store, cfg.api_channel, cancelled) is None
        assert not path.exists() and store.fluxes() == []
        path = http_deposit.stage(cfg, "g.xml", b"<y/>")
        pending = http_deposit.PendingDeposit(path=path, account="A", flux_syntax="S")
        claim = http_deposit.take(claimer, store, cfg.api_channel, pending)
        assert claim is not None and pending.answer.result() == claim
        assert claim.channel == "depot-api" and claim.id_flux.startswith("EDIGW3")
        deposit = store.deposit(claim.id_flux)
        assert deposit is not None and deposit.account == "A" and deposit.flux_syntax == "S"
        assert Path(claim.work_path).read_bytes() == b"<y/>"
        http_deposit.stage(cfg, "h.xml", b"<z/>")
        assert http_deposit.discard_stale(cfg) == 1
        assert list(cfg.api_channel.folder.iterdir()) == []


def test_deposit_checks_mismatch(tmp_path: Path) -> None:
    cfg = config.load(support.write_config(tmp_path))
    with Store(cfg.database) as store:
        store.add_flux(
            id_flux="EDIGW31100000000000000001",
            channel="depot-api",
            original_name="f.xml",
            sha256="",
            size=1,
            received_at="t",
            work_path=None,
        )
        store.add_deposit(
            "EDIGW31100000000000000001", account="A", flux_syntax="IN_DP_E1_UBL_INVOICE"
        )
        cii = Detection(
            container=Container.XML,
            syntax=Syntax.CII,
            kind="invoice",
            flux_syntax="IN_DP_E1_CII_16B",
        )
        ubl = Detection(
            container=Container.XML,
            syntax=Syntax.UBL_INVOICE,
            kind="invoice",
            flux_syntax="IN_DP_E1_UBL_INVOICE",
        )
        found = deposit_checks.mismatch(store, "EDIGW31100000000000000001", cii)
        assert found is not None and found.rule == "GW-API-01"
        assert found.severity is Severity.ERROR and found.layer is Layer.DETECT
        assert deposit_checks.mismatch(store, "EDIGW31100000000000000001", ubl) is None
        assert deposit_checks.mismatch(store, "EDIGW11100000000000000001", cii) is None


def test_a_pdf_with_javascript_is_inadmissible() -> None:
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    from edi_gateway.core.model import Verdict
    from edi_gateway.validation.validator import Validator

    source = (REPO / "examples" / "04-ok-facturx-hopital-ej.pdf").read_bytes()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("x()")}
    )
    out = io.BytesIO()
    writer.write(out)
    validator = Validator()
    report = validator.validate(out.getvalue(), "js.pdf")
    assert report.verdict is Verdict.INADMISSIBLE
    assert [f.rule for f in report.errors] == ["GW-PDF-10"]
    assert "catalog action" in report.errors[0].message
    assert validator.validate(source, "ok.pdf").verdict is Verdict.ACCEPTED
