"""The gateway's lock files: a symbolic link under a lock's name is refused, never followed."""

from __future__ import annotations

import os

from edi_gateway.core import config as config_module
from edi_gateway.runtime import locks as gateway_locks
from tests.fixtures.daemon import support


class _Log:
    """Records ``error`` calls as ``(event, fields)``."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, dict]] = []

    def error(self, event: str, **fields: object) -> None:
        self.errors.append((event, fields))


def test_a_symlinked_outbound_lock_is_refused_and_its_target_kept(tmp_path):
    """outbound/.gateway-NN.lock as a link: start refused with a clear message, target intact."""
    config = config_module.load(support.write_config(tmp_path))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock = gateway_locks.outbound_lock_path(config)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.symlink_to(victim)
    log = _Log()
    assert gateway_locks.hold_outbound(config, log) is None
    assert victim.read_text() == "precious"
    [(event, fields)] = log.errors
    assert event == "gateway.failed" and "symbolic link" in str(fields["message"])


def test_a_regular_lock_is_held_with_our_pid_and_not_inherited(tmp_path):
    """The lock file holds our pid; its descriptor is close-on-exec."""
    config = config_module.load(support.write_config(tmp_path))
    fd = gateway_locks.hold_outbound(config, _Log())
    assert fd is not None
    try:
        assert gateway_locks.outbound_lock_path(config).read_text() == f"{os.getpid()}\n"
        assert not os.get_inheritable(fd)
    finally:
        os.close(fd)
