"""What time it is, for the terminal app's screens.

The one place the screens ask, so tests (the snapshots above all) can freeze
it with ``monkeypatch.setattr(clock, "now", ...)``. Call these through the
module (``clock.now()``), not imported by name, or a frozen clock is missed.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """This moment in UTC without a time zone, as the database stores times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date where the coordinator is."""
    return dt.date.today()
