"""The task queue of a cluster: a Dramatiq broker on Redis and its one actor, ``process_flux``.

Job: build the broker from ``[cluster]`` (:func:`make_broker`), declare the actor with the retry
policy of the gateway (:func:`declare`) and turn a claim into a task message and back
(:func:`claim_message`, :func:`claim_from`). Both sides use it: a watcher sends one task per
claimed flux (:mod:`edi_gateway.runtime.broker_dispatch`), a worker runs them
(:mod:`edi_gateway.runtime.cluster_worker`).

Why Dramatiq on Redis (``docs/architecture.md``, "Work distribution"): Dramatiq acknowledges a
message only after its actor returned (late acknowledgement is its default, not an option), a
task that raised is retried with exponential back-off by its ``Retries`` middleware and a task
out of retries goes to the queue's dead-letter set; on Redis, the unacknowledged tasks of a
worker whose heartbeat stopped go back on the queue. Redis is one Debian package that starts as
an unprivileged user in a second, which the tests and the compose file rely on.

The message holds the claim's fields (IdFlux, channel, path in ``shared_dir/work``, name, digest,
size, reception time) as JSON; file names with bytes that are not UTF-8 travel as JSON's
``\\udcNN`` escapes and come back as the same surrogate-escaped text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from edi_gateway.core.config import Config
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.records import Claim

ACTOR_NAME = "process_flux"
NAMESPACE = "edi-gateway"
#: Out of a million broker commands, how many also run the queue maintenance (dead workers'
#: tasks back on the queue). Dramatiq's default (1,000) leaves a dead worker's task ~15 min on
#: an idle queue; 20,000 looks every ~50 commands (an idle worker polls about once a second).
MAINTENANCE_CHANCE = 20_000


def make_broker(config: Config) -> Any:
    """A Dramatiq ``RedisBroker`` on ``cluster.broker`` with the middleware the gateway uses:
    time limit (10 minutes a task), shutdown notifications, retries (per actor options).

    Raises:
        ConfigError: the cluster is not enabled, or dramatiq / redis are not installed.
    """
    if not config.cluster.enabled:
        raise ConfigError(f"{config.path}: [cluster] is not enabled")
    try:
        from dramatiq.brokers.redis import RedisBroker
        from dramatiq.middleware import Retries, ShutdownNotifications, TimeLimit
    except ImportError as exc:
        raise ConfigError(
            "a [cluster] needs dramatiq and redis: pip install 'edi-gateway[cluster]'"
        ) from exc
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=config.cluster.broker,
        namespace=NAMESPACE,
        heartbeat_timeout=int(config.cluster.heartbeat_seconds * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
        middleware=[TimeLimit(time_limit=600_000), ShutdownNotifications(), Retries()],
    )


def retry_options(config: Config) -> dict[str, int]:
    """Dramatiq ``Retries`` options from the gateway's: ``max_retries`` = ``max_attempts`` (the
    ledger's attempt count decides first: a worker sets the flux aside at its last attempt),
    back-off from the first to the last ``retry_seconds``, in milliseconds."""
    waits = config.retry_seconds or (2.0,)
    return {
        "max_retries": config.max_attempts,
        "min_backoff": max(1, int(waits[0] * 1000)),
        "max_backoff": max(1, int(waits[-1] * 1000)),
    }


def declare(broker: Any, config: Config, handler: Callable[[dict[str, Any]], None]) -> Any:
    """Declare ``process_flux`` on ``broker`` (queue ``cluster.queue``) running ``handler``
    with the message's claim dict; returns the Dramatiq actor (``.send(dict)``)."""
    import dramatiq

    options: dict[str, Any] = retry_options(config)
    decorate = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=config.cluster.queue,
        **options,
    )
    return decorate(handler)


def claim_message(claim: Claim) -> dict[str, Any]:
    """The task argument of a claim (JSON-ready)."""
    return {
        "id_flux": claim.id_flux,
        "channel": claim.channel,
        "work_path": str(claim.work_path),
        "original_name": claim.original_name,
        "sha256": claim.sha256,
        "size": claim.size,
        "received_at": claim.received_at,
    }


def claim_from(message: dict[str, Any]) -> Claim:
    """The claim of a task argument.

    Raises:
        ValueError: a field is missing or of the wrong type (a message not sent by a watcher).
    """
    try:
        return Claim(
            id_flux=str(message["id_flux"]),
            channel=str(message["channel"]),
            work_path=Path(str(message["work_path"])),
            original_name=str(message["original_name"]),
            sha256=str(message["sha256"]),
            size=int(message["size"]),
            received_at=str(message["received_at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a process_flux message: {exc}") from exc


def queue_size(broker: Any, config: Config) -> int:
    """Tasks waiting, delayed or in progress on the queue (Dramatiq's ``qsize`` script)."""
    return int(broker.do_qsize(config.cluster.queue))
