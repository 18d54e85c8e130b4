"""Writing contacts as vCards (3.0 or 4.0): one .vcf file, or a vdir of one file per contact.

Every rule of the format is here: escaping of ``\\ , ;`` and newlines per
property (ORG, FN and NOTE are single text values, N and ADR are ``;``-lists,
CATEGORIES a ``,``-list), folding at 75 octets without splitting a UTF-8
character, CRLF line ends, TYPE parameters in the version's style. The UID is
the contact's stable UID, so importing an exported card back finds the same
person; a vdir names each file by it, as khard and vdirsyncer expect.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from coalition.domain.people import ContactView
from coalition.errors import FileProblem
from coalition.safefile import clean_leftovers, private_file, private_folder, sync_folder

VERSIONS = ("3.0", "4.0")
_PHONE_TYPES = {
    "mobile": "cell",
    "cell": "cell",
    "work": "work",
    "home": "home",
    "fax": "fax",
    "office": "work",
}


def escape(value: str) -> str:
    if _SPECIAL.search(value) is None:
        return value  # most values: nothing to escape
    return (
        value.replace("\\", "\\\\")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
        .replace(",", "\\,")
        .replace(";", "\\;")
    )


_SPECIAL = re.compile(r"[\\,;\r\n]")


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    if len(line) <= 75 and (line.isascii() or len(line) <= 18):
        return line + "\r\n"  # short enough whatever it holds: no need to encode it
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line + "\r\n"
    parts = []
    start = 0
    limit = 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode("utf-8"))
        start = end
        limit = 74  # continuation lines start with a space
    return "\r\n ".join(parts) + "\r\n"


def _types(label: str | None, version: str, *, phone: bool, preferred: bool) -> str:
    key = (label or "").strip().lower()
    if phone:
        types = [_PHONE_TYPES.get(key, "voice")]
    else:
        types = [key] if key in ("work", "home") else []
        if version == "3.0":
            types.insert(0, "internet")
    if preferred and version == "3.0":
        types.append("pref")
    params = ";TYPE=" + ",".join(types) if types else ""
    if preferred and version == "4.0":
        params += ";PREF=1"
    return params


def card(contact: ContactView, version: str = "3.0") -> str:
    if version not in VERSIONS:
        raise FileProblem(f"vCard version {version} is not written; use 3.0 or 4.0.")
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if version == "3.0":
        lines.append("PRODID:-//coalition//coalition//EN")
    lines.append(f"UID:{escape(contact.uid)}")
    lines.append(f"FN:{escape(contact.display_name)}")
    n = [contact.family_name, contact.given_name, "", contact.honorific, ""]
    lines.append("N:" + ";".join(escape(p or "") for p in n))
    if contact.organisation:
        lines.append(f"ORG:{escape(contact.organisation)}")
    if contact.role:
        lines.append(f"TITLE:{escape(contact.role)}")
    for email in contact.emails:
        params = _types(email.label, version, phone=False, preferred=email.primary)
        lines.append(f"EMAIL{params}:{escape(email.address)}")
    for number in contact.phones:
        params = _types(number.label, version, phone=True, preferred=number.primary)
        value = number.e164 or number.number
        if version == "4.0" and number.e164:
            lines.append(f"TEL{params};VALUE=uri:tel:{number.e164}")
        else:
            lines.append(f"TEL{params}:{escape(value)}")
    address = [contact.street, contact.city, contact.region, contact.postal_code, contact.country]
    if any(address):
        street, city, region, postal, country = (escape(p or "") for p in address)
        lines.append(f"ADR;TYPE=work:;;{street};{city};{region};{postal};{country}")
    if contact.language:
        lines.append(
            f"LANG:{contact.language}" if version == "4.0" else f"X-LANGUAGE:{contact.language}"
        )
    if contact.tags:
        lines.append("CATEGORIES:" + ",".join(escape(t) for t in contact.tags))
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    stamp = contact.updated_at.strftime("%Y%m%dT%H%M%SZ")
    lines.append(f"REV:{stamp}")
    lines.append("END:VCARD")
    return "".join(fold_line(line) for line in lines)


def write_vcards(
    target: str | os.PathLike[str],
    contacts: Iterable[ContactView],
    version: str = "3.0",
    *,
    erased: Callable[[str], bool] | None = None,
) -> int:
    """One .vcf file (``OUT.vcf``), or a vdir (``OUT/``: an existing folder or a path
    without .vcf) with one ``UID.vcf`` per contact. Returns the number of cards.
    Files are 0600 and a folder made here 0700 (``coalition.safefile``).

    ``erased`` tells by its UID whether a card is of a person erased since (the erasure
    ledger's ``holds_uid``): writing a vdir again removes such cards left from before."""
    path = Path(target)
    if path.suffix.lower() == ".vcf" and not path.is_dir():
        count = 0
        with private_file(path) as handle:
            for contact in contacts:
                handle.write(card(contact, version))
                count += 1
        return count
    private_folder(path)  # 0700 when made here
    clean_leftovers(path)  # once for the folder, not once a card
    count = 0
    written: set[str] = set()
    for contact in contacts:
        name = f"{_safe_name(contact.uid)}.vcf"
        with private_file(path / name, clean=False, sync_folder=False) as handle:
            handle.write(card(contact, version))
        written.add(name)
        count += 1
    if erased is not None:
        for left in path.glob("*.vcf"):
            if left.name not in written and any(erased(uid) for uid in _uids_in(left)):
                left.unlink(missing_ok=True)
    sync_folder(path)  # the renames above, made durable once
    return count


def _uids_in(path: Path) -> list[str]:
    """The UIDs of the cards in a .vcf file (unfolded), or none if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    return [
        line.split(":", 1)[1].strip()
        for line in unfolded.splitlines()
        if line.upper().startswith("UID") and ":" in line and line[3:4] in (":", ";")
    ]


def _safe_name(uid: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in uid) or "contact"
