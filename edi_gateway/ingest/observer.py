"""Watch the inbound channel folders with watchdog and queue ``(path, channel)`` hints.

Job: run the watchdog observer (inotify, or polling when ``gateway.observer = "polling"``) over
every channel folder and turn each file event directly in one of them into a ``(path, channel)``
hint on the daemon's queue; restart the observer when it dies. Input: the configuration
(channels, observer kind, ``poll_seconds``, ``sweep_seconds``) and the queue; output: hints, and
the log events ``observer.failed`` / ``observer.restarted``. It never claims, reads or moves a
file (events are only hints: the daemon's sweeps of the folders are the truth) and never stops
the gateway: an observer that cannot start is retried after ``sweep_seconds``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from edi_gateway.core import logs
from edi_gateway.core.config import Channel, Config
from edi_gateway.ingest.hint_queue import HintQueue

# watchdog's inotify emitter holds every IN_MOVED_FROM for 0.5 s to pair it with its IN_MOVED_TO,
# and its queue is FIFO: each claim (a rename out of the watched folder, never paired) stalled
# every later event by 0.5 s. A rename inside one folder is delivered in one read, so pairing
# needs microseconds; 0.05 s keeps pairing and removes the stall (measured: drop -> claim
# p50 ~630 ms -> settle + ~0.1 s).
INOTIFY_MOVE_DELAY = 0.05
_HINT_EVENTS = {"created", "modified", "moved", "closed"}
#: Events after which a file is complete, when inotify reports them: its writer closed it
#: (``IN_CLOSE_WRITE``) or it arrived by rename (``IN_MOVED_TO``, paired or from an unwatched
#: folder: ``generate_full_events``). The polling observer infers moves from snapshots and
#: vouches for nothing.
_COMPLETE_EVENTS = {"closed", "moved"}


def _shorten_inotify_move_delay() -> None:
    """Set watchdog's move-pairing delay to :data:`INOTIFY_MOVE_DELAY` (Linux only)."""
    try:
        from watchdog.observers.inotify_move_event_grouper import (  # type: ignore[import-not-found,unused-ignore]  # watchdog < 7 has no grouper module
            InotifyMoveEventGrouper,
        )
    except ImportError:  # not Linux, or another watchdog layout: keep its default
        return
    InotifyMoveEventGrouper.delay = INOTIFY_MOVE_DELAY


def _native_observer() -> tuple[BaseObserver, bool]:
    """The platform's observer, and whether its events vouch for complete files: inotify with
    ``generate_full_events`` (a file renamed in from an unwatched folder is a ``moved`` event,
    not a ``created`` one) does; other platforms' observers do not."""
    try:
        from watchdog.observers.inotify import InotifyObserver
    except ImportError:  # not Linux
        return Observer(), False
    return InotifyObserver(generate_full_events=True), True


class _Hints(FileSystemEventHandler):
    """Observer-thread side: turn events into ``(path, channel)`` hints; never raises."""

    def __init__(
        self, folders: dict[str, Channel], hints: HintQueue | queue.SimpleQueue[Any], vouches: bool
    ) -> None:
        self.folders = folders
        self.hints = hints
        self.vouches = vouches  # inotify: closed / moved-in events say the file is complete

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Queue the file an event names when it sits directly in a channel folder."""
        try:
            if event.is_directory or event.event_type not in _HINT_EVENTS:
                return
            raw = event.dest_path if event.event_type == "moved" else event.src_path
            path = os.fsdecode(raw)
            channel = self.folders.get(str(Path(path).parent))
            if channel is not None:
                complete = self.vouches and event.event_type in _COMPLETE_EVENTS
                self.hints.put((path, channel, complete))
        except Exception:  # noqa: S110 - the observer thread must never die of a hint
            pass


class ChannelObserver:
    """The watchdog observer over the channel folders, restarted when it dies.

    Args:
        config: gateway configuration (``channels``, ``observer``, ``poll_seconds``,
            ``sweep_seconds``).
        hints: the queue that receives ``(path, channel, complete)`` hints (read by the
            daemon's loop); ``complete`` is True for an inotify close-after-write or
            moved-in event (:class:`~edi_gateway.ingest.claim.Settler` takes such a file at
            once), False for every other event and for the polling observer.

    Use: ``start()`` once, ``check()`` on every tick of the main loop, ``stop()`` at the end.
    """

    def __init__(self, config: Config, hints: HintQueue | queue.SimpleQueue[Any]) -> None:
        self.config = config
        self.hints = hints
        self.log = logs.get_logger()
        self.observer: BaseObserver | None = None
        self.next_try = 0.0

    def start(self) -> None:
        """Schedule every channel folder and start the observer; on failure log
        ``observer.failed`` and try again after ``sweep_seconds`` (from :meth:`check`)."""
        folders = {str(c.folder): c for c in self.config.channels}
        vouches = False
        if self.config.observer == "polling":
            observer: BaseObserver = PollingObserver(timeout=self.config.poll_seconds)
        else:
            _shorten_inotify_move_delay()
            observer, vouches = _native_observer()
        handler = _Hints(folders, self.hints, vouches)
        try:
            for folder in folders:
                observer.schedule(handler, folder, recursive=False)
            observer.start()
        except Exception as exc:  # the sweeps still find every file
            self.log.error("observer.failed", error=type(exc).__name__, message=str(exc))
            self.next_try = time.monotonic() + self.config.sweep_seconds
            return
        self.observer = observer

    def check(self) -> None:
        """Restart the observer (``observer.restarted``) when it is not alive and its retry
        time has come; costs nothing while it runs."""
        if self.observer is not None and self.observer.is_alive():
            return
        if time.monotonic() < self.next_try:
            return
        self.log.warning("observer.restarted")
        self.observer = None
        self.start()

    def stop(self) -> None:
        """Stop the observer thread (waits up to 5 s for it); never raises."""
        if self.observer is not None:
            with contextlib.suppress(Exception):
                self.observer.stop()
                self.observer.join(timeout=5)
