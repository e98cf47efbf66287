"""A thread reading a local CPU server's stream runs without wakeup preemption, and only while it reads."""
from __future__ import annotations

import os
import sys
import threading

import pytest

from backends.runtime.scheduling import without_wakeup_preemption

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_BATCH is Linux's")


def test_the_policy_holds_inside_the_block_for_this_thread_only_and_is_put_back():
    before = os.sched_getscheduler(0)
    inside, checked, seen_by_other = threading.Event(), threading.Event(), []

    def other_thread():  # one of the app's other threads, running while this one reads
        inside.wait(10)
        seen_by_other.append(os.sched_getscheduler(0))
        checked.set()

    other = threading.Thread(target=other_thread)
    other.start()
    with without_wakeup_preemption():
        assert os.sched_getscheduler(0) == os.SCHED_BATCH
        inside.set()
        checked.wait(10)
    other.join()
    assert seen_by_other == [before]
    assert os.sched_getscheduler(0) == before


def test_the_policy_is_put_back_when_the_block_fails():
    before = os.sched_getscheduler(0)
    with pytest.raises(ValueError):
        with without_wakeup_preemption():
            raise ValueError("a broken stream")
    assert os.sched_getscheduler(0) == before
