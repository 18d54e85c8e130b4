"""The command palette (Ctrl+P): the app's actions, and "go to" any organisation or contact.

Actions are matched fuzzily as Textual does; records are found through the
full-text search index (``domain.browse.go_to``) in a thread, so typing in the
palette never waits on the database. Titles are plain ``Text``: a name such as
"[bold]" is shown as typed.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from coalition.errors import CoalitionError

if TYPE_CHECKING:
    from coalition.tui.app import CoalitionApp

ACTIONS = [
    ("Start screen", "show_start", "Follow-ups due, open campaigns, recent activity"),
    ("Contacts", "show_contacts", "Every person, with live search"),
    ("Organisations", "show_organisations", "Every organisation, with live search"),
    ("Campaign pipeline", "show_campaign", "Sign-ons by status, progress, who has not answered"),
    (
        "Campaign report",
        "show_campaign_report",
        "The campaign's progress: a bar per status, response rate, signatures per week (R)",
    ),
    ("New campaign", "new_campaign", "Start a campaign: code, title, state, target, deadline"),
    (
        "Sign-on of an organisation",
        "organisation_sign_on",
        "Organisations (F4): put the highlighted one in a campaign, or move it on (c)",
    ),
    (
        "Add all listed to a campaign",
        "organisation_sign_on(True)",
        "Organisations (F4): the ones marked with space, or every one listed (searched or "
        "filtered), once asked (C)",
    ),
    ("Help: keys", "help", "Every key of the app"),
    ("Import a file", "import_file", "CSV, XLSX, ODS or vCard: check the columns, preview, import"),
    ("Import batches", "import_batches", "List import batches; undo one"),
    ("Export mail merge", "export('mailmerge')", "CSV or XLSX for a mail merge, with filters"),
    ("Export signatory list", "export('signatories')", "The public list of a campaign"),
    ("Export vCards", "export('vcard')", "One .vcf file or a folder of cards"),
    (
        "Duplicates",
        "duplicates",
        "Likely duplicate people and organisations, side by side: merge them",
    ),
    ("Log an interaction", "log_interaction", "With what is selected; set its follow-up"),
    ("Theme: light or dark", "change_theme", "Choose the app's colours; kept for next time"),
]


class CoalitionCommands(Provider):
    """coalition's actions, then matching organisations and contacts."""

    @property
    def coalition(self) -> CoalitionApp:
        return cast("CoalitionApp", self.app)

    async def discover(self) -> Hits:
        for title, action, help_text in ACTIONS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    text=title,
                    help=help_text,
                )
        try:
            hits = await asyncio.to_thread(self._find, query)
        except CoalitionError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        for rank, hit in enumerate(hits):
            label = "Organisation" if hit.kind == "organisation" else "Contact"
            display = Text.assemble(Text(f"{label}: ", style="dim"), Text(hit.title))
            yield Hit(
                # Below a good action match, in the index's order (name matches first).
                0.5 - rank / 100,
                display,
                partial(self.coalition.go_to, hit.kind, hit.id, hit.title),
                text=f"{label}: {hit.title}",
                help=hit.detail or None,
            )

    def _find(self, query: str) -> list:  # type: ignore[type-arg]
        from coalition.domain.browse import go_to

        with self.coalition.database().read_session() as session:
            return list(go_to(session, query))
