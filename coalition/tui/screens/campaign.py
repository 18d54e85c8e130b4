"""The campaign screen: the sign-on pipeline as six columns, progress, and who is quiet.

One column per status (prospect … withdrawn), each a ``LazyTable`` of one
column: it holds the first page of its organisations and reads more as it
scrolls, so a stage of 10,000 sign-ons costs a page of rows, not 10,000
widgets. Above them, a progress bar toward the campaign's target and a
sparkline of sign-ons per day (per week or month when the days do not fit);
below, on ``q``, who has been quiet: no answer for N days. ``R`` shows the campaign's
report instead (``campaign_report.CampaignReportView``: what ``coalition report``
prints, read through ``domain.reports.campaign_report``); ``Esc`` or ``R`` again goes
back to the pipeline.

``m`` moves the highlighted organisation to its usual next status and
``Enter`` to any status the pipeline allows; both go through
``domain.pipeline.advance`` (``campaigns.set_signon``: its rules, history and
audit log) in a thread worker, then the pipeline is read again.

``n`` starts a campaign and ``e`` changes the one shown (its state too: draft,
open, closed) in ``campaign_form.CampaignForm``; the screen then shows that
campaign.

The screen remembers the campaign chosen, for the next run too (per database, in
the settings file). With several open campaigns and none chosen yet, it asks
which one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import OptionList, ProgressBar, Sparkline, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from coalition import settings
from coalition.tui import clock
from coalition.tui.jobs import JobScreen
from coalition.tui.screens.campaign_report import CampaignReportView
from coalition.tui.widgets.footer import Footer
from coalition.tui.widgets.lazy_table import Column, LazyTable

if TYPE_CHECKING:
    from coalition.domain.audit import Work
    from coalition.domain.campaigns import SignOnView
    from coalition.domain.pipeline import Card, Pipeline, QuietRow
    from coalition.domain.reports import CampaignReport
    from coalition.domain.views import CampaignView

STAGES = ("prospect", "invited", "considering", "signed", "declined", "withdrawn")
"""The columns, in the pipeline's order (``campaigns.PIPELINE``; a test keeps them equal)."""

DEFAULT_QUIET_DAYS = 14
QUIET_STEP = 7
PIPELINE_ACTIONS = (
    "advance",
    "choose_status",
    "take_out",
    "interactions",
    "open_organisation",
    "column",
    "toggle_quiet",
    "quiet_days",
)
"""The keys of the pipeline's columns and quiet list: not over the report."""


def _date(value: dt.datetime) -> str:
    return value.date().isoformat()


class PlainTable(LazyTable):
    """A ``LazyTable`` in the pipeline's own order: no sorting keys."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("next_sort", "reverse_sort")


class StageList(PlainTable):
    """One stage of the pipeline: its organisations by name, its count in the header."""

    DEFAULT_CSS = """
    StageList {
        scrollbar-size-vertical: 1;
        & > .lazy-table--cursor { background: $surface; color: $foreground; text-style: none; }
        &:focus > .lazy-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    def __init__(self, status: str) -> None:
        super().__init__(
            [Column("name", "Organisation", 4, sortable=False)],
            sort_key="-",
            empty_text="None.",
            id=f"stage-{status}",
            classes="stage-list",
        )
        self.status = status

    def _header(self) -> Strip:
        if self.generation == 0:
            text = "…"
        else:
            count = f"{self.total:,}"
            noun = " organisation" if self.total == 1 else " organisations"
            width = self.scrollable_content_region.width
            text = count + noun if len(count + noun) <= width else count
        return self._line([text], self._style("base") + self._style("lazy-table--header"))


class StatusPicker(ModalScreen[str | None]):
    """Choose where to move an organisation; returns the status or None."""

    CSS_PATH = "campaign.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Leave it", id="campaign.status.cancel"),
    ]

    def __init__(self, name: str, current: str, moves: tuple[str, ...], usual: str | None):
        super().__init__()
        self.org_name = name
        self.current = current
        self.moves = moves
        self.usual = usual

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body", classes="campaign-picker"):
            title = Text("Move ", style="bold")
            title.append(Text(self.org_name))
            title.append(f" ({self.current}) to:", style="bold")
            yield Static(title, id="picker-title")
            options = []
            for status in self.moves:
                prompt = Text(status)
                if status == self.usual:
                    prompt.append("  the next step (m)", style="dim")
                options.append(Option(prompt, id=status))
            yield OptionList(*options, id="picker-options")
            yield Static(Text("Enter moves it · Esc leaves it", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.usual in self.moves:
            options.highlighted = self.moves.index(self.usual)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class CampaignPicker(ModalScreen[str | None]):
    """Choose the campaign to show; returns its code or None."""

    CSS_PATH = "campaign.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Keep this one", id="campaign.choose.cancel"),
    ]

    def __init__(self, choices: list[CampaignView], current: str | None) -> None:
        super().__init__()
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body", classes="campaign-picker"):
            yield Static(Text("Which campaign?", style="bold"), id="picker-title")
            options = []
            for c in self.choices:
                prompt = Text(c.code, style="bold")
                prompt.append("  ")
                prompt.append(Text(c.name))
                signed = f"{c.signed:,}" + (f" / {c.target:,}" if c.target else "")
                prompt.append(f"  {c.state} · {signed} signed", style="dim")
                options.append(Option(prompt, id=c.code))
            yield OptionList(*options, id="picker-options")
            yield Static(Text("Enter shows it · Esc keeps the one shown", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        codes = [c.code for c in self.choices]
        if self.current in codes:
            options.highlighted = codes.index(self.current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


@dataclass(frozen=True)
class _Moving:
    organisation_id: int
    name: str
    expected: str
    to: str


class CampaignScreen(JobScreen):
    """A campaign's sign-on pipeline: columns per status, progress, sign-ons over time."""

    CSS_PATH = "campaign.tcss"
    AUTO_FOCUS = "#stage-prospect"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Screen declares it)

    BINDINGS: ClassVar[list[BindingType]] = [
        # First: in the footer over the report, the way back comes first.
        Binding(
            "escape",
            "close_report",
            "Pipeline",
            id="campaign.report-close",
            tooltip="From the report back to the pipeline's columns",
        ),
        Binding(
            "m",
            "advance",
            "Next status",
            id="campaign.advance",
            tooltip="Move the highlighted organisation to its next status",
        ),
        Binding(
            "enter",
            "choose_status",
            "Set status",
            id="campaign.set-status",
            tooltip="Move the highlighted organisation to any status the pipeline allows",
        ),
        Binding("left", "column(-1)", "Previous column", show=False),
        Binding("right", "column(1)", "Next column", show=False),
        Binding(
            "q",
            "toggle_quiet",
            "No answer",
            id="campaign.quiet",
            tooltip="Who has been quiet: no answer for N days",
        ),
        Binding("plus", "quiet_days(1)", "More days", id="campaign.days-more"),
        Binding("minus", "quiet_days(-1)", "Fewer days", id="campaign.days-fewer"),
        Binding(
            "c",
            "choose_campaign",
            "Campaign",
            id="campaign.choose",
            tooltip="Show another campaign",
        ),
        Binding(
            "n",
            "new_campaign",
            "New",
            id="campaign.new",
            tooltip="Start a campaign: its code, title, target, deadline",
        ),
        Binding(
            "e",
            "edit_campaign",
            "Edit",
            id="campaign.edit",
            tooltip="Change the campaign shown: its state (draft, open, closed), title, target …",
        ),
        # After e: at 80 columns the pipeline's footer keeps the keys above (F1 lists R).
        Binding(
            "R",
            "toggle_report",
            "Report",
            id="campaign.report",
            tooltip="The campaign's report, as coalition report prints it: a bar per status, "
            "the response rate, signatures per week, who is quiet longest (R again goes back)",
        ),
        Binding(
            "i",
            "interactions",
            "Outreach",
            show=False,
            id="campaign.interactions",
            tooltip="The outreach logged with the highlighted organisation: correct, delete "
            "or mark a follow-up done",
        ),
        Binding(
            "delete",
            "take_out",
            "Take out",
            show=False,
            id="campaign.take-out",
            tooltip="Take the highlighted organisation out of the campaign, once asked: its "
            "sign-on and its history go, as if never recorded (the change log keeps them)",
        ),
        Binding(
            "o",
            "open_organisation",
            "Open",
            show=False,
            id="campaign.open",
            tooltip="The highlighted organisation on the Organisations screen",
        ),
        Binding("ctrl+r", "reload", "Reload", id="campaign.reload", tooltip="Read it again"),
    ]

    class Loaded(Message):
        def __init__(
            self,
            generation: int,
            choices: list[CampaignView],
            data: Pipeline | None,
            ask: bool,
        ) -> None:
            super().__init__()
            self.generation = generation
            self.choices = choices
            self.data = data
            self.ask = ask

    class RowsFetched(Message):
        def __init__(self, table: LazyTable, generation: int, offset: int, rows: list[Any]):
            super().__init__()
            self.table = table
            self.generation = generation
            self.offset = offset
            self.rows = rows

    class ReportLoaded(Message):
        def __init__(self, asked: int, report: CampaignReport) -> None:
            super().__init__()
            self.asked = asked
            self.report = report

    class Moved(Message):
        def __init__(self, moving: _Moving, view: SignOnView) -> None:
            super().__init__()
            self.moving = moving
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.campaign_code: str | None = None
        """The campaign shown; one chosen is kept for the next run (settings.json)."""
        self.data: Pipeline | None = None
        self.choices: list[CampaignView] = []
        self.quiet_days = DEFAULT_QUIET_DAYS
        self.generation = 0
        self._loading = False
        self._moving = False
        self._asked = False
        """The campaign picker was offered once already (it is not forced twice)."""
        self._last_stage = STAGES[0]
        self._pick: int | None = None
        """A campaign just saved in the form (its id): shown, and kept, once it is read."""
        self._ask_pending = False
        """The campaign picker waits for the screen to be uncovered."""
        self._report_asked = 0
        """The report last asked for (one read meanwhile is not shown)."""
        self._report_loading = False
        self.report_wanted = False
        """The report was asked for (from the palette) before the pipeline was read."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("Campaign", style="bold"), id="campaign-title")
        with Vertical(id="campaign-head"):
            with Horizontal(id="campaign-progress"):
                yield Static(id="campaign-signed")
                yield ProgressBar(total=100, show_eta=False, id="campaign-bar")
                yield Static(id="campaign-deadline")
            with Horizontal(id="campaign-chart"):
                yield Static(Text("Sign-ons", style="bold"), id="campaign-chart-label")
                yield Sparkline([], summary_function=max, id="campaign-sparkline")
                yield Static(id="campaign-chart-note")
        yield Static(id="campaign-empty")
        with Horizontal(id="campaign-board"):
            for status in STAGES:
                with Vertical(classes=f"stage -{status}"):
                    yield Static(Text(status.capitalize()), classes="stage-title")
                    yield StageList(status)
        with Vertical(id="campaign-quiet"):
            yield Static(id="campaign-quiet-title")
            yield PlainTable(
                [
                    Column("name", "Organisation", 12, grow=3, priority=0, sortable=False),
                    Column("status", "Status", 11, grow=0, priority=2, sortable=False),
                    Column("days", "Days", 4, grow=0, priority=1, justify="right"),
                    Column("quiet_since", "Quiet since", 11, grow=0, priority=3, format=_date),
                    Column("last_contact", "Last contact", 12, grow=0, priority=4, format=_date),
                ],
                sort_key="-",
                empty_text="Nobody has been quiet that long.",
                id="campaign-quiet-table",
            )
        yield CampaignReportView(id="campaign-report")
        yield Static(id="campaign-card")
        yield Footer()

    @property
    def stage_lists(self) -> list[StageList]:
        return list(self.query(StageList))

    def stage_list(self, status: str) -> StageList:
        return self.query_one(f"#stage-{status}", StageList)

    @property
    def quiet_table(self) -> PlainTable:
        return self.query_one("#campaign-quiet-table", PlainTable)

    @property
    def tables(self) -> list[LazyTable]:
        return [*self.stage_lists, self.quiet_table]

    @property
    def quiet_shown(self) -> bool:
        return self.has_class("-quiet")

    @property
    def report_view(self) -> CampaignReportView:
        return self.query_one(CampaignReportView)

    @property
    def report_shown(self) -> bool:
        return self.has_class("-report")

    def on_mount(self) -> None:
        self._show_parts(None)
        self.campaign_code = settings.saved_campaign(self.coalition.db_target)
        self.refresh_pipeline()

    def on_screen_resume(self) -> None:
        if self._ask_pending and self._pick is None:
            self._ask()  # the form it waited for was cancelled
        if self.data is not None:
            self.refresh_pipeline()

    def _ask(self) -> None:
        """Which campaign, of several open: asked once, and not over a form opened meanwhile
        (n, or the palette's New campaign, while the pipeline was first read)."""
        self._ask_pending = not self.is_active
        if not self._ask_pending:
            self._asked = True
            self.action_choose_campaign()

    # --- reading the pipeline -------------------------------------------------------------

    def refresh_pipeline(self) -> None:
        """Read the campaign shown (or choose one) afresh: counts, first cards, chart, quiet."""
        self.generation += 1
        self._loading = True
        self.load_pipeline(
            self.generation, self.campaign_code, self.quiet_days, not self._asked, self._pick
        )

    @work(thread=True, exclusive=True, group="pipeline", exit_on_error=False)
    def load_pipeline(
        self, generation: int, code: str | None, days: int, may_ask: bool, pick: int | None
    ) -> None:
        from coalition.domain.pipeline import campaign_choices, pipeline

        with self.coalition.database().read_session() as session:
            choices = campaign_choices(session)
            ask = False
            if pick is not None:
                code = next((c.code for c in choices if c.id == pick), code)
            if code not in {c.code for c in choices}:
                code = None
                open_ones = [c for c in choices if c.state == "open"]
                ask = may_ask and len(open_ones) > 1
                if choices:
                    code = (open_ones or choices)[0].code
            data = pipeline(session, code, quiet_days=days, now=clock.now()) if code else None
        self.post_message(self.Loaded(generation, choices, data, ask))

    def on_campaign_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self.generation:
            return
        self._loading = False
        self.choices = message.choices
        first = self.data is None
        shown = self.data.campaign.id if self.data else None
        self.data = data = message.data
        self.campaign_code = data.campaign.code if data else None
        if data is not None and data.campaign.id == self._pick:
            self._pick = None
            self._remember(data.campaign.code)
        if data is None and self.report_shown:
            self.remove_class("-report")  # no campaign, no report
        if data is not None and self.report_wanted:
            self.report_wanted = False
            self.add_class("-report")  # asked for before the pipeline was read
        self._show_parts(data)
        self.refresh_bindings()  # the footer's keys depend on what there is
        if data is None:
            self._show_empty()
            return
        if self.report_shown:
            self.refresh_report()  # what the pipeline shows, the report shows
        self._show_head(data)
        self.call_after_refresh(self._show_chart)  # the sparkline's width, now it is shown
        if shown != data.campaign.id:
            for table in self.tables:
                table.cursor = 0  # another campaign: its columns from the top
        if self.focused is None:  # the columns were hidden (no campaign until now)
            self.stage_list(self._last_stage).focus()
        for stage in data.stages:
            self._reset(self.stage_list(stage.status), stage.total, stage.cards)
        self._show_quiet(data)
        self._reset(self.quiet_table, data.quiet.total, data.quiet.rows)
        if first and isinstance(self.focused, StageList) and not self.focused.total:
            busy_stage = next((s for s in data.stages if s.total), None)
            if busy_stage is not None:
                self.stage_list(busy_stage.status).focus()
        self._show_card()
        if message.ask:
            self._ask()

    def _reset(self, table: LazyTable, total: int, rows: list[Any]) -> None:
        cursor = table.cursor if table.generation else 0
        table.reset(self.generation, total, rows)
        if total and cursor:
            table.cursor = min(cursor, total - 1)

    def _show_parts(self, data: Pipeline | None) -> None:
        shown = data is not None
        pipeline = shown and not self.report_shown
        for part in ("#campaign-head", "#campaign-board", "#campaign-card"):
            self.query_one(part).display = pipeline
        self.query_one("#campaign-quiet").display = pipeline and self.quiet_shown
        self.report_view.display = shown and self.report_shown
        self.query_one("#campaign-empty").display = not shown and not self._loading

    def _show_empty(self) -> None:
        start = Text.assemble(
            "Press ",
            ("n", "bold"),
            " to start one: a statement, letter or petition that organisations sign on to.",
        )
        then = Text.assemble(
            "Then bring organisations into it: on Organisations (",
            ("F4", "bold"),
            "), ",
            ("c", "bold"),
            " puts the highlighted one in and ",
            ("C", "bold"),
            " every one listed; ",
            ("F6", "bold"),
            " imports a list with the campaign's code.",
        )
        lines = [
            Text("There are no campaigns yet.", style="bold"),
            Text(""),
            start,
            then,
            Text(""),
            Text("Or on the command line:"),
            Text(""),
            Text("    coalition campaign add csam-2022 --target 200 --state open", style="bold"),
            Text('    coalition signon set "Minors Care Example" csam-2022 invited', style="bold"),
            Text("    coalition import imports/signon-form.csv --campaign csam-2022", style="bold"),
            Text(""),
            Text("and press Ctrl+R here to read it again.", style="dim"),
        ]
        self.query_one("#campaign-title", Static).update(Text("Campaign", style="bold"))
        self.query_one("#campaign-empty", Static).update(Text("\n").join(lines))

    def _show_head(self, data: Pipeline) -> None:
        c = data.campaign
        title = Text("Campaign ", style="bold")
        title.append(Text(c.code, style="bold"))
        title.append("  ")
        title.append(Text(c.name))
        title.append(f"  ·  {c.state}", style="dim")
        if len(self.choices) > 1:
            title.append(f"  ·  c: one of {len(self.choices)} campaigns", style="dim")
        self.query_one("#campaign-title", Static).update(title)

        signed = Text("Signed ", style="bold")
        signed.append(f"{c.signed:,}" + (f" / {c.target:,}" if c.target else ""), style="bold")
        self.query_one("#campaign-signed", Static).update(signed)
        bar = self.query_one("#campaign-bar", ProgressBar)
        bar.display = bool(c.target)
        if c.target:
            bar.update(total=c.target, progress=min(c.signed, c.target))
        deadline = Text("", style="dim")
        if c.deadline:
            left = (c.deadline - clock.today()).days
            when = (
                f"{left} days left"
                if left > 1
                else "today"
                if left == 0
                else "1 day left"
                if left == 1
                else f"passed {-left} days ago"
            )
            deadline.append(f"deadline {c.deadline.isoformat()}, {when}")
        elif not c.target:
            deadline.append("no target or deadline: e sets them")
        self.query_one("#campaign-deadline", Static).update(deadline)
        self._show_chart()

    def _show_chart(self) -> None:
        from coalition.domain.pipeline import spans

        data = self.data
        if data is None:
            return
        sparkline = self.query_one("#campaign-sparkline", Sparkline)
        width = max(sparkline.size.width or self.size.width - 50, 8)
        days = data.per_day
        span = -(-len(days) // width)  # whole days per bar, so every day has its place
        bars = spans(days, span)
        sparkline.data = [float(p.signed) for p in bars] if len(bars) > 1 else []
        # One day is no chart: an empty sparkline reads as "nothing signed".
        sparkline.display = len(bars) > 1
        per = "day" if span == 1 else "week" if span == 7 else f"{span} days"
        week = sum(p.signed for p in days[-7:])
        note = Text(f"per {per} · {week:,} in 7 days", style="dim")
        if data.quiet.total:
            note.append(f" · {data.quiet.total:,} quiet {data.quiet.days}d+ (q)", style="dim")
        self.query_one("#campaign-chart-note", Static).update(note)

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_chart)  # once the sparkline has its new width

    def _show_quiet(self, data: Pipeline) -> None:
        quiet = data.quiet
        noun = "organisation" if quiet.total == 1 else "organisations"
        title = Text(f"No answer for {quiet.days} days or more", style="bold")
        title.append(f"  {quiet.total:,} {noun}", style="dim")
        title.append("  ·  + − days  ·  q hides", style="dim")
        self.query_one("#campaign-quiet-title", Static).update(title)

    # --- the report (R) --------------------------------------------------------------------

    def refresh_report(self) -> None:
        """Read the report of the campaign shown afresh (the one drawn stays meanwhile,
        unless it is another campaign's)."""
        data = self.data
        if data is None:
            return
        shown = self.report_view.report
        if shown is not None and shown.campaign.id != data.campaign.id:
            self.report_view.show(None)
        self._report_asked += 1
        self._report_loading = True
        self.load_report(self._report_asked, data.campaign.code)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def load_report(self, asked: int, code: str) -> None:
        from coalition.domain.reports import campaign_report

        with self.coalition.database().read_session() as session:
            report = campaign_report(session, code, today=clock.today(), now=clock.now())
        self.post_message(self.ReportLoaded(asked, report))

    def on_campaign_screen_report_loaded(self, message: ReportLoaded) -> None:
        if message.asked != self._report_asked:
            return
        self._report_loading = False
        self.report_view.show(message.report)

    def show_report(self) -> None:
        """The report, now or (the pipeline being read) as soon as there is a campaign."""
        if self.data is None:
            self.report_wanted = True
        elif not self.report_shown:
            self.action_toggle_report()

    def action_toggle_report(self) -> None:
        if self.report_shown:
            self.action_close_report()
            return
        self.add_class("-report")
        self._show_parts(self.data)
        self.report_view.focus()
        self.refresh_report()
        self.refresh_bindings()

    def action_close_report(self) -> None:
        self.remove_class("-report")
        self._show_parts(self.data)
        if self.quiet_shown:
            self.quiet_table.focus()
        else:
            self.stage_list(self._last_stage).focus()
        self.refresh_bindings()

    # --- more rows as a column scrolls -----------------------------------------------------

    @on(LazyTable.RowsWanted)
    def _rows_wanted(self, message: LazyTable.RowsWanted) -> None:
        data = self.data
        if data is None or message.generation != self.generation:
            return
        table = message.table
        if isinstance(table, StageList):
            group = f"rows-{table.status}"
            fetch = partial(self._stage_rows, table, data.campaign.id, table.status, message.offset)
        else:
            group = "rows-quiet"
            fetch = partial(
                self._quiet_rows, table, data.campaign.id, data.quiet.days, message.offset
            )
        self.run_worker(
            partial(fetch, message.generation, message.limit),
            thread=True,
            exclusive=True,
            group=group,
            exit_on_error=False,
        )

    def _stage_rows(
        self,
        table: LazyTable,
        campaign_id: int,
        status: str,
        offset: int,
        generation: int,
        limit: int,
    ) -> None:
        from coalition.domain.pipeline import stage_cards

        with self.coalition.database().read_session() as session:
            rows = stage_cards(session, campaign_id, status, offset=offset, limit=limit)
        self.post_message(self.RowsFetched(table, generation, offset, rows))

    def _quiet_rows(
        self,
        table: LazyTable,
        campaign_id: int,
        days: int,
        offset: int,
        generation: int,
        limit: int,
    ) -> None:
        from coalition.domain.pipeline import no_answer

        with self.coalition.database().read_session() as session:
            rows = no_answer(
                session, campaign_id, days, offset=offset, limit=limit, now=clock.now()
            )
        self.post_message(self.RowsFetched(table, generation, offset, list(rows)))

    def on_campaign_screen_rows_fetched(self, message: RowsFetched) -> None:
        message.table.add_rows(message.generation, message.offset, message.rows)

    # --- the highlighted organisation -----------------------------------------------------

    @property
    def highlighted(self) -> Card | QuietRow | None:
        """The organisation under the cursor of the focused column or list."""
        table = self.focused
        if not isinstance(table, LazyTable):
            table = self.stage_list(self._last_stage)
        row = table.current_row
        return row  # type: ignore[no-any-return]

    @on(LazyTable.Highlighted)
    def _highlighted(self, message: LazyTable.Highlighted) -> None:
        if message.table is self.focused:
            self._show_card()

    def on_descendant_focus(self) -> None:
        if isinstance(self.focused, StageList):
            self._last_stage = self.focused.status
        self._show_card()
        self.refresh_bindings()

    def _show_card(self) -> None:
        data = self.data
        if data is None or not self.is_mounted:
            return
        line = Text()
        row = self.highlighted
        if data.total == 0:
            line.append(
                f"No organisation in {data.campaign.code} yet: F4 then c or C adds some; "
                "F6 imports a list",
                style="dim",
            )
        elif row is None and self.focused is self.quiet_table:
            line.append("Nobody to chase; + and − change the days.", style="dim")
        elif row is None:
            line.append("Nothing here; ← → move between the columns.", style="dim")
        else:
            today = clock.now()
            line.append(Text(row.name, style="bold"))
            if row.country:
                line.append(f"  {row.country}", style="dim")
            if hasattr(row, "quiet_since"):
                quiet = cast("QuietRow", row)
                last = quiet.last_contact
                line.append(
                    f"  {row.status}, quiet {quiet.days} days, "
                    + (f"last contact {last.date().isoformat()}" if last else "never contacted"),
                    style="dim",
                )
            else:
                days = max((today - row.since).days, 0)
                line.append(
                    f"  {row.status} since {row.since.date().isoformat()} ({days}d)",
                    style="dim",
                )
            nxt = data.stage(row.status).next_status
            if nxt:
                line.append(f"  ·  m: {nxt}", style="dim")
        self.query_one("#campaign-card", Static).update(line)

    # --- moving an organisation -----------------------------------------------------------

    def action_advance(self) -> None:
        row, data = self.highlighted, self.data
        if data is None or self._moving:
            return
        if row is None:
            self.notify("No organisation is highlighted here.", severity="warning")
            return
        stage = data.stage(row.status)
        if stage.next_status is None:
            where = (
                f"press Enter to move it to {' or '.join(stage.moves)}"
                if stage.moves
                else f"{row.status} is final"
            )
            self.notify(
                f"{row.name} is {row.status}: there is no usual next step; {where}.",
                severity="warning",
                markup=False,
            )
            return
        self._move(_Moving(row.organisation_id, row.name, row.status, stage.next_status))

    def action_choose_status(self) -> None:
        row, data = self.highlighted, self.data
        if data is None or row is None or self._moving:
            return
        stage = data.stage(row.status)
        if not stage.moves:
            self.notify(f"{row.name} is {row.status}, which is final.", markup=False)
            return
        moving = partial(_Moving, row.organisation_id, row.name, row.status)

        def chosen(status: str | None) -> None:
            if status:
                self._move(moving(status))

        self.app.push_screen(
            StatusPicker(row.name, row.status, stage.moves, stage.next_status), chosen
        )

    def _move(self, moving: _Moving) -> None:
        if self.data is None:
            return
        self._moving = True
        self.move(self.data.campaign.id, moving)

    @work(thread=True, group="move", exit_on_error=False)
    def move(self, campaign_id: int, moving: _Moving) -> None:
        from coalition.domain.audit import work as unit_of_work
        from coalition.domain.pipeline import advance

        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            view = advance(w, campaign_id, moving.organisation_id, moving.expected, moving.to)
        self.post_message(self.Moved(moving, view))

    def on_campaign_screen_moved(self, message: Moved) -> None:
        self._moving = False
        moving = message.moving
        self.notify(
            f"{moving.name}: {moving.expected} → {message.view.status}",
            title="Moved",
            markup=False,
        )
        self.refresh_pipeline()

    # --- taking a sign-on out (a mistake) --------------------------------------------------

    def action_take_out(self) -> None:
        from coalition.tui.screens.confirm import ConfirmWrite

        row, data = self.highlighted, self.data
        if data is None or row is None or self._moving:
            return
        code, organisation_id, name = data.campaign.code, row.organisation_id, row.name

        def take_out(work: Work) -> str:
            from coalition.domain.campaigns import delete_signon

            view = delete_signon(work, organisation_id, code)
            return f"Took {view.organisation} out of {code} (it was {view.status})."

        question = Text("Take ", style="bold")
        question.append(Text(name))
        question.append(f" out of {code}?", style="bold")
        self.app.push_screen(
            ConfirmWrite(
                question,
                f"Its sign-on ({row.status}) and its history of status changes go, as if "
                "they had never been recorded: for a mistake. The change log keeps what they "
                "were; the outreach logged with it stays. To record that it withdrew or "
                "declined, set that status instead (Enter).",
                take_out,
                confirm="Take out",
                done_title="Taken out",
            )
        )  # the pipeline is read again as the screen resumes

    # --- other keys -----------------------------------------------------------------------

    def action_column(self, step: int) -> None:
        lists = self.stage_lists
        focused = self.focused
        if focused is self.quiet_table:
            return
        at = lists.index(focused) if isinstance(focused, StageList) else 0
        lists[max(0, min(at + step, len(lists) - 1))].focus()

    def action_toggle_quiet(self) -> None:
        shown = not self.quiet_shown
        self.set_class(shown, "-quiet")
        self.query_one("#campaign-quiet").display = shown and self.data is not None
        if shown:
            self.quiet_table.focus()
        else:
            self.stage_list(self._last_stage).focus()
        self.refresh_bindings()

    def action_quiet_days(self, step: int) -> None:
        days = self.quiet_days + step * QUIET_STEP
        if self.quiet_days > 1 and days < 1:
            days = 1
        if days < 1 or days > 365:
            return
        self.quiet_days = days
        self.refresh_pipeline()

    def action_choose_campaign(self) -> None:
        if not self.choices:
            self.notify("There are no campaigns yet: press n to start one.")
            return

        def chosen(code: str | None) -> None:
            if code:
                self._remember(code)
            if code and code != self.campaign_code:
                self.campaign_code = code
                for table in self.tables:
                    table.cursor = 0
                self.refresh_pipeline()

        self.app.push_screen(CampaignPicker(self.choices, self.campaign_code), chosen)

    def _remember(self, code: str) -> None:
        """Keep the choice for the next run, for this database."""
        try:
            settings.save_campaign(self.coalition.db_target, code)
        except OSError as exc:
            self.notify(
                f"The campaign could not be kept for next time: {exc.strerror or exc}.",
                severity="warning",
                markup=False,
            )

    def action_new_campaign(self) -> None:
        from coalition.tui.screens.campaign_form import CampaignForm

        self.app.push_screen(CampaignForm(), self._campaign_saved)

    def action_edit_campaign(self) -> None:
        from coalition.tui.screens.campaign_form import CampaignForm

        if self.data is None:
            self.notify("There is no campaign to edit yet: press n to start one.")
            return
        self.app.push_screen(CampaignForm(self.data.campaign.id), self._campaign_saved)

    def _campaign_saved(self, campaign_id: int | None) -> None:
        if campaign_id is not None:
            self._pick = campaign_id
            self._ask_pending = False  # the one just saved is the answer
            self._asked = True
            self.refresh_pipeline()

    def action_interactions(self) -> None:
        from coalition.tui.screens.interactions import open_interactions

        row = self.highlighted
        if row is not None:
            open_interactions(self.app, "organisation", row.organisation_id, row.name)

    async def action_open_organisation(self) -> None:
        row = self.highlighted
        if row is not None:
            await self.coalition.go_to("organisation", row.organisation_id, row.name)

    def action_reload(self) -> None:
        self.refresh_pipeline()

    def others_changed(self) -> None:
        """Another program changed the database: the columns, the quiet list and the report
        are read again, each keeping its cursor (not while a move is being written: its
        own reading follows)."""
        if self.data is not None and not self._moving:
            self.refresh_pipeline()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_report":
            return self.report_shown
        if action in PIPELINE_ACTIONS and self.report_shown:
            return False
        if action == "quiet_days":
            return self.quiet_shown
        if action == "choose_campaign":
            return bool(self.choices)
        if action in (*PIPELINE_ACTIONS, "edit_campaign", "toggle_report"):
            return self.data is not None
        return True

    # --- bookkeeping ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(
            self._loading
            or self._moving
            or self._report_loading
            or (self.is_mounted and any(t._requested is not None for t in self.tables))
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            group = event.worker.group
            if group == "pipeline":
                self._loading = False
                self._show_parts(self.data)
            elif group == "report":
                self._report_loading = False
                if self.report_view.report is None:
                    self.report_view.show(None, failed=True)
            elif group == "move":
                self._moving = False
                self.refresh_pipeline()  # what changed meanwhile is shown
            elif group == "rows-quiet":
                self.quiet_table._requested = None  # nothing more will come for it
            elif group.startswith("rows-"):
                self.stage_list(group.removeprefix("rows-"))._requested = None


async def new_campaign(app: Any) -> None:
    """Start a campaign from anywhere (the palette): the campaign screen, the form over it."""
    if isinstance(app.screen, ModalScreen):
        return  # not over a form or a question that is open
    await app.switch_mode("campaign")
    screen = app.screen
    if isinstance(screen, CampaignScreen):
        screen.action_new_campaign()
