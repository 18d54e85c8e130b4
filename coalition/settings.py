"""Where the database is and who is working.

The database: ``--db`` on the command line, else ``COALITION_DB``, else the
``database`` line of ``config.toml`` in the user config dir (written by hand, so a
coordinator of a team database need not retype its URL), else ``coalition.db`` in the
user data dir (platformdirs). The coordinator:
``--as``, else ``COALITION_USER``, else the login name, on a SQLite file; on a
server, the database role. The terminal app's
theme, once chosen, is kept in ``settings.json`` in the user config dir.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
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
    configured = configured_database()
    if configured:
        return configured
    path = default_database_path()
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return str(path)


def missing_folder(target: str) -> str | None:
    """Why no database can be opened at ``target``: a file path whose folder is not there
    (a mistyped --db must not start a new, empty database elsewhere, listing "No
    organisations" as if the data were gone); None when the place is fine or a URL."""
    if "://" in target:
        return None
    path = Path(target).expanduser().resolve()
    if path.parent.is_dir():
        return None
    return (
        f"There is no folder {path.parent} to hold the database {path.name}. "
        "Check the path given with --db, COALITION_DB or config.toml, or create the folder "
        "first."
    )


def is_server(target: str) -> bool:
    """Whether ``target`` names a database server (a URL other than sqlite://), where who
    is working is the database role, not a name given here."""
    scheme = target.partition("://")[0] if "://" in target else ""
    return bool(scheme) and not scheme.lower().startswith("sqlite")


def coordinator(option: str | None = None) -> str:
    """The name a person gives as theirs: ``--as``, ``$COALITION_USER``, the login name.
    Recorded as it is on a SQLite file; on a server the database role is recorded
    (``domain.team.acting_coordinator``)."""
    if option and option.strip():
        return option.strip()
    env = os.environ.get(USER_ENV, "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "coordinator"


def config_file() -> Path:
    """The settings a person writes by hand (``~/.config/coalition/config.toml`` on Linux):
    ``database = "postgresql://alice@db.example.org/coalition"``."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def configured_database() -> str | None:
    """The ``database`` of ``config.toml`` (a file path or a URL), None when there is none.
    A file that cannot be read or parsed is said with its place, not skipped: the
    database it names would silently become the default file."""
    from coalition.errors import CoalitionError

    path = config_file()
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CoalitionError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CoalitionError(
            f"{path} is not valid TOML ({exc}); fix it, or give the database with --db."
        ) from None
    value = data.get("database")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CoalitionError(
            f"{path}: database must be a text, a file path or a postgresql:// URL in quotes."
        )
    value = value.strip()
    return value if "://" in value else str(Path(value).expanduser())


def config_path() -> Path:
    """The terminal app's settings file (``~/.config/coalition/settings.json`` on Linux)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "settings.json"


def _read_config() -> dict[str, object]:
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, unreadable or not JSON: the defaults
        return {}
    return data if isinstance(data, dict) else {}


def saved_theme() -> str | None:
    """The theme chosen in the terminal app last time, if any."""
    theme = _read_config().get("theme")
    return theme if isinstance(theme, str) and theme else None


def save_theme(name: str) -> None:
    """Remember the terminal app's theme; raises ``OSError`` when the file cannot be written."""
    data = _read_config()
    if data.get("theme") == name:
        return
    data["theme"] = name
    _write_config(data)


def saved_campaign(database: str) -> str | None:
    """The campaign last shown on the campaign screen for this database, if any."""
    chosen = _read_config().get("campaigns")
    code = chosen.get(database) if isinstance(chosen, dict) else None
    return code if isinstance(code, str) and code else None


def save_campaign(database: str, code: str) -> None:
    """Remember the campaign chosen for this database (a path or URL, as given);
    raises ``OSError`` when the file cannot be written."""
    data = _read_config()
    chosen = data.get("campaigns")
    if not isinstance(chosen, dict):
        chosen = {}
    if chosen.get(database) == code:
        return
    chosen[database] = code
    data["campaigns"] = chosen
    _write_config(data)


def _write_config(data: dict[str, object]) -> None:
    path = config_path()
    from coalition.errors import CoalitionError
    from coalition.safefile import private_file

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with private_file(path) as handle:  # whole or not at all; never through a symlink
            handle.write(json.dumps(data, indent=2) + "\n")
    except CoalitionError as exc:  # a folder where the file goes: the callers expect OSError
        raise OSError(str(exc)) from None
