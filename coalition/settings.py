"""Where the database is and who is working.

The database: ``--db`` on the command line, else ``COALITION_DB``, else
``coalition.db`` in the user data dir (platformdirs). The coordinator:
``--as``, else ``COALITION_USER``, else the login name.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

APP_NAME = "coalition"
DB_ENV = "COALITION_DB"
USER_ENV = "COALITION_USER"


def default_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "coalition.db"


def database_target(option: str | None = None) -> str:
    if option:
        return option
    env = os.environ.get(DB_ENV)
    if env:
        return env
    path = default_database_path()
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return str(path)


def coordinator(option: str | None = None) -> str:
    if option and option.strip():
        return option.strip()
    env = os.environ.get(USER_ENV, "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "coordinator"
