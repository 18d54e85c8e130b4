"""A big file's rows read and checked in a second process while this one plans and writes.

An import does two kinds of work: reading the file and checking each row alone (cells
decoded, addresses and numbers checked, names cleaned: ``plan.normalised_rows``), and
planning and writing, which need the database. On one core they take turns: at 100,000
CSV rows, 3.6 s of reading and checking before 7.8 s of planning and writing. ``records``
gives a big file's rows from a second process (``python -m coalition.interchange.feed``),
which opens the file again as ``open_source`` opened it and sends each window of checked
rows down a pipe (``imports.wire``) while this process plans and writes the one before.

The contract of an import stays whole: the rows are those the file gives in this process
(the same reader, the same checks: a test compares the two ways); the batch is one
transaction here, so an error in the file (sent back and raised here as the reader raised
it), Ctrl+C or a kill of either process leaves nothing. The reader writes nothing but its
pipe: Ctrl+C is this process's to answer (the reader ignores it, and is stopped), and a
reader whose importer has gone finds its pipe closed and ends.

A file under ``FEED_FROM_BYTES`` of its kind is read here, as before: the first window is read
before anything is planned either way, so a file of one or two windows gains less than
the second process costs to start (~0.1 s: it loads the reading and checking modules
alone, no SQLAlchemy). ``COALITION_IMPORT_FEED=process`` or ``=inline`` chooses for every
file (the tests use both).
"""

from __future__ import annotations

import collections
import gc
import itertools
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from typing import IO, Any

from coalition.domain.imports import WINDOW, ContactRecord, PlannedRow, wire
from coalition.domain.imports.checks import normalised_rows
from coalition.errors import CoalitionError, FileProblem
from coalition.interchange.importer import Source, open_source
from coalition.memory import collector_paused

FEED_FROM_BYTES = {"csv": 3 << 20, "vcf": 6 << 20, "xlsx": 1 << 20, "ods": 1 << 20}
"""Files from these sizes are read in a second process: about 17,000 CSV rows, 18,000
vCards, 20,000 spreadsheet rows (zipped). Below, there is little past the first window,
which is read before anything is planned either way; the rows after it are what the
second process reads beside the writes (~35 µs each, a vCard or a spreadsheet row more)."""

_HEADER = struct.Struct("<cQ")
_ROWS, _DONE, _ERROR = b"R", b"D", b"E"


def records(source: Source, *, window: int = WINDOW) -> Iterable[ContactRecord | PlannedRow]:
    """``source``'s rows for ``imports.import_records`` or ``rehearse``: read here, or for a
    big file in a second process (module notes)."""
    choice = os.environ.get("COALITION_IMPORT_FEED", "")
    if choice == "inline" or not source.opened or not _can_start_python():
        return source.records
    if choice != "process" and source.path.stat().st_size < FEED_FROM_BYTES[source.kind]:
        return source.records
    return Feed(source, window)


def _can_start_python() -> bool:
    """Whether this program can start a Python with coalition in it: not a frozen one
    (an executable bundling its interpreter), nor one that does not know its own path."""
    return bool(sys.executable) and not getattr(sys, "frozen", False)


class Feed:
    """The rows of ``source`` read and checked by a second process, a pass per iteration."""

    def __init__(self, source: Source, window: int) -> None:
        self.source = source
        self.window = window
        self.reader: subprocess.Popen[bytes] | None = None
        """The reading process of the pass under way."""
        self.reader_peak: float | None = None
        """The reading process's peak memory (MiB, Linux's VmHWM), once a pass has ended."""

    def __iter__(self) -> Iterator[PlannedRow]:
        self.source.records.check_unchanged()
        with tempfile.TemporaryFile() as errors:
            self.reader = reader = subprocess.Popen(
                [sys.executable, "-m", "coalition.interchange.feed"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
            try:
                assert reader.stdin is not None and reader.stdout is not None
                # the first window is read and checked here, while the reader starts and
                # reads past it: nothing waits for the reader's start
                request = (str(self.source.path), self.source.opened, self.window, self.window)
                reader.stdin.write(pickle.dumps(request))
                reader.stdin.close()
                here = iter(self.source.records)
                try:
                    yield from normalised_rows(itertools.islice(here, self.window))
                finally:
                    here.close()  # type: ignore[attr-defined]  # a generator: its file closes
                yield from self._rows(reader, reader.stdout, errors)
            finally:
                if reader.poll() is None:
                    reader.kill()
                reader.wait()

    def _rows(
        self, reader: subprocess.Popen[bytes], pipe: IO[bytes], errors: IO[bytes]
    ) -> Iterator[PlannedRow]:
        while True:
            frame = _receive(pipe)
            if frame is None:
                raise FileProblem(self._lost(reader, errors))
            kind, data = frame
            if kind == _ROWS:
                with collector_paused():
                    rows = wire.decode(data)
                yield from rows
                del rows
            elif kind == _DONE:
                count, notes, problems, self.reader_peak = pickle.loads(data)
                records = self.source.records
                records.count = count
                self.source.notes[:] = notes
                self.source.problems[:] = problems
                return
            else:
                raise pickle.loads(data)

    def _lost(self, reader: subprocess.Popen[bytes], errors: IO[bytes]) -> str:
        code = reader.wait()
        errors.seek(0)
        said = errors.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
        why = f" ({said[-1]})" if said else ""
        how = f"was stopped by signal {-code}" if code < 0 else f"ended with status {code}"
        return (
            f"The process reading {self.source.path.name} {how}{why} before the end of the "
            "file; nothing of it was imported."
        )


def _receive(pipe: IO[bytes]) -> tuple[bytes, bytes] | None:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, size = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        return None
    return kind, data


def _send(pipe: IO[bytes], kind: bytes, data: bytes) -> None:
    pipe.write(_HEADER.pack(kind, len(data)))
    pipe.write(data)
    pipe.flush()


def _raised(exc: BaseException) -> bytes:
    """The reader's error as the importer will raise it: itself, for a file it refused (a
    ``CoalitionError``: one sentence); anything else is a bug, and stays one, with the
    reader's traceback."""
    if isinstance(exc, CoalitionError):
        try:
            return pickle.dumps(exc)
        except Exception:  # an error of ours that cannot travel: its sentence does
            return pickle.dumps(FileProblem(str(exc)))
    told = "".join(traceback.format_exception(exc))
    return pickle.dumps(RuntimeError(f"The process reading the file failed:\n{told}"))


def _read(request: tuple[str, dict[str, Any], int, int], pipe: IO[bytes]) -> None:
    """Send the rows of the file ``request`` names, past the first ``skip`` (which the
    importer reads itself), ``window`` at a time; then what the reader learnt at the end."""
    path, opened, window, skip = request
    try:
        source = open_source(path, **opened)
        records = iter(source.records)
        collections.deque(itertools.islice(records, skip), maxlen=0)  # read, not checked
        rows: list[PlannedRow] = []
        for row in normalised_rows(records):
            rows.append(row)
            if len(rows) >= window:
                _send(pipe, _ROWS, wire.encode(rows))
                rows = []
                gc.collect(0)  # as the importer does between windows (its collector paused)
        if rows:
            _send(pipe, _ROWS, wire.encode(rows))
        done = (source.records.count, source.notes, source.problems, _peak_mib())
        _send(pipe, _DONE, pickle.dumps(done))
    except BrokenPipeError:
        raise
    except Exception as exc:
        _send(pipe, _ERROR, _raised(exc))


def _peak_mib() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024


def main() -> None:
    """The second process: read the request, send the rows, end."""
    # Ctrl+C reaches the whole terminal's process group: the importer answers it (and
    # stops this process); a reader that died of it first would look like a broken file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request = pickle.load(sys.stdin.buffer)
    # The frames go down the pipe alone: anything printed goes where errors go.
    pipe = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        with collector_paused():
            _read(request, pipe)
    except BrokenPipeError:
        # the importer has gone (done early, interrupted, killed): nothing to say to anyone
        os._exit(0)


if __name__ == "__main__":
    main()
