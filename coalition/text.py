"""Text folding shared by every layer (no dependencies)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

# Letters Unicode does not decompose into a base letter and a mark, written as their base
# letters by anyone without the keyboard: "Łódź" is searched for as "lodz", "Ørsted" as
# "orsted", "Straße" as "strasse".
_LETTERS = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
        "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t", "ı": "i", "ß": "ss", "ẞ": "SS", "Æ": "AE",
        "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th",
    }
)  # fmt: skip


def plain_letters(text: str) -> str:
    """Letters with a stroke or ligature as their base letters: "Łódź" -> "Lódź"."""
    return text.translate(_LETTERS)


def _stripped(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Each character up to the end of Latin Extended-B as ``_stripped`` makes it. Stripping is
# character by character (the decomposition of a text is that of its characters, reordered
# only among the combining marks it drops), so a text within this range is stripped by one
# translate at C speed: most of a European address book.
_LATIN_END = "\u0250"
_LATIN = str.maketrans(
    {chr(c): _stripped(chr(c)) for c in range(0x80, 0x250) if _stripped(chr(c)) != chr(c)}
)


def strip_accents(text: str) -> str:
    """Remove combining marks in any script and strokes from letters: "Émilie" -> "Emilie",
    "Ελένη" -> "Ελενη", "Łódź" -> "Lodz"."""
    if text.isascii():
        return text
    if max(text) < _LATIN_END:
        return text.translate(_LATIN)
    return _stripped(text)


_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f][^\W\d_]*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TYPOGRAPHY = frozenset("’‘‚“”„–—€«»‹›·°§´…•№™©®£¥¢")
_CJK_PREFIXES = ("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC")


def _script(ch: str) -> str:
    if ch.isascii():
        return "LATIN"
    name = unicodedata.name(ch, "?")
    if name.startswith(_CJK_PREFIXES):
        return "CJK"
    return name.split(" ", 1)[0]


def implausibility(text: str) -> int:
    """How unlike real names and words a decoded text looks; lower is more plausible.

    Used to choose between legacy code pages (cp1252, cp1250, cp1251 …) when
    a file says nothing of its encoding: a wrong guess mixes scripts inside a
    word ("ĂśberprĂĽfung"), makes words of accented letters only, or yields
    symbols and control characters where letters belong. Candidates decode
    ASCII identically, so only words with other characters are scored.
    """
    score = 0
    for word in _WORD.findall(text):
        scripts = {_script(ch) for ch in word}
        if len(scripts) > 1:
            score += 3
        if len(word) >= 2 and all(not ch.isascii() and _script(ch) == "LATIN" for ch in word):
            score += 2 if len(word) >= 3 else 1
        if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)):
            score += 1
    score += sum(
        3 if unicodedata.category(ch) in ("Cc", "Co", "Cn") or ch == "\ufffd" else 1
        for ch in _NON_ASCII.findall(text)
        if not ch.isalpha() and not ch.isspace() and ch not in _TYPOGRAPHY
    )
    return score


_LIST_SEPARATORS = re.compile(r"[,;]")


def split_values(text: str | Iterable[str]) -> list[str]:
    """What a person lists in one field or a repeatable option, item by item: "a, b;c"
    and ("a", "b; c") are ['a', 'b', 'c']. Commas and semicolons both separate, in the
    command line and the app alike (a spreadsheet in much of Europe lists with ";")."""
    parts = [text] if isinstance(text, str) else list(text)
    return [v.strip() for part in parts for v in _LIST_SEPARATORS.split(part) if v.strip()]
