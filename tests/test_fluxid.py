"""IdFlux drawing: shape, uniqueness, per-application counters, bad arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.errors import ConfigError
from edi_gateway.fluxid import is_id_flux, new_id_flux
from edi_gateway.store import Store


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
