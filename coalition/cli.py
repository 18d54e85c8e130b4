"""The command line: parses, calls the domain layer, prints.

Nothing here touches SQL or validates a value itself; errors the user can
cause arrive as ``CoalitionError`` and leave as one sentence on stderr with
exit status 1 (usage errors are click's, status 2). Listings print a table on
a terminal and take ``--format json|csv`` for scripts and spreadsheets; the
JSON shapes are documented in the README.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from coalition import __version__, settings
from coalition.errors import CoalitionError
from coalition.text import split_values

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv")


class CoalitionGroup(click.Group):
    """A group that turns user-caused errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoalitionError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            # A file the user named cannot be written or read (no such folder, no permission,
            # disk full): say which and why, without a traceback.
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}.") from None


class State:
    """What every command needs: the database (opened on first use) and the coordinator."""

    def __init__(self, db_option: str | None, as_option: str | None) -> None:
        self.db_option = db_option
        self.coordinator = settings.coordinator(as_option)
        self._db: Any = None

    @property
    def db(self) -> Any:
        if self._db is None:
            from coalition.store.database import open_database

            self._db = open_database(settings.database_target(self.db_option))
        return self._db

    def work(self) -> Any:
        from coalition.domain.audit import work

        return work(self.db, self.coordinator)

    def read(self) -> Any:
        return self.db.read_session()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


pass_state = click.make_pass_decorator(State)


@click.group(
    cls=CoalitionGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Database to use: a file path (SQLite) or a URL. Default: $COALITION_DB, "
    "else coalition.db in your user data folder.",
)
@click.option(
    "--as",
    "as_",
    metavar="NAME",
    help="Coordinator recorded with every change. Default: $COALITION_USER, else your login.",
)
@click.version_option(__version__, prog_name="coalition")
@click.pass_context
def cli(ctx: click.Context, db: str | None, as_: str | None) -> None:
    """coalition — a CRM for people who run coalitions of organisations.

    Run without a command to open the terminal app.
    """
    state = State(db, as_)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        # Textual and the app cost ~0.3 s to import: only this path pays for them.
        target = settings.database_target(db)
        problem = settings.missing_folder(target)  # said here, before the screen is taken
        if problem:
            raise click.ClickException(problem)
        from coalition.tui.app import make_app

        make_app(target, state.coordinator).run()


def main() -> None:
    cli(prog_name="coalition")


# --- output --------------------------------------------------------------------------------


def with_options(func: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Apply a shared list of click options, first option shown first."""
    for option in reversed(options):
        func = option(func)
    return func


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output as a table, JSON (for scripts) or CSV (for spreadsheets).",
    )(func)


def to_data(value: Any) -> Any:
    """Views to JSON-ready values: dates ISO 8601, times in UTC with a Z."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def emit(
    fmt: str,
    records: Sequence[Any],
    columns: Sequence[tuple[str, Callable[[Any], Any]]],
    *,
    empty: str = "Nothing to show.",
) -> None:
    """Print records as a table, JSON (the whole view) or CSV (the table's columns)."""
    if fmt == "json":
        click.echo(json.dumps(to_data(list(records)), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        from coalition.interchange.safety import safe_text

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([title for title, _ in columns])
        for record in records:
            writer.writerow([safe_text(_cell(get(record))) for _, get in columns])
        return
    if not records:
        click.echo(empty, err=True)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, highlight=False)
    for title, _ in columns:
        table.add_column(title, overflow="fold")
    for record in records:
        # Text(), never markup: a name like "[bold]" must print as typed.
        table.add_row(*(Text(_cell(get(record))) for _, get in columns))
    Console(soft_wrap=False).print(table)


def emit_fields(fmt: str, record: Any, rows: Sequence[tuple[str, Any]]) -> None:
    """Print one record: label/value lines, or the whole view as JSON."""
    if fmt == "json":
        click.echo(json.dumps(to_data(record), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        from coalition.interchange.safety import safe_text

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["field", "value"])
        for label, value in rows:
            writer.writerow([label, safe_text(_cell(value))])
        return
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        text = _cell(value)
        if text:
            click.echo(f"{label.rjust(width)}  {text}")


def say(message: str) -> None:
    """A confirmation for people; on stderr so stdout stays clean for scripts."""
    click.echo(message, err=True)


def given(**options: Any) -> dict[str, Any]:
    """The options the user actually gave ("" clears a field)."""
    return {k: v for k, v in options.items() if v is not None}


def labelled(value: str) -> tuple[str | None, str]:
    """'work:a@example.org' -> ('work', 'a@example.org'); no label -> (None, value)."""
    label, sep, rest = value.partition(":")
    if sep and label and " " not in label and "@" not in label and label.lower() != "mailto":
        return label, rest.strip()
    return None, value.strip()


# --- init ----------------------------------------------------------------------------------


@cli.command()
@pass_state
def init(state: State) -> None:
    """Create or upgrade the database and print where it is."""
    db = state.db
    click.echo(str(db.path) if db.path else db.url)


# --- organisations -------------------------------------------------------------------------


@cli.group(cls=CoalitionGroup)
def org() -> None:
    """Organisations: add, list, show, edit, delete."""


def org_field_options(func: F) -> F:
    options = [
        click.option("--acronym", help="Short name, e.g. MCE."),
        click.option(
            "--kind",
            help="ngo, foundation, network, company, academic, public body or other.",
        ),
        click.option("--country", help="ISO 3166 code or English name (BE, Belgium)."),
        click.option("--city"),
        click.option("--website"),
        click.option("--email", help="Generic address, e.g. info@example.org."),
        click.option("--phone"),
        click.option("--membership", help="member, partner, prospect or none."),
        click.option("--member-since", metavar="DATE", help="Date it joined the coalition."),
        click.option("--owner", help="Coordinator responsible for it."),
        click.option("--notes"),
        click.option(
            "--allow-duplicate",
            is_flag=True,
            help="Save it although it matches an organisation already here (the same name, "
            "acronym or web domain).",
        ),
    ]
    return with_options(func, options)


@org.command("add")
@click.argument("name")
@org_field_options
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable, or comma-separated).")
@pass_state
def org_add(
    state: State, name: str, tags: tuple[str, ...], allow_duplicate: bool, **fields: Any
) -> None:
    """Add an organisation called NAME."""
    from coalition.domain import people

    with state.work() as work:
        view = people.add_organisation(
            work,
            name=name,
            tags=split_values(tags),
            allow_duplicate=allow_duplicate,
            **given(**fields),
        )
    say(f"Added organisation #{view.id} {view.name}.")
    click.echo(view.id)


ORG_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda o: o.id),
    ("name", lambda o: o.name),
    ("acronym", lambda o: o.acronym),
    ("kind", lambda o: o.kind.replace("_", " ")),
    ("country", lambda o: o.country),
    ("membership", lambda o: o.membership),
    ("contacts", lambda o: o.contact_count),
    ("tags", lambda o: o.tags),
]


@org.command("list")
@click.option(
    "--search",
    "search_text",
    metavar="QUERY",
    help="Full-text search (prefix, any case or accents).",
)
@click.option("--tag")
@click.option("--country")
@click.option("--membership")
@click.option("--kind")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@format_option
@pass_state
def org_list(state: State, fmt: str, **filters: Any) -> None:
    """List organisations, by name or best match."""
    from coalition.domain import people

    with state.read() as session:
        rows = people.list_organisations(session, **filters)
    emit(fmt, rows, ORG_COLUMNS, empty="No organisations.")


@org.command("show")
@click.argument("ref")
@format_option
@pass_state
def org_show(state: State, ref: str, fmt: str) -> None:
    """Show an organisation with its people, sign-ons and recent outreach.

    REF is an id (12 or #12), the exact name, the acronym or the generic email.
    """
    from coalition.domain import campaigns, outreach, people

    with state.read() as session:
        view = people.get_organisation(session, ref)
        contacts = people.contacts_of(session, view.id)
        signons = campaigns.signons_of(session, view.id)
        timeline = outreach.interactions_of(session, organisation_id=view.id, limit=20)
    if fmt == "json":
        record = {
            **to_data(view),
            "contacts": to_data(contacts),
            "signons": to_data(signons),
            "interactions": to_data(timeline),
        }
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    emit_fields(
        fmt,
        view,
        [
            ("id", view.id),
            ("name", view.name),
            ("acronym", view.acronym),
            ("kind", view.kind.replace("_", " ")),
            ("country", view.country),
            ("city", view.city),
            ("website", view.website),
            ("email", view.email),
            ("phone", view.phone),
            ("membership", view.membership if view.membership != "none" else None),
            ("member since", view.member_since),
            ("owner", view.owner),
            ("tags", view.tags),
            ("notes", view.notes),
            (
                "people",
                [
                    f"#{c.id} {c.display_name}" + (f" ({c.role})" if c.role else "")
                    for c in contacts
                ],
            ),
            ("sign-ons", [f"{s.campaign}: {s.status}" for s in signons]),
            (
                "outreach",
                [
                    f"{local_time(i.occurred_at)} {i.channel} {i.subject or ''}".strip()
                    for i in timeline[:5]
                ],
            ),
            ("updated", view.updated_at),
        ],
    )


@org.command("edit")
@click.argument("ref")
@click.option("--name", help="New name.")
@org_field_options
@click.option("--add-tag", "add_tags", multiple=True)
@click.option("--remove-tag", "remove_tags", multiple=True)
@pass_state
def org_edit(
    state: State,
    ref: str,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    allow_duplicate: bool,
    **fields: Any,
) -> None:
    """Change an organisation; only the options given change ("" clears a field)."""
    from coalition.domain import people

    with state.work() as work:
        view = people.edit_organisation(
            work,
            ref,
            given(**fields),
            add_tags=split_values(add_tags),
            remove_tags=split_values(remove_tags),
            allow_duplicate=allow_duplicate,
        )
    say(f"Saved organisation #{view.id} {view.name}.")


@org.command("delete")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def org_delete(state: State, ref: str, yes: bool) -> None:
    """Delete an organisation and its sign-ons (its people stay)."""
    from coalition.domain import people

    if not yes:
        with state.read() as session:
            view = people.get_organisation(session, ref)
        click.confirm(
            f"Delete #{view.id} {view.name} and its sign-ons? Its {view.contact_count} "
            "contact(s) stay, without an organisation.",
            abort=True,
            err=True,
        )
        ref = str(view.id)
    with state.work() as work:
        view = people.delete_organisation(work, ref)
    say(f"Deleted organisation #{view.id} {view.name}.")


def merge_options(func: F) -> F:
    return with_options(
        func,
        [
            click.argument("keep"),
            click.argument("other"),
            click.option(
                "--take",
                "take",
                multiple=True,
                metavar="FIELD",
                help="Take this field's value from OTHER (repeatable, or comma-separated).",
            ),
            click.option("--yes", is_flag=True, help="Do not show the result first and ask."),
        ],
    )


def _show_merge(preview: Any) -> None:
    """What a merge will give, field by field, on stderr (the question follows)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    say(
        f"Merging {preview.kind} #{preview.other_id} {preview.other} into "
        f"#{preview.kept_id} {preview.kept}:"
    )
    table = Table(show_edge=False, pad_edge=False, highlight=False)
    for title in ("field", f"#{preview.kept_id} (kept)", f"#{preview.other_id}", "result", "from"):
        table.add_column(title, overflow="fold")
    for f in preview.fields:
        source = "" if f.winner == "same" else f.winner
        if f.to_notes:
            source += " (kept's to notes)" if f.winner == "other" else " (other's to notes)"
        cells = (f.field.replace("_", " "), f.kept, f.other, f.result, source)
        table.add_row(*(Text(_cell(c)) for c in cells))
    Console(stderr=True, soft_wrap=False).print(table)
    for s in preview.signons:
        was = f"{s.kept} and {s.other}" if s.kept else f"{s.other} (moves)"
        say(f"Sign-on {s.campaign}: {was} → {s.result}")
    if preview.moves:
        moved = ", ".join(f"{what} {n}" for what, n in preview.moves.items())
        say(f"Moves to #{preview.kept_id}: {moved}.")
    if preview.notes:
        say(f"Added to the notes of #{preview.kept_id}:")
        for line in preview.notes:
            say(f"  {line}")


def _merge_records(
    state: State, kind: str, keep: str, other: str, take: tuple[str, ...], yes: bool
) -> None:
    """``contact merge`` and ``org merge``: show what the merge gives, ask, merge."""
    from coalition.domain import merge

    fields = split_values(take)
    if not yes:
        with state.read() as session:
            preview = merge.preview_merge(session, kind, keep, other, fields)
        _show_merge(preview)
        click.confirm(
            f"Merge #{preview.other_id} {preview.other} into #{preview.kept_id} {preview.kept} "
            f"and delete #{preview.other_id}?",
            abort=True,
            err=True,
        )
        keep, other = str(preview.kept_id), str(preview.other_id)
    with state.work() as work:
        if kind == "contact":
            view = merge.merge_contacts(work, keep, other, take=fields)
        else:
            view = merge.merge_organisations(work, keep, other, take=fields)
    say(view.sentence())


@org.command("merge")
@merge_options
@pass_state
def org_merge(state: State, keep: str, other: str, take: tuple[str, ...], yes: bool) -> None:
    """Merge organisation OTHER into KEEP, then delete OTHER.

    People, outreach, follow-ups, sign-ons, tags and the change log move to KEEP;
    two sign-ons for one campaign become one with the further status and both
    histories. KEEP's values win unless --take names a field; a losing value goes
    to KEEP's notes. Shows the result and asks first unless --yes.
    """
    _merge_records(state, "organisation", keep, other, take, yes)


# --- contacts ------------------------------------------------------------------------------


@cli.group(cls=CoalitionGroup)
def contact() -> None:
    """Contacts (people): add, list, show, edit, delete."""


def contact_field_options(func: F) -> F:
    options = [
        click.option("--given-name", help="Given (first) name."),
        click.option("--family-name", help="Family (last) name."),
        click.option("--honorific", help="Ms, Dr, Mme, Frau …"),
        click.option("--display-name", help="Name to show, if not 'given family'."),
        click.option("--role", help="Role or job title."),
        click.option("--language", help="Preferred language: ISO 639-1 code or English name."),
        click.option("--street"),
        click.option("--postal-code"),
        click.option("--city"),
        click.option("--region"),
        click.option("--country", help="Country of the postal address."),
        click.option("--notes"),
        click.option(
            "--do-not-contact/--ok-to-contact",
            default=None,
            help="Never include in mail merge or outreach.",
        ),
        click.option("--bounced/--not-bounced", default=None, help="Mail to this person bounces."),
        click.option(
            "--consent-basis",
            help="GDPR basis: consent, legitimate interest, contract, legal obligation, "
            "public task or vital interest.",
        ),
        click.option("--consent-date", metavar="DATE"),
        click.option("--consent-source", help="Where consent or the data came from."),
        click.option(
            "--allow-invalid", is_flag=True, help="Keep an invalid email address, marked invalid."
        ),
        click.option(
            "--allow-duplicate",
            is_flag=True,
            help="Save it although it matches a contact already here (the same email address, "
            "or the same name at the same organisation).",
        ),
    ]
    return with_options(func, options)


def _report_contact(result: Any, verb: str) -> None:
    if result.created_organisation is not None:
        o = result.created_organisation
        say(f"Created organisation #{o.id} {o.name} (no organisation had that name).")
    for warning in result.warnings:
        say(f"Warning: {warning}")
    say(f"{verb} contact #{result.contact.id} {result.contact.display_name}.")


@contact.command("add")
@click.option("--name", help='Full name, split into given and family name ("Émilie Müller").')
@contact_field_options
@click.option(
    "--email",
    "emails",
    multiple=True,
    help="Address, optionally labelled: work:a@example.org (repeatable).",
)
@click.option(
    "--phone",
    "phones",
    multiple=True,
    help="Number, optionally labelled: mobile:+32 470 55 01 01 (repeatable).",
)
@click.option("--org", "organisation", help="Organisation (id, name or acronym); created if new.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable, or comma-separated).")
@pass_state
def contact_add(
    state: State,
    name: str | None,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    organisation: str | None,
    tags: tuple[str, ...],
    allow_invalid: bool,
    allow_duplicate: bool,
    **fields: Any,
) -> None:
    """Add a contact; needs at least a name or an email address."""
    from coalition.domain import people
    from coalition.domain.values import split_full_name

    values = given(**fields)
    if name:
        parts = split_full_name(name)
        values.setdefault("given_name", parts.given_name)
        values.setdefault("family_name", parts.family_name)
        if parts.honorific:
            values.setdefault("honorific", parts.honorific)
    with state.work() as work:
        result = people.add_contact(
            work,
            emails=[people.EmailInput(a, label) for label, a in map(labelled, emails)],
            phones=[people.PhoneInput(n, label) for label, n in map(labelled, phones)],
            tags=split_values(tags),
            organisation=organisation,
            allow_invalid=allow_invalid,
            allow_duplicate=allow_duplicate,
            **values,
        )
    _report_contact(result, "Added")
    click.echo(result.contact.id)


def _email_cell(c: Any) -> str:
    if not c.emails:
        return ""
    first = c.emails[0]
    return first.address + ("" if first.valid else " (invalid)")


CONTACT_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda c: c.id),
    ("name", lambda c: c.display_name),
    ("organisation", lambda c: c.organisation),
    ("role", lambda c: c.role),
    ("email", _email_cell),
    ("tags", lambda c: c.tags),
]


@contact.command("list")
@click.option(
    "--search",
    "search_text",
    metavar="QUERY",
    help="Full-text search (prefix, any case or accents).",
)
@click.option("--tag")
@click.option("--org", "organisation", help="Only people at this organisation.")
@click.option(
    "--country", help="The person's own country, else their organisation's (BE, Belgium)."
)
@click.option("--language")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@format_option
@pass_state
def contact_list(state: State, fmt: str, **filters: Any) -> None:
    """List contacts, by name or best match."""
    from coalition.domain import people

    with state.read() as session:
        rows = people.list_contacts(session, **filters)
    emit(fmt, rows, CONTACT_COLUMNS, empty="No contacts.")


@contact.command("show")
@click.argument("ref")
@format_option
@pass_state
def contact_show(state: State, ref: str, fmt: str) -> None:
    """Show a contact. REF is an id (12 or #12), an email address or the exact name."""
    from coalition.domain import outreach, people

    with state.read() as session:
        view = people.get_contact(session, ref)
        timeline = outreach.interactions_of(session, contact_id=view.id, limit=20)
    if fmt == "json":
        record = {**to_data(view), "interactions": to_data(timeline)}
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    address = ", ".join(
        x for x in (view.street, view.postal_code, view.city, view.region, view.country) if x
    )
    emit_fields(
        fmt,
        view,
        [
            ("id", view.id),
            ("name", view.display_name),
            ("honorific", view.honorific),
            ("given name", view.given_name),
            ("family name", view.family_name),
            ("role", view.role),
            ("organisation", view.organisation),
            ("language", view.language),
            (
                "emails",
                [
                    (f"{e.label}: " if e.label else "")
                    + e.address
                    + ("" if e.valid else f" (invalid: {e.invalid_reason})")
                    for e in view.emails
                ],
            ),
            ("phones", [(f"{p.label}: " if p.label else "") + p.number for p in view.phones]),
            ("address", address),
            ("tags", view.tags),
            ("do not contact", True if view.do_not_contact else None),
            ("bounced", True if view.bounced else None),
            (
                "consent",
                " ".join(
                    _cell(x)
                    for x in (view.consent_basis, view.consent_date, view.consent_source)
                    if x
                ),
            ),
            ("notes", view.notes),
            (
                "outreach",
                [
                    f"{local_time(i.occurred_at)} {i.channel} {i.subject or ''}".strip()
                    for i in timeline[:5]
                ],
            ),
            ("updated", view.updated_at),
        ],
    )


@contact.command("edit")
@click.argument("ref")
@contact_field_options
@click.option("--org", "organisation", help="Move to this organisation ('' for none).")
@click.option("--add-email", "add_emails", multiple=True)
@click.option("--remove-email", "remove_emails", multiple=True)
@click.option("--add-phone", "add_phones", multiple=True)
@click.option("--remove-phone", "remove_phones", multiple=True)
@click.option(
    "--label-email",
    "label_emails",
    multiple=True,
    metavar="LABEL:ADDRESS",
    help="Label an address the contact has (work:a@example.org); the address alone clears it.",
)
@click.option(
    "--label-phone",
    "label_phones",
    multiple=True,
    metavar="LABEL:NUMBER",
    help="Label a number the contact has (mobile:+32 470 55 01 23); alone, clears it.",
)
@click.option("--add-tag", "add_tags", multiple=True)
@click.option("--remove-tag", "remove_tags", multiple=True)
@pass_state
def contact_edit(
    state: State,
    ref: str,
    organisation: str | None,
    add_emails: tuple[str, ...],
    remove_emails: tuple[str, ...],
    add_phones: tuple[str, ...],
    remove_phones: tuple[str, ...],
    label_emails: tuple[str, ...],
    label_phones: tuple[str, ...],
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    allow_invalid: bool,
    allow_duplicate: bool,
    **fields: Any,
) -> None:
    """Change a contact; only the options given change ("" clears a field)."""
    from coalition.domain import people

    with state.work() as work:
        result = people.edit_contact(
            work,
            ref,
            given(**fields),
            organisation=organisation,
            add_emails=[people.EmailInput(a, label) for label, a in map(labelled, add_emails)],
            remove_emails=list(remove_emails),
            add_phones=[people.PhoneInput(n, label) for label, n in map(labelled, add_phones)],
            remove_phones=list(remove_phones),
            add_tags=split_values(add_tags),
            remove_tags=split_values(remove_tags),
            relabel_emails={a: label for label, a in map(labelled, label_emails)},
            relabel_phones={n: label for label, n in map(labelled, label_phones)},
            allow_invalid=allow_invalid,
            allow_duplicate=allow_duplicate,
        )
    _report_contact(result, "Saved")


@contact.command("delete")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def contact_delete(state: State, ref: str, yes: bool) -> None:
    """Delete a contact and the outreach logged with them alone."""
    from coalition.domain import people

    if not yes:
        with state.read() as session:
            view = people.get_contact(session, ref)
        click.confirm(f"Delete #{view.id} {view.display_name}?", abort=True, err=True)
        ref = str(view.id)
    with state.work() as work:
        view = people.delete_contact(work, ref)
    say(f"Deleted contact #{view.id} {view.display_name}.")


@contact.command("merge")
@merge_options
@pass_state
def contact_merge(state: State, keep: str, other: str, take: tuple[str, ...], yes: bool) -> None:
    """Merge contact OTHER into KEEP, then delete OTHER.

    Emails, phones, tags, outreach, follow-ups, sign-ons and the change log move
    to KEEP. KEEP's values win unless --take names a field (--take role); a losing
    value goes to KEEP's notes. Shows the result and asks first unless --yes.
    """
    _merge_records(state, "contact", keep, other, take, yes)


# --- campaigns and sign-ons ----------------------------------------------------------------


@cli.group(cls=CoalitionGroup)
def campaign() -> None:
    """Campaigns (statements, letters, petitions): add, list, show, edit."""


def campaign_field_options(func: F) -> F:
    options = [
        click.option("--kind", help="statement, letter, petition or other."),
        click.option("--text", help="The text, or a summary of it."),
        click.option("--link", help="Where the statement is published."),
        click.option("--opened", "opened_on", metavar="DATE", help="Date it opened for sign-on."),
        click.option("--deadline", metavar="DATE"),
        click.option("--target", type=click.IntRange(min=0), help="Signatories hoped for."),
        click.option("--state", "campaign_state", help="draft, open or closed."),
    ]
    return with_options(func, options)


@campaign.command("add")
@click.argument("code")
@click.option("--name", help="Full name (default: the code).")
@campaign_field_options
@pass_state
def campaign_add(state: State, code: str, **fields: Any) -> None:
    """Add a campaign with a short CODE such as csam-2022."""
    from coalition.domain import campaigns

    fields["state"] = fields.pop("campaign_state")
    with state.work() as work:
        view = campaigns.add_campaign(work, code, **given(**fields))
    say(f"Added campaign {view.code}: {view.name}.")


def _progress(c: Any) -> str:
    return f"{c.signed}/{c.target}" if c.target else str(c.signed)


CAMPAIGN_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("code", lambda c: c.code),
    ("name", lambda c: c.name),
    ("kind", lambda c: c.kind),
    ("state", lambda c: c.state),
    ("deadline", lambda c: c.deadline),
    ("signed", _progress),
    ("invited", lambda c: c.counts.get("invited", 0)),
    ("considering", lambda c: c.counts.get("considering", 0)),
]


@campaign.command("list")
@click.option("--state", "campaign_state", help="Only draft, open or closed campaigns.")
@format_option
@pass_state
def campaign_list(state: State, fmt: str, campaign_state: str | None) -> None:
    """List campaigns, newest first, with sign-on counts."""
    from coalition.domain import campaigns

    with state.read() as session:
        rows = campaigns.list_campaigns(session, state=campaign_state)
    emit(fmt, rows, CAMPAIGN_COLUMNS, empty="No campaigns.")


@campaign.command("show")
@click.argument("code")
@format_option
@pass_state
def campaign_show(state: State, code: str, fmt: str) -> None:
    """Show a campaign with its counts per sign-on status."""
    from coalition.domain import campaigns

    with state.read() as session:
        view = campaigns.get_campaign(session, code)
    rows: list[tuple[str, Any]] = [
        ("code", view.code),
        ("name", view.name),
        ("kind", view.kind),
        ("state", view.state),
        ("link", view.link),
        ("opened", view.opened_on),
        ("deadline", view.deadline),
        ("target", view.target),
        ("text", view.text),
    ]
    rows += [(status, str(n)) for status, n in view.counts.items()]
    emit_fields(fmt, view, rows)


@campaign.command("edit")
@click.argument("code")
@click.option("--name")
@campaign_field_options
@pass_state
def campaign_edit(state: State, code: str, **fields: Any) -> None:
    """Change a campaign; only the options given change."""
    from coalition.domain import campaigns

    fields["state"] = fields.pop("campaign_state")
    with state.work() as work:
        view = campaigns.edit_campaign(work, code, given(**fields))
    say(f"Saved campaign {view.code}.")


@cli.group(cls=CoalitionGroup)
def signon() -> None:
    """Sign-ons: each organisation's status in a campaign."""


@signon.command("set")
@click.argument("organisation")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.argument("status", required=False)
@click.option("--by", "signed_by", metavar="CONTACT", help="Contact who signed or answered.")
@click.option("--display-name", help="Name to publish in the signatory list.")
@click.option("--public/--private", default=None, help="May be listed publicly (default public).")
@click.option("--notes")
@pass_state
def signon_set(
    state: State,
    organisation: str,
    campaign_code: str,
    status: str | None,
    signed_by: str | None,
    display_name: str | None,
    public: bool | None,
    notes: str | None,
) -> None:
    """Set ORGANISATION's STATUS for CAMPAIGN.

    STATUS: prospect, invited, considering, signed, declined or withdrawn.
    Moves follow the pipeline prospect → invited → considering → signed or
    declined (stages may be skipped); signed → withdrawn; declined or
    withdrawn → considering. Other moves are refused.
    """
    from coalition.domain import campaigns

    extra: dict[str, Any] = {}
    if signed_by is not None:
        extra["signed_by"] = signed_by
    if display_name is not None:
        extra["display_name"] = display_name
    if notes is not None:
        extra["notes"] = notes
    with state.work() as work:
        view = campaigns.set_signon(
            work, organisation, campaign_code, status, public=public, **extra
        )
    say(f"{view.organisation} is {view.status} for {view.campaign}.")


SIGNON_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("organisation", lambda s: s.organisation),
    ("country", lambda s: s.country),
    ("status", lambda s: s.status),
    ("since", lambda s: s.status_since),
    ("signed by", lambda s: s.signed_by),
    ("display name", lambda s: s.display_name),
    ("public", lambda s: s.public),
]


@signon.command("list")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    help="Only these statuses (repeatable or comma-separated).",
)
@format_option
@pass_state
def signon_list(state: State, campaign_code: str, statuses: tuple[str, ...], fmt: str) -> None:
    """List the sign-ons of CAMPAIGN, by organisation name."""
    from coalition.domain import campaigns

    with state.read() as session:
        rows = campaigns.list_signons(session, campaign_code, statuses=split_values(statuses))
    emit(fmt, rows, SIGNON_COLUMNS, empty="No sign-ons.")


# --- outreach ------------------------------------------------------------------------------


@cli.command("log")
@click.option("--org", "organisation", help="Organisation (id, name or acronym).")
@click.option("--contact", help="Contact (id, email or name).")
@click.option(
    "--channel",
    default="email",
    show_default=True,
    help="email, call, meeting, event, letter or other.",
)
@click.option("--direction", default="out", show_default=True, help="out (we reached them) or in.")
@click.option("--subject")
@click.option("--notes")
@click.option("--outcome")
@click.option("--campaign", help="Campaign code it was about.")
@click.option(
    "--follow-up",
    "follow_up_on",
    metavar="DATE",
    help="Follow up on (YYYY-MM-DD, +3d, +2w, fri, next week, next month).",
)
@click.option(
    "--keep-followups",
    is_flag=True,
    help="Leave earlier open follow-ups with them open.",
)
@pass_state
def log_cmd(state: State, keep_followups: bool, **fields: Any) -> None:
    """Log an interaction (email, call, meeting …) with an organisation or contact.

    Earlier open follow-ups with the organisation are closed unless --keep-followups.
    """
    from coalition.domain import outreach

    with state.work() as work:
        result = outreach.log_interaction(work, close_followups=not keep_followups, **fields)
    say(result.sentence())


FOLLOWUP_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda i: i.id),
    ("due", lambda i: i.follow_up_on),
    ("organisation", lambda i: i.organisation),
    ("contact", lambda i: i.contact),
    ("channel", lambda i: i.channel),
    ("subject", lambda i: i.subject),
    ("by", lambda i: i.coordinator),
]


@cli.command()
@click.option(
    "--due-before", metavar="DATE", help="Only those due before this date (e.g. tomorrow)."
)
@click.option("--mine", is_flag=True, help="Only those logged by me (--as).")
@format_option
@pass_state
def followups(state: State, due_before: str | None, mine: bool, fmt: str) -> None:
    """Open follow-ups, oldest first."""
    from coalition.domain import outreach

    with state.read() as session:
        rows = outreach.list_followups(
            session, due_before=due_before, coordinator=state.coordinator if mine else None
        )
    emit(fmt, rows, FOLLOWUP_COLUMNS, empty="No open follow-ups.")


@cli.command("followup-done")
@click.argument("interaction_id", type=int)
@pass_state
def followup_done(state: State, interaction_id: int) -> None:
    """Mark the follow-up of interaction INTERACTION_ID done."""
    from coalition.domain import outreach

    with state.work() as work:
        view = outreach.complete_followup(work, interaction_id)
    say(f"Follow-up #{view.id} done.")


@cli.command("followup-postpone")
@click.argument("interaction_id", type=int)
@click.argument("when")
@pass_state
def followup_postpone(state: State, interaction_id: int, when: str) -> None:
    """Move the open follow-up of interaction INTERACTION_ID to WHEN (+7, next week, a date)."""
    from coalition.domain import outreach

    with state.work() as work:
        view = outreach.postpone_followup(work, interaction_id, when)
    assert view.follow_up_on is not None
    say(f"Follow-up #{view.id} moved to {view.follow_up_on.isoformat()}.")


# --- duplicates ----------------------------------------------------------------------------


DUPLICATE_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("kind", lambda p: p.kind),
    ("ids", lambda p: f"#{p.ids[0]} #{p.ids[1]}"),
    ("names", lambda p: f"{p.names[0]} / {p.names[1]}"),
    ("reason", lambda p: p.reason),
    ("score", lambda p: p.score),
    ("certain", lambda p: p.certain),
]

DUPLICATES_SHOWN = 50
"""Pairs a table shows unless --limit says otherwise (JSON and CSV give them all)."""


@cli.command("duplicates")
@click.option(
    "--kind",
    type=click.Choice(["contact", "organisation"]),
    help="Only contacts or only organisations (default: both).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help=f"Show at most this many (a table shows {DUPLICATES_SHOWN} unless given).",
)
@click.option(
    "--dismiss",
    nargs=2,
    metavar="A B",
    help="Mark records A and B (ids as listed, or as other commands name them) as not a "
    "duplicate: they are not listed again.",
)
@format_option
@pass_state
def duplicates_cmd(
    state: State,
    kind: str | None,
    limit: int | None,
    dismiss: tuple[str, str] | None,
    fmt: str,
) -> None:
    """Likely duplicate contacts and organisations, best first, with the reason."""
    from coalition.domain import duplicates

    if dismiss:
        with state.work() as work:
            done = duplicates.dismiss_pair(work, kind, *dismiss)
        plural = "Contacts" if done.kind == "contact" else "Organisations"
        pair = f"{plural} #{done.ids[0]} {done.names[0]} and #{done.ids[1]} {done.names[1]}"
        if done.created:
            say(f"{pair} are marked as not a duplicate; they are not listed again.")
        else:
            say(f"{pair} were already marked as not a duplicate.")
        return
    shown = limit if limit is not None or fmt != "table" else DUPLICATES_SHOWN
    with state.read() as session:
        scan = duplicates.scan_duplicates(session, kind, shown)
    if fmt == "json":
        # One pair a line, a thousand lines at a time: 100,000 pairs as one indented string would
        # take seconds and several hundred MB.
        names = [f.name for f in dataclasses.fields(duplicates.DuplicatePair)]
        encode = json.JSONEncoder(ensure_ascii=False).encode
        pairs = scan.pairs
        click.echo("[" if pairs else "[]")
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start : start + 1000]
            text = ",\n".join(f"  {encode({n: getattr(p, n) for n in names})}" for p in chunk)
            click.echo(text + ("," if start + 1000 < len(pairs) else ""))
        if pairs:
            click.echo("]")
    else:
        emit(fmt, scan.pairs, DUPLICATE_COLUMNS, empty="No likely duplicates.")
    if scan.capped:
        big = scan.capped[0]
        others = len(scan.capped) - 1
        more = f" (and {others} more such group{'s' if others > 1 else ''})" if others else ""
        say(
            f"{big.members:,} {big.kind}s share {big.what}{more}: only the first "
            f"{big.listed} pairs of each such group are listed."
        )
    if fmt != "table" or not scan.pairs:
        return
    if scan.total > len(scan.pairs):
        say(f"Showing {len(scan.pairs)} of {scan.total:,} pairs; --limit N shows more.")
    merges = [
        command
        for what, command in (
            ("contact", "`coalition contact merge KEEP OTHER`"),
            ("organisation", "`coalition org merge KEEP OTHER`"),
        )
        if any(p.kind == what for p in scan.pairs)
    ]
    say(
        f"{' or '.join(merges)} merges a pair; "
        "`coalition duplicates --dismiss A B` drops one that is not a duplicate."
    )


# --- search and history --------------------------------------------------------------------


SEARCH_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("kind", lambda h: h.kind),
    ("id", lambda h: h.id),
    ("name", lambda h: h.title),
    ("detail", lambda h: h.detail),
]


@cli.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many of each kind.",
)
@format_option
@pass_state
def search_cmd(state: State, query: tuple[str, ...], limit: int, fmt: str) -> None:
    """Find organisations and contacts; any case or accents, words as prefixes."""
    from coalition.domain import people

    with state.read() as session:
        hits = people.search_all(session, " ".join(query), limit=limit)
    emit(fmt, hits, SEARCH_COLUMNS, empty="Nothing matches.")


HISTORY_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("when", lambda a: a.at),
    ("who", lambda a: a.coordinator),
    ("action", lambda a: a.action),
    ("what", lambda a: f"{a.entity} #{a.entity_id}"),
    ("label", lambda a: a.label),
    ("changes", lambda a: _changes(a)),
]


def _changes(entry: Any) -> str:
    if entry.action != "update" or not entry.after:
        return ""
    parts = []
    for key, new in entry.after.items():
        old = (entry.before or {}).get(key)
        parts.append(f"{key}: {_cell(old) or '∅'} → {_cell(new) or '∅'}")
    return "; ".join(parts)


@cli.command()
@click.argument("ref", required=False)
@click.option("--org", "org_ref", metavar="ORG", help="History of this organisation.")
@click.option("--contact", "contact_ref", metavar="CONTACT", help="History of this contact.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option
@pass_state
def history(
    state: State,
    ref: str | None,
    org_ref: str | None,
    contact_ref: str | None,
    limit: int,
    fmt: str,
) -> None:
    """The change log, newest first; of one organisation or contact when REF is given."""
    from coalition.domain import audit, people
    from coalition.errors import Ambiguous, NotFound

    with state.read() as session:
        org_id = contact_id = None
        if org_ref:
            org_id = people.find_organisation(session, org_ref).id
        elif contact_ref:
            contact_id = people.find_contact(session, contact_ref).id
        elif ref:
            org = person = None
            if "@" not in ref:
                try:
                    org = people.find_organisation(session, ref)
                except NotFound:
                    org = None
            try:
                person = people.find_contact(session, ref)
            except NotFound:
                person = None
            if org is not None and person is not None:
                raise Ambiguous(
                    f"'{ref}' names both organisation #{org.id} {org.name} and contact "
                    f"#{person.id} {person.display_name}; use --org or --contact.",
                    [],
                )
            if org is None and person is None:
                raise NotFound(f"No organisation or contact matches '{ref}'.")
            org_id = org.id if org else None
            contact_id = person.id if person else None
        rows = audit.history(session, organisation_id=org_id, contact_id=contact_id, limit=limit)
    emit(fmt, rows, HISTORY_COLUMNS, empty="No changes recorded.")


# --- import --------------------------------------------------------------------------------


class _ProgressBar:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _ProgressBar:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=max(total, 1))
        self.bar.update(self.tasks[stage], completed=done, total=max(total, 1))

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Write every row's outcome to this CSV file.",
)
@click.option(
    "--campaign",
    help="Record sign-on answers (and new organisations as prospects) for this campaign.",
)
@click.option("--tag", "tags", multiple=True, help="Tag everything imported (repeatable).")
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "update", "merge"]),
    default="skip",
    show_default=True,
    help="A person who is already there: skip them, overwrite with the file's values (update), "
    "or only fill what is empty (merge).",
)
@click.option("--sheet", help="Spreadsheet sheet to read (default: the first).")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False),
    help="TOML file of header = field (see --show-mapping).",
)
@click.option(
    "--show-mapping", is_flag=True, help="Print the detected column mapping as TOML and stop."
)
@click.option("--force", is_flag=True, help="Import a file again that was imported before.")
@pass_state
def import_cmd(
    state: State,
    files: tuple[str, ...],
    dry_run: bool,
    report_path: str | None,
    campaign: str | None,
    tags: tuple[str, ...],
    on_duplicate: str,
    sheet: str | None,
    mapping_file: str | None,
    show_mapping: bool,
    force: bool,
) -> None:
    """Import people and organisations from CSV, XLSX, ODS or vCard files.

    First a plan: each row or card becomes a new contact, an update, a
    duplicate (skipped) or an error, with the reason. Then, unless --dry-run,
    the plan is applied as one batch — all of it or nothing — that
    `coalition imports undo ID` can take back.
    """
    from coalition.domain import imports
    from coalition.interchange import importer

    sources = [
        importer.open_source(
            f, sheet=sheet, mapping_file=mapping_file, require_people=not show_mapping
        )
        for f in files
    ]
    if show_mapping:
        for source in sources:
            if source.mapping is None:
                say(f"{source.path.name}: vCards need no mapping.")
                continue
            click.echo(f"# {source.path.name}")
            click.echo(source.mapping.to_toml())
        return
    with _ProgressBar() as progress:
        plans = []
        with state.read() as session:
            for source in sources:
                options = importer.options_for(
                    source,
                    campaign=campaign,
                    tags=tuple(split_values(tags)),
                    on_duplicate=on_duplicate,
                    force=force,
                )
                plans.append(imports.plan_import(session, source.records, options, progress))
        for source, plan in zip(sources, plans, strict=True):
            counts = plan.counts()
            if source.problems:
                counts["error"] = counts.get("error", 0) + len(source.problems)
            read = ", ".join(source.notes)
            words = imports.count_summary(counts)
            say(f"{source.path.name} ({read}): {imports.records_phrase(len(plan.rows))} — {words}.")
            if plan.previous_batch is not None and not force:
                say(
                    f"  Already imported as batch #{plan.previous_batch}; --force imports it again."
                )
            matches = plan.matches()
            for line in matches[:10]:
                say(f"  {line}")
            if len(matches) > 10:
                say(f"  … and {len(matches) - 10} more matches (see --report).")
            shown = 0
            for row in plan.rows:
                notes = ([row.reason] if row.action == "error" else []) + row.warnings
                for note in notes:
                    if shown < 10:
                        say(f"  {row.source}: {note}")
                    shown += 1
            for where, message in source.problems:
                if shown < 10:
                    say(f"  {where}: {message}")
                shown += 1
            if shown > 10:
                say(f"  … and {shown - 10} more (see --report).")
            if report_path:
                target = report_path
                if len(sources) > 1:
                    base = Path(report_path)
                    target = str(base.with_name(f"{base.stem}-{source.path.stem}{base.suffix}"))
                importer.write_report(target, plan, source.problems)
                say(f"  Report written to {target}.")
        if dry_run:
            say("Dry run: nothing was changed.")
            return
        with state.work() as work:  # all files or none: a refusal of one rolls back all
            batches = [imports.apply_plan(work, plan, progress) for plan in plans]
    for batch in batches:
        say(
            f"Imported {batch.file_name} as batch #{batch.id}; "
            f"`coalition imports undo {batch.id}` takes it back."
        )


@cli.group(cls=CoalitionGroup)
def imports() -> None:
    """Import batches: list them, undo one."""


BATCH_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda b: b.id),
    ("when", lambda b: b.created_at),
    ("by", lambda b: b.coordinator),
    ("file", lambda b: b.file_name),
    ("new contacts", lambda b: b.counts.get("create", 0)),
    ("updated", lambda b: b.counts.get("update", 0) + b.counts.get("merge", 0)),
    ("new orgs", lambda b: b.counts.get("organisations created", 0)),
    ("undone", lambda b: b.undone_at),
]


@imports.command("list")
@format_option
@pass_state
def imports_list(state: State, fmt: str) -> None:
    """List import batches, newest first."""
    from coalition.domain import imports as domain_imports

    with state.read() as session:
        rows = domain_imports.list_batches(session)
    emit(fmt, rows, BATCH_COLUMNS, empty="No imports yet.")


@imports.command("undo")
@click.argument("batch_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def imports_undo(state: State, batch_id: int, yes: bool) -> None:
    """Undo import batch BATCH_ID: remove what it created, restore what it changed."""
    from coalition.domain import imports as domain_imports

    if not yes:
        click.confirm(f"Undo import batch #{batch_id}?", abort=True, err=True)
    with state.work() as work:
        batch = domain_imports.undo_batch(work, batch_id)
    say(f"Undid import batch #{batch.id} ({batch.file_name}).")


@cli.group(cls=CoalitionGroup)
def merges() -> None:
    """Merges of contacts or organisations: list them, undo one."""


MERGE_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda m: m.id),
    ("when", lambda m: m.at),
    ("by", lambda m: m.coordinator),
    ("kind", lambda m: m.kind),
    ("kept", lambda m: f"#{m.kept_id} {m.kept or ''}".strip()),
    ("merged into it", lambda m: f"#{m.other_id} {m.other or ''}".strip()),
    ("undone", lambda m: m.undone_at),
]


@merges.command("list")
@format_option
@pass_state
def merges_list(state: State, fmt: str) -> None:
    """List merges, newest first."""
    from coalition.domain import merge

    with state.read() as session:
        rows = merge.list_merges(session)
    emit(fmt, rows, MERGE_COLUMNS, empty="No merges yet.")


@merges.command("undo")
@click.argument("merge_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def merges_undo(state: State, merge_id: int, yes: bool) -> None:
    """Undo merge MERGE_ID: put both records back as they were, with their ids and links."""
    from coalition.domain import merge

    if not yes:
        with state.read() as session:
            view = merge.get_merge(session, merge_id)
        click.confirm(
            f"Undo merge #{view.id}: put {view.kind} #{view.other_id} {view.other} back beside "
            f"#{view.kept_id} {view.kept}?",
            abort=True,
            err=True,
        )
    with state.work() as work:
        view = merge.undo_merge(work, merge_id)
    message = (
        f"Undid merge #{view.id}: {view.kind} #{view.other_id} {view.other} is back beside "
        f"#{view.kept_id} {view.kept}"
    )
    say(message + ("" if message.endswith(".") else "."))  # "… e.V." ends a sentence itself


# --- export --------------------------------------------------------------------------------


@cli.group(cls=CoalitionGroup)
def export() -> None:
    """Files out: mail-merge lists and the signatory list."""


def filter_options(func: F) -> F:
    """The recipient filters shared by every export of people."""
    return with_options(
        func,
        [
            click.option("--campaign", help="Campaign whose pipeline to use (and show)."),
            click.option(
                "--status",
                "statuses",
                multiple=True,
                help="Only organisations at these statuses (needs --campaign; "
                "repeatable or comma-separated).",
            ),
            click.option("--tag", help="Only contacts with this tag."),
            click.option("--country", help="The person's own country, else their organisation's."),
            click.option("--language", help="Only contacts with this preferred language."),
            click.option("--membership", help="Only organisations with this membership."),
            click.option(
                "--search", "search_text", metavar="QUERY", help="Only contacts matching QUERY."
            ),
        ],
    )


def recipient_filter(one_per_org: bool = False, **options: Any) -> Any:
    from coalition.domain import exports

    options["statuses"] = tuple(split_values(options.get("statuses") or ()))
    return exports.RecipientFilter(one_per_org=one_per_org, **options)


@export.command("mailmerge")
@click.argument("out", type=click.Path(dir_okay=False))
@filter_options
@click.option(
    "--one-per-org",
    is_flag=True,
    help="One recipient per organisation: who signed, else the first with a valid address.",
)
@click.option("--excel", is_flag=True, help="CSV: add a byte-order mark so Excel reads UTF-8.")
@click.option(
    "--delimiter",
    default=",",
    show_default=True,
    help="CSV: field separator, e.g. ';' for European Excel.",
)
@click.option(
    "--log-outreach",
    "log_subject",
    metavar="SUBJECT",
    help="Also log an email with this subject to every recipient "
    "(and, with --campaign, move prospects to invited).",
)
@pass_state
def export_mailmerge(
    state: State,
    out: str,
    one_per_org: bool,
    excel: bool,
    delimiter: str,
    log_subject: str | None,
    **filters: Any,
) -> None:
    """Write OUT (.csv or .xlsx) with one row per recipient for a mail merge.

    Left out, and counted: do-not-contact, bounced, no valid email; an address
    that appears twice is written once.
    """
    from coalition.interchange import exporter

    written = exporter.mail_merge(
        state.db,
        state.coordinator,
        Path(out),
        recipient_filter(one_per_org, **filters),
        excel=excel,
        delimiter=delimiter,
        log_subject=log_subject,
    )
    say(written.summary())


@export.command("signatories")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option(
    "--group-by",
    type=click.Choice(["country", "kind"]),
    help="Group the list, with counts per group.",
)
@pass_state
def export_signatories(state: State, campaign_code: str, out: str, group_by: str | None) -> None:
    """Write the public signatory list of CAMPAIGN to OUT (.html, .md, .csv, .xlsx or .txt).

    Organisations that signed and may be listed publicly, under their display
    names, sorted as a reader expects (case and accents folded).
    """
    from coalition.domain import exports
    from coalition.interchange import exporter

    with state.read() as session:
        listing = exports.signatories(session, campaign_code, group_by)
    exporter.write_signatories(out, listing, dt.date.today())
    say(f"Wrote {listing.total} signatories of {listing.campaign_code} to {out}.")


# --- backup, restore and personal data -----------------------------------------------------


@cli.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup_cmd(state: State, out: Path) -> None:
    """Copy the database to OUT with SQLite's online backup (safe while the app is open)."""
    from coalition.store import maintenance

    maintenance.backup(state.db, out)
    say(f"Backed up {state.db.path} to {out}.")


@cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def restore_cmd(state: State, source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE, keeping the current file as a safety copy."""
    from coalition.store import maintenance

    maintenance.schema_of(source)
    if not yes:
        click.confirm(
            f"Replace {state.db.path} with {source}? The current file is kept as a safety copy.",
            abort=True,
            err=True,
        )
    safety = maintenance.restore(state.db, source)
    say(f"Restored {source}; the previous database is in {safety}.")


@cli.group(cls=CoalitionGroup)
def person() -> None:
    """Personal-data requests: export everything held on a person, or erase them."""


@person.command("export")
@click.argument("contact_ref", metavar="CONTACT")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def person_export(state: State, contact_ref: str, out: Path) -> None:
    """Write everything held on CONTACT to OUT as JSON (subject access, GDPR art. 15/20)."""
    from coalition.domain import privacy
    from coalition.interchange.exporter import atomic_path

    with state.read() as session:
        record = privacy.person_record(session, contact_ref)
    with atomic_path(out) as handle:
        json.dump(record, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    say(f"Wrote everything held on {record['contact']['display_name']} to {out}.")


@person.command("erase")
@click.argument("contact_ref", metavar="CONTACT")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def person_erase(state: State, contact_ref: str, yes: bool) -> None:
    """Erase CONTACT's personal data everywhere (GDPR art. 17) and rewrite the file.

    Keeps the anonymous facts (an organisation signed; an interaction took
    place) and records that an erasure happened, without the data.
    """
    from coalition.domain import people, privacy

    with state.read() as session:
        view = people.get_contact(session, contact_ref)
    if not yes:
        click.confirm(
            f"Erase #{view.id} {view.display_name} everywhere? This cannot be undone.",
            abort=True,
            err=True,
        )
    summary = privacy.erase_and_rewrite(state.db, state.coordinator, str(view.id))
    say(
        f"Erased contact #{summary.contact_id}: {summary.interactions_anonymised} interaction(s) "
        f"kept without their details, {summary.interactions_removed} removed, "
        f"{summary.audit_entries_scrubbed} change-log entries scrubbed; the file was rewritten."
    )


@export.command("vcard")
@click.argument("out", type=click.Path(path_type=Path))
@filter_options
@click.option(
    "--vcard-version",
    type=click.Choice(["3.0", "4.0"]),
    default="3.0",
    show_default=True,
    help="vCard version to write.",
)
@pass_state
def export_vcard(state: State, out: Path, vcard_version: str, **filters: Any) -> None:
    """Write contacts as vCards: OUT.vcf (one file) or OUT/ (a vdir, one file per contact)."""
    from coalition.domain import exports
    from coalition.interchange.vcard_export import write_vcards

    with state.read() as session:
        contacts = exports.address_book(session, recipient_filter(**filters))
        count = write_vcards(out, contacts, vcard_version)
    say(f"Wrote {count} vCards ({vcard_version}) to {out}.")


@export.command("contacts")
@click.argument("out", type=click.Path(dir_okay=False))
@filter_options
@click.option("--columns", help="Comma-separated columns to write (default: all).")
@pass_state
def export_contacts(state: State, out: str, columns: str | None, **filters: Any) -> None:
    """Write contacts to OUT (.csv or .xlsx), each row with its id.

    Edit the sheet and import it back: rows with an id update those contacts
    (previewed and undoable like any import).
    """
    from coalition.domain import exports
    from coalition.interchange import exporter

    chosen = exporter.choose_columns(exporter.CONTACT_COLUMNS, split_values([columns or ""]))
    with state.read() as session:
        rows = (
            [exporter.CONTACT_COLUMNS[c](x) for c in chosen]
            for x in exports.address_book(session, recipient_filter(**filters))
        )
        count = exporter.write_table(out, chosen, rows, sheet_title="Contacts")
    say(f"Wrote {count} contacts to {out}.")


@export.command("organisations")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--tag")
@click.option("--country")
@click.option("--membership")
@click.option("--kind")
@click.option("--search", "search_text", metavar="QUERY")
@click.option("--columns", help="Comma-separated columns to write (default: all).")
@pass_state
def export_organisations(state: State, out: str, columns: str | None, **filters: Any) -> None:
    """Write organisations to OUT (.csv or .xlsx), each row with its id."""
    from coalition.domain import people
    from coalition.interchange import exporter

    chosen = exporter.choose_columns(exporter.ORGANISATION_COLUMNS, split_values([columns or ""]))
    with state.read() as session:
        orgs = people.list_organisations(session, **filters)
    rows = ([exporter.ORGANISATION_COLUMNS[c](o) for c in chosen] for o in orgs)
    count = exporter.write_table(out, chosen, rows, sheet_title="Organisations")
    say(f"Wrote {count} organisations to {out}.")


@export.command("signons")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.argument("out", type=click.Path(dir_okay=False))
@pass_state
def export_signons(state: State, campaign_code: str, out: str) -> None:
    """Write CAMPAIGN's sign-ons to OUT (.xlsx or .csv) for reporting to partners:
    organisation, status and since when, who signed, and the last outreach."""
    from coalition.domain import campaigns, outreach
    from coalition.interchange import exporter

    with state.read() as session:
        signons = campaigns.list_signons(session, campaign_code)
        last = outreach.last_interactions(session, [s.organisation_id for s in signons])
    headers = [
        "Organisation",
        "Country",
        "Status",
        "Since",
        "Signed by",
        "Display name",
        "Public",
        "Last outreach",
        "Last outreach on",
    ]
    rows = (
        [
            s.organisation,
            s.country,
            s.status,
            s.status_since,
            s.signed_by,
            s.display_name,
            s.public,
            last[s.organisation_id].subject if s.organisation_id in last else None,
            last[s.organisation_id].occurred_at if s.organisation_id in last else None,
        ]
        for s in signons
    )
    count = exporter.write_table(out, headers, rows, sheet_title=campaign_code)
    say(f"Wrote {count} sign-ons of {campaign_code} to {out}.")
