"""The command line: parses, calls the domain layer, prints.

Nothing here touches SQL or validates a value itself; errors the user can cause
arrive as ``CoalitionError`` and leave as one sentence on stderr with exit status
1 (``state.py``). Listings print a table on a terminal and take ``--format
json|csv`` for scripts and spreadsheets (``output.py``); the JSON shapes are
documented in the README.

Each command lives in the module of its group (``orgs.py``, ``contacts.py`` …)
and is imported only when it runs or its own help is asked for: those modules
import the domain and the database layer, which ``coalition --help`` and the
terminal app's start do not wait for.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from coalition import __version__, interrupts, settings
from coalition.cli.state import CoalitionGroup, State, stop_quietly

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (its module under coalition.cli and attribute, the summary `coalition --help` shows)
    "init": ("database:init", "Create or upgrade the database and print where it is."),
    "check": (
        "database:check_cmd",
        "Check the database: file structure, foreign keys, search index, schema.",
    ),
    "backup": (
        "database:backup_cmd",
        "Copy the database to OUT with SQLite's online backup (safe while the app is open).",
    ),
    "restore": (
        "database:restore_cmd",
        "Replace the database with the backup SOURCE, keeping the current file as a safety copy.",
    ),
    "db": (
        "database:db_group",
        "The whole database: copy it to another file or a PostgreSQL server, and back.",
    ),
    "org": ("orgs:org", "Organisations: add, list, show, edit, delete."),
    "contact": ("contacts:contact", "Contacts (people): add, list, show, edit, delete."),
    "merges": ("merges:merges", "Merges of contacts or organisations: list them, undo one."),
    "campaign": (
        "campaigns:campaign",
        "Campaigns (statements, letters, petitions): add, list, show, edit.",
    ),
    "signon": ("campaigns:signon", "Sign-ons: each organisation's status in a campaign."),
    "log": (
        "outreach:log_cmd",
        "Log an interaction (email, call, meeting …) with an organisation or contact.",
    ),
    "interaction": ("outreach:interaction", "Interactions already logged: list, edit, delete."),
    "followups": ("outreach:followups", "Open follow-ups, oldest first."),
    "followup-done": (
        "outreach:followup_done",
        "Mark the follow-up of interaction INTERACTION_ID done.",
    ),
    "followup-postpone": (
        "outreach:followup_postpone",
        "Move the open follow-up of interaction INTERACTION_ID to WHEN (+7, next week, a date).",
    ),
    "duplicates": (
        "records:duplicates_cmd",
        "Likely duplicate contacts and organisations, best first, with the reason.",
    ),
    "search": (
        "records:search_cmd",
        "Find organisations and contacts; any case or accents, words as prefixes.",
    ),
    "history": (
        "records:history",
        "The change log, newest first; of one organisation or contact when REF is given.",
    ),
    "import": (
        "imports:import_cmd",
        "Import people and organisations from CSV, XLSX, ODS or vCard files.",
    ),
    "imports": ("imports:imports_group", "Import batches: list them, undo one."),
    "export": ("exports:export", "Files out: mail-merge lists and the signatory list."),
    "report": (
        "reports:report_cmd",
        "CAMPAIGN's progress: sign-ons per status, response rate, days to answer, "
        "signatures per week, who is quiet longest.",
    ),
    "team": (
        "team:team",
        "Who may work on a PostgreSQL database: add, list and remove coordinators and viewers.",
    ),
    "person": (
        "privacy:person",
        "Personal-data requests: export everything held on a person, or erase them.",
    ),
}


class LazyGroup(CoalitionGroup):
    """The root group: loads a command's module when the command runs or shows its help.

    ``--help`` lists the summaries in COMMANDS without importing anything;
    tests/test_docs.py checks that they are the commands' own.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attribute = COMMANDS[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        assert isinstance(command, click.Command), COMMANDS[cmd_name]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        stand_ins = [click.Command(name, help=summary) for name, (_, summary) in COMMANDS.items()]
        click.Group(commands=stand_ins).format_commands(ctx, formatter)


@click.group(
    cls=LazyGroup,
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
    help="Coordinator recorded with every change. Default: $COALITION_USER, else your login. "
    "On a PostgreSQL server your database role is recorded, and --as may only name it.",
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

        make_app(target, state.claimed, declared=state.declared).run()


def main() -> None:
    problem = undecodable_argument(sys.argv[1:])
    if problem:
        click.echo(f"Error: {problem}", err=True)
        raise SystemExit(1)
    CoalitionGroup.finished_is_final = True
    interrupts.install()  # again: a program may call main() without coalition.__main__
    try:
        cli(prog_name="coalition")
    finally:
        # What a command printed last may still wait in the buffer: a reader that left
        # (`| head`) makes this flush fail, and that too ends quietly.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            stop_quietly()


def _undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8: Python keeps each such byte of
    the command line as a lone surrogate (U+DC80-U+DCFF) rather than fail."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _shown(text: str) -> str:
    """``text`` with its undecodable bytes written as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def undecodable_argument(args: list[str]) -> str | None:
    """The sentence for a value on the command line that is not UTF-8 text (typed in a
    terminal set to another encoding), naming its option; None when there is none.

    A file's name may hold any bytes: a value given for a file (``click.Path``, or an
    option whose metavar says PATH) is taken as it is. Checked once here, before any
    command runs, so no command stores, prints or writes half of such a value.
    """
    bad = [arg for arg in args if _undecodable(arg)]
    if not bad:
        return None
    for label, value, is_path in _parameter_values(args):
        if _undecodable(value) and not is_path:
            what = f"The value of {label}" if label.startswith("-") else f"The argument {label}"
            return (
                f"{what} ({_shown(value)}) is not UTF-8 text; nothing was "
                "changed. Type it again in a terminal set to UTF-8 (for example with "
                "LANG=C.UTF-8)."
            )
    paths = {value for _, value, is_path in _parameter_values(args) if is_path}
    for arg in bad:
        if arg not in paths and arg.partition("=")[2] not in paths:
            return (
                f"The argument {_shown(arg)} is not UTF-8 text; nothing was changed. Type it "
                "again in a terminal set to UTF-8 (for example with LANG=C.UTF-8)."
            )
    return None


def _parameter_values(args: list[str]) -> list[tuple[str, str, bool]]:
    """(option or argument, value, whether it names a file) for each text value of the
    command line, by click's own parsing of it (no callbacks, nothing run)."""
    found: list[tuple[str, str, bool]] = []
    command: click.Command = cli
    try:
        ctx = cli.make_context("coalition", list(args), resilient_parsing=True)
        while True:
            for param in command.get_params(ctx):
                value = ctx.params.get(param.name or "")
                values = value if isinstance(value, list | tuple) else [value]
                label = (
                    max(param.opts, key=len)
                    if isinstance(param, click.Option)
                    else param.human_readable_name
                )
                is_path = isinstance(param.type, click.Path) or "PATH" in (param.metavar or "")
                found.extend(
                    (label, os.fspath(v), is_path)
                    for v in values
                    if isinstance(v, str) or (isinstance(v, os.PathLike) and is_path)
                )
            if not isinstance(command, click.Group):
                break
            rest = [*ctx._protected_args, *ctx.args]  # what the group did not parse itself
            if not rest:
                break
            name, sub, rest = command.resolve_command(ctx, rest)
            if sub is None or name is None:
                break
            ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=True)
            command = sub
    except click.ClickException:
        pass  # the command line is wrong in another way too: click says how when it runs
    return found
