"""Recognising the same organisation or person written differently.

People: the same normalised email address is the same person.

Organisations, in order of confidence:

1. the same *normalised name*: case, accents, punctuation and legal-form
   words ignored, so "Kinderschutz Beispiel e.V.", "KINDERSCHUTZ BEISPIEL"
   and "Kinderschutz-Beispiel eV" are one organisation;
2. the same website domain (www. ignored);
3. a similar name (rapidfuzz token-sort ratio of the normalised names at or
   above ``FUZZY_THRESHOLD``) — reported as a *likely* duplicate for a person
   to decide, never merged silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from coalition.text import strip_accents

FUZZY_THRESHOLD = 90.0

# Legal forms and generic words that do not tell organisations apart.
LEGAL_WORDS = {
    "ev", "e v", "asbl", "vzw", "aisbl", "ivzw", "ltd", "limited", "llc", "inc", "plc", "cic",
    "gmbh", "ggmbh", "ag", "gag", "eg", "kg", "ug", "gug", "ong", "onlus", "ets", "aps", "odv",
    "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "stichting", "vereniging", "stiftung",
    "foundation", "fondation", "fundacion", "fundacja", "fondazione", "fundacao", "association",
    "asociacion", "associazione", "verein", "stowarzyszenie", "the", "de", "la", "le", "der",
    "die", "das", "of", "for", "and", "et", "und", "y", "e", "i", "en", "van", "von",
}  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")


@lru_cache(maxsize=65536)  # a member list repeats its organisations row after row
def organisation_key(name: str | None) -> str:
    """The normalised name used to recognise one organisation written differently."""
    if not name:
        return ""
    text = strip_accents(name).casefold().replace("e.v.", " ev ")
    words = [w for w in _NON_WORD.sub(" ", text).split() if w not in LEGAL_WORDS]
    return " ".join(words) or " ".join(_NON_WORD.sub(" ", text).split())


@lru_cache(maxsize=65536)
def website_domain(url: str | None) -> str:
    if not url:
        return ""
    text = url.strip().lower()
    if "://" not in text:
        text = "http://" + text
    host = urlsplit(text).hostname or ""
    return host.removeprefix("www.")


@dataclass(frozen=True)
class OrgMatch:
    organisation_id: int
    rule: str
    """"same name", "same website" or "similar name (93%)"."""
    certain: bool


class OrganisationIndex:
    """Existing organisations by normalised name and website domain, for matching."""

    def __init__(self, rows: Iterable[tuple[int, str, str | None]]) -> None:
        self.by_key: dict[str, int] = {}
        self.by_domain: dict[str, int] = {}
        self.keys: list[str] = []
        self.ids: list[int] = []
        for org_id, name, website in rows:
            self.add(org_id, name, website)

    def add(self, org_id: int, name: str, website: str | None) -> None:
        key = organisation_key(name)
        if key and key not in self.by_key:
            self.by_key[key] = org_id
            self.keys.append(key)
            self.ids.append(org_id)
        domain = website_domain(website)
        if domain and domain not in self.by_domain:
            self.by_domain[domain] = org_id

    def exact(self, name: str, website: str | None) -> OrgMatch | None:
        key = organisation_key(name)
        if key in self.by_key:
            return OrgMatch(self.by_key[key], "same name", True)
        domain = website_domain(website)
        if domain and domain in self.by_domain:
            return OrgMatch(self.by_domain[domain], "same website", True)
        return None

    def similar(self, name: str) -> OrgMatch | None:
        key = organisation_key(name)
        if not key or not self.keys:
            return None
        from rapidfuzz import fuzz, process

        found = process.extractOne(
            key, self.keys, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_THRESHOLD
        )
        if found is None:
            return None
        _, score, index = found
        return OrgMatch(self.ids[index], f"similar name ({score:.0f}%)", False)
