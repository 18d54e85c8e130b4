"""Fictional but realistic coalition data for benchmarks (deterministic).

Invented people at example.org / example.net / example.com addresses, with
the accents and name shapes of the countries a European coalition spans.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from coalition.text import plain_letters, strip_accents

GIVEN = [
    "Émilie",
    "Anna",
    "Jan",
    "Zofia",
    "José",
    "Lena",
    "Lukas",
    "Marie",
    "Søren",
    "Ines",
    "Mateo",
    "Giulia",
    "Chiara",
    "Jakub",
    "Agnieszka",
    "Björn",
    "Åsa",
    "Noémie",
    "François",
    "Jürgen",
    "Małgorzata",
    "Ewa",
    "Piotr",
    "Tomasz",
    "Katarzyna",
    "Joana",
    "João",
    "Nikolaos",
    "Ελένη",
    "Dimitra",
    "Ioana",
    "Andrei",
    "Mihai",
    "Zsófia",
    "Bálint",
    "Petra",
    "Tereza",
    "Ondřej",
    "Aino",
    "Eero",
    "Siobhán",
    "Seán",
    "Clémence",
    "Hélène",
    "Rüdiger",
    "Maëlle",
    "Ana",
    "Lucía",
    "Álvaro",
    "Núria",
    "Pau",
    "Laia",
    "Dragan",
    "Milica",
    "Vesna",
    "Luka",
]
FAMILY = [
    "Müller",
    "Bonneau",
    "Nowak",
    "Kowalska",
    "García",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Lefèvre",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Wójcik",
    "Kamińska",
    "Lewandowski",
    "Jansen",
    "de Vries",
    "van der Berg",
    "Peeters",
    "Janssens",
    "Maes",
    "Hansen",
    "Nielsen",
    "Johansson",
    "Andersson",
    "Virtanen",
    "Korhonen",
    "Papadopoulou",
    "Παπαδόπουλος",
    "Popescu",
    "Ionescu",
    "Nagy",
    "Kovács",
    "Horváth",
    "Novák",
    "Svoboda",
    "Dvořák",
    "Murphy",
    "O'Brien",
    "Kelly",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Ferreira",
    "Silva",
    "Costa",
    "Horvat",
    "Kovačević",
    "Babić",
    "Zupančič",
    "Novaković",
    "Łukasiewicz",
]
ORG_WORDS = [
    "Children",
    "Kinder",
    "Enfance",
    "Infancia",
    "Dzieci",
    "Rights",
    "Protection",
    "Schutz",
    "Droits",
    "Fundación",
    "Stiftung",
    "Fondation",
    "Fundacja",
    "Network",
    "Réseau",
    "Netzwerk",
    "Alliance",
    "Bündnis",
    "Safe",
    "Online",
    "Digital",
    "Futures",
    "Hope",
    "Future",
    "Hands",
    "Voice",
    "Bridge",
    "Light",
    "Haven",
    "Shield",
    "Guardians",
    "Youth",
    "Jeunesse",
    "Jugend",
    "Family",
]
ORG_SUFFIX = ("", "", " e.V.", " asbl", " vzw", " gGmbH", " Foundation", " Ltd", " ONLUS")
COUNTRIES = [
    "BE",
    "DE",
    "FR",
    "ES",
    "IT",
    "PL",
    "NL",
    "AT",
    "SE",
    "DK",
    "FI",
    "GR",
    "RO",
    "HU",
    "CZ",
    "IE",
    "PT",
    "HR",
    "SI",
    "LU",
]
ROLES = (
    "Policy Officer",
    "Director",
    "Head of Advocacy",
    "Communications Lead",
    "Project Manager",
    "Chargée de plaidoyer",
    "Referentin",
    "Coordinadora",
    "",
)
DOMAINS = ("example.org", "example.net", "example.com")


@dataclass(frozen=True)
class FakeOrg:
    name: str
    country: str
    domain: str


@dataclass(frozen=True)
class FakePerson:
    given: str
    family: str
    email: str
    phone: str
    role: str
    org: FakeOrg


# Greek letters as people with Greek names write them in an email address (Ελένη: eleni).
_GREEK = str.maketrans(
    {"α": "a", "δ": "d", "ε": "e", "η": "i", "λ": "l", "ν": "n", "ο": "o", "π": "p", "ς": "s",
     "σ": "s", "υ": "u", "ρ": "r", "τ": "t", "κ": "k", "ι": "i", "μ": "m", "γ": "g"}
)  # fmt: skip


def ascii_letters(text: str) -> str:
    """``text`` as an address is written: accents and strokes dropped, Greek spelled out."""
    plain = strip_accents(plain_letters(text)).lower().translate(_GREEK)
    return "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch == "."))


def organisations(n: int, seed: int = 7) -> list[FakeOrg]:
    rnd = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        words = rnd.sample(ORG_WORDS, rnd.choice((2, 3)))
        name = " ".join(words) + rnd.choice(ORG_SUFFIX)
        if name in seen:
            name = f"{name} {len(out)}"
        seen.add(name)
        slug = ascii_letters(words[0]).replace(".", "") or "org"
        out.append(FakeOrg(name, rnd.choice(COUNTRIES), f"{slug}{len(out)}.{rnd.choice(DOMAINS)}"))
    return out


def people(
    n: int, orgs: list[FakeOrg], seed: int = 11, invalid_share: float = 0.0
) -> Iterator[FakePerson]:
    rnd = random.Random(seed)
    for i in range(n):
        given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
        org = rnd.choice(orgs)
        local = ascii_letters(f"{given}.{family}").strip(".")
        email = f"{local or 'person'}.{i}@{org.domain}"
        if invalid_share and rnd.random() < invalid_share:
            email = email.replace("@", "@@")
        phone = f"+32 2 555 {i // 100 % 100:02d} {i % 100:02d}"
        yield FakePerson(given, family, email, phone, rnd.choice(ROLES), org)
