"""Writing files that hold personal data: private, never through a symlink, never half.

Every file coalition writes (mail merges, contact and sign-on exports, the signatory
list, vCards, a person's subject-access export, an import's report, backups, the
settings) goes through this module:

- It is written under a temporary name in the target's own folder, created with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600 (and ``fchmod`` to 0600, since the
  mode given to ``open`` is narrowed by the umask): a symlink or file planted at the
  temporary name makes the creation fail, and another random name is tried, so a
  planted link is never followed and its target never written.
- It is flushed to disk and renamed over the target (``os.replace``, which replaces
  a link at the target rather than following it) only once it is complete. On any
  failure, ``KeyboardInterrupt`` included, the temporary file is removed.
- A folder made for a vdir is 0700 (a folder that already existed keeps its mode;
  the cards written into it are 0600).

Leftovers. A process killed while writing (SIGKILL, a power cut) cannot remove its
temporary file, so the name says whose it is: ``.NAME.PID.RANDOM.coalition.partial``
(NAME cut to fit the file system's limit on names). Before writing into a folder,
a writer removes the leftovers there whose process is gone: regular files of that
pattern, owned by the current user, whose PID is not a running process on this
machine (never a symlink, never another user's file, never a partial of a process
still running, this one included). So the next export into a folder cleans what a
killed one left there. A PID reused by an unrelated running process keeps its
leftover until that process ends; on a folder shared between machines a partial of
a writer on another machine may look stale here (coalition does not support writing
one target from two machines at once).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from coalition.errors import FileProblem

SUFFIX = ".coalition.partial"
_LEFTOVER = re.compile(
    r"^\..*\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{8}\.coalition\.partial(?:-journal|-wal|-shm)?$",
    re.DOTALL,
)
_NAME_BYTES = 160
"""How much of the target's name the temporary name keeps (names are at most 255 bytes)."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def temporary_name(target: Path) -> Path:
    """A fresh temporary name beside ``target``: ``.NAME.PID.RANDOM.coalition.partial``."""
    name = target.name.encode("utf-8", "surrogateescape")[:_NAME_BYTES]
    short = name.decode("utf-8", "ignore")
    return target.with_name(f".{short}.{os.getpid()}.{secrets.token_hex(4)}{SUFFIX}")


def _create(target: Path) -> tuple[int, Path]:
    """Create a temporary file beside ``target`` exclusively (0600); its fd and path."""
    folder = target.parent
    if not folder.is_dir():
        raise FileProblem(f"The folder {folder} does not exist; create it or choose another path.")
    if target.is_dir():
        raise FileProblem(f"{target} is a folder; choose a file name.")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | _NOFOLLOW | _CLOEXEC
    for _ in range(100):
        temp = temporary_name(target)
        try:
            fd = os.open(temp, flags, 0o600)
        except FileExistsError:
            continue  # something (a planted link?) holds that name: take another
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # whatever the umask
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        return fd, temp
    raise FileProblem(f"Could not create a temporary file in {folder}; check what is there.")


class PrivateFile:
    """A file being written under a temporary name beside ``target`` (0600, created
    exclusively). ``open()`` it, write, close; then ``commit()`` renames it over the target,
    or ``discard()`` removes it. For a file whose renaming must wait for something else
    (the logged mail merge waits for its unit of work to commit); otherwise use
    ``private_file``."""

    def __init__(
        self, target: str | os.PathLike[str], *, clean: bool = True, sync_folder: bool = True
    ) -> None:
        self.target = Path(target)
        self.sync_folder = sync_folder
        if clean:
            clean_leftovers(self.target.parent)
        self._fd: int | None
        self._fd, self.temp = _create(self.target)
        self._handle: IO[Any] | None = None
        self.done = False

    def open(
        self, *, binary: bool = False, newline: str | None = "", encoding: str = "utf-8"
    ) -> IO[Any]:
        """The temporary file, open for writing (once)."""
        if self._fd is None:
            raise ValueError("the temporary file was opened already")
        fd, self._fd = self._fd, None
        if binary:
            self._handle = os.fdopen(fd, "wb")
        else:
            self._handle = os.fdopen(fd, "w", newline=newline, encoding=encoding)
        return self._handle

    def close(self) -> None:
        """Flush the file to disk and close it (``commit`` does this too)."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                handle.close()
        elif self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def commit(self) -> None:
        """Put the complete file in the target's place."""
        self.close()
        os.replace(self.temp, self.target)
        self.done = True
        if self.sync_folder:
            sync_folder(self.target.parent)

    def discard(self) -> None:
        """Remove the temporary file (the target is left as it was)."""
        if self.done:
            return
        try:
            if self._handle is not None:
                self._handle.close()
            elif self._fd is not None:
                os.close(self._fd)
        except OSError:
            pass
        finally:
            self._handle = self._fd = None
            self.temp.unlink(missing_ok=True)
            self.done = True


@contextmanager
def staged(
    target: str | os.PathLike[str], *, clean: bool = True, sync_folder: bool = True
) -> Iterator[PrivateFile]:
    """A ``PrivateFile`` that is removed unless ``commit()`` was called inside the block."""
    pending = PrivateFile(target, clean=clean, sync_folder=sync_folder)
    try:
        yield pending
    finally:
        pending.discard()


@contextmanager
def private_file(
    target: str | os.PathLike[str],
    *,
    binary: bool = False,
    newline: str | None = "",
    encoding: str = "utf-8",
    clean: bool = True,
    sync_folder: bool = True,
) -> Iterator[IO[Any]]:
    """Write ``target`` privately and whole: a handle on a temporary file beside it,
    renamed over it when the block ends without an exception, removed otherwise.
    ``clean=False`` skips removing the folder's leftovers and ``sync_folder=False`` making
    the rename durable: a caller writing many files into one folder does each once, with
    ``clean_leftovers`` before and ``sync_folder`` after."""
    with staged(target, clean=clean, sync_folder=sync_folder) as pending:
        handle = pending.open(binary=binary, newline=newline, encoding=encoding)
        yield handle
        pending.commit()


@contextmanager
def private_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """For a writer that needs a path rather than a handle (SQLite's backup): the path of
    an empty temporary file beside ``target`` (0600, created exclusively), renamed over
    the target when the block ends without an exception, removed otherwise (with the
    ``-journal`` a SQLite writer may leave beside it)."""
    with staged(target) as pending:
        pending.close()
        try:
            yield pending.temp
            with contextlib.suppress(FileNotFoundError):
                fd = os.open(pending.temp, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            pending.commit()
        finally:
            for extra in ("-journal", "-wal", "-shm"):
                Path(f"{pending.temp}{extra}").unlink(missing_ok=True)


def private_folder(path: str | os.PathLike[str]) -> Path:
    """The folder ``path``, made 0700 (whatever the umask) if it does not exist yet, with
    its missing parents; an existing folder keeps its mode."""
    folder = Path(path)
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise FileProblem(f"{folder} is a file, not a folder; choose another path.") from None
        return folder
    os.chmod(folder, 0o700)
    return folder


def clean_leftovers(folder: str | os.PathLike[str]) -> int:
    """Remove the temporary files in ``folder`` left by coalition processes that are gone
    (see the module's docstring); returns how many were removed."""
    removed = 0
    me = os.getpid()
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = os.scandir(folder)
    except OSError:
        return 0
    with entries:
        for entry in entries:
            if not entry.name.endswith(SUFFIX) and not entry.name.endswith(
                (SUFFIX + "-journal", SUFFIX + "-wal", SUFFIX + "-shm")
            ):
                continue
            found = _LEFTOVER.match(entry.name)
            if found is None:
                continue
            pid = int(found["pid"])
            if pid == me or _running(pid):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process on this machine (a zombie counts as running)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill would end the process there: never call a partial stale
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, OSError, ValueError):
        return False
    return True


def sync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
