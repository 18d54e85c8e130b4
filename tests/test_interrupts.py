"""Ctrl+C in a process of its own (``cli.main``): raised where the command is, but never
lost inside a finaliser, where Python would print it and carry on."""

from __future__ import annotations

import signal
import sys
import time
import weakref

import pytest

from coalition import cli


def test_ctrl_c_stops_the_command_where_it_is() -> None:
    with pytest.raises(KeyboardInterrupt):
        cli._interrupt(signal.SIGINT, sys._getframe())


def test_ctrl_c_inside_a_finaliser_comes_a_moment_after_it() -> None:
    outcome: list[str] = []

    def finaliser() -> None:  # runs inside weakref.finalize, as SQLAlchemy's cleanups do
        try:
            cli._interrupt(signal.SIGINT, sys._getframe())
            outcome.append("deferred")
        except KeyboardInterrupt:
            outcome.append("raised inside the finaliser, where Python would drop it")

    class Record:
        pass

    record = Record()
    weakref.finalize(record, finaliser)
    before = signal.signal(signal.SIGALRM, cli._interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            del record
            time.sleep(2)  # the interrupt arrives here, once the finaliser has returned
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert outcome == ["deferred"]
