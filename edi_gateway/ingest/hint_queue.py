"""The observer's hints to the daemon's loop, with a file descriptor that wakes the loop.

Job: carry ``(path, channel, complete)`` hints from the watchdog thread to the main loop, and
make a new hint end the loop's wait at once. The loop blocks in
``multiprocessing.connection.wait`` on its workers' pipes (up to ``TICK_SECONDS``); this
queue's :meth:`HintQueue.fileno` (the read end of a non-blocking pipe) is one more waitable,
readable as soon as a hint was put. Without it a file dropped while every worker is idle
waited for the end of the current tick (up to 100 ms) before it was even looked at.
"""

from __future__ import annotations

import contextlib
import os
import queue
from typing import Any


class HintQueue:
    """A thread-safe FIFO of hints plus a wake-up pipe.

    ``put`` (any thread) queues an item and makes :meth:`fileno` readable; ``drain`` (the
    loop) empties the pipe first, then returns every queued item in order, so a hint put
    meanwhile either comes back now or wakes the next wait. Never raises for a full pipe (a
    wake-up is already pending then).

    Raises:
        OSError: the pipe cannot be created (no file descriptors left), from the constructor.
    """

    def __init__(self) -> None:
        self._items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def fileno(self) -> int:
        """The read end of the wake-up pipe (for ``select`` / ``connection.wait``)."""
        return self._read

    def put(self, item: Any) -> None:
        """Queue ``item`` and wake the loop."""
        self._items.put(item)
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._write, b"\0")

    def drain(self) -> list[Any]:
        """Every queued item, oldest first; the wake-up pipe is emptied before."""
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._read, 4096):
                pass
        items = []
        with contextlib.suppress(queue.Empty):
            while True:
                items.append(self._items.get_nowait())
        return items

    def close(self) -> None:
        """Close both ends of the pipe (the queue stays readable)."""
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
