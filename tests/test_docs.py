"""Every command has help and appears in the README; the README's commands are what CI runs."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from coalition.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


COMMANDS = all_commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_and_is_documented(
    path: tuple[str, ...], command: click.Command
) -> None:
    assert command.help and command.help.strip(), f"{' '.join(path)} has no help text"
    assert f"coalition {' '.join(path)}" in README, (
        f"README does not mention coalition {' '.join(path)}"
    )


def test_top_level_help_lists_every_command() -> None:
    from click.testing import CliRunner

    out = CliRunner().invoke(cli, ["--help"]).output
    for name in cli.list_commands(click.Context(cli)):
        assert name in out


@pytest.mark.parametrize("width", [60, 80, 100])
def test_top_level_help_gives_each_commands_own_summary(width: int) -> None:
    """`coalition --help` lists the summaries in coalition.cli.COMMANDS without loading the
    commands; it prints what the loaded commands, each with its own help, would."""
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    loaded = [command for name in names if (command := cli.get_command(ctx, name))]
    assert [command.name for command in loaded] == names
    listed, own = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    cli.format_commands(ctx, listed)
    click.Group(commands=loaded).format_commands(ctx, own)
    assert listed.getvalue() == own.getvalue()


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    app, tests = block
    assert app.endswith("coalition") and "pip install" in app
    assert "pytest" in tests and "pip install" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()


def tour_commands() -> list[list[str]]:
    import shlex

    block = README.split("## A short tour", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "coalition":
            commands.append(words[1:])
    return commands


def test_the_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COALITION_DB", str(tmp_path / "tour.db"))
    runner = CliRunner()
    commands = tour_commands()
    assert len(commands) > 30
    for args in commands:
        outputs = (
            "outcome.csv",
            "invitations.xlsx",
            "invitations.csv",
            "signatories.html",
            "coalition-backup.db",
            "emilie.json",
            "address-book/",
            "contacts.xlsx",
            "signons.xlsx",
        )
        args = [str(tmp_path / a) if a in outputs else a for a in args]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    assert (tmp_path / "outcome.csv").exists()
    assert (tmp_path / "signatories.html").exists()
    # The invitations go to the members not asked yet (not to those who signed or
    # answered the form; a member without a person at its own address), and the French
    # list to the French speakers among them.
    invited = mail_merge_rows(tmp_path / "invitations.xlsx")
    assert sorted(r["FullName"] for r in invited) == [
        "Daan de Vries",
        "Digital Rights for Children Network",
        "Giulia Rossi",
        "José Núñez",
        "Jürgen Fischer",
        "Lena Schneider",
        "Noémie Lefèvre",
        "Siobhán Murphy",
        "Åsa Johansson",
        "Ελένη Παπαδοπούλου",
    ]
    french = mail_merge_rows(tmp_path / "invitations.csv")
    assert [(r["FullName"], r["Salutation"], r["CampaignStatus"]) for r in french] == [
        ("Noémie Lefèvre", "Bonjour Noémie Lefèvre", "invited")
    ]


def mail_merge_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a mail-merge file the tour wrote, by column title."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).active
        assert sheet is not None
        header, *rows = [[str(c or "") for c in row] for row in sheet.iter_rows(values_only=True)]
        return [dict(zip(header, row, strict=True)) for row in rows]
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))
