"""The list of likely duplicates at 100,000 contacts in 20,000 organisations.

Builds a database of fictional contacts and organisations (``fakedata``, written
with plain SQL for speed; every contact has a phone number of their own), plants a
few hundred duplicates of each kind, then runs `coalition duplicates --format json`
as a user does, in a child process, and prints:

- its wall time and peak RSS (the child's own, from os.wait4) against the targets
  (10 s, 200 MiB);
- how many of the planted pairs it lists, kind by kind, out of those the rules
  themselves recognise (recall; a doubled letter in a one-word name can fall below
  the similarity threshold) and out of all planted, with the reasons given;
- how many pairs it lists in all, by reason (fakedata's names repeat: 4,000-odd
  people's names over 100,000 contacts, organisation names from 35 words, so many
  natural pairs are listed too), and the groups cut short.

A benchmark prints; it does not assert (a loaded machine would fail it).

    python benchmarks/duplicates_bench.py [--contacts 100000] [--planted 200] [--db PATH]

``--db PATH`` keeps the database there and reuses it when it exists.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakedata import ORG_SUFFIX, ascii_letters, organisations, people

if TYPE_CHECKING:
    from coalition.domain.dedupe import ContactFacts, OrgFacts

TARGET_SECONDS = 10.0
TARGET_MIB = 200.0
NOW = "2026-12-07 10:00:00"


@dataclass
class Data:
    orgs: list[tuple[object, ...]] = field(default_factory=list)
    contacts: list[tuple[object, ...]] = field(default_factory=list)
    emails: list[tuple[object, ...]] = field(default_factory=list)
    phones: list[tuple[object, ...]] = field(default_factory=list)
    planted: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )

    def org(self, name: str, country: str, website: str | None, acronym: str | None = None) -> int:
        from coalition.domain.values import fold

        oid = len(self.orgs) + 1
        self.orgs.append((oid, name, fold(name), acronym, country, website))
        return oid

    def contact(
        self, given: str, family: str, org: int | None, email: str, phone: tuple[str, str]
    ) -> int:
        from coalition.domain.values import fold

        cid = len(self.contacts) + 1
        name = f"{given} {family}"
        self.contacts.append((cid, given, family, name, fold(name), org))
        self.emails.append((cid, email, email.casefold()))
        self.phones.append((cid, phone[0], phone[1]))
        return cid

    def plant(self, kind: str, a: int, b: int) -> None:
        self.planted[kind].append((min(a, b), max(a, b)))


def phone(n: int) -> tuple[str, str]:
    """A number of one's own: as typed, and its E.164 form."""
    return f"+32 2 {n // 10_000 % 1000:03d} {n % 10_000:04d}", f"+322{n % 10_000_000:07d}"


def typo(text: str, rnd: random.Random) -> str:
    """One letter doubled, as a hurried hand types it: not the first, and not in a legal
    form ("e.VV.", "Fuundacja"), which the rules set aside before comparing names."""
    from coalition.domain.dedupe import LEGAL_WORDS
    from coalition.domain.values import fold

    letters: list[int] = []
    at = 0
    for word in text.split(" "):
        if fold(word).replace(".", "") not in LEGAL_WORDS:
            letters.extend(at + i for i, ch in enumerate(word) if ch.isalpha() and i > 0)
        at += len(word) + 1
    i = rnd.choice(letters or [i for i, ch in enumerate(text) if ch.isalpha() and i > 0])
    return text[: i + 1] + text[i] + text[i + 1 :]


def make(n_contacts: int, n_orgs: int, planted: int, seed: int = 5) -> Data:
    from coalition.domain.values import fold

    rnd = random.Random(seed)
    data = Data()
    fake_orgs = organisations(n_orgs)
    org_ids = {}
    for o in fake_orgs:
        org_ids[o.name] = data.org(o.name, o.country, f"https://www.{o.domain}")
    natural = n_contacts - 5 * planted
    for i, p in enumerate(people(natural, fake_orgs)):
        data.contact(p.given, p.family, org_ids[p.org.name], p.email, phone(i))

    # Planted contacts, each the duplicate of an earlier one (a contact row is
    # (id, given, family, display_name, key, organisation_id)).
    serial = natural
    picks = rnd.sample(range(1, natural + 1), 4 * planted)
    for n, x in enumerate(picks):
        _, given, family, _name, _key, org = data.contacts[x - 1]
        assert isinstance(given, str) and isinstance(family, str) and isinstance(org, int)
        local = ascii_letters(f"{given}.{family}").strip(".") or "person"
        serial += 1
        own_email = f"{local}.p{serial}@example.net"
        kind = ("same email", "same phone", "same name and organisation", "similar name")[n % 4]
        if kind == "same email":  # the address typed again, in capitals, from a vCard
            address = str(data.emails[x - 1][1])
            y = data.contact(given, family.upper(), None, address.upper(), phone(serial))
        elif kind == "same phone":  # moved on to another organisation, kept the mobile
            other = rnd.randrange(1, n_orgs + 1)
            y = data.contact(
                given,
                family,
                other,
                own_email,
                (str(data.phones[x - 1][1]), str(data.phones[x - 1][2])),
            )
        elif kind == "same name and organisation":  # a second address, a second record
            y = data.contact(given, family, org, own_email, phone(serial))
        else:
            y = data.contact(given, typo(family, rnd), org, own_email, phone(serial))
        data.plant(kind, x, y)
    # Someone met at a conference, without organisation, whose name is their own.
    for _ in range(planted):
        p = next(people(1, fake_orgs, seed=rnd.randrange(1 << 30)))
        family = f"{p.family}-{rnd.choice(fake_orgs).name.split()[0]}"
        serial += 1
        x = data.contact(
            p.given, family, org_ids[p.org.name], f"p{serial}@example.org", phone(serial)
        )
        serial += 1
        y = data.contact(p.given, family, None, f"p{serial}@example.org", phone(serial))
        data.plant("same name, one without organisation", x, y)

    # Planted organisations (a row is (id, name, name_key, acronym, country, website)).
    picks = rnd.sample(range(1, n_orgs + 1), 4 * planted)
    for n, x in enumerate(picks):
        _, name, _key, _acronym, country, website = data.orgs[x - 1]
        assert isinstance(name, str) and isinstance(country, str)
        kind = ("same name", "acronym", "similar name", "same web domain")[n % 4]
        if kind == "same name":  # in capitals, with another legal form
            base = next((name.removesuffix(f) for f in ORG_SUFFIX if f and name.endswith(f)), name)
            y = data.org(
                f"{base.upper()} {'gGmbH' if name.endswith('e.V.') else 'e.V.'}", country, None
            )
        elif kind == "acronym":  # a member list that knows it by its acronym
            letters = "".join(w[0] for w in name.split() if w[0].isalpha()).upper()
            acronym = f"{letters}{n}"
            data.orgs[x - 1] = (x, name, fold(name), acronym, country, website)
            y = data.org(acronym, country, None)
        elif kind == "similar name":
            y = data.org(typo(name, rnd), country, None)
        else:  # its national office, on the same website
            y = data.org(f"{name} Brussels", country, str(website))
        data.plant("organisation: " + kind, x, y)
    return data


def recognised(data: Data) -> dict[str, list[bool]]:
    """Whether the rules themselves take each planted pair for a duplicate (a doubled
    letter in a short name can fall below the similarity threshold): the pairs the list
    can be expected to find."""
    from coalition.domain.dedupe import (
        ContactFacts,
        OrgFacts,
        compare_contacts,
        compare_organisations,
    )

    orgs = {row[0]: row for row in data.orgs}
    contacts = {row[0]: row for row in data.contacts}
    emails = {row[0]: str(row[2]) for row in data.emails}
    phones = {row[0]: str(row[2]) for row in data.phones}

    def org(oid: int) -> OrgFacts:
        _, name, _key, acronym, country, website = orgs[oid]
        return OrgFacts(oid, str(name), acronym, website, None, country)  # type: ignore[arg-type]

    def person(cid: int) -> ContactFacts:
        _, _given, _family, _name, key, org_id = contacts[cid]
        email, number = frozenset({emails[cid]}), frozenset({phones[cid]})
        return ContactFacts(cid, str(key), org_id, email, number)  # type: ignore[arg-type]

    out: dict[str, list[bool]] = {}
    for kind, pairs in data.planted.items():
        if kind.startswith("organisation"):
            out[kind] = [compare_organisations(org(a), org(b)) is not None for a, b in pairs]
        else:
            out[kind] = [compare_contacts(person(a), person(b)) is not None for a, b in pairs]
    return out


def build(path: Path, n_contacts: int, n_planted: int) -> None:
    from coalition.store.database import open_database

    started = time.perf_counter()
    data = make(n_contacts, max(n_contacts // 5, 1), n_planted)
    open_database(path).close()  # the schema, as coalition makes it
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO organisations (id, name, name_key, acronym, kind, country, website, "
            f"membership, created_at, updated_at) VALUES (?, ?, ?, ?, 'ngo', ?, ?, 'none', '{NOW}', '{NOW}')",
            data.orgs,
        )
        con.executemany(
            "INSERT INTO contacts (id, given_name, family_name, display_name, display_name_key, "
            "display_name_custom, organisation_id, do_not_contact, bounced, created_at, updated_at) "
            f"VALUES (?, ?, ?, ?, ?, 0, ?, 0, 0, '{NOW}', '{NOW}')",
            data.contacts,
        )
        con.executemany(
            "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
            "VALUES (?, ?, ?, 1, 1)",
            data.emails,
        )
        con.executemany(
            "INSERT INTO contact_phones (contact_id, number, e164, is_primary) VALUES (?, ?, ?, 1)",
            data.phones,
        )
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    verdicts = recognised(data)
    planted = {
        kind: [[a, b, int(ok)] for (a, b), ok in zip(pairs, verdicts[kind], strict=True)]
        for kind, pairs in data.planted.items()
    }
    (path.parent / (path.name + ".planted.json")).write_text(json.dumps(planted))
    print(
        f"built {len(data.contacts):,} contacts in {len(data.orgs):,} organisations "
        f"in {time.perf_counter() - started:.1f} s"
    )


def run(db: Path) -> tuple[float, float, list[dict[str, object]], str]:
    """`coalition duplicates --format json` in a child: wall seconds, peak RSS (MiB), the
    pairs, and what it said on stderr. The RSS is this child's own (os.wait4), not the
    largest of every child so far (getrusage(RUSAGE_CHILDREN) would count the build's)."""
    command = [sys.executable, "-m", "coalition", "--db", str(db), "duplicates", "--format", "json"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(err.read())
        pairs, said = json.load(out), err.read().strip()
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return wall, kib / 1024, pairs, said


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=200, help="planted pairs of each kind")
    parser.add_argument("--db", type=Path, help="keep the database here; reuse it when it exists")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.db, args.contacts, args.planted)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        db = args.db or Path(tmp_name) / "duplicates.db"
        if not db.exists():
            # In a child of its own: a child forked from a parent holding the data would
            # start its peak RSS at the parent's.
            subprocess.run(
                [sys.executable, __file__, "--build-only", "--db", str(db),
                 "--contacts", str(args.contacts), "--planted", str(args.planted)],
                check=True,
            )  # fmt: skip
        planted = json.loads((db.parent / (db.name + ".planted.json")).read_text())
        wall, rss, pairs, said = run(db)
        print(
            f"coalition duplicates --format json: {wall:.2f} s (target < {TARGET_SECONDS:.0f} s), "
            f"peak RSS {rss:.0f} MiB (target < {TARGET_MIB:.0f} MiB)"
        )
        listed = {(p["kind"], *p["ids"]): p for p in pairs}  # type: ignore[misc]
        print("planted pairs: listed / those the rules recognise (recall) / planted; reasons given")
        for kind, expected in planted.items():
            record = "organisation" if kind.startswith("organisation") else "contact"
            hits = [listed.get((record, a, b)) for a, b, _ok in expected]
            found = [h for h in hits if h is not None]
            known = sum(ok for _a, _b, ok in expected)
            reasons = collections.Counter(str(h["reason"]).split(" (")[0] for h in found)
            shown = ", ".join(f"{r} {c}" for r, c in reasons.most_common(3))
            print(
                f"  {kind:37} {len(found):4}/{known:<4} {len(found) / max(known, 1):6.1%}"
                f" /{len(expected):4}  {shown}"
            )
        by_reason = collections.Counter(
            (str(p["kind"]), str(p["reason"]).split(" (")[0]) for p in pairs
        )
        print(f"{len(pairs):,} pairs listed in all:")
        for (kind, reason), count in sorted(by_reason.items(), key=lambda kv: -kv[1]):
            print(f"  {kind:13} {reason:45} {count:7,}")
        if said:
            print(f"it said: {said}")


if __name__ == "__main__":
    main()
