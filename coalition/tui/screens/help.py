"""The help screen: every key of the app, where it works and what it does.

Built from the classes' own BINDINGS, so a new binding is listed without
anyone remembering to add it here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from coalition.tui.screens.browse import BrowseScreen, OrganisationsScreen
from coalition.tui.screens.campaign import CampaignScreen
from coalition.tui.screens.duplicates import ConfirmMerge, DuplicatesScreen
from coalition.tui.screens.export_dialog import ExportDialog
from coalition.tui.screens.filters import FilterDialog
from coalition.tui.screens.form_base import FormScreen
from coalition.tui.screens.import_batches import ImportBatchesScreen
from coalition.tui.screens.import_wizard import ImportWizard
from coalition.tui.screens.interactions import InteractionsScreen
from coalition.tui.screens.log_dialog import LogDialog
from coalition.tui.screens.record_forms import ConfirmDelete
from coalition.tui.screens.signon_dialog import AddAllDialog
from coalition.tui.screens.start import FollowUpList
from coalition.tui.widgets.buttons import ButtonRow
from coalition.tui.widgets.lazy_table import LazyTable


def _own_bindings(cls: type[DOMNode]) -> list[Binding]:
    found: list[Binding] = []
    for klass in reversed(cls.__mro__):
        if "BINDINGS" in vars(klass) and klass.__module__.startswith("coalition."):
            found.extend(Binding.make_bindings(vars(klass)["BINDINGS"]))
    return found


class HelpScreen(ModalScreen[None]):
    """Every binding, grouped by where it works."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._listing(), id="help-table")
            yield Static(
                Text("Esc closes this screen. Click a column's title to sort by it.", style="dim")
            )

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(where, [(key, what)]) for every binding of the app."""
        app = self.app

        def rows(bindings: list[Binding]) -> list[tuple[str, str]]:
            keys: dict[str, list[str]] = {}
            tips: dict[str, str] = {}
            for b in bindings:
                what = b.description or b.action.replace("_", " ")
                keys.setdefault(what, []).append(app.get_key_display(b))
                if b.tooltip:
                    tips.setdefault(what, b.tooltip)
            return [
                (" / ".join(dict.fromkeys(k)), f"{what}: {tips[what]}" if what in tips else what)
                for what, k in keys.items()
            ]

        everywhere = _own_bindings(type(app))
        everywhere.append(
            Binding(
                app.COMMAND_PALETTE_BINDING,
                "command_palette",
                "Command palette",
                tooltip="Actions, the theme (light or dark), and go to any organisation or contact",
            )
        )
        return [
            ("Everywhere", rows(everywhere)),
            ("Start screen: follow-ups due", rows(_own_bindings(FollowUpList))),
            ("Contacts and organisations", rows(_own_bindings(BrowseScreen))),
            (
                "Organisations",
                rows(list(Binding.make_bindings(vars(OrganisationsScreen)["BINDINGS"]))),
            ),
            (
                "In the search box",
                [("Enter / ↓ / Esc", "Go to the results"), ("typing", "Search as you type")],
            ),
            ("In a table", rows(_own_bindings(LazyTable))),
            ("Campaign pipeline", rows(_own_bindings(CampaignScreen))),
            ("Likely duplicates", rows(_own_bindings(DuplicatesScreen))),
            ("Outreach of an organisation or contact", rows(_own_bindings(InteractionsScreen))),
            (
                "Import wizard",
                [
                    *rows(_own_bindings(ImportWizard)),
                    ("typing", "In the list of files: goes to the path box, to type a path"),
                ],
            ),
            ("Import batches", rows(_own_bindings(ImportBatchesScreen))),
            ("Export dialog", rows(_own_bindings(ExportDialog))),
            ("Forms (organisations, contacts, campaigns)", rows(_own_bindings(FormScreen))),
            ("Log an interaction", rows(_own_bindings(LogDialog))),
            ("Filters of a table", rows(_own_bindings(FilterDialog))),
            ("Sign-on dialogs", rows(_own_bindings(AddAllDialog))),
            ("Before a delete", rows(_own_bindings(ConfirmDelete))),
            ("Before a merge", rows(_own_bindings(ConfirmMerge))),
            ("The buttons of a form or a dialog", rows(_own_bindings(ButtonRow))),
            ("This screen", rows(_own_bindings(HelpScreen))),
        ]

    def _listing(self) -> Group:
        """Each section's title on a line of its own, then its keys: the key column is as
        wide as the longest key, not as the longest title, which left the descriptions a
        narrow strip at 80 columns."""
        sections = self.sections()
        width = min(max(cell_len(key) for _, items in sections for key, _ in items), 24)
        parts: list[RenderableType] = []
        for where, items in sections:
            parts.append(Text(where, style="bold underline"))
            table = Table(box=None, show_header=False, expand=True, pad_edge=False)
            table.add_column(width=width, no_wrap=True, overflow="fold", style="bold")
            table.add_column(ratio=1)
            for key, what in items:
                table.add_row(Text(key), Text(what))
            parts.extend([table, Text("")])
        return Group(*parts)
