"""Retry delays and the queue of claims waiting for their next attempt."""

from __future__ import annotations

from edi_gateway.runtime import backoff
from edi_gateway.runtime.backoff import DeathWatch, RetryQueue, retry_delay


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


def test_one_file_that_kills_its_workers_is_not_a_systemic_fault():
    """The same file killing both workers in turn is the file's doing: its deaths count."""
    watch = DeathWatch(2, clock=lambda: 10.0)
    assert watch.died("A", 0) is None
    assert watch.died("A", 1) is None
    assert not watch.paused()


def test_every_worker_dying_on_different_files_pauses_with_a_growing_back_off():
    """Both workers die on two files: pause 5 s, their deaths forgiven; again: 10 s; a file
    that finishes resets the back-off."""
    now = [0.0]
    watch = DeathWatch(2, clock=lambda: now[0])
    assert watch.died("A", 0) is None
    first = watch.died("B", 1)
    assert first is not None and (first.pause_s, sorted(first.refund)) == (5.0, ["A", "B"])
    assert watch.paused()
    now[0] = 6.0
    assert not watch.paused()
    watch.died("A", 1)
    second = watch.died("C", 0)
    assert second is not None and second.pause_s == 10.0
    watch.success()
    watch.died("D", 0)
    assert watch.died("E", 1).pause_s == 5.0


def test_deaths_far_apart_or_after_a_success_are_unrelated():
    """Deaths more than DEATH_WINDOW apart, or separated by a finished file, never add up."""
    now = [0.0]
    watch = DeathWatch(1, clock=lambda: now[0])
    watch.died("A", 0)
    now[0] = backoff.DEATH_WINDOW + 1
    assert watch.died("B", 0) is None
    watch.success()
    assert watch.died("C", 0) is None


def test_a_file_is_forgiven_at_most_max_refunds_times():
    """Files that keep killing every worker stop being forgiven after MAX_REFUNDS pauses."""
    watch = DeathWatch(1, clock=lambda: 0.0)
    refunds = []
    for _ in range(backoff.MAX_REFUNDS + 2):
        watch.died("A", 0)
        refunds.append(watch.died("B", 0).refund)
    assert refunds[backoff.MAX_REFUNDS - 1] == ("A", "B")
    assert refunds[backoff.MAX_REFUNDS] == ()
