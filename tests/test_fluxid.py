"""IdFlux drawing: shape, gateway instance, uniqueness, per-application counters, bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edi_gateway.core import config as config_module
from edi_gateway.core.errors import ConfigError
from edi_gateway.store.database import Store
from edi_gateway.store.fluxid import instance_in, is_id_flux, new_id_flux
from tests.fixtures.daemon import support


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "gw.sqlite3") as opened:
        yield opened


def test_first_id_flux_has_the_cpp_shape(store: Store) -> None:
    """The first IdFlux is app code + interface number + 15-digit counter starting at 1."""
    id_flux = new_id_flux(store, "EDIGW1")
    assert id_flux == "EDIGW11100000000000000001"
    assert len(id_flux) == 25
    assert is_id_flux(id_flux)


def test_counter_is_per_application_code(store: Store) -> None:
    """Each application code has its own counter; the interface number only changes digits 7-10."""
    assert new_id_flux(store, "EDIGW1") == "EDIGW11100000000000000001"
    assert new_id_flux(store, "EDIGW1", "1106") == "EDIGW11106000000000000002"
    assert new_id_flux(store, "ABC123") == "ABC1231100000000000000001"


def test_ids_are_unique_across_two_connections(tmp_path: Path) -> None:
    """Two store connections (two processes) never draw the same IdFlux."""
    path = tmp_path / "gw.sqlite3"
    with Store(path) as one, Store(path) as two:
        drawn = [new_id_flux(one if i % 2 else two, "EDIGW1") for i in range(20)]
    assert len(set(drawn)) == 20


@pytest.mark.parametrize(
    ("code", "number"), [("edigw1", "1100"), ("EDIGW", "1100"), ("EDIGW1", "11A0")]
)
def test_bad_arguments_raise_config_error(store: Store, code: str, number: str) -> None:
    """A malformed application code or interface number is a configuration error."""
    with pytest.raises(ConfigError):
        new_id_flux(store, code, number)


def test_is_id_flux_rejects_other_shapes() -> None:
    """Only 6 [A-Z0-9] + 19 digits is an IdFlux."""
    assert not is_id_flux("EDIGW1110000000000000001")
    assert not is_id_flux("../../etc/passwd")


def test_the_instance_sits_between_interface_and_counter(store: Store) -> None:
    """Layout: app code (6) + interface (4) + instance (2) + 13-digit counter = 25 characters."""
    id_flux = new_id_flux(store, "EDIGW1", instance=7)
    assert id_flux == "EDIGW1" + "1100" + "07" + "0000000000001"
    assert len(id_flux) == 25 and is_id_flux(id_flux) and instance_in(id_flux) == 7


@pytest.mark.parametrize("instance", [-1, 100])
def test_an_instance_outside_0_99_is_refused(store: Store, instance: int) -> None:
    """An instance that does not fit two digits is a configuration error."""
    with pytest.raises(ConfigError, match="0 to 99"):
        new_id_flux(store, "EDIGW1", instance=instance)


def _config_with_instance(tmp_path: Path, instance: int) -> Path:
    path = support.write_config(tmp_path)
    text = path.read_text().replace("[validation]", f"instance = {instance}\n\n[validation]")
    path.write_text(text)
    return path


def test_two_gateways_with_their_own_instance_never_draw_the_same_id(tmp_path: Path) -> None:
    """Separate databases (separate var/) count from 1 each; gateway.instance keeps their ids
    apart."""
    one = config_module.load(_config_with_instance(tmp_path / "a", 0))
    two = config_module.load(_config_with_instance(tmp_path / "b", 1))
    with Store(one.database) as first, Store(two.database) as second:
        a = [new_id_flux(first, "EDIGW1", instance=one.instance) for _ in range(3)]
        b = [new_id_flux(second, "EDIGW1", instance=two.instance) for _ in range(3)]
    assert a[0] == "EDIGW11100000000000000001"
    assert b[0] == "EDIGW11100010000000000001"
    assert not set(a) & set(b)


def test_the_process_command_uses_the_configured_instance(tmp_path: Path, capsys) -> None:
    """``edi-gateway process`` draws its IdFlux with gateway.instance of its configuration."""
    from edi_gateway import cli

    cfg = _config_with_instance(tmp_path, 42)
    dropped = tmp_path / "facture.xml"
    dropped.write_bytes(b"not xml")
    assert cli.main(["process", "--config", str(cfg), "--format", "json", str(dropped)]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["id_flux"] == "EDIGW11100420000000000001"


def test_a_reserve_draws_a_batch_per_commit_and_never_meets_other_drawers(tmp_path: Path) -> None:
    """The daemon's IdFluxReserve takes 32 numbers in one commit; a worker drawing one at a
    time from the same store meanwhile gets a number after the batch; a second reserve (a
    restart) starts after the first batch: the unused numbers are skipped, never reissued."""
    from edi_gateway.store.fluxid import IdFluxReserve

    outbound = tmp_path / "outbound"
    outbound.mkdir()
    with Store(tmp_path / "var" / "g.sqlite3") as store:
        reserve = IdFluxReserve(instance=0, outbound=outbound)
        first = [reserve(store, "EDIGW1") for _ in range(3)]
        other = new_id_flux(store, "EDIGW1", outbound=outbound)
        more = [reserve(store, "EDIGW1") for _ in range(30)]
        restarted = IdFluxReserve(instance=0, outbound=outbound)(store, "EDIGW1")
    counters = [int(i[-13:]) for i in (*first, *more)]
    assert counters == [*range(1, 33), 34] and all(is_id_flux(i) for i in first)
    assert int(other[-13:]) == 33  # drawn after the reserved batch, never inside it
    assert int(restarted[-13:]) == 34 + 32  # the rest of the second batch is skipped
    assert len({*first, *more, other, restarted}) == 35


def test_a_reserve_stops_at_the_end_of_a_leased_block(tmp_path: Path) -> None:
    from edi_gateway.store import fluxid_lease
    from edi_gateway.store.fluxid import IdFluxReserve

    outbound = tmp_path / "outbound"
    outbound.mkdir()
    with Store(tmp_path / "var" / "g.sqlite3") as store:
        reserve = IdFluxReserve(instance=0, outbound=outbound, batch=300)
        ids = [int(reserve(store, "EDIGW1")[-13:]) for _ in range(fluxid_lease.BLOCK + 5)]
    assert ids == list(range(1, fluxid_lease.BLOCK + 6))
