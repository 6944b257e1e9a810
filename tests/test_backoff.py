"""Retry delays and the queue of claims waiting for their next attempt."""

from __future__ import annotations

from edi_gateway.backoff import RetryQueue, retry_delay


def test_retry_delay_follows_the_list_then_repeats_its_last_value():
    """Attempt 1 failed -> 2 s, attempt 2 -> 10 s, later ones -> 10 s again; empty list -> 0."""
    delays = (2.0, 10.0)
    assert [retry_delay(delays, n) for n in (1, 2, 3, 7)] == [2.0, 10.0, 10.0, 10.0]
    assert retry_delay((), 1) == 0.0


def test_retry_queue_gives_claims_back_when_due_earliest_first():
    """A claim put after its first failure is due 2 s later; one put after its second, 10 s."""
    now = [100.0]
    queue = RetryQueue((2.0, 10.0), clock=lambda: now[0])
    assert queue.put("late", 2) == 10.0
    assert queue.put("soon", 1) == 2.0
    assert queue.due() == [] and len(queue) == 2
    now[0] = 102.0
    assert queue.due() == ["soon"]
    now[0] = 110.0
    assert queue.due() == ["late"] and len(queue) == 0 and queue.claims() == []
