"""The observer's hint queue: FIFO, and a wake-up descriptor readable exactly while hints wait."""

from __future__ import annotations

import select
import threading

from edi_gateway.ingest.hint_queue import HintQueue


def _readable(hints: HintQueue) -> bool:
    return bool(select.select([hints], [], [], 0)[0])


def test_put_wakes_and_drain_clears():
    hints = HintQueue()
    try:
        assert not _readable(hints) and hints.drain() == []
        hints.put("a")
        hints.put("b")
        assert _readable(hints)
        assert hints.drain() == ["a", "b"]
        assert not _readable(hints)
    finally:
        hints.close()


def test_many_hints_from_a_thread_never_block_and_none_is_lost():
    """More puts than the pipe holds (64 KiB): put never blocks, every hint comes back."""
    hints = HintQueue()
    try:
        writer = threading.Thread(target=lambda: [hints.put(i) for i in range(100_000)])
        writer.start()
        writer.join(timeout=30)
        assert not writer.is_alive()
        assert hints.drain() == list(range(100_000))
    finally:
        hints.close()
