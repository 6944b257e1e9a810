"""The order in which settled files are claimed: new arrivals before a backlog.

Job: hold the files the :class:`~edi_gateway.ingest.claim.Settler` found complete, in two FIFO
queues: those an observer event noted (files that arrived while the gateway runs) and those only
a sweep found (a backlog present at start, files whose events were missed). :meth:`popleft`
serves the first queue first, so a file dropped while a backlog of any length drains waits only
for the files already in progress and the claimed spares (one per worker), never for the
backlog. Input: ``Settler.ripe_by_source()``; output: ``(path, channel)`` one at a time.
"""

from __future__ import annotations

from collections import deque

from edi_gateway.core.config import Channel

Settled = tuple[str, Channel]


class IntakeOrder:
    """Two FIFO queues of settled ``(path, channel)``: fresh (event-noted) before swept."""

    def __init__(self) -> None:
        self.fresh: deque[Settled] = deque()
        self.swept: deque[Settled] = deque()

    def __len__(self) -> int:
        return len(self.fresh) + len(self.swept)

    def extend(self, by_source: tuple[list[Settled], list[Settled]]) -> None:
        """Queue ``(fresh, swept)`` as ``Settler.ripe_by_source`` returns them."""
        self.fresh.extend(by_source[0])
        self.swept.extend(by_source[1])

    def popleft(self) -> Settled:
        """The oldest fresh file, else the oldest swept one.

        Raises:
            IndexError: both queues are empty.
        """
        return (self.fresh or self.swept).popleft()
