"""Domain views as Rich renderables for the start screen and the detail panes.

Every value from the database goes into a ``Text`` (or a table cell made of
one), never into a markup string: Rich would read "[bold]" in an
organisation's name as a style and "[/]" as an error. A plain ``str`` in a
``rich.table.Table`` cell *is* markup, hence ``_t`` everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from coalition.domain.values import local, local_time

if TYPE_CHECKING:
    from coalition.domain.browse import ContactDetail, OrganisationDetail
    from coalition.domain.campaigns import SignOnView
    from coalition.domain.views import AuditView, CampaignView, InteractionView, Overview

MUTED = "dim"
HEADING = "bold"


def _t(value: Any, style: str = "") -> Text:
    """A table cell or a line: the value as literal text."""
    if value is None:
        return Text("", style=style)
    if isinstance(value, bool):
        return Text("yes" if value else "no", style=style)
    if isinstance(value, dt.datetime):
        return Text(local_time(value), style=style)
    if isinstance(value, dt.date):
        return Text(value.isoformat(), style=style)
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value), style=style)
    return Text(str(value), style=style)


def heading(title: str, note: str = "") -> Text:
    text = Text(title, style=HEADING)
    if note:
        text.append(f"  {note}", style=MUTED)
    return text


def _table(
    *columns: str, ratios: Sequence[int | None] = (), widest: Sequence[int | None] = ()
) -> Table:
    """A table filling the width; ``ratios`` share what the columns without one leave,
    ``widest`` caps a column sized by its content."""
    table = Table(
        box=None, show_edge=False, pad_edge=False, expand=True, header_style=MUTED, highlight=False
    )
    for i, title in enumerate(columns):
        ratio = ratios[i] if i < len(ratios) else None
        cap = widest[i] if i < len(widest) else None
        table.add_column(Text(title), ratio=ratio, max_width=cap, no_wrap=True, overflow="ellipsis")
    return table


WIDE = 120
"""From this width on (in columns) a list on the start screen sizes its short columns (a
campaign's code, a coordinator's name) by what they hold, and gives the rest to the long
ones; below it each column keeps a share, so that none is cut to nothing at 80."""


class ByWidth:
    """A renderable laid out for the width it is drawn at (the start screen's lists)."""

    def __init__(self, build: Callable[[int], RenderableType]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build(options.max_width)


def bar(done: int, target: int, width: int = 16) -> Text:
    """A progress bar toward a target, as text (a table cell cannot hold a widget)."""
    share = min(done / target, 1.0) if target else 0.0
    filled = round(share * width)
    text = Text("█" * filled, style="green")
    text.append("░" * (width - filled), style=MUTED)
    return text


def party(item: InteractionView) -> Text:
    names = [n for n in (item.organisation, item.contact) if n]
    return _t(" / ".join(names))


# --- start screen ---------------------------------------------------------------------------


def _followup_columns(*, header: bool) -> Table:
    """The columns of the follow-ups due: the heading's and each line's alike, so the
    lines (each an option of a list) sit under their titles."""
    table = _table("Due", "With", "Subject", "Campaign", ratios=(None, 3, 4, 1))
    table.columns[0].width = 10  # a date; not sized by its content, which differs per line
    table.show_header = header
    return table


def followups_heading(overview: Overview) -> RenderableType:
    """The title of the follow-ups due and their column titles (the lines are a list)."""
    if not overview.followups:
        return Group(heading("Follow-ups due"), Text("Nothing due today. ", style=MUTED), Text(""))
    note = f"{overview.followups_total} due today or overdue"
    if overview.followups_total > len(overview.followups):
        note += f", the oldest {len(overview.followups)} shown"
    return Group(heading("Follow-ups due", note), _followup_columns(header=True))


def followup_line(item: InteractionView, today: dt.date) -> RenderableType:
    """One follow-up due: overdue in red, as literal text."""
    due = item.follow_up_on
    style = "bold red" if due and due < today else ""
    line = _followup_columns(header=False)
    line.add_row(
        _t("today" if due == today else due, style),
        party(item),
        _t(item.subject or item.channel),
        _t(item.campaign),
    )
    return line


def campaigns(items: Sequence[CampaignView], drafts: Sequence[CampaignView] = ()) -> RenderableType:
    """The open campaigns with their progress, then those still in draft."""
    title = "Campaigns" if drafts else "Open campaigns"
    if not items and not drafts:
        none = Text("No open campaigns. ", style=MUTED)
        none.append("F5", style="bold")
        none.append(" then ")
        none.append("n", style="bold")
        none.append(" starts one.")
        return Group(heading(title), none, Text(""))
    return Group(heading(title), ByWidth(lambda width: _campaign_table(width, items, drafts)))


def _campaign_table(
    width: int, items: Sequence[CampaignView], drafts: Sequence[CampaignView]
) -> RenderableType:
    """The campaigns' table: at ``WIDE`` and more, the code as wide as it is and the rest
    to the name and where the sign-ons stand."""
    if width >= WIDE:
        table = _table("Code", "Name", "Signed", "", "Deadline", ratios=(None, 1), widest=(24,))
    else:
        table = _table("Code", "Name", "Signed", "", "Deadline", ratios=(1, 3, None, None, None))
    for c in [*items, *drafts]:
        signed = Text(f"{c.signed}" + (f" / {c.target}" if c.target else ""))
        counts = ", ".join(
            f"{n} {status}" for status, n in c.counts.items() if n and status != "signed"
        )
        if c.state == "draft":
            counts = f"draft{', ' if counts else ''}{counts}"
        table.add_row(
            _t(c.code),
            Text.assemble(_t(c.name), Text(f"  {counts}", style=MUTED) if counts else ""),
            signed,
            bar(c.signed, c.target or 0) if c.target else Text(""),
            _t(c.deadline),
        )
    return Group(table, Text(""))


def activity(entries: Iterable[AuditView]) -> RenderableType:
    rows = []
    for e in entries:
        rows.append((_t(e.at), _t(e.coordinator), Text(e.summary())))
    if not rows:
        return Group(heading("Recent activity"), Text("Nothing yet.", style=MUTED))

    def laid_out(width: int) -> Table:
        if width >= WIDE:
            table = _table("When", "Who", "What", ratios=(None, None, 1), widest=(None, 20))
        else:
            table = _table("When", "Who", "What", ratios=(None, 1, 4))
        for row in rows:
            table.add_row(*row)
        return table

    return Group(heading("Recent activity"), ByWidth(laid_out))


def welcome() -> RenderableType:
    """What a newcomer's empty database says to do next."""
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold", no_wrap=True)
    keys.add_column(ratio=1)
    keys.add_row(
        "  F6",
        "import a spreadsheet, a form export or an address book, and see the plan before "
        "anything is written (the samples in the project's imports/ folder show the "
        "columns coalition understands)",
    )
    keys.add_row("  F4, n", "add an organisation by hand (F3, n: a person)")
    keys.add_row("  F5, n", "start a campaign: the statement organisations sign on to")
    lines: list[RenderableType] = [
        Text("Welcome to coalition", style="bold"),
        Text(""),
        Text("This database is empty. To begin, bring in what you already have:"),
        Text(""),
        keys,
        Text(""),
        Text("Or from a terminal beside this one, then F2 here to see the result:"),
        Text(""),
        Text("    coalition import imports/coalition-members.xlsx --dry-run", style="bold"),
        Text('    coalition org add "Minors Care Example" --country BE', style="bold"),
        Text(""),
        Text("F1 lists every key; Ctrl+P finds any action.", style=MUTED),
    ]
    return Group(*lines)


# --- detail panes ---------------------------------------------------------------------------


def _fields(pairs: Iterable[tuple[str, Any]]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style=MUTED, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for label, value in pairs:
        if value not in (None, "", [], False):
            table.add_row(Text(label), value if isinstance(value, Text) else _t(value))
    return table


def _signons(items: Sequence[SignOnView]) -> RenderableType:
    if not items:
        return Text("No sign-ons yet.", style=MUTED)
    table = _table("Campaign", "Status", "Since", "Signed by", ratios=(2, 1, None, 2))
    for s in items:
        table.add_row(_t(s.campaign), _t(s.status), _t(s.status_since.date()), _t(s.signed_by))
    return table


def _timeline(items: Sequence[InteractionView], *, with_party: bool) -> RenderableType:
    if not items:
        return Text("No outreach logged yet.", style=MUTED)
    table = _table("When", "How", "Subject", ratios=(None, None, 3))
    for i in items:
        how = Text(f"{i.channel} {'→' if i.direction == 'out' else '←'}")
        subject = _t(i.subject or "")
        if with_party and i.contact:
            subject.append_text(Text(f"  {i.contact}", style=MUTED))
        if i.follow_up_on and not i.done:
            subject.append(f"  follow up {i.follow_up_on.isoformat()}", style="yellow")
        table.add_row(_t(local(i.occurred_at).date()), how, subject)
    return table


def contact_detail(detail: ContactDetail) -> RenderableType:
    c = detail.contact
    emails = Text("\n").join(
        Text.assemble(
            _t(e.address),
            Text(f" ({e.label})" if e.label else "", style=MUTED),
            Text(f" invalid: {e.invalid_reason}" if not e.valid else "", style="red"),
        )
        for e in c.emails
    )
    phones = Text("\n").join(
        Text.assemble(_t(p.number), Text(f" ({p.label})" if p.label else "", style=MUTED))
        for p in c.phones
    )
    flags = [f for f, on in (("do not contact", c.do_not_contact), ("bounced", c.bounced)) if on]
    return Group(
        Text(c.display_name, style="bold"),
        _fields(
            [
                ("Role", c.role),
                ("Organisation", c.organisation),
                ("Email", emails),
                ("Phone", phones),
                ("Language", c.language),
                ("Place", ", ".join(x for x in (c.city, c.country) if x)),
                ("Tags", c.tags),
                ("Flags", Text(", ".join(flags), style="red") if flags else None),
                ("Consent", c.consent_basis),
                ("Notes", c.notes),
                ("Id", f"#{c.id}"),
            ]
        ),
        Text(""),
        heading("Sign-ons", "of their organisation" if detail.signons else ""),
        _signons(detail.signons),
        Text(""),
        heading("Outreach"),
        _timeline(detail.interactions, with_party=False),
    )


def organisation_detail(detail: OrganisationDetail) -> RenderableType:
    o = detail.organisation
    people = _table("Name", "Role", "Email", ratios=(2, 2, 3))
    for p in detail.people:
        people.add_row(_t(p.name), _t(p.role), _t(p.email))
    more = o.contact_count - len(detail.people)
    shown = f", first {len(detail.people)} shown" if more > 0 else ""
    title = Text(o.name, style="bold")
    if o.acronym:
        title.append_text(Text(f" ({o.acronym})"))
    return Group(
        title,
        _fields(
            [
                ("Kind", o.kind.replace("_", " ")),
                ("Membership", o.membership if o.membership != "none" else None),
                ("Place", ", ".join(x for x in (o.city, o.country) if x)),
                ("Website", o.website),
                ("Email", o.email),
                ("Phone", o.phone),
                ("Owner", o.owner),
                ("Tags", o.tags),
                ("Notes", o.notes),
                ("Id", f"#{o.id}"),
            ]
        ),
        # Sign-ons before people: what c changes is seen without scrolling past them.
        Text(""),
        heading("Sign-ons"),
        _signons(detail.signons),
        Text(""),
        heading("People", f"{o.contact_count}{shown}"),
        people if detail.people else Text("Nobody recorded yet.", style=MUTED),
        Text(""),
        heading("Outreach"),
        _timeline(detail.interactions, with_party=True),
    )


def campaign_options(campaigns: Iterable[tuple[str, str, str]]) -> list[tuple[Text, str]]:
    """(code, name, state) of campaigns as the options of a Select: the code in bold, the
    name beside it, a campaign that is not open marked so."""
    options = []
    for code, name, state in campaigns:
        prompt = Text(code, style="bold")
        if name and name != code:
            prompt.append(f"  {name}")
        if state != "open":
            prompt.append(f"  ({state})", style="dim")
        options.append((prompt, code))
    return options
