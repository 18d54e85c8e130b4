"""What every command shares: the database, the coordinator, and how errors leave.

Errors the user can cause arrive as ``CoalitionError`` and leave as one sentence
on stderr with exit status 1 (usage errors are click's, status 2). Output whose
reader stops reading (``| head``) ends without a word, with status 141.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from coalition import settings
from coalition.errors import CoalitionError


class CoalitionGroup(click.Group):
    """A group that turns user-caused errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoalitionError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            stop_quietly()
        except OSError as exc:
            # A file the user named cannot be written or read (no such folder, no permission,
            # disk full): say which and why, without a traceback.
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}.") from None


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
        self.coordinator = settings.coordinator(as_option)
        self._db: Any = None

    # The root group makes a State before it knows the command, and the terminal app loads
    # the database layer (SQLAlchemy, ~0.2 s) in a worker thread: only a command that uses
    # the database imports it, here.
    @property
    def db(self) -> Any:
        if self._db is None:
            from coalition.store.database import open_database

            self._db = open_database(settings.database_target(self.db_option))
        return self._db

    def work(self) -> Any:
        from coalition.domain.audit import work

        return work(self.db, self.coordinator)

    def read(self) -> Any:
        return self.db.read_session()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


pass_state = click.make_pass_decorator(State)
