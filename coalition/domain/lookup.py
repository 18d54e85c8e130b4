"""Finding a campaign by what a coordinator types: its code, or ``#id``.

It sits below ``campaigns`` and ``outreach`` so that both (and the filters, the
pipeline, the imports) can name a campaign without reading each other: sign-ons
close follow-ups (``campaigns`` calls ``outreach``), and an interaction names its
campaign (``outreach`` calls this).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.errors import NotFound
from coalition.store.models import Campaign


def find_campaign(session: Session, ref: str) -> Campaign:
    """The campaign whose code (any case) or ``#id`` is ``ref``; ``NotFound`` names the
    known ones."""
    text = ref.strip()
    campaign = session.scalar(select(Campaign).where(Campaign.code == text.lower()))
    if campaign is None and text.lstrip("#").isdigit():
        campaign = session.get(Campaign, int(text.lstrip("#")))
    if campaign is None:
        codes = list(session.scalars(select(Campaign.code).order_by(Campaign.code).limit(10)))
        known = (
            f" Known campaigns: {', '.join(codes)}." if codes else " There are no campaigns yet."
        )
        raise NotFound(f"There is no campaign '{ref}'.{known}")
    return campaign
