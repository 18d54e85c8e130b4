"""Ctrl+C in a process of its own (``cli.main``): raised where the command is, but never
lost inside a finaliser, where Python would print it and carry on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest

from coalition import interrupts


def test_ctrl_c_stops_the_command_where_it_is() -> None:
    with pytest.raises(KeyboardInterrupt):
        interrupts.on_interrupt(signal.SIGINT, sys._getframe())


def test_ctrl_c_inside_a_finaliser_comes_a_moment_after_it() -> None:
    outcome: list[str] = []

    def finaliser() -> None:  # runs inside weakref.finalize, as SQLAlchemy's cleanups do
        try:
            interrupts.on_interrupt(signal.SIGINT, sys._getframe())
            outcome.append("deferred")
        except KeyboardInterrupt:
            outcome.append("raised inside the finaliser, where Python would drop it")

    class Record:
        pass

    record = Record()
    weakref.finalize(record, finaliser)
    before = signal.signal(signal.SIGALRM, interrupts.on_interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            del record
            time.sleep(2)  # the interrupt arrives here, once the finaliser has returned
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert outcome == ["deferred"]


# A Ctrl+C at a chosen moment of a real `coalition` process: a finder on sys.meta_path
# presses it as the named module is about to load, from inside an exec() of a string when
# asked (as dataclasses and namedtuple build their methods while a module loads).
_PRESS_CTRL_C = """
import sys

def press():
    import os, signal
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(10**7): pass

class Press:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            if {in_exec!r}:
                exec("press()")
            else:
                press()
        return None

sys.meta_path.insert(0, Press())
sys.argv = ["coalition", "--db", {db!r}, "org", "list"]
from coalition.__main__ import run
run()
"""


def _ctrl_c_while_loading(tmp_path: Path, module: str, *, in_exec: bool) -> tuple[int, str]:
    script = tmp_path / "press.py"
    db = str(tmp_path / "coalition.db")
    script.write_text(_PRESS_CTRL_C.format(module=module, in_exec=in_exec, db=db))
    # run as a module, as `python -m coalition` runs (a script's SystemExit ends the process
    # by another road, Py_Exit, which never looks at the mark exit_interrupted clears)
    done = subprocess.run(
        [sys.executable, "-m", "press"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("in_exec", [False, True], ids=["plain", "inside an exec"])
def test_ctrl_c_while_a_command_loads_ends_with_status_130(tmp_path: Path, in_exec: bool) -> None:
    """Inside an exec() of a string CPython marks the interrupt unhandled even once it is
    answered, and the process used to end killed by SIGINT after saying its sentence."""
    status, stderr = _ctrl_c_while_loading(tmp_path, "coalition.cli.orgs", in_exec=in_exec)
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted; nothing was changed."
    assert status == 130, stderr


@pytest.mark.parametrize("in_exec", [False, True], ids=["plain", "inside an exec"])
def test_ctrl_c_while_the_program_loads_is_answered_too(tmp_path: Path, in_exec: bool) -> None:
    """Before the command line exists (click loading): the sentence, not a traceback."""
    status, stderr = _ctrl_c_while_loading(tmp_path, "click", in_exec=in_exec)
    assert "Traceback" not in stderr, stderr
    assert stderr.strip() == "Interrupted; nothing was changed."
    assert status == 130, stderr
    assert not (tmp_path / "coalition.db").exists()
