"""Files with personal data are private, never written through a symlink, and leave nothing
behind (issue 16, item 8).

Every kind of file coalition writes is created 0600 (a vdir folder 0700) under umask 022; a
symlink planted at any temporary name the older code used is left alone, its target
unchanged; an export killed with SIGKILL leaves a temporary file that the next export into
the folder removes; an export that fails leaves none.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coalition import safefile, settings
from coalition.domain import campaigns, people
from coalition.errors import CoalitionError
from coalition.interchange import exporter, importer
from tests.conftest import ok

SECRET = "claire@example.org"
VICTIM_TEXT = "a file outside, not to be touched\n"


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask, under which a plain ``open`` makes a file 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def data(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Alpha Rights", country="BE")
        people.add_organisation(w, name="Beta Care", country="DE")
        campaigns.add_campaign(w, "csam-2022", name="Joint statement")
        people.add_contact(
            w,
            given_name="Claire",
            family_name="Bonneau",
            emails=[SECRET],
            organisation="Alpha Rights",
        )
        people.add_contact(
            w, given_name="Anna", family_name="Arnold", emails=["anna@example.net"],
            organisation="Beta Care",
        )  # fmt: skip
        campaigns.set_signon(w, "Alpha Rights", "csam-2022", "signed")
        campaigns.set_signon(w, "Beta Care", "csam-2022", "prospect")


def _source(folder: Path) -> Path:
    path = folder / "people.csv"
    path.write_text("Name,Email\nEva Example,eva@example.net\n", encoding="utf-8")
    return path


# name -> (file name, the command's arguments given the output path and the test's folder)
KINDS: dict[str, tuple[str, Callable[[Path, Path], list[str]]]] = {
    "mailmerge csv": ("merge.csv", lambda out, _: ["export", "mailmerge", str(out)]),
    "mailmerge xlsx": ("merge.xlsx", lambda out, _: ["export", "mailmerge", str(out)]),
    "logged mailmerge": (
        "invitations.csv",
        lambda out, _: [
            "export",
            "mailmerge",
            str(out),
            "--campaign",
            "csam-2022",
            "--log-outreach",
            "Invitation",
        ],
    ),
    "signatories": ("list.html", lambda out, _: ["export", "signatories", "csam-2022", str(out)]),
    "contacts": ("contacts.csv", lambda out, _: ["export", "contacts", str(out)]),
    "organisations": ("orgs.xlsx", lambda out, _: ["export", "organisations", str(out)]),
    "signons": ("signons.csv", lambda out, _: ["export", "signons", "csam-2022", str(out)]),
    "vcard file": ("people.vcf", lambda out, _: ["export", "vcard", str(out)]),
    "person export": ("claire.json", lambda out, _: ["person", "export", SECRET, str(out)]),
    "import report": (
        "report.csv",
        lambda out, folder: ["import", str(_source(folder)), "--report", str(out)],
    ),
    "backup": ("copy.db", lambda out, _: ["backup", str(out)]),
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(safefile.SUFFIX))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_file_is_private_whatever_the_umask(
    data: None, run: Any, tmp_path: Path, kind: str
) -> None:
    name, args = KINDS[kind]
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / name
    ok(run(*args(out, tmp_path)))
    assert out.is_file()
    assert mode(out) == 0o600, oct(mode(out))
    assert leftovers(folder) == []


def test_a_vdir_folder_is_0700_and_its_cards_0600(data: None, run: Any, tmp_path: Path) -> None:
    vdir = tmp_path / "book" / "contacts"
    ok(run("export", "vcard", str(vdir)))
    cards = sorted(vdir.iterdir())
    assert len(cards) == 2
    assert mode(vdir) == 0o700
    assert {mode(c) for c in cards} == {0o600}
    # A folder the user made keeps its mode; the cards written into it are private.
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    ok(run("export", "vcard", str(mine)))
    assert mode(mine) == 0o755
    assert {mode(c) for c in mine.iterdir()} == {0o600}


def test_the_settings_file_is_private(tmp_path: Path) -> None:
    settings.save_campaign(str(tmp_path / "coalition.db"), "csam-2022")
    assert mode(settings.config_path()) == 0o600


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_symlink_at_an_old_temporary_name_is_not_followed(
    data: None, run: Any, tmp_path: Path, kind: str
) -> None:
    """The names the older writers used (``FILE.partial`` for the import report,
    ``.FILE.partial`` for backups, ``.FILE.pending.SUFFIX`` for the logged mail merge) are
    planted as links to a file outside: the export succeeds and the file outside is
    unchanged."""
    name, args = KINDS[kind]
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / name
    planted = [
        folder / f"{name}.partial",
        folder / f".{name}.partial",
        folder / f".{name}.pending{out.suffix}",
        folder / f".{name}.tmp",
    ]
    for link in planted:
        link.symlink_to(victim)
    ok(run(*args(out, tmp_path)))
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert all(link.is_symlink() for link in planted)
    assert out.is_file() and not out.is_symlink() and mode(out) == 0o600


def test_a_symlink_at_the_settings_temporary_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    config = settings.config_path()
    config.parent.mkdir(parents=True)
    (config.parent / f".{config.name}.tmp").symlink_to(victim)
    settings.save_campaign(str(tmp_path / "coalition.db"), "csam-2022")
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert json.loads(config.read_text(encoding="utf-8"))["campaigns"]


def test_a_symlink_at_the_target_is_replaced_not_followed(
    data: None, run: Any, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    report = tmp_path / "report.csv"
    report.symlink_to(victim)
    ok(run("import", str(_source(tmp_path)), "--report", str(report)))
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert not report.is_symlink() and "eva@example.net" in report.read_text(encoding="utf-8")


def test_a_link_planted_at_the_next_temporary_name_makes_another_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary name is created exclusively: a link already there (whoever guessed
    the random part) is neither followed nor removed, and another name is taken."""
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    out = tmp_path / "list.csv"
    guessed = tmp_path / f".list.csv.{os.getpid()}.0badc0de{safefile.SUFFIX}"
    guessed.symlink_to(victim)
    tokens = iter(["0badc0de", "0badc0de", "5afe5afe"])
    monkeypatch.setattr(safefile.secrets, "token_hex", lambda n: next(tokens))
    exporter.write_table(out, ["Email"], [[SECRET]])
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert guessed.is_symlink()
    assert out.read_bytes() == f"Email\r\n{SECRET}\r\n".encode()


# --- a run killed with SIGKILL, and one that fails ------------------------------------------

KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from coalition.cli import cli
    import coalition.interchange.exporter as exporter
    import coalition.interchange.vcard_export as vcard_export

    real_write = exporter._PlainRows.write
    real_card = vcard_export.card
    cards = []

    def write(self, handle, writer, chunk):  # the first rows are on disk, then the kill
        real_write(self, handle, writer, chunk)
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def card(contact, version="3.0"):  # the second card's file is open, then the kill
        cards.append(contact)
        if len(cards) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_card(contact, version)

    exporter._PlainRows.write = write
    vcard_export.card = card
    cli(["--db", sys.argv[1], *sys.argv[2:]], prog_name="coalition")
    """
)


def killed(db_path: Path, *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(db_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["export", "contacts"],
        ["export", "mailmerge"],
        ["export", "mailmerge", "--campaign", "csam-2022", "--log-outreach", "Invitation"],
    ],
    ids=["contacts", "mailmerge", "logged mailmerge"],
)
def test_a_killed_export_leaves_a_partial_the_next_export_removes(
    data: None, db: Any, db_path: Path, run: Any, tmp_path: Path, args: list[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "list.csv"
    killed(db_path, *args, str(out))
    assert not out.exists()
    [left] = leftovers(folder)
    partial = folder / left
    assert SECRET in partial.read_text(encoding="utf-8")
    assert mode(partial) == 0o600
    assert left.startswith(".list.csv.")
    # Another export into the folder (here of another file) removes what the dead run left.
    ok(run("export", "contacts", str(folder / "other.csv")))
    assert leftovers(folder) == []
    ok(run(*args, str(out)))
    assert SECRET in out.read_text(encoding="utf-8")
    assert leftovers(folder) == []


def test_a_killed_vdir_export_is_cleaned_by_the_next(
    data: None, db: Any, db_path: Path, run: Any, tmp_path: Path
) -> None:
    vdir = tmp_path / "contacts"
    killed(db_path, "export", "vcard", str(vdir))
    assert mode(vdir) == 0o700
    assert len(leftovers(vdir)) == 1
    ok(run("export", "vcard", str(vdir)))
    assert leftovers(vdir) == []
    assert len(list(vdir.glob("*.vcf"))) == 2


def test_a_partial_of_a_running_process_or_not_ours_is_kept(tmp_path: Path) -> None:
    """Only regular files of the pattern whose process is gone are removed: not a partial
    of a process still running (another export writing now), not a link, not a name of
    another pattern."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        running = tmp_path / f".a.csv.{sleeper.pid}.0123abcd{safefile.SUFFIX}"
        running.write_text(SECRET, encoding="utf-8")
        dead = tmp_path / f".a.csv.{gone.pid}.0123abcd{safefile.SUFFIX}"
        dead.write_text(SECRET, encoding="utf-8")
        journal = tmp_path / f".b.db.{gone.pid}.4567cdef{safefile.SUFFIX}-journal"
        journal.write_text(SECRET, encoding="utf-8")
        victim = tmp_path / "victim.txt"
        victim.write_text(VICTIM_TEXT, encoding="utf-8")
        link = tmp_path / f".c.csv.{gone.pid}.89abcdef{safefile.SUFFIX}"
        link.symlink_to(victim)
        other = tmp_path / ".a.csv.partial"
        other.write_text(SECRET, encoding="utf-8")
        exporter.write_table(tmp_path / "a.csv", ["Email"], [[SECRET]])
        assert running.exists() and link.is_symlink() and other.exists()
        assert not dead.exists() and not journal.exists()
        assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    finally:
        sleeper.kill()
        sleeper.wait()


class Stop(Exception):
    pass


@pytest.mark.parametrize("error", [Stop, KeyboardInterrupt])
def test_a_failed_export_leaves_no_partial_and_the_old_file(
    tmp_path: Path, error: type[BaseException]
) -> None:
    out = tmp_path / "contacts.csv"
    exporter.write_table(out, ["Email"], [["old@example.org"]])
    before = out.read_bytes()

    def rows() -> Iterator[list[str]]:
        for i in range(2000):
            yield [f"p{i}@example.org"]
        raise error()

    for target in (out, tmp_path / "contacts.xlsx"):
        with pytest.raises(error):
            exporter.write_table(target, ["Email"], rows())
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]


def test_a_failed_report_leaves_no_partial(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"

    def lines() -> Iterator[list[str]]:
        yield ["row 1", "error", "bad"]
        raise Stop()

    with pytest.raises(Stop):
        importer._write_report(report, ["source", "action", "reason"], lines())
    assert list(tmp_path.iterdir()) == []


def test_a_failed_logged_mail_merge_leaves_no_partial(data: None, db: Any, tmp_path: Path) -> None:
    from coalition.domain import exports

    folder = tmp_path / "out"
    folder.mkdir()
    wanted = exports.RecipientFilter(campaign="no-such-campaign")
    with pytest.raises(CoalitionError):
        exporter.mail_merge(db, "tester", folder / "a.csv", wanted, log_subject="Invitation")
    assert list(folder.iterdir()) == []
