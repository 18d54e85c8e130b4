"""The campaign screen's report (``R``): what ``coalition report CAMPAIGN`` prints, drawn.

A bar per sign-on status with its count, scaled to the widest; the response rate and
the median days from invitation to answer in one line; signatures per week as a bar
chart with each week's count and the running total under it; the organisations quiet
longest. Every number is the ``reports.CampaignReport``'s, read by the campaign screen
in a thread worker: nothing is counted here.

At 80x24 the parts are one under the other (the quiet list scrolls into view); from
``SIDE_BY_SIDE`` columns on the statuses and the chart are side by side, the chart
taller, as it is from ``TALL`` lines on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from coalition.tui.widgets.render import ByWidth, heading

if TYPE_CHECKING:
    from coalition.domain.pipeline import QuietRow
    from coalition.domain.reports import CampaignReport, Progress, Week

WIDE = 120
"""From this width on, the quiet list gives each one's last contact too."""
SIDE_BY_SIDE = 160
"""From this width on, the statuses and the chart side by side (each about 80 columns)."""
TALL = 30
"""From this height on (in lines), a taller chart."""
CHART_ROWS = (3, 6, 8)
"""The chart's bars are this many lines tall (eight steps a line): at 80x24, from
``TALL`` lines on, beside the statuses."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""The chart's week labels (not the locale's: a snapshot is the same everywhere)."""
PARTS = " ▏▎▍▌▋▊▉"
"""Eighths of a cell, left to right: the end of a status's bar."""
RISE = " ▁▂▃▄▅▆▇█"
"""Eighths of a cell, bottom to top: the top of a week's bar."""
WIDEST_WEEK = 6
"""A week's column is at most as wide as its date ("30 Nov"); wider would only spread it."""
ROW_LABELS = ("signed", "in all", "week of")
"""The chart's rows under the bars: each week's signatures, the running total, the week."""

Styles = Callable[[str], Style]


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def status_bars(progress: Progress, statuses: Sequence[str], width: int, style: Styles) -> Text:
    """One line per status: its name, its count and a bar as long as the count, the
    largest count filling the width (a count of one among thousands still shows)."""
    counts = [progress.counts[s] for s in statuses]
    label = max(len(s) for s in statuses) + 2
    digits = max(len(f"{n:,}") for n in counts)
    room = max(width - label - digits - 1, 1)
    top = max(counts) or 1
    lines = []
    for status, n in zip(statuses, counts, strict=True):
        eighths = max(round(n / top * room * 8), 1 if n else 0)
        full, part = divmod(eighths, 8)
        line = Text(status.capitalize().ljust(label), style=style(status))
        line.append(f"{n:,}".rjust(digits) + " ", style="bold" if n else "dim")
        line.append("█" * full + PARTS[part].strip(), style=style(status))
        lines.append(line)
    return Text("\n").join(lines)


def answer_line(progress: Progress) -> Text:
    """The response rate and the median days to answer, as ``coalition report`` says them."""
    rate = progress.response_rate
    if rate is None:
        return Text("Nobody asked yet: every organisation is a prospect.", style="dim")
    line = Text("Answered ", style="bold")
    line.append(f"{rate:.0%}", style="bold")
    line.append(f" ({progress.answered:,} of {progress.asked:,} asked)")
    days = progress.median_days_to_answer
    if days is None:
        line.append(" · no answer after an invitation yet", style="dim")
    else:
        line.append(" · median ")
        line.append(f"{days:g}", style="bold")
        line.append(" days from invitation to answer")
    return line


def _week_label(week: Week) -> str:
    return f"{week.starts.day} {MONTHS[week.starts.month - 1]}"


def _fit(weeks: Sequence[Week], width: int) -> tuple[int, int, int]:
    """The chart's layout in ``width``: its labels' width, a week's (at least as wide as
    the largest number under it, wider up to a date's width when there is room) and how
    many weeks fit."""
    label = max(len(r) for r in ROW_LABELS) + 1
    cell = max(len(f"{weeks[-1].total:,}"), len(f"{max(w.signatures for w in weeks):,}"), 2)
    cell = max(cell, min((width - label) // len(weeks) - 1, WIDEST_WEEK))
    return label, cell, max((width - label) // (cell + 1), 1)


def week_chart(weeks: Sequence[Week], width: int, rows: int, style: Styles) -> Text:
    """Signatures per week as columns ``rows`` lines tall, the largest week the tallest;
    under each its signatures, the running total and (where there is room) its Monday.
    The newest weeks that fit in ``width``, the oldest left out."""
    if not weeks:
        return Text("No signature yet.", style="dim")
    label, cell, fits = _fit(weeks, width)
    shown = list(weeks[-fits:])
    top = max(w.signatures for w in shown) or 1
    heights = [max(round(w.signatures / top * rows * 8), 1 if w.signatures else 0) for w in shown]
    bars = style("chart")
    lines = []
    for level in reversed(range(rows)):
        line = Text(" " * label)
        for height in heights:
            step = min(max(height - level * 8, 0), 8)
            line.append(RISE[step] * cell, style=bars)
            line.append(" ")
        lines.append(line)
    for name, values in (
        ("signed", [w.signatures for w in shown]),
        ("in all", [w.total for w in shown]),
    ):
        line = Text(name.ljust(label), style="dim")
        for n in values:
            line.append(f"{n:,}".rjust(cell) + " ", style="" if n else "dim")
        lines.append(line)
    # A week's Monday under it, as many as fit: one every `every` weeks.
    every = -(-7 // (cell + 1))  # "30 Nov" and a space
    dates = Text("week of".ljust(label), style="dim")
    for i, week in enumerate(shown):
        day = _week_label(week)
        if i % every == 0 and len(dates) + len(day) <= width:
            # Under its own column, the date as the numbers are: to the right.
            day = day.rjust(cell) + " " if every == 1 else day.ljust(every * (cell + 1))
            dates.append(day, style="dim")
    dates.rstrip()
    lines.append(dates)
    return Text("\n").join(lines)


def weeks_heading(report: CampaignReport, width: int) -> Text:
    weeks = report.weeks
    if not weeks:
        return heading("Signatures per week")
    fits = _fit(weeks, width)[2]
    note = f"{weeks[-1].total:,} in all since the week of {weeks[0].starts.isoformat()}"
    if fits < len(weeks):
        note += f"; the last {fits} weeks shown"
    return heading("Signatures per week", note)


def quiet_table(rows: Sequence[QuietRow], width: int) -> Table:
    """The organisations quiet longest, as ``coalition report`` lists them (the last
    contact too from ``WIDE`` columns on)."""
    table = Table(box=None, pad_edge=False, header_style="dim", show_edge=False)
    table.add_column(Text("Organisation"), no_wrap=True, overflow="ellipsis")
    table.add_column(Text("Status"), no_wrap=True)
    table.add_column(Text("Quiet since"), no_wrap=True)
    table.add_column(Text("Days"), justify="right", no_wrap=True)
    wide = width >= WIDE
    if wide:
        table.add_column(Text("Last contact"), no_wrap=True)
    for q in rows:
        cells = [Text(q.name), Text(q.status), Text(q.quiet_since.date().isoformat())]
        cells.append(Text(f"{q.days:,}"))
        if wide:
            last = q.last_contact
            cells.append(Text(last.date().isoformat() if last else "never", style="dim"))
        table.add_row(*cells)
    return table


def quiet_heading(report: CampaignReport) -> Text:
    shown, total = len(report.quiet), report.quiet_total
    if not total:
        return heading("No answer longest", "nobody is waiting to be answered")
    note = f"the {shown} quietest of {total:,}" if total > shown else _plural(total, "organisation")
    note += ", invited or considering"
    return heading("No answer longest", note)


class CampaignReportView(VerticalScroll, can_focus=True):
    """The report of the campaign shown; ``show`` draws one (None: it is being read)."""

    DEFAULT_CSS = """
    CampaignReportView {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        & #report-top { height: auto; }
        &.-side #report-top { layout: horizontal; }
        & #report-progress, & #report-weeks { height: auto; }
        &.-side #report-progress { width: 1fr; margin-right: 4; }
        &.-side #report-weeks { width: 1fr; }
        &.-side #report-answer { margin-top: 1; }
        & #report-weeks-title, & #report-quiet-title, & #report-cli { margin-top: 1; }
        &.-side #report-weeks-title { margin-top: 0; }
        & .report--prospect, & .report--withdrawn { color: $text-muted; }
        & .report--invited { color: $text-primary; }
        & .report--considering { color: $text-warning; }
        & .report--signed, & .report--chart { color: $text-success; }
        & .report--declined { color: $text-error; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "report--prospect",
        "report--invited",
        "report--considering",
        "report--signed",
        "report--declined",
        "report--withdrawn",
        "report--chart",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: CampaignReport | None = None
        self.failed = False

    def compose(self) -> ComposeResult:
        yield Static(id="report-wait")
        with Vertical(id="report-top"):
            with Vertical(id="report-progress"):
                yield Static(id="report-status-title")
                yield Static(id="report-statuses")
                yield Static(id="report-answer")
            with Vertical(id="report-weeks"):
                yield Static(id="report-weeks-title")
                yield Static(id="report-chart")
        yield Static(id="report-quiet-title")
        yield Static(id="report-quiet")
        yield Static(id="report-cli")

    def _style(self, name: str) -> Style:
        """A status's colour (or the chart's) from the theme, read when it is drawn: its
        colour alone, blended with the background ($text-muted is see-through)."""
        return Style.from_color(self.get_component_rich_style(f"report--{name}").color)

    def _set(self, part: str, content: RenderableType) -> None:
        self.query_one(f"#report-{part}", Static).update(content)

    def show(self, report: CampaignReport | None, *, failed: bool = False) -> None:
        """Draw ``report``; None: it is being read, or (``failed``) it could not be."""
        self.report, self.failed = report, failed
        self.query_one("#report-wait").display = report is None
        self._set(
            "wait",
            Text("The report could not be read; Ctrl+R tries again.", style="dim")
            if failed
            else Text("Reading the report…", style="dim"),
        )
        for part in ("top", "quiet-title", "quiet", "cli"):
            self.query_one(f"#report-{part}").display = report is not None
        if report is None:
            return
        overall = report.overall
        note = f"{_plural(overall.total, 'organisation')} on {report.today.isoformat()}"
        if report.campaign.target:
            note += f" · target {report.campaign.target:,} signed"
        self._set("status-title", heading("Sign-ons by status", note))
        self._set(
            "statuses",
            ByWidth(lambda width: status_bars(overall, report.statuses, width, self._style)),
        )
        self._set("answer", answer_line(overall))
        self._set("weeks-title", ByWidth(lambda width: weeks_heading(report, width)))
        self._set(
            "chart",
            ByWidth(lambda width: week_chart(report.weeks, width, self.chart_rows, self._style)),
        )
        self._set("quiet-title", quiet_heading(report))
        self.query_one("#report-quiet").display = bool(report.quiet)
        self._set("quiet", ByWidth(lambda width: quiet_table(report.quiet, width)))
        cli = Text("The same on the command line: ", style="dim")
        cli.append(f"coalition report {report.campaign.code}", style="bold")
        cli.append(" (--by country, kind or coordinator; --format csv or json)", style="dim")
        self._set("cli", cli)

    @property
    def chart_rows(self) -> int:
        return CHART_ROWS[2 if self.has_class("-side") else 1 if self.has_class("-tall") else 0]

    def on_resize(self, event: Resize) -> None:
        rows = self.chart_rows
        self.set_class(event.size.width >= SIDE_BY_SIDE, "-side")
        self.set_class(event.size.height >= TALL, "-tall")
        if rows != self.chart_rows:
            self.show(self.report, failed=self.failed)  # the chart at its new height
