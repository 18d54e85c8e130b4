"""A throwaway PostgreSQL server for the suite, when the machine has one installed.

``pytest`` (the README's test command, which .ci/run runs) starts one before the tests
when ``COALITION_TEST_PG`` is not set and ``pg_ctl`` is found (on the PATH, or in
Debian's ``/usr/lib/postgresql/*/bin``): ``initdb`` into a temporary folder, listening
on a Unix socket in that folder only (no TCP port), one database, and
``COALITION_TEST_PG`` set for the test workers; it is stopped and its folder removed
when the run ends. Run as root, the server runs as the ``postgres`` user (``initdb``
refuses root). ``COALITION_TEST_PG=postgresql://...`` uses an existing server instead,
and ``COALITION_TEST_PG=off`` runs on SQLite alone. ``COALITION_TEST_PG_DIR`` names
the folder to use (.ci/run sets it, and stops a server left there by a killed run).

The server trades durability for speed (``fsync=off``): it holds test data only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

OFF = ("off", "no", "0", "none")
DATABASE = "coalition"


def find_pg_ctl() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve()  # Debian links it from its versioned folder
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]) if versions else None


class Cluster:
    """A server in ``folder``: ``data/`` its files, the folder itself its socket's."""

    def __init__(self, pg_ctl: Path, folder: Path) -> None:
        self.bin = pg_ctl.parent
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.as_postgres = os.geteuid() == 0
        self.remove_folder = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{DATABASE}?host={self.folder}"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}\n{log}"
            )

    def start(self) -> str:
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o700)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@/postgres?host={self.folder}", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")  # type: ignore[arg-type]
        return self.url

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder if self.remove_folder else self.data, ignore_errors=True)


def start_if_possible() -> tuple[Cluster | None, str]:
    """Start a server when none is named and one can be; returns it (or None) and a line
    for the summary saying on what the suite runs."""
    named = os.environ.get("COALITION_TEST_PG", "").strip()
    if named.lower() in OFF:
        return None, "PostgreSQL: not tested (COALITION_TEST_PG=off)"
    if named:
        return None, "PostgreSQL: tested on the server of COALITION_TEST_PG"
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        return None, (
            "PostgreSQL: not tested (no pg_ctl on this machine; install the postgresql "
            "package, or set COALITION_TEST_PG=postgresql://user@host/dbname)"
        )
    given = os.environ.get("COALITION_TEST_PG_DIR", "").strip()
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="coalition-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(pg_ctl, folder)
    cluster.remove_folder = not given
    try:
        url = cluster.start()
    except BaseException:
        cluster.stop()
        raise
    os.environ["COALITION_TEST_PG"] = url
    return cluster, f"PostgreSQL: tested on a throwaway server ({pg_ctl.parent})"
