"""What every command shares: the database, the coordinator, and how errors leave.

Errors the user can cause arrive as ``CoalitionError`` and leave as one sentence
on stderr with exit status 1 (usage errors are click's, status 2). So do the failures
of the database a user can act on (locked, read-only, disk full, damaged) that reach
here from a path with no sentence of its own, and a full disk while a file is written.
Output whose reader stops reading (``| head``) ends without a word, with status 141;
Ctrl+C with one line that says whether anything was saved, with status 130.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from coalition import interrupts, settings
from coalition.errors import CoalitionError


class CoalitionGroup(click.Group):
    """A group that turns user-caused errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except CoalitionError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            stop_quietly()
        except KeyboardInterrupt as exc:
            stop_interrupted(ctx, exc)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                state = ctx.find_object(State)
                written = exc.filename or (state.file_on_full_disk() if state else None)
                where = f"the disk holding {written}" if written else "the disk"
                raise click.ClickException(
                    f"{where[0].upper()}{where[1:]} is full; nothing was changed. "
                    "Free some space and try again."
                ) from None
            # A file the user named cannot be written or read (no such folder, no permission):
            # say which and why, without a traceback.
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}.") from None
        except Exception as exc:
            problem = database_problem(ctx, exc)
            if problem is None:
                raise
            raise click.ClickException(problem) from None
        if self.finished_is_final:
            # The command has done and said all it does: a Ctrl+C now (while the process
            # exits) would find nothing to stop, yet click would print "Aborted!" and exit 1.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return result

    finished_is_final = False
    """Set by ``main`` (a process of its own), never in a test's process: after the command
    returns, Ctrl+C is ignored."""


def saved_from_here() -> None:
    """The command's work is saved: a Ctrl+C while it reports and exits stops nothing, and
    landing in whatever the process is freeing it would print a traceback. In a process
    of its own (``CoalitionGroup.finished_is_final``), Ctrl+C is ignored from here on."""
    if CoalitionGroup.finished_is_final:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def database_problem(ctx: click.Context, exc: BaseException) -> str | None:
    """The sentence for a failure of the database (an SQLite error, bare or wrapped by
    SQLAlchemy) that reached the command line without one; None for anything else."""
    if not type(exc).__module__.startswith(("sqlite3", "sqlalchemy")):
        return None  # and the database layer stays unloaded for what is not its failure
    import sqlite3
    from pathlib import Path

    if not isinstance(exc, sqlite3.Error) and not isinstance(
        getattr(exc, "orig", None), sqlite3.Error
    ):
        return None

    from coalition.store.database import explain
    from coalition.store.where import to_url

    state = ctx.find_object(State)
    db = state._db if state is not None else None
    if db is not None:
        path, where = db.path, db.where
    else:
        target = settings.database_target(state.db_option if state else None)
        url = to_url(target)
        path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        where = str(path) if path else target
    problem = explain(exc, path, where)
    return str(problem) if problem is not None else None


def stop_interrupted(
    ctx: click.Context, exc: KeyboardInterrupt, *, saved_as: str | None = None
) -> NoReturn:
    """Ctrl+C: one line that tells the truth about what was saved, and status 130.

    A unit of work interrupted says whether it had committed (``Interrupted.saved``);
    otherwise what counts is whether any unit of this command had. ``saved_as``: the
    line to print when the work was saved (what it was saved as, how to undo it).
    """
    saved_from_here()  # stopping now: a second Ctrl+C would only cut the sentence short
    state = ctx.find_object(State)
    db = state._db if state is not None else None
    saved = bool(getattr(exc, "saved", False)) or (db is not None and db.commits > 0)
    if saved:
        message = saved_as or (
            "Interrupted; what was done before was saved (see `coalition history`)."
        )
    else:
        message = "Interrupted; nothing was changed."
    interrupts.exit_interrupted(message)


SIGPIPE_STATUS = 141
"""The status a shell reports for a program ended by SIGPIPE (128 + 13), as ``seq 1 99999 |
head -1`` leaves it."""


def stop_quietly() -> NoReturn:
    """The reader of the output went away (``coalition contact list | head -1``): stop
    without a word, as any filter would.

    As the Python documentation advises, a stream whose pipe is broken is pointed at
    /dev/null so that flushing it at exit does not fail again (and print a traceback).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                pass  # not a real file (a test's captured output): nothing left to fail
            finally:
                os.close(devnull)
    raise SystemExit(SIGPIPE_STATUS)


class State:
    """What every command needs: the database (opened on first use) and the coordinator."""

    def __init__(self, db_option: str | None, as_option: str | None) -> None:
        self.db_option = db_option
        self.claimed = settings.coordinator(as_option)
        """Who the person says they are (--as, $COALITION_USER, the login name)."""
        self.declared = bool(as_option and as_option.strip())
        """Whether they said it themselves, with --as."""
        self._coordinator: str | None = None
        self._db: Any = None
        self.command: click.Context | None = None
        """The running command's context (``pass_state`` keeps it): what it was given."""

    def file_on_full_disk(self) -> str | None:
        """Which of the files the command was given sits on the disk that filled: the one
        on a disk with (next to) no space left, else the only one it was given."""
        import shutil

        if self.command is None:
            return None
        files: list[str] = []
        for param in self.command.command.params:
            value = self.command.params.get(param.name or "")
            if isinstance(param.type, click.Path) and value:
                values = value if isinstance(value, list | tuple) else [value]
                files.extend(os.fspath(v) for v in values)
        for file in files:
            folder = file if os.path.isdir(file) else os.path.dirname(os.path.abspath(file))
            try:
                if shutil.disk_usage(folder).free < FULL_BYTES:
                    return file
            except OSError:
                continue
        return files[0] if len(files) == 1 else None

    # The root group makes a State before it knows the command, and the terminal app loads
    # the database layer (SQLAlchemy, ~0.2 s) in a worker thread: only a command that uses
    # the database imports it, here.
    @property
    def db(self) -> Any:
        return self.opened()

    def opened(self, *, upgrade: bool = True) -> Any:
        """The database, opened on first use; ``upgrade=False`` leaves an older schema as
        it is (``coalition check`` looks at the file as it is)."""
        if self._db is None:
            from coalition.store.database import open_database

            self._db = open_database(settings.database_target(self.db_option), upgrade=upgrade)
            if upgrade:
                self._warn_of_unfinished_erasures()
        return self._db

    def _warn_of_unfinished_erasures(self) -> None:
        """An erasure recorded but not finished (the file not yet rewritten, so the
        person's details may still sit in it) is said on every command until it is."""
        if self.command is not None and self.command.command_path.endswith("person erase"):
            return  # it says so itself, and finishes it
        from coalition.domain.privacy import pending_erasures

        with self._db.read_session() as session:
            pending = pending_erasures(session)
        if pending:
            noun = "erasure is" if pending == 1 else "erasures are"
            click.echo(
                f"Warning: {pending} {noun} not finished: what was erased may still be in "
                "the database file. Close the other programs that have it open and run "
                "`coalition person erase --finish`.",
                err=True,
            )

    @property
    def coordinator(self) -> str:
        """Who is recorded with every change: the name claimed on a SQLite file, the
        database role on a server (``domain.team.acting_coordinator``, which the terminal
        app asks too). A file's commands need not open it to know."""
        if self._coordinator is None:
            if not settings.is_server(settings.database_target(self.db_option)):
                self._coordinator = self.claimed
            else:
                from coalition.domain.team import acting_coordinator

                self._coordinator = acting_coordinator(
                    self.db, self.claimed, declared=self.declared
                )
        return self._coordinator

    def work(self) -> Any:
        from coalition.domain.audit import work

        return work(self.db, self.coordinator)

    def read(self) -> Any:
        return self.db.read_session()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


FULL_BYTES = 1 << 20
"""Less free space than this, and a disk is taken for the one that filled."""

_pass_state = click.make_pass_decorator(State)


def pass_state(f: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the State to a command, as ``click.make_pass_decorator(State)`` does, and keep
    the command's context on it for the sentences said when it fails."""

    @functools.wraps(f)
    def remember(state: State, *args: Any, **kwargs: Any) -> Any:
        state.command = click.get_current_context()
        return f(state, *args, **kwargs)

    return _pass_state(remember)
