"""What the domain returns for campaigns, interactions, the change log and the start screen.

Plain frozen dataclasses, kept apart from the modules that build them through
SQLAlchemy so that ``glance`` (the start screen's read with the standard library's
sqlite3) returns the same objects without importing it. Import them from here, not
from the modules that build them (``campaigns``, ``outreach``, ``audit``, ``browse``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CampaignView:
    id: int
    code: str
    name: str
    kind: str
    text: str | None
    link: str | None
    opened_on: dt.date | None
    deadline: dt.date | None
    target: int | None
    state: str
    counts: dict[str, int]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = 0
    """The stored version: an editor passes it back as ``expected_version``."""

    @property
    def signed(self) -> int:
        return self.counts.get("signed", 0)


@dataclass(frozen=True)
class InteractionView:
    id: int
    occurred_at: dt.datetime
    channel: str
    direction: str
    subject: str | None
    notes: str | None
    outcome: str | None
    contact: str | None
    contact_id: int | None
    organisation: str | None
    organisation_id: int | None
    campaign: str | None
    follow_up_on: dt.date | None
    done: bool
    coordinator: str


@dataclass(frozen=True)
class AuditView:
    id: int
    at: dt.datetime
    coordinator: str
    action: str
    entity: str
    entity_id: int
    label: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def summary(self) -> str:
        """What the change did, as the start screen's activity says it after who did it:
        "marked Alpha Kids signed (csam-2022)", "changed organisation Alpha Kids: city",
        "logged Invitation to sign", "imported members.csv"."""
        label = self.label or f"#{self.entity_id}"
        after = self.after or {}
        if self.entity == "signon" and self.action in ("create", "update") and "status" in after:
            organisation, _, campaign = label.rpartition(" / ")
            where = f" ({campaign})" if organisation else ""
            return f"marked {organisation or label} {after['status']}{where}"
        if self.entity == "import_batch" and self.action == "create":
            return f"imported {label}"
        if self.entity == "interaction" and self.action == "create":
            return f"logged {label}"
        if self.action == "erase":
            return "erased a person"
        acted = _ACTED.get(self.action, self.action)
        sentence = f"{acted} {self.entity.replace('_', ' ')} {label}"
        if self.action == "update" and after:
            fields = ", ".join(k.replace("_", " ") for k in list(after)[:3])
            more = f" and {len(after) - 3} more" if len(after) > 3 else ""
            sentence += f": {fields}{more}"
        return sentence


_ACTED = {"create": "added", "update": "changed", "delete": "deleted", "erase": "erased"}


OVERVIEW_FOLLOWUPS = 30
"""How many follow-ups due the start screen lists (it counts them all)."""
OVERVIEW_RECENT = 12
"""How many of the latest changes it shows."""


@dataclass(frozen=True)
class Overview:
    """What a coordinator sees first."""

    organisations: int
    contacts: int
    campaigns: int
    open_campaigns: list[CampaignView]
    draft_campaigns: list[CampaignView]
    """Being prepared: not open yet, but sign-ons may already be coming in."""
    followups: list[InteractionView]
    """Open follow-ups due today or earlier, oldest first."""
    followups_total: int
    recent: list[AuditView]
    today: dt.date
    pending_erasures: int = 0
    """Erasures recorded but not finished (``privacy``): the erased may still be in the file."""

    @property
    def empty(self) -> bool:
        """Nothing recorded yet: a newcomer's database."""
        return not (self.organisations or self.contacts or self.campaigns)
