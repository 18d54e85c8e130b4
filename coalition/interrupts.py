"""Ctrl+C in a process of its own (the ``coalition`` command): a ``KeyboardInterrupt`` where
the program is, one sentence, and status 130, from the first moment to the last.

Light on purpose (the standard library alone): ``coalition.__main__`` installs the handler
before it loads the program, so that a Ctrl+C while Python loads it is answered too.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import weakref
from types import FrameType
from typing import NoReturn

INTERRUPTED_STATUS = 130
"""The status a shell reports for a program ended by Ctrl+C (128 + SIGINT)."""


def install() -> None:
    """Answer Ctrl+C with ``on_interrupt`` (and the moment-later retry it asks for)."""
    signal.signal(signal.SIGINT, on_interrupt)
    signal.signal(signal.SIGALRM, on_interrupt)


def on_interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl+C: ``KeyboardInterrupt`` where the command is, as Python's own handler raises
    it, except inside a finaliser (a weakref callback, a ``__del__``). Raised there, Python
    prints it as "Exception ignored" with a traceback and goes on as if no key had been
    pressed: a copy or an import would then finish and say it was saved. It is raised again
    a moment later instead (SIGALRM), once the finaliser has returned."""
    at = frame
    while at is not None:
        code = at.f_code
        if code.co_filename == weakref.__file__ or code.co_name == "__del__":
            signal.setitimer(signal.ITIMER_REAL, 0.005)
            return
        at = at.f_back
    raise KeyboardInterrupt


def exit_interrupted(message: str) -> NoReturn:
    """End the process after a Ctrl+C that was answered: ``message`` on stderr (it says
    what was saved; on a terminal it starts after the ^C the terminal echoed), status 130.

    CPython marks a ``KeyboardInterrupt`` that leaves any ``exec()`` of a string as
    unhandled, even when it is caught further up, and a process run as ``python -m
    coalition`` so marked ends itself by SIGINT at exit, whatever status it asked for
    (``run_eval_code_obj``, ``Py_RunMain``; seen with 3.11). ``dataclasses`` and
    ``namedtuple`` build their methods that way, so a Ctrl+C while a module loaded left the
    process killed by the signal after it had said what was saved. Each ``exec()`` of a
    string clears the mark before it runs: one here, once the interrupt is answered, leaves
    the status ours."""
    exec("")  # clears CPython's unhandled-interrupt mark (above)
    with contextlib.suppress(OSError, ValueError):
        print(("\n" if sys.stderr.isatty() else "") + message, file=sys.stderr, flush=True)
    raise SystemExit(INTERRUPTED_STATUS)
