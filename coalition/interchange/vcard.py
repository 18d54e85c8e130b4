"""Reading contacts from vCard files (.vcf) as real address books write them.

Only reading: the importer turns ``VCardRecord`` values into people and
organisations; nothing here touches the database.

Why a parser of our own rather than vobject
    vobject knows no vCard 4.0, cannot join a quoted-printable soft line break
    that splits a UTF-8 character, cuts ``FN:Doe, John`` at the comma, splits
    ``ORG:Company, The`` in two and gives up on a whole file because of one
    bad base64 photo. Exports from Outlook, Apple, Google, Android,
    Thunderbird, Evolution and Nextcloud do all of these things, so the
    parsing is done here at line level and vobject is not used.

Bytes first, text per value
    A .vcf file is often not one text: vCard 2.1 carries quoted-printable
    bytes whose character set is named per property (``CHARSET=``), and old
    exports mix ANSI lines with UTF-8 ones. So the file is split into lines
    and properties as *bytes* — UTF-16 and UTF-32 files are first re-encoded
    as UTF-8, after which ``CR LF : ; = "`` are single ASCII bytes in every
    encoding accepted — and each value is decoded on its own.
    Quoted-printable is decoded to bytes across all its continuation lines
    before any character decoding, so a soft break inside ``C3 A9`` is
    harmless. Bytes become text as UTF-8 when they are valid UTF-8 (legacy
    text almost never is, while mislabelled UTF-8 is common), else with the
    ``CHARSET`` parameter, else with one legacy code page guessed for the
    whole file from exactly the values that were not UTF-8, among the
    Windows code pages that exports are written in. cp1251 against cp1252 is
    the case that matters (Cyrillic names), and charset-normalizer on its own
    misjudges a handful of short names, so the guess scores how plausible
    each reading looks and asks charset-normalizer only to break ties.

Escaping depends on the property
    ``FN``, ``NOTE`` and ``TITLE`` are single texts, so a comma that a writer
    forgot to escape stays. ``N`` and ``ADR`` split on unescaped ``;`` only,
    ``ORG`` too (``Company, The`` is one name), ``CATEGORIES`` on unescaped
    ``,``. Splitting happens before unescaping, so ``\\;`` never splits.

Forgiving about structure, and saying so
    One broken card must not cost the others. A card that runs into the next
    ``BEGIN:VCARD`` or into the end of the file keeps what it held when that
    includes something to call it by; lines outside any card, lines that are
    not properties and cards with nothing in them are reported as
    ``VCardProblem`` with line numbers. ``FileProblem`` is kept for files that
    are not vCards at all.

Pictures, sounds and keys are never decoded
    They are not imported, so their data (base64, data: URIs, binary) is
    dropped while reading, continuation lines included, which also means a
    corrupt or enormous photo costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from coalition.errors import FileProblem
from coalition.text import implausibility

__all__ = [
    "VCardAddress",
    "VCardEmail",
    "VCardPhone",
    "VCardProblem",
    "VCardReadResult",
    "VCardReader",
    "VCardRecord",
    "read_vcards",
]


@dataclass
class VCardEmail:
    address: str
    types: list[str] = field(default_factory=list)
    preferred: bool = False
    label: str | None = None


@dataclass
class VCardPhone:
    number: str
    types: list[str] = field(default_factory=list)
    preferred: bool = False
    label: str | None = None


@dataclass
class VCardAddress:
    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    types: list[str] = field(default_factory=list)
    label: str | None = None


@dataclass
class VCardRecord:
    """One contact as the file states it; nothing is validated or normalised yet."""

    index: int
    line: int
    version: str | None = None
    uid: str | None = None
    formatted_name: str = ""
    given_name: str = ""
    family_name: str = ""
    additional_names: str = ""
    honorific_prefix: str = ""
    honorific_suffix: str = ""
    nickname: str = ""
    organisation: str = ""
    org_units: list[str] = field(default_factory=list)
    title: str = ""
    role: str = ""
    emails: list[VCardEmail] = field(default_factory=list)
    phones: list[VCardPhone] = field(default_factory=list)
    addresses: list[VCardAddress] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    note: str = ""
    categories: list[str] = field(default_factory=list)
    language: str | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class VCardProblem:
    """A card, or text outside cards, that could not be (fully) read.

    ``index`` is the card's 1-based position in the file, None for text
    outside any card; ``line`` is the 1-based line the problem starts on.
    """

    index: int | None
    line: int
    message: str


@dataclass
class VCardReadResult:
    cards: list[VCardRecord]
    problems: list[VCardProblem]
    encoding: str


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x7fELF",
    b"MZ",
    b"SQLite format 3",
    b"\xd0\xcf\x11\xe0",
)
_TEXT_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r\f\v\x1a\x1b"
_LEGACY_CANDIDATES = ["cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257", "koi8_r"]
_LEGACY_DEFAULT = "cp1252"

_LINE_BREAK = re.compile(rb"\r*\n|\r")
_BEGIN = re.compile(rb"BEGIN[ \t]*:[ \t]*VCARD", re.IGNORECASE)
_BEGIN_LINE = re.compile(rb"[ \t]*BEGIN[ \t]*:[ \t]*VCARD[\s\x00\x1a]*", re.IGNORECASE)
_END_LINE = re.compile(rb"[ \t]*END[ \t]*:[ \t]*VCARD[\s\x00\x1a]*", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z0-9-]+")
_BASE64_PARAM = re.compile(
    rb";[ \t]*(?:ENCODING[ \t]*=[ \t]*)?\"?(?:B|BASE64)\"?[ \t]*(?:;|$)", re.I
)
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_", re.DOTALL)

_MEDIA = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_TEXT_PROPERTIES = frozenset(
    {"FN", "N", "NICKNAME", "ORG", "TITLE", "ROLE", "NOTE", "EMAIL", "TEL", "ADR", "URL"}
    | {"CATEGORIES", "UID", "LANG", "VERSION", "X-ABLABEL"}
)
_ENCODING_WORDS = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
_VALUE_WORDS = frozenset({"INLINE", "URL", "URI", "CONTENT-ID", "CID"})
_DROPPED_TYPES = frozenset({"pref", "internet", "x400"})
_WIDE_CODECS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})

_Ending = Literal["end", "next", "eof"]


@dataclass(slots=True)
class _Property:
    line: int
    group: str
    name: str
    params: dict[str, list[str]]
    raw: bytes

    @property
    def encoding(self) -> Literal["qp", "b"] | None:
        said = self.params.get("ENCODING")
        if not said:  # nearly every property: asked three times each
            return None
        words = {w.upper() for w in said}
        if "QUOTED-PRINTABLE" in words:
            return "qp"
        if words & {"B", "BASE64"}:
            return "b"
        return None

    @property
    def charset(self) -> str | None:
        values = self.params.get("CHARSET")
        return values[0].strip() if values else None

    @property
    def binary(self) -> bool:
        return self.name in _MEDIA or (self.encoding == "b" and self.name not in _TEXT_PROPERTIES)


@dataclass(slots=True)
class _RawCard:
    index: int
    line: int
    properties: list[_Property] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    ending: _Ending = "end"


def read_vcards(
    source: str | os.PathLike[str] | bytes, *, max_cards: int | None = None
) -> VCardReadResult:
    """Read every card in a .vcf file (a path) or in its bytes.

    Raises ``FileProblem`` when the file cannot be read or is not vCard text
    at all, or holds more than ``max_cards`` cards; cards that are only partly
    broken come back in ``problems``. ``VCardReader`` gives the same cards one
    at a time.
    """
    reader = VCardReader(source, max_cards=max_cards)
    cards = list(reader)
    return VCardReadResult(cards=cards, problems=reader.problems, encoding=reader.encoding)


_CHUNK = 1 << 18
_SNIFF = 65536
_MAX_LINE = 16 << 20
"""A physical line longer than this is dropped unread (a picture written on one line)."""
_MAX_VALUE = 1 << 20
"""A property longer than this once unfolded is skipped: no name, note or address is."""
_MAX_PROBLEMS = 10_000
_LEGACY_SAMPLE = 65536
_NEEDS_GUESS = (b"QUOTED-PRINTABLE", b"BASE64", b"ENCODING=B", b";B;", b";B:")


class VCardReader:
    """The cards of a .vcf file one at a time, in a bounded amount of memory.

    The file is read in chunks, twice at most: a first pass at C speed tells
    whether every value is UTF-8 (then no code page needs guessing); when it
    is not, a second pass collects the first 64 KiB of values that are not,
    and the guess is made from those before any card is built. Only the card
    being read is ever held. ``problems`` and ``encoding`` are complete once
    the iteration has ended.
    """

    def __init__(
        self, source: str | os.PathLike[str] | bytes, *, max_cards: int | None = None
    ) -> None:
        self._source = source
        self._label = (
            "The data" if isinstance(source, bytes | bytearray | memoryview) else str(Path(source))
        )
        self.max_cards = max_cards
        self.problems: list[VCardProblem] = []
        self._more_problems = 0
        self._last_line = 0
        head = self._open_raw()
        try:
            sample = head.read(_SNIFF)
        except OSError as exc:
            raise self._unreadable(exc) from None
        finally:
            head.close()
        self._bom, self._wide = _sniff(sample, self._label)
        utf8, guess = self._first_pass()
        if self._wide is not None:
            self.encoding = self._wide
        elif self._bom:
            self.encoding = "utf-8"
        else:
            self.encoding = "utf-8" if utf8 else "legacy"
        self._legacy = self._guess() if guess else _LEGACY_DEFAULT
        if self.encoding == "legacy":
            self.encoding = self._legacy

    # reading -----------------------------------------------------------------

    def _open_raw(self) -> BinaryIO:
        if isinstance(self._source, bytes | bytearray | memoryview):
            return io.BytesIO(bytes(self._source))
        path = Path(self._source)
        try:
            if path.is_dir():
                raise FileProblem(f"{path} is a folder, not a vCard file.")
            return path.open("rb")
        except FileNotFoundError:
            raise FileProblem(f"{path} does not exist.") from None
        except OSError as exc:
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: OSError) -> FileProblem:
        reason = (exc.strerror or str(exc)).rstrip(".").lower()
        return FileProblem(f"{self._label} cannot be read ({reason}).")

    def _chunks(self) -> Iterator[bytes]:
        """The file's bytes, BOM dropped, in an encoding where CR, LF, ``:`` and ``;`` are
        single bytes (UTF-16 and UTF-32 re-encoded as UTF-8)."""
        handle = self._open_raw()
        try:
            handle.seek(self._bom)
            wide = self._wide
            decoder = codecs.getincrementaldecoder(wide)("replace") if wide else None
            bad = total = 0
            while True:
                try:
                    block = handle.read(_CHUNK)
                except OSError as exc:
                    raise self._unreadable(exc) from None
                if decoder is None:
                    if not block:
                        return
                    yield block
                    continue
                text = decoder.decode(block, final=not block)
                bad += text.count("\ufffd")
                total += len(text)
                if bad > 64 and bad > total // 100 and wide:
                    name = wide.upper().replace("-LE", " LE").replace("-BE", " BE")
                    raise FileProblem(
                        f"{self._label} looks like {name} text but cannot be decoded as such."
                    )
                if text:
                    yield text.encode("utf-8")
                if not block:
                    return
        finally:
            handle.close()

    def _first_pass(self) -> tuple[bool, bool]:
        """(the text is all UTF-8, a value may need a legacy code page) in one quick pass;
        refuses a file that is blank or has no BEGIN:VCARD line."""
        check = codecs.getincrementaldecoder("utf-8")("strict")
        utf8 = True
        guess = False
        begin = False
        blank = True
        edge = b""
        for block in self._chunks():
            if utf8:
                try:
                    check.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            window = edge + block
            upper = window.upper()
            if not guess and any(mark in upper for mark in _NEEDS_GUESS):
                guess = True
            if not begin and _BEGIN.search(window):
                begin = True
            if blank and window.strip(b" \t\r\n\x00\x1a"):
                blank = False
            edge = window[-24:]
        if utf8:
            try:
                check.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
        if blank:
            raise FileProblem(f"{self._label} is empty.")
        if not begin:
            raise FileProblem(f"{self._label} is not a vCard file: it has no BEGIN:VCARD line.")
        return utf8, guess or not utf8

    def _guess(self) -> str:
        samples: list[bytes] = []
        size = 0
        for raw in _segment(_logical_lines(self._physical(quiet=True)), self, quiet=True):
            for prop in raw.properties:
                if prop.binary:
                    continue
                data = _value_bytes(prop)
                if data and not data.isascii() and _Decoder.strict(data, prop.charset) is None:
                    samples.append(data)
                    size += len(data) + 1
            if size >= _LEGACY_SAMPLE:
                break
        return _guess_legacy(samples) if samples else _LEGACY_DEFAULT

    def _physical(self, *, quiet: bool = False) -> Iterator[bytes | None]:
        """Physical lines without their line breaks; None for a line too long to keep."""
        carry = b""
        pending: list[bytes] = []  # blocks of a line still open that held no line break
        held = 0
        skipping = False
        self._cut_mid_line = False
        for block in self._chunks():
            if b"\n" not in block and b"\r" not in block:
                held += len(block)
                if held > _MAX_LINE:
                    skipping, carry, pending, held = True, b"", [], 0
                elif not skipping:
                    pending.append(block)
                continue
            if pending:
                carry += b"".join(pending)
                pending, held = [], 0
            buffer = carry + block if carry else block
            cut = len(buffer)
            while cut and buffer[cut - 1] == 0x0D:
                cut -= 1  # a CR at the end may be the first half of a CR LF
            lines = _LINE_BREAK.split(buffer[:cut]) if cut else [b""]
            tail = lines.pop()
            if skipping and lines:
                lines[0] = None  # type: ignore[call-overload]
                skipping = False
            yield from lines
            carry = tail + buffer[cut:]
            held = len(carry)
            if len(carry) > _MAX_LINE:
                skipping = True
                carry = buffer[cut:]
        if pending:
            carry += b"".join(pending)
        if skipping:
            yield None
            return
        if carry:
            parts = _LINE_BREAK.split(carry)
            self._cut_mid_line = bool(parts[-1])
            if not parts[-1]:
                parts.pop()
            yield from parts

    def __iter__(self) -> Iterator[VCardRecord]:
        decoder = _Decoder(self._legacy)
        count = 0
        for raw in _segment(_logical_lines(self._physical()), self):
            record = _build_record(raw, decoder)
            for line, message in raw.notes:
                self.note(VCardProblem(raw.index, line, message))
            usable = bool(record.formatted_name)
            if raw.ending != "end" or not usable:
                self.note(VCardProblem(raw.index, raw.line, _card_message(raw, usable)))
            if usable:
                count += 1
                if self.max_cards is not None and count > self.max_cards:
                    raise FileProblem(
                        f"{self._label} holds more than {self.max_cards:,} cards (card "
                        f"{raw.index:,}, line {raw.line:,}, is one too many), more than an "
                        "import takes at once; split the file, or raise the limit with "
                        "--max-rows."
                    )
                yield record
        if self._more_problems:
            self.problems.append(
                VCardProblem(
                    None,
                    self._last_line,
                    f"… and {self._more_problems:,} more problems like these, not listed.",
                )
            )
        self.problems.sort(key=lambda p: p.line)

    def note(self, problem: VCardProblem) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self._more_problems += 1


def _sniff(sample: bytes, label: str) -> tuple[int, str | None]:
    """(BOM bytes to skip, the wide encoding to re-encode from, or None)."""
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return len(bom), (None if codec == "utf-8" else codec)
    if sample.startswith(_BINARY_MAGIC):
        raise FileProblem(f"{label} is not a vCard file: it holds binary data, not text.")
    wide = _wide_encoding(sample)
    if wide:
        return 0, wide
    if len(sample.translate(None, _TEXT_BYTES)) > len(sample) // 100:
        raise FileProblem(f"{label} is not a vCard file: it holds binary data, not text.")
    return 0, None


def _wide_encoding(data: bytes) -> str | None:
    sample = data[:4096]
    size = len(sample) - len(sample) % 4
    if size < 4 or b"\x00" not in sample:
        return None
    quads = size // 4
    nul = [sum(1 for i in range(pos, size, 4) if sample[i] == 0) for pos in range(4)]
    if nul[3] == quads and nul[2] > quads * 0.9 and nul[0] < quads * 0.5:
        return "utf-32-le"
    if nul[0] == quads and nul[1] > quads * 0.9 and nul[3] < quads * 0.5:
        return "utf-32-be"
    even, odd = nul[0] + nul[2], nul[1] + nul[3]
    half = size // 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _unquoted_index(text: bytes, byte: int) -> int:
    if 0x22 not in text:  # nothing quoted: the first one (nearly every line)
        return text.find(bytes([byte]))
    return _index_by_walking(text, byte)


def _index_by_walking(text: bytes, byte: int) -> int:
    quoted = False
    for i, b in enumerate(text):
        if b == 0x22:
            quoted = not quoted
        elif b == byte and not quoted:
            return i
    return text.find(bytes([byte]))


def _split_unquoted(text: str, sep: str) -> list[str]:
    if '"' not in text:  # nothing quoted: every one
        return text.split(sep)
    return _split_by_walking(text, sep)


def _split_by_walking(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    start, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _head_flags(line: bytes) -> tuple[bool, bool]:
    """(quoted-printable, binary) for the property that starts on ``line``."""
    colon = line.find(b":")
    head = line if colon < 0 else line[:colon]
    name = head.split(b";", 1)[0].rsplit(b".", 1)[-1].strip().upper()
    qp = b"QUOTED-PRINTABLE" in head.upper()
    if b";" not in head:  # no parameters (most lines): not base64 either
        return qp, name.decode("latin-1") in _MEDIA
    base64_coded = bool(_BASE64_PARAM.search(head))
    text_name = name.decode("latin-1") in _TEXT_PROPERTIES
    binary = name.decode("latin-1") in _MEDIA or (base64_coded and not text_name)
    return qp, binary


def _logical_lines(physical: Iterable[bytes | None]) -> Iterator[tuple[int, bytes | None]]:
    """Unfold physical lines into (first line number, property line) pairs.

    Folding (a line starting with a space or tab continues the previous one,
    minus that one character) is joined the same way in every version.
    vCard 2.1 folds only at whitespace and keeps it, so a strict 2.1 fold
    loses one space here; keeping it instead would put a space into every
    mid-word fold that 3.0-style writers put into 2.1 files, which breaks
    emails and numbers, the worse harm. A quoted-printable
    line ending in ``=`` continues on the next line whatever that starts
    with — unless it is BEGIN/END:VCARD, which writers that end a value with
    a stray ``=`` would otherwise swallow. Continuations of pictures and
    other binary values are dropped unread. A property that grows past
    ``_MAX_VALUE`` (an endless run of folded lines), or that holds a physical
    line too long to keep (None), comes out as None: it is skipped and said.
    """
    parts: list[bytes] = []
    size = 0
    start = 0
    qp = binary = overlong = soft = False
    for number, line in enumerate(physical, 1):
        if line is None:
            if parts:
                yield start, None if overlong else b"".join(parts)
            parts, start, size, overlong, qp, binary = [], number, 0, False, False, True
            yield number, None
            continue
        if line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if parts or overlong:
            if qp and soft and not _BEGIN_LINE.fullmatch(line) and not _END_LINE.fullmatch(line):
                soft = line.endswith(b"=")
                if parts:
                    parts[-1] = parts[-1][:-1]
                size += len(line)
                if size > _MAX_VALUE:
                    parts, overlong = [], True
                else:
                    parts.append(line)
                continue
            if line[:1] in (b" ", b"\t"):
                if not binary and not overlong:
                    size += len(line)
                    if size > _MAX_VALUE:
                        parts, overlong = [], True
                    else:
                        parts.append(line[1:])
                continue
            yield start, None if overlong else b"".join(parts)
        parts, start, size, overlong = [line], number, len(line), False
        qp, binary = _head_flags(line)
        soft = line.endswith(b"=")
        if not binary and size > _MAX_VALUE:
            parts, overlong = [], True
    if parts or overlong:
        yield start, None if overlong else b"".join(parts)


def _parse_property(number: int, text: bytes) -> _Property | None:
    colon = _unquoted_index(text, 0x3A)
    if colon <= 0:
        return None
    head = text[:colon].decode("latin-1")
    pieces = _split_unquoted(head, ";")
    group, _, name = pieces[0].strip().rpartition(".")
    if not _NAME.fullmatch(name):
        return None
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        piece = piece.strip()
        if not piece:
            continue
        key, eq, value = piece.partition("=")
        if eq:
            key = key.strip().upper()
            if key == "TYPE":
                values = [v.strip().strip('"') for v in value.strip().strip('"').split(",")]
            else:
                values = [value.strip().strip('"')]
        else:
            word = piece.upper()
            if word in _ENCODING_WORDS:
                key = "ENCODING"
            elif word in _VALUE_WORDS:
                key = "VALUE"
            else:
                key = "TYPE"
            values = [piece]
        params.setdefault(key, []).extend(v for v in values if v)
    return _Property(number, group.lower(), name.upper(), params, text[colon + 1 :])


def _segment(
    lines: Iterable[tuple[int, bytes | None]], reader: VCardReader, *, quiet: bool = False
) -> Iterator[_RawCard]:
    """Split logical lines into cards, one at a time, noting (unless ``quiet``) text
    outside cards through ``reader.note``; each card carries its own notes.

    When the file ends without a line break (``reader._cut_mid_line``), the
    last line of a card left open is taken as unfinished and dropped, so a
    half-written phone number or address is not imported as if whole.
    """
    current: _RawCard | None = None
    index = 0
    nested = 0
    last_name = ""
    last_binary = False
    stray: list[int] = []

    def flush_stray() -> None:
        if stray and not quiet:
            reader.note(VCardProblem(None, stray[0], _stray_message(stray)))
        stray.clear()

    last_line = 0
    for number, text in lines:
        last_line = number
        if text is None:
            if current is None:
                del stray[1:]
                stray.append(number)
            elif not last_binary:
                current.notes.append(
                    (
                        number,
                        f"Line {number} in card {current.index} is longer than "
                        f"{_MAX_VALUE >> 20} MiB and was skipped.",
                    )
                )
            continue
        if nested:
            if _BEGIN_LINE.fullmatch(text):
                nested += 1
            elif _END_LINE.fullmatch(text):
                nested -= 1
            continue
        if _BEGIN_LINE.fullmatch(text):
            flush_stray()
            if current is not None:
                if last_name == "AGENT":
                    nested = 1
                    continue
                current.ending = "next"
                yield current
            index += 1
            current = _RawCard(index, number)
            last_name, last_binary = "", False
            continue
        blank = not text.strip(b" \t\x00\x1a")
        if current is None:
            if not blank:
                del stray[1:]  # the first and the last are all the message names
                stray.append(number)
            continue
        if _END_LINE.fullmatch(text):
            yield current
            current = None
            continue
        if blank:
            continue
        prop = _parse_property(number, text)
        if prop is None:
            if not last_binary:
                current.notes.append(
                    (
                        number,
                        f"Line {number} in card {current.index} is not a vCard "
                        "property and was skipped.",
                    )
                )
            continue
        current.properties.append(prop)
        last_name, last_binary = prop.name, prop.binary
    reader._last_line = last_line
    if current is not None:
        current.ending = "eof"
        cut = getattr(reader, "_cut_mid_line", False)
        if cut and current.properties and current.properties[-1].line == last_line:
            dropped = current.properties.pop()
            current.notes.append(
                (
                    dropped.line,
                    f"Line {dropped.line} in card {current.index} is cut off "
                    "by the end of the file and was skipped.",
                )
            )
        yield current
    flush_stray()


def _stray_message(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"Line {lines[0]} is outside any BEGIN:VCARD … END:VCARD card and was skipped."
    return (
        f"Lines {lines[0]}–{lines[-1]} are outside any BEGIN:VCARD … END:VCARD card "
        "and were skipped."
    )


def _card_message(raw: _RawCard, usable: bool) -> str:
    where = f"Card {raw.index} (line {raw.line})"
    if raw.ending == "next":
        broken = f"{where} has no END:VCARD before the next card"
    elif raw.ending == "eof":
        broken = f"{where} is cut off by the end of the file"
    else:
        return f"{where} has no name, organisation, email or phone and was skipped."
    if usable:
        return f"{broken}; what it held was kept."
    return f"{broken} and held no name, organisation, email or phone, so it was skipped."


def _qp_decode(data: bytes) -> bytes:
    return _QP_BYTE.sub(lambda m: bytes([int(m[1], 16)]), data.rstrip(b" \t").removesuffix(b"="))


def _value_bytes(prop: _Property) -> bytes | None:
    encoding = prop.encoding
    if encoding == "qp":
        return _qp_decode(prop.raw)
    if encoding == "b":
        compact = b"".join(prop.raw.split())
        try:
            return base64.b64decode(compact + b"=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None
    return prop.raw


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    return None if name in _WIDE_CODECS or name == "utf-8" else name


class _Decoder:
    """Turns value bytes into text; knows the file's legacy code page.

    The legacy guess is made once (``VCardReader._guess``), from the values
    that are neither UTF-8 nor readable in their declared charset, so a file
    that is UTF-8 throughout never pays for detection.
    """

    def __init__(self, legacy: str) -> None:
        self.legacy = legacy

    @staticmethod
    def strict(data: bytes, charset: str | None) -> str | None:
        if data.isascii():
            return data.decode("ascii")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        codec = _codec(charset)
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                pass
        return None

    def decode(self, data: bytes, charset: str | None) -> str:
        text = self.strict(data, charset)
        if text is None:
            text = data.decode(self.legacy, errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def text(self, prop: _Property) -> str | None:
        """The property's value as text, still vCard-escaped; None if undecodable."""
        data = _value_bytes(prop)
        return None if data is None else self.decode(data, prop.charset)

    def param(self, value: str, charset: str | None) -> str:
        return self.decode(value.encode("latin-1"), charset)


def _guess_legacy(samples: list[bytes]) -> str:
    """The legacy code page that reads ``samples`` most plausibly.

    charset-normalizer alone is unreliable on a few short names (it reads
    "Müller" as cp1251 as readily as cp1252), so candidates are first scored
    by how names look — scripts mixed within a word, words made only of
    accented Latin letters (Cyrillic read as cp1252), stray symbols, a
    capital after a small letter — and charset-normalizer only breaks ties
    between readings that differ; a remaining tie goes to the earlier,
    commoner code page.
    """
    data = b"\n".join(samples)[:65536]
    scored: list[tuple[int, str, str]] = []
    for codec in _LEGACY_CANDIDATES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        scored.append((implausibility(text), codec, text))
    if not scored:
        return _LEGACY_DEFAULT
    lowest = min(score for score, _, _ in scored)
    readings: dict[str, str] = {}
    for score, codec, text in scored:
        if score == lowest:
            readings.setdefault(text, codec)
    tied = list(readings.values())
    if len(tied) == 1:
        return tied[0]
    from charset_normalizer import from_bytes

    ranks = {
        codecs.lookup(match.encoding).name: (match.chaos, -match.coherence)
        for match in from_bytes(data, cp_isolation=tied)
    }
    ranked = [(ranks[codec], codec) for codec in tied if codec in ranks]
    if ranked:
        rank, codec = min(ranked)
        if tied[0] not in ranks or rank < ranks[tied[0]]:
            return codec
    return tied[0]


def _unescape(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        ch = match[1]
        if ch in "nN":
            return "\n"
        if ch in ",;:\\":
            return ch
        return match[0]

    return _ESCAPE.sub(replace, value)


def _split_escaped(value: str, separators: str) -> list[str]:
    """Split on separators that are not backslash-escaped; parts stay escaped."""
    parts: list[str] = []
    buf: list[str] = []
    i, size = 0, len(value)
    while i < size:
        ch = value[i]
        if ch == "\\" and i + 1 < size:
            buf.append(value[i : i + 2])
            i += 2
            continue
        if ch in separators:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _components(value: str, count: int) -> list[str]:
    parts = [_unescape(p).strip() for p in _split_escaped(value, ";")]
    return (parts + [""] * count)[:count]


def _clean_label(label: str) -> str | None:
    match = _APPLE_LABEL.fullmatch(label.strip())
    text = (match[1] if match else label).strip()
    return text or None


def _types(prop: _Property, decoder: _Decoder) -> tuple[list[str], bool]:
    words: list[str] = []
    for value in prop.params.get("TYPE", ()):
        for word in value.split(","):
            word = decoder.param(word.strip().strip('"'), prop.charset).lower()
            if word and word not in words:
                words.append(word)
    preferred = "pref" in words or any(v.strip() == "1" for v in prop.params.get("PREF", ()))
    return [w for w in words if w not in _DROPPED_TYPES], preferred


def _strip_scheme(value: str, scheme: str) -> str:
    return value[len(scheme) :].strip() if value[: len(scheme)].lower() == scheme else value


def _phone_number(value: str) -> str:
    if value[:4].lower() != "tel:":
        return value
    main, _, rest = value[4:].strip().partition(";")
    extension = next((p[4:] for p in rest.split(";") if p.lower().startswith("ext=")), "")
    return f"{main} ext. {extension}" if extension else main


def _build_record(raw: _RawCard, decoder: _Decoder) -> VCardRecord:
    record = VCardRecord(index=raw.index, line=raw.line)
    labels: dict[str, str] = {}
    for prop in raw.properties:
        if prop.name == "X-ABLABEL" and prop.group:
            text = decoder.text(prop)
            label = _clean_label(_unescape(text)) if text is not None else None
            if label:
                labels[prop.group] = label

    fn = ""
    n_parts: list[str] | None = None
    notes: list[str] = []
    languages: list[tuple[int, str]] = []
    for prop in raw.properties:
        name = prop.name
        if prop.binary or name == "X-ABLABEL":
            continue
        value = decoder.text(prop)
        if value is None:
            if name in _TEXT_PROPERTIES or name.startswith("X-"):
                raw.notes.append(
                    (
                        prop.line,
                        f"Line {prop.line} in card {raw.index}: the base64 value "
                        f"of {name} could not be decoded and was skipped.",
                    )
                )
            continue
        label = labels.get(prop.group) if prop.group else None
        if name == "VERSION":
            record.version = record.version or value.strip() or None
        elif name == "UID":
            record.uid = record.uid or _unescape(value).strip() or None
        elif name == "FN":
            fn = fn or _unescape(value).strip()
        elif name == "N":
            if n_parts is None:
                n_parts = _components(value, 5)
        elif name == "NICKNAME":
            if not record.nickname:
                nicknames = [_unescape(p).strip() for p in _split_escaped(value, ",")]
                record.nickname = ", ".join(p for p in nicknames if p)
        elif name == "ORG":
            if not record.organisation and not record.org_units:
                parts = [_unescape(p).strip() for p in _split_escaped(value, ";")]
                record.organisation = parts[0]
                record.org_units = [p for p in parts[1:] if p]
        elif name == "TITLE":
            record.title = record.title or _unescape(value).strip()
        elif name == "ROLE":
            record.role = record.role or _unescape(value).strip()
        elif name == "NOTE":
            note = _unescape(value).strip()
            if note:
                notes.append(note)
        elif name == "EMAIL":
            address = _strip_scheme(_unescape(value).strip(), "mailto:")
            if address:
                types, preferred = _types(prop, decoder)
                record.emails.append(VCardEmail(address, types, preferred, label))
        elif name == "TEL":
            number = _phone_number(_unescape(value).strip())
            if number:
                types, preferred = _types(prop, decoder)
                record.phones.append(VCardPhone(number, types, preferred, label))
        elif name == "ADR":
            pobox, extended, street, locality, region, postal, country = _components(value, 7)
            if any((pobox, extended, street, locality, region, postal, country)):
                types, _preferred = _types(prop, decoder)
                record.addresses.append(
                    VCardAddress(
                        street="\n".join(p for p in (street, extended, pobox) if p),
                        locality=locality,
                        region=region,
                        postal_code=postal,
                        country=country,
                        types=types,
                        label=label,
                    )
                )
        elif name == "URL":
            url = _unescape(value).strip()
            if url:
                record.urls.append(url)
        elif name == "CATEGORIES":
            for part in _split_escaped(value, ",;"):
                category = _unescape(part).strip()
                if category and category not in record.categories:
                    record.categories.append(category)
        elif name == "LANG":
            language = _unescape(value).strip()
            if language:
                pref = next((v for v in prop.params.get("PREF", ()) if v.isdigit()), "100")
                languages.append((int(pref), language))
        elif name.startswith("X-"):
            record.extra.setdefault(name, []).append(_unescape(value))

    if n_parts is not None:
        (
            record.family_name,
            record.given_name,
            record.additional_names,
            record.honorific_prefix,
            record.honorific_suffix,
        ) = n_parts
    record.note = "\n\n".join(notes)
    if languages:
        record.language = min(languages, key=lambda item: item[0])[1]
    record.formatted_name = fn or _fallback_name(record)
    return record


def _fallback_name(record: VCardRecord) -> str:
    parts = (
        record.honorific_prefix,
        record.given_name,
        record.additional_names,
        record.family_name,
        record.honorific_suffix,
    )
    built = " ".join(p for p in parts if p)
    if built:
        return built
    if record.organisation:
        return record.organisation
    if record.emails:
        return record.emails[0].address
    if record.phones:
        return record.phones[0].number
    return ""
