"""The export dialog: a mail merge, the signatory list or vCards, with the command line's filters.

The form only gathers an ``ExportRequest``; ``run_export`` does what the
``coalition export`` commands do with it, through the same domain and
interchange functions (``domain.exports`` selects, ``interchange.exporter`` and
``interchange.vcard_export`` write), in a thread worker. It holds no SQL and no
file format of its own. A mail merge that also logs the outreach is written
under a temporary name first and takes its place only once every recipient is
logged, as on the command line.

A user's mistake (an unknown campaign, a status without a campaign, a folder
that does not exist, a file that cannot be written) arrives as a
``CoalitionError`` and is shown as its sentence; the dialog stays open to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from coalition.errors import CoalitionError, FileProblem
from coalition.text import split_values
from coalition.tui import clock
from coalition.tui.jobs import JobModal
from coalition.tui.widgets.buttons import ButtonRow
from coalition.tui.widgets.render import campaign_options

if TYPE_CHECKING:
    from coalition.store.database import Database

KINDS = {
    "mailmerge": "Mail merge",
    "signatories": "Signatory list",
    "vcard": "vCards",
}
FORMATS: dict[str, list[tuple[str, str]]] = {
    "mailmerge": [("CSV (.csv)", "csv"), ("Excel (.xlsx)", "xlsx")],
    "signatories": [
        ("Web page (.html)", "html"),
        ("Markdown (.md)", "md"),
        ("CSV (.csv)", "csv"),
        ("Excel (.xlsx)", "xlsx"),
        ("Plain text (.txt)", "txt"),
    ],
    "vcard": [("One .vcf file", "vcf"), ("A vdir: one .vcf per contact", "vdir")],
}
DEFAULT_NAMES = {"mailmerge": "invitations", "signatories": "signatories", "vcard": "address-book"}
FILTERED = ("mailmerge", "vcard")
"""The kinds that take the recipient filters."""


def with_format(path: str, kind: str, fmt: str) -> str:
    """``path`` with the suffix ``fmt`` asks for (a vdir has none)."""
    if not path.strip():
        path = DEFAULT_NAMES[kind]
    current = Path(path)
    known = {f".{f}" for choices in FORMATS.values() for _, f in choices} | {".htm"}
    stem = current.with_suffix("") if current.suffix.lower() in known else current
    return str(stem) if fmt == "vdir" else f"{stem}.{fmt}"


@dataclass(frozen=True)
class ExportRequest:
    """Everything an export needs, as the form gathered it."""

    kind: str
    """mailmerge, signatories or vcard."""
    path: Path
    campaign: str | None = None
    statuses: tuple[str, ...] = ()
    tag: str | None = None
    country: str | None = None
    language: str | None = None
    membership: str | None = None
    search_text: str | None = None
    one_per_org: bool = False
    excel: bool = False
    delimiter: str = ","
    log_subject: str | None = None
    group_by: str | None = None
    vcard_version: str = "3.0"


@dataclass(frozen=True)
class ExportDone:
    path: Path
    message: str
    count: int
    left_out: dict[str, int] = field(default_factory=dict)


def run_export(db: Database, coordinator: str, request: ExportRequest) -> ExportDone:
    """Write the file ``request`` describes; a ``CoalitionError`` for what the user can fix."""
    try:
        return _run_export(db, coordinator, request)
    except OSError as exc:
        # A path that cannot be written (no permission, a file where a folder should be, disk
        # full): the command line's sentence for it.
        where = f"{exc.filename}: " if exc.filename else ""
        raise FileProblem(f"{where}{exc.strerror or exc}.") from None


def _run_export(db: Database, coordinator: str, request: ExportRequest) -> ExportDone:
    from coalition.domain import exports

    target = request.path
    wanted = exports.RecipientFilter(
        campaign=request.campaign,
        statuses=request.statuses,
        tag=request.tag,
        country=request.country,
        language=request.language,
        membership=request.membership,
        search_text=request.search_text,
        one_per_org=request.one_per_org and request.kind == "mailmerge",
    )
    if request.kind == "signatories":
        from coalition.interchange import exporter

        if not request.campaign:
            raise CoalitionError("Choose the campaign whose signatories to write.")
        with db.read_session() as session:
            listing = exports.signatories(session, request.campaign, request.group_by)
        exporter.write_signatories(target, listing, clock.today())
        return ExportDone(
            target,
            f"Wrote {listing.total} signatories of {listing.campaign_code} to {target}.",
            listing.total,
        )
    if request.kind == "vcard":
        from coalition.domain.privacy import ledger
        from coalition.interchange.vcard_export import write_vcards

        with db.read_session() as session:
            count = write_vcards(
                target,
                exports.address_book(session, wanted),
                request.vcard_version,
                erased=ledger(session).holds_uid,
            )
        return ExportDone(
            target, f"Wrote {count} vCards ({request.vcard_version}) to {target}.", count
        )
    if request.kind != "mailmerge":
        raise CoalitionError(f"There is no export called {request.kind!r}.")

    from coalition.interchange import exporter

    written = exporter.mail_merge(
        db,
        coordinator,
        target,
        wanted,
        excel=request.excel,
        delimiter=request.delimiter,
        log_subject=request.log_subject,
    )
    return ExportDone(target, written.summary(), written.count, written.left_out)


# --- the dialog ---------------------------------------------------------------------------------


class FormRow(Horizontal):
    """One labelled field of the form, shown for the kinds of export that use it."""

    def __init__(self, label: str, field: Widget, kinds: Iterable[str]) -> None:
        super().__init__(Label(label, classes="export-label"), field, classes="export-row")
        self.kinds = set(kinds)


class ExportDialog(JobModal[Path | None]):
    """Write a mail merge, the signatory list or vCards; returns the path written, or None."""

    CSS_PATH = "export_dialog.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="export.cancel"),
        Binding("ctrl+s", "export", "Write", id="export.write", tooltip="Write the file"),
    ]
    WRITE_GROUP = "export"

    def __init__(self, kind: str = "mailmerge", *, folder: Path | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown export kind {kind!r}")
        self.kind = kind
        """What is exported: mailmerge, signatories or vcard."""
        self.folder = folder or Path.cwd()
        """Where a relative path is written."""
        self.campaigns: list[str] = []
        """Codes of the campaigns offered, newest first."""

    def compose(self) -> ComposeResult:
        everywhere = tuple(KINDS)
        fmt = FORMATS[self.kind][0][1]
        with Vertical(id="export-body"):
            yield Static(Text("Export", style="bold"), id="export-title")
            with VerticalScroll(id="export-form"):
                yield FormRow(
                    "Export",
                    Select(
                        [(Text(v), k) for k, v in KINDS.items()],
                        value=self.kind,
                        allow_blank=False,
                        compact=True,
                        id="export-kind",
                    ),
                    everywhere,
                )
                yield FormRow(
                    "Format",
                    Select(
                        FORMATS[self.kind],
                        value=fmt,
                        allow_blank=False,
                        compact=True,
                        id="export-format",
                    ),
                    everywhere,
                )
                yield FormRow(
                    "File",
                    Input(with_format("", self.kind, fmt), id="export-path", compact=True),
                    everywhere,
                )
                yield FormRow(
                    "Campaign",
                    Select([], prompt="No campaign", compact=True, id="export-campaign"),
                    everywhere,
                )
                yield FormRow(
                    "Statuses",
                    Input(
                        placeholder="prospect, invited … (needs a campaign)",
                        id="export-statuses",
                        compact=True,
                    ),
                    FILTERED,
                )
                yield FormRow("Tag", Input(id="export-tag", compact=True), FILTERED)
                yield FormRow(
                    "Country",
                    Input(placeholder="BE, France …", id="export-country", compact=True),
                    FILTERED,
                )
                yield FormRow(
                    "Language",
                    Input(placeholder="fr, de …", id="export-language", compact=True),
                    FILTERED,
                )
                yield FormRow(
                    "Membership",
                    Input(
                        placeholder="member, partner, prospect",
                        id="export-membership",
                        compact=True,
                    ),
                    FILTERED,
                )
                yield FormRow(
                    "Search",
                    Input(placeholder="words in names, emails …", id="export-search", compact=True),
                    FILTERED,
                )
                yield FormRow(
                    "Recipients",
                    Checkbox(
                        "One per organisation (who signed, else the first)", id="export-one-per-org"
                    ),
                    ("mailmerge",),
                )
                yield FormRow(
                    "CSV",
                    Horizontal(
                        Checkbox("For Excel (byte-order mark)", id="export-excel"),
                        Label("separator", classes="export-sep-label"),
                        Input(",", id="export-delimiter", compact=True, max_length=1),
                        id="export-csv",
                    ),
                    ("mailmerge",),
                )
                yield FormRow(
                    "Log outreach",
                    Input(
                        placeholder="subject: log an email to each (prospects become invited)",
                        id="export-log",
                        compact=True,
                    ),
                    ("mailmerge",),
                )
                yield FormRow(
                    "Group by",
                    Select(
                        [("country", "country"), ("kind of organisation", "kind")],
                        prompt="not grouped",
                        compact=True,
                        id="export-group-by",
                    ),
                    ("signatories",),
                )
                yield FormRow(
                    "vCard version",
                    Select(
                        [("3.0", "3.0"), ("4.0", "4.0")],
                        value="3.0",
                        allow_blank=False,
                        compact=True,
                        id="export-vcard-version",
                    ),
                    ("vcard",),
                )
            yield Static(id="export-where")
            with ButtonRow(id="export-buttons"):
                yield Button("Write", id="export-write", variant="primary", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one("#export-path", Input).focus()
        self.load_campaigns()

    # --- the form -------------------------------------------------------------------------

    def _show_kind(self) -> None:
        for row in self.query(FormRow):
            row.display = self.kind in row.kinds
        title = Text("Export ", style="bold")
        title.append(KINDS[self.kind], style="bold")
        self.query_one("#export-title", Static).update(title)
        self._show_where()

    def _show_where(self) -> None:
        where = Text("Written to ", style="dim")
        where.append(str(self._target()))
        where.append("\nEnter or Ctrl+S writes it · Esc cancels", style="dim")
        self.query_one("#export-where", Static).update(where)

    def _target(self) -> Path:
        text = self.query_one("#export-path", Input).value.strip()
        path = Path(os.path.expanduser(text)) if text else Path(DEFAULT_NAMES[self.kind])
        return path if path.is_absolute() else self.folder / path

    @on(Select.Changed, "#export-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        kind = cast("str", event.value)
        if kind == self.kind:
            return
        path_input = self.query_one("#export-path", Input)
        fmt = FORMATS[kind][0][1]
        path = path_input.value
        if Path(path).with_suffix("").name == DEFAULT_NAMES[self.kind] or not path.strip():
            path = DEFAULT_NAMES[kind]
        self.kind = kind
        formats = self.query_one("#export-format", Select)
        formats.set_options(FORMATS[kind])
        formats.value = fmt
        path_input.value = with_format(path, kind, fmt)
        self._show_kind()
        self._only_campaign()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str):
            return
        path_input = self.query_one("#export-path", Input)
        new = with_format(path_input.value, self.kind, event.value)
        if new != path_input.value:
            path_input.value = new

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        self._show_where()

    def request(self) -> ExportRequest:
        """What the form asks for."""

        def text(name: str) -> str | None:
            return self.query_one(f"#export-{name}", Input).value.strip() or None

        def chosen(name: str) -> str | None:
            value = self.query_one(f"#export-{name}", Select).value
            return value if isinstance(value, str) else None

        filtered = self.kind in FILTERED
        mailmerge = self.kind == "mailmerge"
        return ExportRequest(
            kind=self.kind,
            path=self._target(),
            campaign=chosen("campaign"),
            statuses=tuple(split_values(text("statuses") or "")) if filtered else (),
            tag=text("tag") if filtered else None,
            country=text("country") if filtered else None,
            language=text("language") if filtered else None,
            membership=text("membership") if filtered else None,
            search_text=text("search") if filtered else None,
            one_per_org=mailmerge and self.query_one("#export-one-per-org", Checkbox).value,
            excel=mailmerge and self.query_one("#export-excel", Checkbox).value,
            delimiter=self.query_one("#export-delimiter", Input).value or ",",
            log_subject=text("log") if mailmerge else None,
            group_by=chosen("group-by") if self.kind == "signatories" else None,
            vcard_version=chosen("vcard-version") or "3.0",
        )

    # --- campaigns for the choice -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="export-campaigns", exit_on_error=False)
    def load_campaigns(self) -> None:
        from coalition.domain.campaigns import list_campaigns

        with self.coalition.database().read_session() as session:
            campaigns = [(c.code, c.name, c.state) for c in list_campaigns(session)]
        self.app.call_from_thread(self._show_campaigns, campaigns)

    def _show_campaigns(self, campaigns: list[tuple[str, str, str]]) -> None:
        if not self.is_attached:
            return
        options = campaign_options(campaigns)
        self.campaigns = [code for code, _, _ in campaigns]
        self.query_one("#export-campaign", Select).set_options(options)
        self._only_campaign()

    def _only_campaign(self) -> None:
        """The signatory list needs a campaign: with only one, it is that one."""
        select = self.query_one("#export-campaign", Select)
        if self.kind == "signatories" and len(self.campaigns) == 1 and select.is_blank():
            select.value = self.campaigns[0]

    # --- writing ----------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-write")
    def action_export(self) -> None:
        if self.writing:
            return
        self.writing = True
        self.query_one("#export-write", Button).disabled = True
        self.write_file(self.request())

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def write_file(self, request: ExportRequest) -> None:
        coalition = self.coalition
        done = run_export(coalition.database(), coalition.coordinator, request)
        self.app.call_from_thread(self._written, done)

    def _written(self, done: ExportDone) -> None:
        self.writing = False
        self.app.notify(done.message, title="Exported", timeout=10, markup=False)
        if self.is_attached:
            self.dismiss(done.path)

    @on(Button.Pressed, "#export-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def write_ended(self) -> None:
        self.query_one("#export-write", Button).disabled = False


def open_export_dialog(app: App[Any], kind: str = "mailmerge") -> None:
    """Show the export dialog, set to ``kind`` (mailmerge, signatories or vcard)."""
    app.push_screen(ExportDialog(kind))
