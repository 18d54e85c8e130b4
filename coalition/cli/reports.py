"""``coalition report CAMPAIGN``: a campaign's progress for the partner NGOs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import emit, print_table, to_data
from coalition.cli.state import State, pass_state
from coalition.domain import reports
from coalition.domain.reports import CampaignReport, Progress


def _rate(progress: Progress) -> str:
    rate = progress.response_rate
    return "" if rate is None else f"{rate:.0%}"


def _median(progress: Progress) -> str:
    days = progress.median_days_to_answer
    return "" if days is None else f"{days:g}"


PROGRESS_COLUMNS: list[tuple[str, Callable[[Progress], Any]]] = [
    ("group", lambda p: p.group),
    ("orgs", lambda p: p.total),
    ("signed", lambda p: p.counts["signed"]),
    ("waiting", lambda p: p.counts["invited"] + p.counts["considering"]),
    ("declined", lambda p: p.counts["declined"]),
    ("withdrawn", lambda p: p.counts["withdrawn"]),
    ("prospect", lambda p: p.counts["prospect"]),
    ("answered", _rate),
    ("median days", _median),
]
"""One line per group: "waiting" is invited or considering; "answered" is the response
rate; "median days" from invitation to answer."""
TABLE_COLUMNS = [c for c in PROGRESS_COLUMNS if c[0] not in ("withdrawn", "prospect")]
"""What fits in 80 columns; the sentence above the table gives the rest."""


def _progress_data(progress: Progress) -> dict[str, Any]:
    return {
        "group": progress.group,
        "counts": progress.counts,
        "total": progress.total,
        "asked": progress.asked,
        "answered": progress.answered,
        "response_rate": progress.response_rate,
        "median_days_to_answer": progress.median_days_to_answer,
    }


def report_data(report: CampaignReport) -> dict[str, Any]:
    """The report as the JSON output has it (documented in the README)."""
    return {
        "campaign": report.campaign.code,
        "name": report.campaign.name,
        "today": report.today.isoformat(),
        "by": report.by,
        "overall": _progress_data(report.overall),
        "groups": [_progress_data(g) for g in report.groups],
        "weeks": to_data(report.weeks),
        "quiet": to_data(report.quiet),
        "quiet_total": report.quiet_total,
    }


def _say(sentence: str) -> None:
    """A sentence wrapped at the terminal's width, between words."""
    click.echo(click.wrap_text(sentence, width=shutil.get_terminal_size().columns - 1))


def _print(report: CampaignReport) -> None:
    overall = report.overall
    campaign = report.campaign
    _say(f"{campaign.name} ({campaign.code}), {report.today.isoformat()}")
    target = f" of a target of {campaign.target}" if campaign.target else ""
    withdrawn = overall.counts["withdrawn"]
    _say(
        f"{overall.counts['signed']} signed{target}"
        + (f" ({withdrawn} withdrew)" if withdrawn else "")
        + f"; {overall.total} organisations in the campaign, "
        f"{overall.counts['prospect']} not asked yet, {overall.asked} asked, "
        f"{overall.answered} answered"
        + (f" ({_rate(overall)})" if overall.asked else "")
        + (
            f", {_median(overall)} days from invitation to answer (median)"
            if overall.median_days_to_answer is not None
            else ""
        )
        + "."
    )
    click.echo("")
    rows = [overall, *report.groups]
    print_table([t for t, _ in TABLE_COLUMNS], ([get(p) for _, get in TABLE_COLUMNS] for p in rows))
    if report.weeks:
        click.echo("\nSignatures per week")
        print_table(
            ["week of", "signed", "in all"],
            ([w.starts, w.signatures, w.total] for w in report.weeks),
        )
    if report.quiet:
        more = report.quiet_total - len(report.quiet)
        _say(
            "\nNo answer longest (invited or considering, nothing changed or logged since)"
            + (f": {len(report.quiet)} of {report.quiet_total}" if more else "")
        )
        print_table(
            ["organisation", "status", "quiet since", "days"],
            ([q.name, q.status, q.quiet_since.date(), q.days] for q in report.quiet),
        )


@click.command("report")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.option(
    "--by",
    type=click.Choice(reports.GROUPINGS),
    help="One line per country, kind of organisation or coordinator (the organisation's owner).",
)
@format_option
@pass_state
def report_cmd(state: State, campaign_code: str, by: str | None, fmt: str) -> None:
    """CAMPAIGN's progress: sign-ons per status, response rate, days to answer,
    signatures per week, who is quiet longest.

    --format csv writes the per-status lines (one per group with --by); json the whole
    report.
    """
    with state.read() as session:
        report = reports.campaign_report(session, campaign_code, by=by)
    if fmt == "json":
        click.echo(json.dumps(report_data(report), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        emit(fmt, [report.overall, *report.groups], PROGRESS_COLUMNS)
    else:
        _print(report)
