"""What the daemon runs beside its loop: the Service-mode HTTP API (or a test's stand-in).

The daemon (:mod:`edi_gateway.runtime.daemon`) starts a :class:`Service` after its workers
(deposits come back through its hint queue, :mod:`edi_gateway.ingest.http_deposit`), and
stops it first when it stops, so that no deposit is staged after the last drain.
"""

from __future__ import annotations

from typing import Any, Protocol


class Service(Protocol):
    """What runs beside the loop (the HTTP API): started with the gateway, stopped first."""

    def start(self, host: Any) -> None:
        """Start serving. ``host`` is the running gateway: its ``hints`` queue (put each staged
        deposit there), ``pool`` (the workers) and ``config``. Raises OSError when the listen
        address is taken."""

    def observe(self, event: Any) -> None:
        """A worker finished (``Finished``) or died (``Died``): for the metrics; never raises."""

    def stop(self) -> None:
        """Stop serving (requests in progress end first); never raises."""
