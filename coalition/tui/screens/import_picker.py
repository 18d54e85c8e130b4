"""What the import wizard chooses with: the file browser and the field picker.

The file browser (``ImportableFiles``) lists folders and the files coalition can
import, starting in ``imports/`` when the current folder has one; what is typed in it
goes to the path box above it (``ImportableFiles.Typed``). The field picker
(``FieldPicker``) chooses what a column fills, from ``mapping.FIELDS`` and the
labelled variants of emails and phones.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

if TYPE_CHECKING:
    from collections.abc import Iterable

IMPORTABLE = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods", ".vcf", ".vcard")
"""What the file browser lists (``interchange.importer`` says what it reads; a test checks
the two agree, so the browser need not import it when it opens)."""

LABELLED_TARGETS = (
    "email:work",
    "email:home",
    "email:other",
    "phone:work",
    "phone:mobile",
    "phone:home",
    "phone:fax",
)
"""Labelled variants of the repeatable fields offered in the field picker."""


def start_folder(cwd: Path | None = None) -> Path:
    """Where the file browser starts: ``imports/`` of the current folder, else the folder."""
    here = cwd or Path.cwd()
    samples = here / "imports"
    return samples if samples.is_dir() else here


# --- the file browser --------------------------------------------------------------------------


class ImportableFiles(DirectoryTree):
    """Folders and the files coalition can import; hidden ones left out.

    A printable character typed here is the start of a path: it is posted as ``Typed``
    for the screen to put in its path box. Space (open or close a folder) and ``?``
    (help) keep their meaning."""

    KEPT: ClassVar[str] = " ?"
    """The printable keys that keep their meaning in the list."""

    class Typed(Message):
        """A character typed in the file list, for the path box."""

        def __init__(self, character: str) -> None:
            super().__init__()
            self.character = character

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if event.is_printable and character and character not in self.KEPT:
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(character))

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.suffix.lower() in IMPORTABLE or _is_dir(p))
        ]


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


# --- the field picker --------------------------------------------------------------------------


class FieldPicker(ModalScreen[str | None]):
    """Choose what a column fills; returns the field (``ignore`` to drop it) or None.

    Typing narrows the list (by field name or meaning); the arrows move in it.
    """

    CSS_PATH = "import_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Keep as it is", id="import.field.cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, header: str, current: str | None) -> None:
        super().__init__()
        self.header = header
        self.current = current or "ignore"

    @staticmethod
    def targets() -> list[tuple[str, str]]:
        """(target, meaning) in the order of ``mapping.FIELDS``, labelled variants after
        their field."""
        from coalition.interchange.mapping import FIELDS

        found = []
        for name, meaning in FIELDS.items():
            found.append((name, meaning))
            for labelled in LABELLED_TARGETS:
                base, _, label = labelled.partition(":")
                if base == name:
                    found.append((labelled, f"{meaning.split(' (')[0]}, labelled {label}"))
        return found

    def compose(self) -> ComposeResult:
        with Vertical(id="field-body"):
            title = Text("Import the column ", style="bold")
            title.append(Text(self.header or "(no header)", style="bold reverse"))
            title.append(" as:", style="bold")
            yield Static(title, id="field-title")
            yield Input(placeholder="Type to narrow the list", id="field-filter", compact=True)
            yield OptionList(id="field-options")
            yield Static(Text("Enter chooses · ↑↓ move · Esc keeps it as it is", style="dim"))

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#field-filter", Input).focus()

    def _fill(self, text: str) -> None:
        wanted = text.strip().casefold()
        options = self.query_one(OptionList)
        options.clear_options()
        for target, meaning in self.targets():
            if wanted and wanted not in target and wanted not in meaning.casefold():
                continue
            prompt = Text(target, style="bold")
            prompt.append(f"  {meaning}", style="dim")
            options.add_option(Option(prompt, id=target))
        if options.option_count:
            try:
                options.highlighted = options.get_option_index(self.current)
            except OptionDoesNotExist:
                options.highlighted = 0

    @on(Input.Changed, "#field-filter")
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            at = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, at + step))

    @on(Input.Submitted, "#field-filter")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
