"""Errors a user can cause.

Each carries one sentence that says what went wrong and, where it helps, what to
do. The command line prints the sentence and exits 1; the terminal app shows it
as a notification. Anything else that escapes is a bug.
"""

from __future__ import annotations


class CoalitionError(Exception):
    """A problem the user can fix; ``str(err)`` is the message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(CoalitionError):
    """A named record does not exist."""


class Ambiguous(CoalitionError):
    """A name matches more than one record."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class InvalidValue(CoalitionError):
    """A value fails validation (email, country, date, …)."""


class InvalidTransition(CoalitionError):
    """A sign-on status move that the pipeline does not allow."""


class DatabaseError(CoalitionError):
    """The database cannot be opened or used (newer schema, not a database, locked)."""


class FileProblem(CoalitionError):
    """A file to import cannot be read."""


class Conflict(CoalitionError):
    """A record changed (or went) since the editor opened it, so the save was refused:
    nothing of it was written. The sentence names who changed it and when (from the
    change log); ``version`` is the one stored now (None: the record is gone), which a
    form that has shown the new values passes on its next save."""

    def __init__(
        self,
        message: str,
        *,
        entity: str,
        entity_id: int | None,
        version: int | None,
        coordinator: str | None = None,
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id
        self.version = version
        self.coordinator = coordinator
        """Who made the latest change, as the change log has it (None: not logged)."""
