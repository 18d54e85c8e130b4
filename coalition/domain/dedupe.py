"""Recognising the same organisation or person written differently: one rule set.

Every entrance uses these rules — an import's plan, ``contact add`` and
``org add``, the terminal app's forms, and the list of likely duplicates — so a
record is recognised the same way wherever it comes in.

People: the same normalised email address is the same person; then the same
name at the same organisation.

Organisations (``compare_organisations``), *certain* matches first:

1. the same *normalised name* (``organisation_key``): case, accents,
   punctuation and legal forms in the languages of a European coalition
   ignored, so "Kinderschutz Beispiel e.V.", "KINDERSCHUTZ BEISPIEL" and
   "Kinderschutz-Beispiel eV" are one organisation — unless both name a
   country and the countries differ (then only *likely*);
2. one's name is the other's acronym ("AK" and "Alpha Kids", acronym AK), or
   both have the same acronym and related names;
3. the same web domain: a website, or the domain of an organisation's own
   address — never a public mail domain (``PUBLIC_MAIL_DOMAINS``: gmail.com,
   outlook.com, web.de, …), where strangers share a domain — with related names.

Then *likely* matches, shown for a person to decide and never merged silently:
a similar name (rapidfuzz token-sort ratio at or above ``FUZZY_THRESHOLD``),
one name contained in the other ("Save the Children" and "Save the Children
Italia"), the same name in another country, the same acronym or domain with
unrelated names.

A reply from a known person is about *their* organisation unless the file
clearly names another one (``OrganisationIndex.theirs``): a longer or shorter
spelling, the acronym, a legal form, or the web domain of the sender's own
address is theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import urlsplit

from coalition.text import strip_accents

FUZZY_THRESHOLD = 90.0
"""Token-sort similarity (0-100) of two normalised names from which they are a likely pair."""

# Legal forms and generic words that do not tell organisations apart, in the languages of
# a European coalition (de, en, fr, nl, it, es, pl, pt, sv, da, fi, cs, ro, hu). Dotted
# abbreviations are joined first ("e.V." -> "ev", "s.r.l." -> "srl", "sp. z o.o." ->
# "sp z oo"), so each form is listed once.
LEGAL_WORDS = frozenset({
    # German
    "ev", "gev", "gmbh", "ggmbh", "ag", "gag", "eg", "kg", "ug", "gug", "stiftung", "verein",
    "gemeinnutzige", "gemeinnutziger", "gemeinnutziges",
    # English
    "ltd", "limited", "llc", "inc", "incorporated", "plc", "cic", "cio", "llp", "co", "clg", "dac",
    "foundation", "association",
    # French and Belgian
    "asbl", "aisbl", "sa", "sas", "sarl", "scrl", "sprl", "srl", "fondation", "loi", "1901",
    # Dutch
    "vzw", "ivzw", "bv", "nv", "stichting", "vereniging",
    # Italian
    "onlus", "ets", "aps", "odv", "spa", "fondazione", "associazione", "impresa", "sociale",
    # Spanish
    "sl", "slu", "fundacion", "asociacion",
    # Polish ("sp. z o.o.")
    "fundacja", "stowarzyszenie", "sp", "oo",
    # Portuguese
    "lda", "ipss", "fundacao", "associacao",
    # Swedish, Danish, Finnish
    "ab", "ideell", "forening", "stiftelsen", "fonden", "ry", "oy", "saatio",
    # Czech, Romanian, Hungarian
    "zs", "ops", "spolek", "nadace", "asociatia", "fundatia", "egyesulet", "alapitvany",
    # Articles and joining words
    "the", "de", "la", "le", "les", "l", "der", "die", "das", "of", "for", "and", "et", "und",
    "y", "e", "i", "en", "van", "von", "z", "del", "della", "di", "du", "des", "pour", "fur",
    "per", "para", "dla", "na",
})  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")
_DOTTED = re.compile(r"\b(?:\w{1,2}\.){2,}|\b(?:\w\.\s)+\w\.")
"""Abbreviations written with dots: "e.V.", "s.r.l.", "o.o.", and spaced, "e. V."."""

PUBLIC_MAIL_DOMAINS = frozenset({
    # International
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "protonmail.com",
    "proton.me", "pm.me", "tutanota.com", "tuta.io", "zoho.com", "fastmail.com", "gmx.com",
    "gmx.net", "mail.com", "yandex.com", "hey.com", "posteo.net", "mailbox.org",
    # National branches of the big ones
    "hotmail.de", "hotmail.fr", "hotmail.it", "hotmail.es", "hotmail.co.uk", "hotmail.be",
    "hotmail.nl", "outlook.de", "outlook.fr", "outlook.it", "outlook.es", "outlook.be",
    "live.de", "live.fr", "live.it", "live.nl", "live.be", "live.co.uk", "yahoo.de",
    "yahoo.fr", "yahoo.it", "yahoo.es", "yahoo.co.uk", "yahoo.ie", "gmx.de", "gmx.at",
    "gmx.ch", "gmx.fr", "yandex.ru",
    # Germany, Austria, Switzerland
    "web.de", "t-online.de", "freenet.de", "arcor.de", "posteo.de", "mailbox.de", "aon.at",
    "chello.at", "bluewin.ch", "sunrise.ch",
    # France, Belgium, Luxembourg
    "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "neuf.fr", "club-internet.fr",
    "telenet.be", "skynet.be", "proximus.be", "scarlet.be", "pt.lu",
    # Netherlands
    "hetnet.nl", "ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl", "home.nl",
    # Italy, Spain, Portugal
    "libero.it", "virgilio.it", "tiscali.it", "alice.it", "tin.it", "fastwebnet.it",
    "telefonica.net", "terra.es", "movistar.es", "sapo.pt", "netcabo.pt",
    # Central and Eastern Europe
    "wp.pl", "o2.pl", "onet.pl", "interia.pl", "op.pl", "gazeta.pl", "seznam.cz", "centrum.cz",
    "email.cz", "azet.sk", "freemail.hu", "citromail.hu", "abv.bg", "yahoo.ro", "mail.ru",
    # Nordics, UK, Ireland
    "telia.com", "bredband.net", "online.no", "btinternet.com", "sky.com", "virginmedia.com",
    "tiscali.co.uk", "eircom.net",
    # Documentation domains: the sample data and tests put everyone there.
    "example.org", "example.net", "example.com",
})  # fmt: skip
"""Mail domains that strangers share: an address there says nothing about an organisation."""


@lru_cache(maxsize=65536)  # a member list repeats its organisations row after row
def organisation_key(name: str | None) -> str:
    """The normalised name used to recognise one organisation written differently."""
    if not name:
        return ""
    text = strip_accents(name).casefold()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "").replace(" ", "") + " ", text)
    plain = _NON_WORD.sub(" ", text).replace("_", " ").split()
    words = [w for w in plain if w not in LEGAL_WORDS]
    return " ".join(words) or " ".join(plain)


@lru_cache(maxsize=65536)
def acronym_key(text: str | None) -> str:
    """An acronym as compared: letters and digits, folded ("A.K." -> "ak"); "" when the
    text is too long or too short to be one."""
    if not text:
        return ""
    key = "".join(ch for ch in strip_accents(text).casefold() if ch.isalnum())
    return key if 2 <= len(key) <= 12 and " " not in text.strip() else ""


@lru_cache(maxsize=65536)
def website_domain(url: str | None) -> str:
    """The host of a website, without "www."; "" when there is none."""
    if not url:
        return ""
    text = url.strip().lower()
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


@lru_cache(maxsize=65536)
def email_domain(address: str | None) -> str:
    """The domain of an address when it can tell an organisation: "" for a public mail
    domain (gmail.com, web.de, …) or no domain at all."""
    if not address or "@" not in address:
        return ""
    domain = address.rpartition("@")[2].strip().strip(">").lower()
    return "" if domain in PUBLIC_MAIL_DOMAINS or "." not in domain else domain


@dataclass(frozen=True, slots=True)
class OrgFacts:
    """What the rules compare of an organisation (stored, or named by a row or a form)."""

    id: int
    name: str
    acronym: str | None = None
    website: str | None = None
    email: str | None = None
    country: str | None = None
    key: str = field(init=False, compare=False, repr=False)
    """The normalised name (``organisation_key``)."""
    domains: tuple[str, ...] = field(init=False, compare=False, repr=False)
    """Its web domains: the website's, and its own address's unless public (a tuple of at
    most two: a frozenset took 216 bytes of the ~1.1 KB an import keeps for each new
    organisation, to find it again)."""

    def __post_init__(self) -> None:
        # Worked out once: the duplicates list compares each organisation many times.
        object.__setattr__(self, "key", organisation_key(self.name))
        web, mail = website_domain(self.website), email_domain(self.email)
        domains = tuple(d for d in dict.fromkeys((web, mail)) if d and d not in PUBLIC_MAIL_DOMAINS)
        object.__setattr__(self, "domains", domains)

    def lean(self) -> OrgFacts:
        """These facts without the website and address the domains were worked out from:
        all that matching compares (an import keeps one per organisation it creates)."""
        lean = object.__new__(OrgFacts)
        for name in ("id", "name", "acronym", "country", "key", "domains"):
            object.__setattr__(lean, name, getattr(self, name))
        object.__setattr__(lean, "website", None)
        object.__setattr__(lean, "email", None)
        return lean


@dataclass(frozen=True, slots=True)
class OrgMatch:
    organisation_id: int
    rule: str
    """"same name", "acronym", "same acronym", "same web domain", "similar name (93%)", …"""
    certain: bool
    score: float = 100.0
    """How alike, 0-100: orders a list of likely duplicates, best first."""


def _similarity(a: str, b: str) -> float:
    """Token-sort ratio (0-100) of two normalised names: word order ignored."""
    from rapidfuzz import fuzz

    return float(fuzz.token_sort_ratio(a, b)) if a and b else 0.0


def _contained(a: str, b: str, *, least: int = 2) -> bool:
    """One name's words all in the other's, the shorter having ``least`` words or more."""
    wa, wb = set(a.split()), set(b.split())
    small, large = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(small) >= least and small <= large


def _related(a: str, b: str) -> bool:
    """Names close enough for a shared acronym or domain to make two records one: one
    within the other ("Alpha Kids", "Alpha Kids network"), or a similar spelling. National
    branches ("Save the Children Italia", "… Sweden") are not related this way."""
    return bool(a and b) and (_contained(a, b, least=1) or _similarity(a, b) >= FUZZY_THRESHOLD)


def compare_organisations(a: OrgFacts, b: OrgFacts) -> OrgMatch | None:
    """Whether two organisations are one: certain, likely, or not at all (None).
    The match names ``a``'s id."""
    key_a, key_b = a.key, b.key
    countries_differ = bool(a.country and b.country and a.country != b.country)
    if key_a and key_a == key_b:
        if countries_differ:
            return OrgMatch(a.id, f"same name, other country ({a.country}/{b.country})", False, 80)
        return OrgMatch(a.id, "same name", True)
    acr_a, acr_b = acronym_key(a.acronym), acronym_key(b.acronym)
    name_a, name_b = acronym_key(a.name), acronym_key(b.name)
    if (acr_a and acr_a == name_b) or (acr_b and acr_b == name_a):
        if countries_differ:
            return OrgMatch(a.id, "acronym, other country", False, 75)
        return OrgMatch(a.id, "acronym", True, 98)
    sort_ratio = _similarity(key_a, key_b)
    related = _related(key_a, key_b)
    if acr_a and acr_a == acr_b:
        if related and not countries_differ:
            return OrgMatch(a.id, "same acronym", True, 96)
        return OrgMatch(a.id, "same acronym", False, 70)
    shared = set(a.domains).intersection(b.domains)
    if shared:
        domain = min(shared)
        if related and not countries_differ:
            return OrgMatch(a.id, f"same web domain ({domain})", True, 95)
        return OrgMatch(a.id, f"same web domain ({domain})", False, 72)
    if sort_ratio >= FUZZY_THRESHOLD:
        return OrgMatch(a.id, f"similar name ({sort_ratio:.0f}%)", False, sort_ratio)
    if _contained(key_a, key_b):
        return OrgMatch(a.id, "one name within the other", False, 85)
    return None


class OrganisationIndex:
    """Existing organisations by normalised name, acronym and web domain, for matching
    many named organisations (an import) against them without comparing every pair."""

    def __init__(self, facts: Iterable[OrgFacts] = ()) -> None:
        # ids as tuples: nearly every key names one organisation, and a tuple of one is
        # 40 bytes smaller than a list of one (an import keeps these for what it creates)
        self.facts: dict[int, OrgFacts] = {}
        self.by_key: dict[str, tuple[int, ...]] = {}
        self.by_acronym: dict[str, tuple[int, ...]] = {}
        self.by_domain: dict[str, tuple[int, ...]] = {}
        self.keys: list[str] = []
        self.key_ids: list[int] = []
        for fact in facts:
            self.add(fact)

    def add(self, fact: OrgFacts) -> None:
        self.facts[fact.id] = fact
        key = fact.key
        if key:
            if key not in self.by_key:
                self.keys.append(key)
                self.key_ids.append(fact.id)
            self.by_key[key] = (*self.by_key.get(key, ()), fact.id)
        for acronym in {acronym_key(fact.acronym), acronym_key(fact.name)} - {""}:
            self.by_acronym[acronym] = (*self.by_acronym.get(acronym, ()), fact.id)
        for domain in fact.domains:
            self.by_domain[domain] = (*self.by_domain.get(domain, ()), fact.id)

    def _candidates(self, named: OrgFacts) -> list[int]:
        ids: list[int] = []
        ids.extend(self.by_key.get(named.key, ()))
        for acronym in {acronym_key(named.acronym), acronym_key(named.name)} - {""}:
            ids.extend(self.by_acronym.get(acronym, ()))
        for domain in named.domains:
            ids.extend(self.by_domain.get(domain, ()))
        return list(dict.fromkeys(ids))

    def exact(self, named: OrgFacts) -> OrgMatch | None:
        """The organisation ``named`` certainly is; None when none is. When the rules find
        two stored organisations equally certain (duplicates already here), the oldest is
        taken and the rule says which others there are, rather than adding a third."""
        certain = [
            m
            for m in (compare_organisations(self.facts[i], named) for i in self._candidates(named))
            if m is not None and m.certain
        ]
        if not certain:
            return None
        best = max(m.score for m in certain)
        top = sorted((m for m in certain if m.score == best), key=lambda m: m.organisation_id)
        if len(top) == 1:
            return top[0]
        others = ", ".join(f"#{m.organisation_id}" for m in top[1:4])
        return replace(top[0], rule=f"{top[0].rule}; also {others}: see coalition duplicates")

    def similar(self, named: OrgFacts) -> OrgMatch | None:
        """The likeliest organisation ``named`` may be (never certain enough to use)."""
        found = [
            m
            for m in (compare_organisations(self.facts[i], named) for i in self._candidates(named))
            if m is not None
        ]
        key = named.key
        if key and self.keys:
            from rapidfuzz import fuzz, process

            hit = process.extractOne(
                key, self.keys, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_THRESHOLD
            )
            if hit is not None:
                found.append(
                    OrgMatch(self.key_ids[hit[2]], f"similar name ({hit[1]:.0f}%)", False, hit[1])
                )
        if not found:
            return None
        best = max(found, key=lambda m: m.score)
        return OrgMatch(best.organisation_id, best.rule, False, best.score)

    def theirs(self, known_id: int, named: OrgFacts, sender: Iterable[str] = ()) -> OrgMatch | None:
        """Whether ``named`` (from a row) is the organisation ``known_id`` of the person who
        wrote it, spelled another way: a certain or likely match by the rules above, a
        related name, or a website on the sender's own mail domain. None when the row
        names another organisation."""
        known = self.facts.get(known_id)
        if known is None:
            return None
        label = f"matched to {known.name} by the sender's address"
        match = compare_organisations(known, named)
        if match is not None and (match.certain or "other country" not in match.rule):
            return OrgMatch(known_id, f"{label}: {match.rule}", True, match.score)
        if _related(known.key, named.key):
            return OrgMatch(known_id, f"{label}: related name", True, 88)
        sender_domains = {email_domain(a) for a in sender} - {""}
        if sender_domains.intersection(named.domains):
            return OrgMatch(known_id, f"{label}: website on the sender's domain", True, 90)
        return None


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the rules compare of a person."""

    id: int
    name_key: str
    """``contacts.display_name_key``: the name folded (case, accents, spacing)."""
    organisation_id: int | None = None
    emails: frozenset[str] = frozenset()
    """``contact_emails.address_key`` of each address."""
    phones: frozenset[str] = frozenset()
    """``contact_phones.e164`` of each number that has one."""


@dataclass(frozen=True, slots=True)
class ContactMatch:
    rule: str
    certain: bool
    score: int


def _names_alike(a: str, b: str) -> bool:
    """The same person's name written two ways: equal, similar, or one within the other
    ("Anna Müller", "Anna Maria Müller")."""
    if not (a and b):
        return False
    return a == b or _similarity(a, b) >= FUZZY_THRESHOLD or _contained(a, b)


def compare_contacts(a: ContactFacts, b: ContactFacts) -> ContactMatch | None:
    """Whether two contacts are one person: certain (the same address; the same name at
    the same organisation), likely, or not at all (None). A shared phone is never certain:
    a switchboard number is many people's."""
    if a.emails & b.emails:
        return ContactMatch("same email", True, 100)
    if a.phones & b.phones:
        if _names_alike(a.name_key, b.name_key):
            return ContactMatch("same phone", False, 95)
        return ContactMatch("same phone, another name", False, 65)
    same_org = a.organisation_id is not None and a.organisation_id == b.organisation_id
    if a.name_key and a.name_key == b.name_key:
        if same_org:
            return ContactMatch("same name and organisation", True, 92)
        if a.organisation_id is None and b.organisation_id is None:
            return ContactMatch("same name, neither with an organisation", False, 80)
        if a.organisation_id is None or b.organisation_id is None:
            return ContactMatch("same name, one without organisation", False, 85)
        return None  # namesakes at two organisations
    if same_org:
        ratio = _similarity(a.name_key, b.name_key)
        if ratio >= FUZZY_THRESHOLD:
            return ContactMatch(
                f"similar name ({ratio:.0f}%) at the same organisation", False, round(ratio) - 10
            )
    return None
