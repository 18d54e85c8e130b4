"""Batch jobs pause the cycle collector and always give it back."""

from __future__ import annotations

import gc

import pytest

from coalition.memory import collector_paused


def test_the_collector_runs_again_after_the_outermost_pause() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_a_pause_does_not_leave_the_collector_off() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("bad row")
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
