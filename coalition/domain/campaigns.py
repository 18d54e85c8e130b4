"""Campaigns (statements, letters, petitions) and each organisation's sign-on.

The sign-on pipeline::

    prospect → invited → considering → signed | declined
    signed → withdrawn          declined → considering        withdrawn → considering

Forward moves may skip a stage (an invited organisation that answers "yes, we
sign" goes straight to signed); going back is refused except where the
diagram says so, because a coordinator reporting "47 signed" must be able to
trust that nobody quietly un-signed. A first sign-on may start at any stage
but withdrawn. Every status change is kept as a ``SignOnEvent`` (when, who,
from, to), which is what progress-over-time charts read.

A sign-on that reaches a final status (``FINAL``: signed, declined, withdrawn)
closes the organisation's open follow-ups about the campaign: there is nothing
left to chase (``outreach.close_campaign_followups``). A sign-on recorded by
mistake can be deleted with its history (``delete_signon``); the change log
keeps what it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from coalition.domain.audit import Work, check_version, conflict, flush_checked, jsonable
from coalition.domain.lookup import find_campaign
from coalition.domain.outreach import ClosedFollowups, close_campaign_followups
from coalition.domain.people import find_contact, find_organisation
from coalition.domain.values import choice, clean, normalise_website, parse_date
from coalition.domain.views import CampaignView
from coalition.errors import CoalitionError, Conflict, InvalidTransition, InvalidValue, NotFound
from coalition.store.bulk import bulk_insert
from coalition.store.models import AuditEntry, Campaign, Organisation, SignOn, SignOnEvent, utcnow
from coalition.store.schema import CAMPAIGN_KINDS, CAMPAIGN_STATES, SIGNON_STATUSES

PIPELINE = ("prospect", "invited", "considering", "signed", "declined", "withdrawn")
FINAL = ("signed", "declined", "withdrawn")
"""The statuses that end the asking: reaching one closes the campaign's follow-ups."""
_RANK = {"prospect": 0, "invited": 1, "considering": 2, "signed": 3, "declined": 3}
_BACKWARD_ALLOWED = {
    ("signed", "withdrawn"),
    ("declined", "considering"),
    ("withdrawn", "considering"),
}


def allowed_moves(current: str | None) -> list[str]:
    """The statuses a sign-on at ``current`` (None: no sign-on yet) may move to."""
    if current is None:
        return [s for s in PIPELINE if s != "withdrawn"]
    return [s for s in PIPELINE if s != current and is_allowed(current, s)]


def is_allowed(current: str, new: str) -> bool:
    if (current, new) in _BACKWARD_ALLOWED:
        return True
    if current in ("signed", "declined", "withdrawn") or new == "withdrawn":
        return False
    return _RANK[new] > _RANK[current]


def next_status(current: str | None) -> str | None:
    """The usual next step, for a one-key "advance" in the app."""
    return {None: "prospect", "prospect": "invited", "invited": "considering"}.get(
        current, "signed" if current == "considering" else None
    )


_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")

CAMPAIGN_FIELDS = frozenset(
    {"name", "kind", "text", "link", "opened_on", "deadline", "target", "state"}
)


@dataclass(frozen=True)
class SignOnView:
    id: int
    organisation_id: int
    organisation: str
    country: str | None
    campaign: str
    status: str
    signed_by: str | None
    signed_by_id: int | None
    display_name: str
    public: bool
    notes: str | None
    status_since: dt.datetime
    history: list[tuple[dt.datetime, str | None, str, str]]
    version: int = 0
    """The stored version: an editor passes it back as ``expected_version``."""


@dataclass(frozen=True, kw_only=True)
class NoSignOnView:
    """An organisation with no sign-on for a campaign yet, as a line of the campaign's
    sign-on list (``--status none``): a ``SignOnView`` with nothing held but who it is."""

    id: None = None
    organisation_id: int
    organisation: str
    country: str | None
    campaign: str
    status: str
    """``filters.NO_SIGNON``."""
    signed_by: None = None
    signed_by_id: None = None
    display_name: str
    public: None = None
    notes: None = None
    status_since: None = None
    history: list[tuple[dt.datetime, str | None, str, str]] = field(default_factory=list)
    version: int = 0
    """None recorded: what ``expected_version`` says of a sign-on not there yet."""


@dataclass(frozen=True)
class SignOnChange:
    """What ``change_signon`` did: the sign-on as it is now, and the follow-ups it closed."""

    signon: SignOnView
    closed_followups: ClosedFollowups

    def sentence(self) -> str:
        """For the coordinator: "MCE is signed for csam-2022. Closed follow-up #3 (…)."."""
        s = self.signon
        said = f"{s.organisation} is {s.status} for {s.campaign}."
        closed = self.closed_followups.sentence()
        return f"{said} {closed}" if closed else said


def _counts(session: Session, campaign_id: int) -> dict[str, int]:
    counts = dict.fromkeys(SIGNON_STATUSES, 0)
    rows = session.execute(
        select(SignOn.status, func.count())
        .where(SignOn.campaign_id == campaign_id)
        .group_by(SignOn.status)
    )
    counts.update({status: n for status, n in rows})
    return counts


def campaign_view(session: Session, c: Campaign) -> CampaignView:
    return CampaignView(
        c.id,
        c.code,
        c.name,
        c.kind,
        c.text,
        c.link,
        c.opened_on,
        c.deadline,
        c.target,
        c.state,
        _counts(session, c.id),
        c.created_at,
        c.updated_at,
        c.version,
    )


def _snapshot(c: Campaign) -> dict[str, Any]:
    data = {name: jsonable(getattr(c, name)) for name in sorted(CAMPAIGN_FIELDS)}
    data["code"] = c.code
    return data


def _apply_fields(c: Campaign, fields: dict[str, Any]) -> None:
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise CoalitionError(f"Unknown campaign field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        if name == "name":
            cleaned = clean(value)
            if not cleaned:
                raise InvalidValue("A campaign needs a name.")
            c.name = cleaned
        elif name == "kind":
            c.kind = choice(clean(value), CAMPAIGN_KINDS, "kind of campaign") or "statement"
        elif name == "state":
            c.state = choice(clean(value), CAMPAIGN_STATES, "campaign state") or "draft"
        elif name in ("opened_on", "deadline"):
            setattr(c, name, parse_date(value))
        elif name == "target":
            if value is not None and (not isinstance(value, int) or value < 0):
                raise InvalidValue("A target must be a whole number of signatories, 0 or more.")
            c.target = value
        elif name == "link":
            c.link = normalise_website(value)
        elif name == "text":
            c.text = value.strip() if isinstance(value, str) and value.strip() else None
    if c.opened_on and c.deadline and c.deadline < c.opened_on:
        raise InvalidValue("The deadline is before the opening date.")


def campaign_code(text: str) -> str:
    """A code as typed, as it is stored (lower case); ``InvalidValue`` says what to write."""
    key = text.strip().lower()
    if not key:
        raise InvalidValue("A campaign needs a code, such as csam-2022.")
    if not _CODE.match(key):
        raise InvalidValue(
            f"'{text.strip()}' cannot be a campaign code; use letters, digits, '-', '.' or '_' "
            "(e.g. csam-2022), 60 characters at most."
        )
    return key


def add_campaign(work: Work, code: str, **fields: Any) -> CampaignView:
    session = work.session
    key = campaign_code(code)
    if session.scalar(select(Campaign.id).where(Campaign.code == key)) is not None:
        raise CoalitionError(f"A campaign '{key}' already exists.")
    fields.setdefault("name", code)
    campaign = Campaign(code=key, kind="statement", state="draft")
    _apply_fields(campaign, fields)
    session.add(campaign)
    session.flush()
    work.audit("create", "campaign", campaign.id, campaign.code, None, _snapshot(campaign))
    return campaign_view(session, campaign)


def edit_campaign(
    work: Work, ref: str, changes: dict[str, Any], *, expected_version: int | None = None
) -> CampaignView:
    """Change a campaign. ``expected_version``: the version the editor opened it at
    (``CampaignView.version``); when it has changed since, ``Conflict`` says who changed
    it and when, and nothing is saved."""
    session = work.session
    campaign = find_campaign(session, ref)
    check_version(session, "campaign", campaign, campaign.code, expected_version)
    before = _snapshot(campaign)
    _apply_fields(campaign, changes)
    after = _snapshot(campaign)
    if after != before:
        campaign.updated_at = utcnow()
    flush_checked(session, "campaign", campaign, campaign.code)
    work.audit("update", "campaign", campaign.id, campaign.code, before, after)
    return campaign_view(session, campaign)


def get_campaign(session: Session, ref: str) -> CampaignView:
    return campaign_view(session, find_campaign(session, ref))


def list_campaigns(session: Session, *, state: str | None = None) -> list[CampaignView]:
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if state:
        query = query.where(Campaign.state == choice(state, CAMPAIGN_STATES, "campaign state"))
    return [campaign_view(session, c) for c in session.scalars(query)]


def signon_view(s: SignOn) -> SignOnView:
    # In time order: a merged sign-on holds two histories, the other's events with later ids.
    events = sorted(s.events, key=lambda e: (e.at, e.id))
    reached = [e for e in events if e.to_status == s.status]
    since = reached[-1].at if reached else (events[-1].at if events else s.created_at)
    return SignOnView(
        id=s.id,
        organisation_id=s.organisation_id,
        organisation=s.organisation.name,
        country=s.organisation.country,
        campaign=s.campaign.code,
        status=s.status,
        signed_by=s.signed_by.display_name if s.signed_by else None,
        signed_by_id=s.signed_by_id,
        display_name=s.display_name or s.organisation.name,
        public=s.public,
        notes=s.notes,
        status_since=since,
        history=[(e.at, e.from_status, e.to_status, e.coordinator) for e in events],
        version=s.version,
    )


def _signon_snapshot(s: SignOn) -> dict[str, Any]:
    return {
        "campaign": s.campaign.code,
        "status": s.status,
        "signed_by_id": s.signed_by_id,
        "display_name": s.display_name,
        "public": s.public,
        "notes": s.notes,
    }


_UNSET: Any = object()


def _close_on_final(
    work: Work, organisation_ids: Sequence[int], campaign_id: int, status: str | None
) -> ClosedFollowups:
    """Close the campaign's open follow-ups with organisations whose sign-on has just
    reached ``status``, when it is final; none otherwise (``status`` None: none reached)."""
    if status not in FINAL or not organisation_ids:
        return ClosedFollowups()
    return close_campaign_followups(work, organisation_ids, campaign_id)


def set_signon(
    work: Work, organisation: str | int, campaign: str, status: str | None = None, **fields: Any
) -> SignOnView:
    """``change_signon`` (the same arguments), for a caller that shows the sign-on alone."""
    return change_signon(work, organisation, campaign, status, **fields).signon


def change_signon(
    work: Work,
    organisation: str | int,
    campaign: str,
    status: str | None = None,
    *,
    signed_by: str | None = _UNSET,
    display_name: str | None = _UNSET,
    public: bool | None = None,
    notes: str | None = _UNSET,
    expected_version: int | None = None,
) -> SignOnChange:
    """Record or move an organisation's sign-on to a campaign.

    Moving to the status it already has changes nothing but the other fields
    given. ``signed_by`` names a contact (id, email or name); the signing
    contact defaults to nobody. Reaching a final status closes the organisation's
    open follow-ups about the campaign.

    ``expected_version``: the version of the sign-on the editor opened (0: it had none);
    when it has changed since (or was recorded, or deleted, meanwhile), ``Conflict`` says
    who did it and when, and nothing is saved.
    """
    session = work.session
    reached: str | None = None
    org = find_organisation(session, str(organisation))
    camp = find_campaign(session, campaign)
    new_status = choice(status, SIGNON_STATUSES, "sign-on status") if status else None
    signon = session.scalar(
        select(SignOn).where(SignOn.organisation_id == org.id, SignOn.campaign_id == camp.id)
    )
    label = f"{org.name} / {camp.code}"
    if expected_version is not None:
        _check_signon_version(session, org, camp, signon, label, expected_version)
    before = None
    if signon is None:
        if new_status is None:
            raise InvalidValue(
                f"{org.name} has no sign-on for {camp.code} yet; give a status "
                f"({', '.join(allowed_moves(None))})."
            )
        if new_status == "withdrawn":
            raise InvalidTransition(
                f"{org.name} has not signed {camp.code}, so it cannot withdraw; "
                f"start with one of: {', '.join(allowed_moves(None))}."
            )
        signon = SignOn(organisation=org, campaign=camp, status=new_status, public=True, events=[])
        session.add(signon)
        signon.events.append(
            SignOnEvent(
                from_status=None, to_status=new_status, at=utcnow(), coordinator=work.coordinator
            )
        )
        reached = new_status
    else:
        before = _signon_snapshot(signon)
        if new_status is not None and new_status != signon.status:
            if not is_allowed(signon.status, new_status):
                options = allowed_moves(signon.status)
                where = (
                    f"from {signon.status} it can move to {', '.join(options)}"
                    if options
                    else f"{signon.status} is final"
                )
                raise InvalidTransition(
                    f"Cannot move {org.name} from {signon.status} to {new_status} "
                    f"for {camp.code}: {where}."
                )
            signon.events.append(
                SignOnEvent(
                    from_status=signon.status,
                    to_status=new_status,
                    at=utcnow(),
                    coordinator=work.coordinator,
                )
            )
            signon.status = new_status
            signon.updated_at = utcnow()
            reached = new_status
    if signed_by is not _UNSET:
        if signed_by:
            contact = find_contact(session, signed_by)
            signon.signed_by = contact
            signon.signed_by_id = contact.id
        else:
            signon.signed_by = None
            signon.signed_by_id = None
    if display_name is not _UNSET:
        signon.display_name = clean(display_name)
    if public is not None:
        signon.public = public
    if notes is not _UNSET:
        signon.notes = notes.strip() if notes and notes.strip() else None
    flush_checked(session, "signon", signon, label)
    after = _signon_snapshot(signon)
    work.audit(
        "create" if before is None else "update",
        "signon",
        signon.id,
        label,
        before,
        after,
        organisation_id=org.id,
        contact_id=signon.signed_by_id,
    )
    closed = _close_on_final(work, [org.id], camp.id, reached)
    return SignOnChange(signon_view(signon), closed)


def _check_signon_version(
    session: Session,
    org: Organisation,
    camp: Campaign,
    signon: SignOn | None,
    label: str,
    expected: int,
) -> None:
    """``check_version`` for a sign-on, which may have been recorded or deleted since the
    editor opened it (``expected`` 0: there was none then)."""
    if signon is not None:
        check_version(session, "signon", signon, label, expected or None)
        if expected == 0:
            raise conflict(session, "signon", signon.id, label, signon.version)
        return
    if expected == 0:
        return
    gone = session.scalar(
        select(AuditEntry.entity_id)
        .where(
            AuditEntry.entity == "signon",
            AuditEntry.action == "delete",
            AuditEntry.organisation_id == org.id,
            AuditEntry.label == label,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if gone is None:
        raise Conflict(
            f"The sign-on {label} is no longer there since you opened it; nothing was saved.",
            entity="signon",
            entity_id=None,
            version=None,
        )
    raise conflict(session, "signon", gone, label, None)


def quiet_days(length: str | int, *, today: dt.date | None = None) -> int:
    """How many days a length of time is: 14, 14d, 2w or 1m (a month back from ``today``
    is as long as the one ahead, as ``parse_date`` reads +1m)."""
    if isinstance(length, int):
        if length < 0:
            raise InvalidValue("Say how long: 0 days or more.")
        return length
    base = today or dt.date.today()
    typed = length.strip().removeprefix("+")
    try:
        day = parse_date(f"+{typed}", today=base) if typed else None
    except InvalidValue:
        day = None
    if day is None:
        raise InvalidValue(f"'{length}' is not a length of time; write it as 14d, 2w or 1m.")
    return (day - base).days


def _find_signon(session: Session, organisation: str | int, campaign: str) -> SignOn:
    org = find_organisation(session, str(organisation))
    camp = find_campaign(session, campaign)
    signon = session.scalar(
        select(SignOn).where(SignOn.organisation_id == org.id, SignOn.campaign_id == camp.id)
    )
    if signon is None:
        raise NotFound(f"{org.name} has no sign-on for {camp.code}.")
    return signon


def get_signon(session: Session, organisation: str | int, campaign: str) -> SignOnView:
    """An organisation's sign-on for a campaign; refused when it has none."""
    return signon_view(_find_signon(session, organisation, campaign))


def delete_signon(work: Work, organisation: str | int, campaign: str) -> SignOnView:
    """Delete an organisation's sign-on for a campaign and its history of status changes,
    as if it had never been recorded (a mistake); the change log keeps what it was."""
    signon = _find_signon(work.session, organisation, campaign)
    view = signon_view(signon)
    before = _signon_snapshot(signon)
    before["history"] = [
        [jsonable(at), from_status, to_status, coordinator]
        for at, from_status, to_status, coordinator in view.history
    ]
    work.audit(
        "delete",
        "signon",
        signon.id,
        f"{view.organisation} / {view.campaign}",
        before,
        None,
        organisation_id=view.organisation_id,
        contact_id=view.signed_by_id,
    )
    work.session.delete(signon)
    work.session.flush()
    return view


def signons_of(session: Session, organisation_id: int) -> list[SignOnView]:
    query = (
        select(SignOn)
        .where(SignOn.organisation_id == organisation_id)
        .options(selectinload(SignOn.events), selectinload(SignOn.campaign))
        .order_by(SignOn.id)
    )
    return [signon_view(s) for s in session.scalars(query)]


# --- many organisations at once -------------------------------------------------------------
#
# "Add every member in Belgium to the new statement": hundreds or thousands of sign-ons in one
# unit of work. ``set_signon`` reads and writes each through the ORM (a lookup, an insert, an
# event, an audit entry: ~1 ms each); here the campaign's sign-ons are read in one query, the
# organisations' names in a few, and the rows go in with ``store.bulk`` — a few statements
# whatever the number. The rules are the same: a first status may be any but withdrawn, and a
# sign-on already there moves only where ``is_allowed`` says, and only when asked to.


@dataclass(frozen=True)
class SignOnsSet:
    """What ``set_signons`` did (or, from ``plan_signons``, would do) to a list of
    organisations."""

    campaign: str
    status: str
    added: int
    """Organisations that had no sign-on for the campaign: now at ``status``."""
    moved: dict[str, int]
    """Sign-ons moved to ``status``, by the status they had."""
    left: dict[str, int]
    """Sign-ons left as they were, by their status (already at ``status``, not asked to
    move, or a move the pipeline does not allow)."""
    closed_followups: int = 0
    """Open follow-ups about the campaign closed because their sign-on reached a final
    status."""

    @property
    def total(self) -> int:
        return self.added + sum(self.moved.values()) + sum(self.left.values())

    def sentence(self, *, planned: bool = False) -> str:
        """What was done (or, ``planned``, what will be), for the coordinator."""
        add, move, leave, close = (
            ("Will add", "will move", "will leave", "will close")
            if planned
            else ("Added", "Moved", "Left", "Closed")
        )
        if self.added:
            text = f"{add} {_organisations(self.added)} to {self.campaign} as {self.status}."
        else:
            text = f"{add} no organisation to {self.campaign}."
        moved = sum(self.moved.values())
        if moved:
            text += f" {move.capitalize()} {_organisations(moved)} to {self.status} "
            text += f"({_by_status(self.moved)})."
        left = sum(self.left.values())
        if left:
            was = "it was" if left == 1 else "they were"
            if planned:
                was = "it is" if left == 1 else "they are"
            text += (
                f" {leave.capitalize()} {_organisations(left)} as {was} ({_by_status(self.left)})."
            )
        if self.closed_followups:
            n = self.closed_followups
            followups = f"{n:,} follow-up{'' if n == 1 else 's'}"
            text += f" {close.capitalize()} {followups} about {self.campaign}."
        return text


def _organisations(n: int) -> str:
    return f"{n:,} organisation{'' if n == 1 else 's'}"


def _by_status(counts: dict[str, int]) -> str:
    """Counts by status in the pipeline's order: "2 prospect, 1 signed"."""
    return ", ".join(f"{counts[s]:,} {s}" for s in PIPELINE if counts.get(s))


@dataclass(frozen=True)
class _Sorted:
    new: list[int]
    moves: list[tuple[int, int, str]]
    """(organisation id, sign-on id, its status now)."""
    left: dict[str, int]


def _sort_out(
    session: Session, campaign_id: int, ids: list[int], status: str, move_existing: bool
) -> _Sorted:
    """Which organisations get a new sign-on, which move, which stay (one query)."""
    existing = {
        org_id: (signon_id, current)
        for signon_id, org_id, current in session.execute(
            select(SignOn.id, SignOn.organisation_id, SignOn.status).where(
                SignOn.campaign_id == campaign_id
            )
        )
    }
    new: list[int] = []
    moves: list[tuple[int, int, str]] = []
    left: dict[str, int] = {}
    for org_id in ids:
        found = existing.get(org_id)
        if found is None:
            new.append(org_id)
            continue
        signon_id, current = found
        if move_existing and current != status and is_allowed(current, status):
            moves.append((org_id, signon_id, current))
        else:
            left[current] = left.get(current, 0) + 1
    return _Sorted(new, moves, left)


def _unique(organisation_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in organisation_ids))


def _outcome(code: str, status: str, sorted_out: _Sorted, *, closed: int = 0) -> SignOnsSet:
    moved: dict[str, int] = {}
    for _, _, current in sorted_out.moves:
        moved[current] = moved.get(current, 0) + 1
    return SignOnsSet(code, status, len(sorted_out.new), moved, dict(sorted_out.left), closed)


def _bulk_status(status: str | None) -> str:
    new_status = choice(status, SIGNON_STATUSES, "sign-on status") if status else None
    if not new_status:
        raise InvalidValue(f"Give a sign-on status ({', '.join(allowed_moves(None))}).")
    return new_status


def _refuse_withdrawn(code: str, status: str, new: int) -> None:
    if status == "withdrawn" and new:
        raise InvalidTransition(
            f"{_organisations(new).capitalize()} have no sign-on for {code}, so they cannot "
            f"withdraw; start with one of: {', '.join(allowed_moves(None))}. Nothing was changed."
        )


def plan_signons(
    session: Session,
    organisation_ids: Iterable[int],
    campaign: str,
    status: str,
    *,
    move_existing: bool = False,
) -> SignOnsSet:
    """What ``set_signons`` would do, without doing it (for a question before it)."""
    new_status = _bulk_status(status)
    camp = find_campaign(session, campaign)
    sorted_out = _sort_out(session, camp.id, _unique(organisation_ids), new_status, move_existing)
    _refuse_withdrawn(camp.code, new_status, len(sorted_out.new))
    return _outcome(camp.code, new_status, sorted_out)


_ID_CHUNK = 900
"""Ids per ``IN (...)``: well under every SQLite build's limit of bound parameters."""


def set_signons(
    work: Work,
    organisation_ids: Iterable[int],
    campaign: str,
    status: str,
    *,
    move_existing: bool = False,
) -> SignOnsSet:
    """Put many organisations (by id) into a campaign's pipeline at ``status``, in one go.

    Organisations without a sign-on for the campaign get one at ``status``. Those that
    have one are left as they are, unless ``move_existing`` is given and the pipeline
    allows the move. All of it or nothing: an unknown status or campaign, an id that is
    no organisation (deleted meanwhile), or "withdrawn" for an organisation that never
    signed, changes nothing. Each sign-on made or moved gets its event and its audit
    entry, as ``set_signon`` writes them.
    """
    session = work.session
    new_status = _bulk_status(status)
    camp = find_campaign(session, campaign)
    ids = _unique(organisation_ids)
    if not ids:
        raise InvalidValue(f"There are no organisations to add to {camp.code}.")
    names: dict[int, str] = {}
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        names.update(
            (org_id, name)
            for org_id, name in session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(chunk))
            )
        )
    missing = len(ids) - len(names)
    if missing:
        raise NotFound(
            f"{_organisations(missing).capitalize()} of the {len(ids):,} no longer "
            f"{'exists' if missing == 1 else 'exist'} (deleted meanwhile?); nothing was "
            "changed. Read the list again and retry."
        )
    session.flush()
    sorted_out = _sort_out(session, camp.id, ids, new_status, move_existing)
    _refuse_withdrawn(camp.code, new_status, len(sorted_out.new))

    now = utcnow()
    coordinator = work.coordinator
    bulk_insert(
        session,
        SignOn.__table__,
        [
            {
                "organisation_id": org_id,
                "campaign_id": camp.id,
                "status": new_status,
                "public": True,
                "created_at": now,
                "updated_at": now,
            }
            for org_id in sorted_out.new
        ],
    )
    made: dict[int, int] = {}
    if sorted_out.new:
        fresh = set(sorted_out.new)
        made = {
            org_id: signon_id
            for signon_id, org_id in session.execute(
                select(SignOn.id, SignOn.organisation_id).where(SignOn.campaign_id == camp.id)
            )
            if org_id in fresh
        }
    moving = [signon_id for _, signon_id, _ in sorted_out.moves]
    for start in range(0, len(moving), _ID_CHUNK):
        session.execute(
            update(SignOn)
            .where(SignOn.id.in_(moving[start : start + _ID_CHUNK]))
            .values(status=new_status, updated_at=now, version=SignOn.version + 1)
            .execution_options(synchronize_session=False)
        )
    if sorted_out.new or moving:
        # What the session holds of these sign-ons is out of date: read again when next used.
        for held in list(session.identity_map.values()):
            if isinstance(held, SignOn):
                session.expire(held)
            elif isinstance(held, Organisation) and held.id in names:
                session.expire(held, ["signons"])

    events: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    created = {
        "campaign": camp.code,
        "status": new_status,
        "signed_by_id": None,
        "display_name": None,
        "public": True,
        "notes": None,
    }
    for org_id in sorted_out.new:
        signon_id = made[org_id]
        events.append(_event_row(signon_id, None, new_status, now, coordinator))
        audit.append(
            work.audit_row(
                "create",
                "signon",
                signon_id,
                f"{names[org_id]} / {camp.code}",
                None,
                created,
                organisation_id=org_id,
                at=now,
            )
        )
    for org_id, signon_id, current in sorted_out.moves:
        events.append(_event_row(signon_id, current, new_status, now, coordinator))
        audit.append(
            work.audit_row(
                "update",
                "signon",
                signon_id,
                f"{names[org_id]} / {camp.code}",
                {"status": current},
                {"status": new_status},
                organisation_id=org_id,
                at=now,
            )
        )
    bulk_insert(session, SignOnEvent.__table__, events)
    bulk_insert(session, AuditEntry.__table__, audit)
    reached = [*sorted_out.new, *(org_id for org_id, _, _ in sorted_out.moves)]
    closed = _close_on_final(work, reached, camp.id, new_status)
    return _outcome(camp.code, new_status, sorted_out, closed=len(closed))


def _event_row(
    signon_id: int, from_status: str | None, to_status: str, at: dt.datetime, coordinator: str
) -> dict[str, Any]:
    return {
        "signon_id": signon_id,
        "from_status": from_status,
        "to_status": to_status,
        "at": at,
        "coordinator": coordinator,
    }
