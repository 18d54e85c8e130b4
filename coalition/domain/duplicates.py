"""The list of likely duplicates: pairs of contacts or organisations, best first.

Organisations are judged by ``dedupe.compare_organisations``, so a pair is listed with
exactly the verdict an import reaches for it. People are judged by ``compare_contacts``
below (a rule that belongs beside the organisation rules in ``dedupe``), best first:

- the same email (``contact_emails.address_key``): 100, certain;
- the same phone (``contact_phones.e164``) and names alike (equal, similar, or one
  within the other): 95;
- the same name (``display_name_key``) at the same organisation: 92, certain;
- the same name, one of them without organisation: 85;
- the same name, neither with an organisation: 80;
- a similar name (token-sort ratio r >= ``FUZZY_THRESHOLD``) at the same
  organisation: r - 10, so 80 to 90;
- the same phone and names not alike (a switchboard, a shared mobile): 65.

Never all pairs: candidates come from *blocks* of records that share a value — an
email, a phone, a name (per organisation), an organisation's normalised name, acronym
or web domain. Similar names are compared only within small blocks: the people of one
organisation; organisation names that begin with the same two letters, in the order
their words are written and in sorted order. A name at the start or the end of
another ("Save the Children", "Save the Children Italia") is found in the sorted
names. Each block gives at most ``PAIRS_PER_BLOCK`` pairs (5,000 contacts named
"info" without an organisation would be 12.5 million); a block cut short is reported
in ``DuplicateScan.capped``. A person without organisation is paired with namesakes at
up to ``NAMESAKE_ORGANISATIONS`` organisations; a name found at more is too common to
say which one they are.

Pairs a coordinator marked "not a duplicate" (``dismiss_pair``) are not listed again.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.audit import Work
from coalition.domain.dedupe import (
    FUZZY_THRESHOLD,
    ContactFacts,
    OrganisationIndex,
    compare_contacts,
    compare_organisations,
)
from coalition.errors import Ambiguous, InvalidValue, NotFound
from coalition.store.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicateDismissal,
    Organisation,
)

KINDS = ("contact", "organisation")

PAIRS_PER_BLOCK = 50
"""At most this many pairs from one block of records sharing a value."""

FUZZY_BLOCK = 1_500
"""Distinct names compared all against all; a larger block is split by longer prefixes."""

NAMESAKE_ORGANISATIONS = 3
"""A person without organisation is paired with namesakes at up to this many organisations."""

ORDERED_PAIRS = 5_000
"""A block cut short with up to this many pairs gives its likeliest pairs first (for
organisations: of one country, then with the same name); a larger one, its lowest ids."""

_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


# --- the pairs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that may be one, as listed: the lower id first."""

    kind: str
    """"contact" or "organisation"."""
    ids: tuple[int, int]
    names: tuple[str, str]
    reason: str
    """"same email", "same phone", "same name and organisation", "acronym",
    "same web domain (example.org)", "similar name (93%)", …"""
    score: int
    """How alike, 0-100: orders the list, best first."""
    certain: bool
    """The rules take them for one record (an import would match them); else a person decides."""


@dataclass(frozen=True, slots=True)
class CappedBlock:
    """A block that gave more pairs than ``PAIRS_PER_BLOCK``: only the first are listed."""

    kind: str
    what: str
    """What its records share, as a sentence's object: "the email info@example.org"."""
    members: int
    listed: int


@dataclass(frozen=True, slots=True)
class DuplicateScan:
    pairs: list[DuplicatePair]
    """Best first, at most ``limit``."""
    total: int
    """How many pairs were found before ``limit``."""
    capped: list[CappedBlock] = field(default_factory=list)


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


# --- blocks --------------------------------------------------------------------------------


class _Candidates:
    """Candidate pairs from blocks, each block cut at ``PAIRS_PER_BLOCK``; dismissed pairs
    are skipped and do not count. In a block cut short, the pairs ``prior`` puts first are
    taken (for a block of up to ``ORDERED_PAIRS`` pairs; past that, the lowest ids first)."""

    def __init__(
        self,
        kind: str,
        dismissed: set[tuple[int, int]],
        prior: Callable[[tuple[int, int]], Any] | None = None,
    ) -> None:
        self.kind = kind
        self.dismissed = dismissed
        self.prior = prior
        self.pairs: set[tuple[int, int]] = set()
        self.capped: list[CappedBlock] = []

    def _take(
        self,
        pairs: Iterable[tuple[int, int]],
        count: int,
        members: int,
        what: str,
        args: tuple[Any, ...],
    ) -> None:
        if count > PAIRS_PER_BLOCK and self.prior is not None and count <= ORDERED_PAIRS:
            pairs = sorted(pairs, key=self.prior)
        added = 0
        for pair in pairs:
            if pair in self.dismissed:
                continue
            if added == PAIRS_PER_BLOCK:
                self.capped.append(CappedBlock(self.kind, what.format(*args), members, added))
                return
            self.pairs.add(pair)
            added += 1

    def block(self, ids: Iterable[int], what: str, *args: Any) -> None:
        """Every pair of ``ids`` (lower id first). ``what`` they share, a format string for
        ``args``, is made only for a block cut short."""
        members = sorted(set(ids))
        n = len(members)
        if n > 1:
            self._take(combinations(members, 2), n * (n - 1) // 2, n, what, args)

    def across(self, left: Sequence[int], right: Sequence[int], what: str, *args: Any) -> None:
        """Each of ``left`` with each of ``right`` (distinct records)."""
        if left and right:
            pairs = (
                (a, b) if a < b else (b, a) for a in sorted(left) for b in sorted(right) if a != b
            )
            members = len(set(left) | set(right))
            self._take(pairs, len(left) * len(right), members, what, args)


def _prefix_blocks(
    items: dict[str, list[int]], start: int = 2, longest: int = 8
) -> Iterator[list[str]]:
    """Distinct strings grouped by their first letters: ``start`` of them, more for a group
    larger than ``FUZZY_BLOCK`` (up to ``longest``)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for text in items:
        groups[text[:start]].append(text)
    for prefix, texts in groups.items():
        if len(texts) > FUZZY_BLOCK and start < longest and len(prefix) == start:
            yield from _prefix_blocks({t: items[t] for t in texts}, start + 2, longest)
        elif len(texts) > 1:
            yield texts


def _similar_strings(
    texts: Sequence[str], cutoff: float = FUZZY_THRESHOLD
) -> Iterator[tuple[int, list[int]]]:
    """For each string, the later ones at least ``cutoff`` alike (plain ratio), by index."""
    from rapidfuzz import fuzz, process

    if len(texts) == 2:
        if fuzz.ratio(texts[0], texts[1], score_cutoff=cutoff):
            yield 0, [1]
        return
    for i, text in enumerate(texts[:-1]):
        hits = process.extract(text, texts, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        later = [j for _choice, _score, j in hits if j > i]
        if later:
            yield i, later


# --- reading -------------------------------------------------------------------------------


def _dismissed(session: Session, kind: str) -> set[tuple[int, int]]:
    return {
        (low, high)
        for low, high in session.execute(
            select(DuplicateDismissal.low_id, DuplicateDismissal.high_id).where(
                DuplicateDismissal.kind == kind
            )
        )
    }


def _shared(session: Session, column: Any, owner: Any) -> dict[str, list[int]]:
    """Values of ``column`` held by more than one contact, with those contacts."""
    repeated = (
        select(column)
        .where(column.is_not(None))
        .group_by(column)
        .having(func.count() > 1)  # one contact holding a value twice makes no pair
    )
    found: dict[str, list[int]] = defaultdict(list)
    for value, contact_id in session.execute(
        select(column, owner).where(column.in_(repeated)).distinct().order_by(column, owner)
    ):
        found[value].append(contact_id)
    return found


def _in_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start : start + _CHUNK]


# --- contacts ------------------------------------------------------------------------------


def _grouped(session: Session, query: Any) -> Iterator[tuple[Any, list[tuple[int, Any]]]]:
    """Rows (id, value, group) of ``query``, ordered by group, read a few thousand at a
    time and handed on one group at a time as (group, [(id, value), …])."""
    rows = session.execute(query.execution_options(yield_per=5_000))
    for group, members in groupby(rows, key=itemgetter(2)):
        yield group, [(cid, key) for cid, key, _group in members]


def _contact_pairs(session: Session) -> tuple[list[DuplicatePair], list[CappedBlock]]:
    cands = _Candidates("contact", _dismissed(session, "contact"))
    for key, ids in _shared(session, ContactEmail.address_key, ContactEmail.contact_id).items():
        cands.block(ids, "the email {}", key)
    for e164, ids in _shared(session, ContactPhone.e164, ContactPhone.contact_id).items():
        cands.block(ids, "the phone {}", e164)

    # The same name: at one organisation, without one, or one of each. Only names held by
    # more than one contact are read.
    repeated = (
        select(Contact.display_name_key)
        .where(Contact.display_name_key != "")
        .group_by(Contact.display_name_key)
        .having(func.count() > 1)
    )
    namesakes = (
        select(Contact.id, Contact.organisation_id, Contact.display_name_key)
        .where(Contact.display_name_key.in_(repeated))
        .order_by(Contact.display_name_key, Contact.id)
    )
    for key, members in _grouped(session, namesakes):
        at: dict[int | None, list[int]] = defaultdict(list)
        for cid, org_id in members:
            at[org_id].append(cid)
        alone = at.pop(None, [])
        for org, same in at.items():
            cands.block(same, "the name '{}' at organisation #{}", key, org)
        cands.block(alone, "the name '{}' without an organisation", key)
        if alone and 0 < len(at) <= NAMESAKE_ORGANISATIONS:
            named = [cid for same in at.values() for cid in same]
            cands.across(alone, named, "the name '{}' with and without organisation", key)

    # Similar names among the people of one organisation.
    colleagues = (
        select(Contact.id, Contact.display_name_key, Contact.organisation_id)
        .where(Contact.organisation_id.is_not(None))
        .order_by(Contact.organisation_id)
    )
    for organisation_id, people_there in _grouped(session, colleagues):
        if len(people_there) < 2:
            continue
        spellings: dict[str, list[int]] = defaultdict(list)
        for cid, name_key in people_there:
            if name_key:
                spellings[_sorted_words(name_key)].append(cid)
        if len(spellings) < 2:
            continue
        blocks = [sorted(spellings)] if len(spellings) <= FUZZY_BLOCK else _prefix_blocks(spellings)
        for texts in blocks:
            for i, later in _similar_strings(texts):
                cands.across(
                    spellings[texts[i]],
                    [cid for j in later for cid in spellings[texts[j]]],
                    "names like '{}' at organisation #{}",
                    texts[i],
                    organisation_id,
                )

    if not cands.pairs:
        return [], cands.capped
    involved = {cid for pair in cands.pairs for cid in pair}
    emails: dict[int, set[str]] = defaultdict(set)
    phones: dict[int, set[str]] = defaultdict(set)
    names: dict[int, str] = {}
    people: dict[int, tuple[str, int | None]] = {}
    for chunk in _in_chunks(involved):
        for cid, name, name_key, org_id in session.execute(
            select(
                Contact.id, Contact.display_name, Contact.display_name_key, Contact.organisation_id
            ).where(Contact.id.in_(chunk))
        ):
            names[cid] = name
            people[cid] = (name_key, org_id)
        for cid, key in session.execute(
            select(ContactEmail.contact_id, ContactEmail.address_key).where(
                ContactEmail.contact_id.in_(chunk)
            )
        ):
            emails[cid].add(key)
        for cid, number in session.execute(
            select(ContactPhone.contact_id, ContactPhone.e164).where(
                ContactPhone.contact_id.in_(chunk), ContactPhone.e164.is_not(None)
            )
        ):
            if number:
                phones[cid].add(number)
    facts = {
        cid: ContactFacts(
            cid,
            people[cid][0],
            people[cid][1],
            frozenset(emails.get(cid, ())),
            frozenset(phones.get(cid, ())),
        )
        for cid in involved
    }
    pairs = []
    for a, b in cands.pairs:
        match = compare_contacts(facts[a], facts[b])
        if match is not None:
            pairs.append(
                DuplicatePair(
                    "contact", (a, b), (names[a], names[b]), match.rule, match.score, match.certain
                )
            )
    return pairs, cands.capped


# --- organisations -------------------------------------------------------------------------


def _organisation_pairs(session: Session) -> tuple[list[DuplicatePair], list[CappedBlock]]:
    index = OrganisationIndex(people.organisation_facts(session))
    facts = index.facts
    known = {oid: (f.country, f.key) for oid, f in facts.items()}

    def prior(pair: tuple[int, int]) -> tuple[bool, bool, tuple[int, int]]:
        """Of one country first, then with the same name."""
        (country_a, key_a), (country_b, key_b) = known[pair[0]], known[pair[1]]
        return bool(country_a and country_b and country_a != country_b), key_a != key_b, pair

    cands = _Candidates("organisation", _dismissed(session, "organisation"), prior)
    for key, ids in index.by_key.items():
        cands.block(ids, "the name '{}'", key)
    for acronym, ids in index.by_acronym.items():
        cands.block(ids, "the acronym '{}'", acronym.upper())
    for domain, ids in index.by_domain.items():
        cands.block(ids, "the web domain {}", domain)

    # Similar names: compared within groups of names that begin alike, in the order the
    # words are written and in their sorted order (the rule's token-sort ratio).
    for order in (lambda key: key, _sorted_words):
        spellings: dict[str, list[int]] = defaultdict(list)
        for key, ids in index.by_key.items():
            spellings[order(key)].extend(ids)
        sort_key: dict[str, str] = {}
        if order is not _sorted_words:
            sort_key = {text: _sorted_words(text) for text in spellings}
        for texts in _prefix_blocks(spellings):
            compared = [sort_key.get(t, t) for t in texts]
            for i, later in _similar_strings(compared):
                cands.across(
                    spellings[texts[i]],
                    [oid for j in later for oid in spellings[texts[j]]],
                    "names like '{}'",
                    texts[i],
                )

    # One name within the other, at its start or its end ("Save the Children" and "Save
    # the Children Italia", "Italia Save the Children"): found in the sorted names.
    for reverse in (False, True):
        spellings = defaultdict(list)
        for key, ids in index.by_key.items():
            words = key.split()
            spellings[" ".join(reversed(words) if reverse else words)].extend(ids)
        ordered = sorted(spellings)
        for text in ordered:
            if " " not in text:
                continue
            start = bisect.bisect_left(ordered, text + " ")
            end = bisect.bisect_left(ordered, text + "!")  # "!" follows " "
            longer = [oid for other in ordered[start:end] for oid in spellings[other]]
            cands.across(
                spellings[text],
                longer,
                "names beginning or ending '{}'",
                text,
            )

    pairs = []
    for a, b in cands.pairs:
        match = compare_organisations(facts[a], facts[b])
        if match is not None:
            pairs.append(
                DuplicatePair(
                    "organisation",
                    (a, b),
                    (facts[a].name, facts[b].name),
                    match.rule,
                    round(match.score),
                    match.certain,
                )
            )
    return pairs, cands.capped


# --- the list ------------------------------------------------------------------------------


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise InvalidValue(f"'{kind}' is not a kind of record; use contact or organisation.")


def scan_duplicates(
    session: Session, kind: str | None = None, limit: int | None = None
) -> DuplicateScan:
    """Likely duplicates of one kind or both, best first, with the blocks cut short."""
    _check_kind(kind)
    pairs: list[DuplicatePair] = []
    capped: list[CappedBlock] = []
    if kind in (None, "contact"):
        found, cut = _contact_pairs(session)
        pairs.extend(found)
        capped.extend(cut)
    if kind in (None, "organisation"):
        found, cut = _organisation_pairs(session)
        pairs.extend(found)
        capped.extend(cut)
    pairs.sort(key=lambda p: (-p.score, not p.certain, p.kind, p.ids))
    total = len(pairs)
    if limit is not None:
        del pairs[limit:]
    capped.sort(key=lambda c: -c.members)
    return DuplicateScan(pairs, total, capped)


def find_duplicates(
    session: Session, kind: str | None = None, limit: int | None = None
) -> list[DuplicatePair]:
    """Likely duplicates, best first (``kind``: "contact", "organisation" or both)."""
    return scan_duplicates(session, kind, limit).pairs


# --- "not a duplicate" ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dismissal:
    kind: str
    ids: tuple[int, int]
    names: tuple[str, str]
    created: bool
    """False when the pair was marked before (nothing changed)."""


def _names_of(session: Session, kind: str, ids: Sequence[int]) -> dict[int, str]:
    model: Any = Contact if kind == "contact" else Organisation
    label = Contact.display_name if kind == "contact" else Organisation.name
    return {
        i: name for i, name in session.execute(select(model.id, label).where(model.id.in_(ids)))
    }


def pair_kind(session: Session, a: int, b: int) -> str:
    """Whether ids ``a`` and ``b`` name two contacts or two organisations; refused when
    they name neither, or both."""
    kinds = [k for k in KINDS if len(_names_of(session, k, [a, b])) == 2]
    if len(kinds) == 1:
        return kinds[0]
    if kinds:
        raise Ambiguous(
            f"#{a} and #{b} are the ids of two contacts and of two organisations; "
            "say which with --kind contact or --kind organisation.",
            [],
        )
    raise NotFound(f"#{a} and #{b} are not the ids of two contacts or of two organisations.")


def _as_id(ref: int | str) -> int | None:
    if isinstance(ref, int):
        return ref
    text = ref.strip().removeprefix("#")
    return int(text) if text.isdigit() else None


def _resolve(session: Session, kind: str | None, ref: int | str) -> tuple[str, int]:
    """A record named as the other commands name it (an email address, a name, an
    acronym): a contact first, unless ``kind`` says an organisation."""
    if kind == "contact":
        return "contact", people.find_contact(session, str(ref)).id
    if kind == "organisation":
        return "organisation", people.find_organisation(session, str(ref)).id
    contact = people.lookup_contact(session, str(ref))
    if contact is not None:
        return "contact", contact.id
    org = people.lookup_organisation(session, str(ref))
    if org is not None:
        return "organisation", org.id
    raise NotFound(f"No contact or organisation matches '{ref}'.")


def dismiss_pair(work: Work, kind: str | None, a: int | str, b: int | str) -> Dismissal:
    """Mark two contacts or two organisations as not a duplicate, so the list does not
    offer them again. ``a`` and ``b`` are ids (``kind`` None: whichever both name) or
    references as the other commands take them. Marking twice changes nothing."""
    session = work.session
    _check_kind(kind)
    first, second = _as_id(a), _as_id(b)
    if first is None or second is None:
        (kind_a, first), (kind_b, second) = _resolve(session, kind, a), _resolve(session, kind, b)
        if kind_a != kind_b:
            raise InvalidValue(
                f"'{a}' is a {kind_a} and '{b}' an {kind_b}; a pair is two contacts or two "
                "organisations."
            )
        kind = kind_a
    if first == second:
        raise InvalidValue(f"#{first} twice is not a pair; name two different records.")
    if kind is None:
        kind = pair_kind(session, first, second)
    low, high = min(first, second), max(first, second)
    names = _names_of(session, kind, [low, high])
    for ident in (low, high):
        if ident not in names:
            raise NotFound(f"There is no {kind} #{ident}.")
    pair_names = (names[low], names[high])
    existing = session.scalar(
        select(DuplicateDismissal.id).where(
            DuplicateDismissal.kind == kind,
            DuplicateDismissal.low_id == low,
            DuplicateDismissal.high_id == high,
        )
    )
    if existing is not None:
        return Dismissal(kind, (low, high), pair_names, False)
    row = DuplicateDismissal(kind=kind, low_id=low, high_id=high, coordinator=work.coordinator)
    session.add(row)
    session.flush()
    plural = "contacts" if kind == "contact" else "organisations"
    work.audit(
        "create",
        "duplicate_dismissal",
        row.id,
        f"not a duplicate: {plural} #{low} {pair_names[0]} and #{high} {pair_names[1]}",
        None,
        {"kind": kind, "low_id": low, "high_id": high},
        contact_id=low if kind == "contact" else None,
        organisation_id=low if kind == "organisation" else None,
    )
    return Dismissal(kind, (low, high), pair_names, True)
