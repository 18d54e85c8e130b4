"""The core (store, domain, interchange) runs without the terminal app or the CLI."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

CORE = [
    "coalition.store.models",
    "coalition.store.database",
    "coalition.store.search",
    "coalition.store.bulk",
    "coalition.store.keys",
    "coalition.store.planner",
    "coalition.store.watch",
    "coalition.store.check",
    "coalition.store.transfer",
    "coalition.store.team",
    "coalition.domain.team",
    "coalition.domain.reports",
    "coalition.domain.values",
    "coalition.domain.audit",
    "coalition.domain.people",
    "coalition.domain.campaigns",
    "coalition.domain.lookup",
    "coalition.domain.outreach",
    "coalition.domain.dedupe",
    "coalition.domain.duplicates",
    "coalition.domain.filters",
    "coalition.domain.merge",
    "coalition.domain.imports",
    "coalition.domain.imports.records",
    "coalition.domain.imports.run",
    "coalition.domain.imports.plan",
    "coalition.domain.imports.apply",
    "coalition.domain.imports.undo",
    "coalition.domain.imports.statuses",
    "coalition.interchange.safety",
    "coalition.interchange.mapping",
    "coalition.interchange.importer",
    "coalition.interchange.feed",
    "coalition.domain.imports.wire",
    "coalition.domain.imports.checks",
    "coalition.interchange.mailtools",
    "coalition.interchange.tabular",
    "coalition.interchange.ods",
    "coalition.interchange.xlsx",
    "coalition.interchange.vcard",
    "coalition.interchange.exporter",
    "coalition.interchange.vcard_export",
    "coalition.domain.privacy",
    "coalition.store.maintenance",
    "coalition.domain.exports",
    "coalition.domain.browse",
    "coalition.domain.pipeline",
    "coalition.text",
    "coalition.store.schema",
    "coalition.store.where",
    "coalition.store.glance",
    "coalition.domain.views",
    "coalition.domain.glance",
]


def test_core_imports_neither_textual_nor_click() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'click'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"core modules pulled in: {out}"


def test_every_core_module_is_checked() -> None:
    import pkgutil

    import coalition.domain
    import coalition.interchange
    import coalition.store

    found = {
        m.name
        for pkg in (coalition.store, coalition.domain, coalition.interchange)
        for m in pkgutil.walk_packages(pkg.__path__, f"{pkg.__name__}.")
        if ".migrations" not in m.name
    }
    assert found <= set(CORE), f"add to CORE: {sorted(found - set(CORE))}"


def test_the_app_starts_without_loading_other_screens_or_the_database_layer() -> None:
    # The first frame waits for these imports; screens load when first shown and the
    # database layer in a worker thread.
    code = (
        "import sys\n"
        "import coalition.tui.app\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith("
        "('coalition.tui.screens.', 'coalition.store', 'coalition.domain', 'sqlalchemy', "
        "'openpyxl', 'vobject')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "coalition.tui.screens.start"


def test_the_command_line_lists_its_commands_without_loading_them() -> None:
    # `coalition --help` and `--version` wait for nothing but click: a command's module, with
    # the domain and the database layer it imports, loads when that command runs.
    code = (
        "import sys\n"
        "from coalition.cli import cli\n"
        "cli.main(['--help'], prog_name='coalition', standalone_mode=False)\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(("
        "'coalition.cli.', 'coalition.store', 'coalition.domain', 'coalition.interchange', "
        "'sqlalchemy', 'rich', 'textual')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.splitlines()[-1] == "coalition.cli.state"


def test_every_command_of_the_command_line_is_reachable() -> None:
    """Each command a module of coalition/cli/ defines is listed by `coalition --help`, or
    under a group that is: a command left out of coalition.cli.COMMANDS fails here."""
    import importlib
    import pkgutil

    import click

    import coalition.cli

    ctx = click.Context(coalition.cli.cli)
    reachable: set[int] = set()
    groups: list[click.Group] = [coalition.cli.cli]
    while groups:
        group = groups.pop()
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            reachable.add(id(command))
            if isinstance(command, click.Group):
                groups.append(command)
    for info in pkgutil.walk_packages(coalition.cli.__path__, "coalition.cli."):
        module = importlib.import_module(info.name)
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command):
                assert id(value) in reachable, f"{info.name}.{attribute} is not reachable"


ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package under ``root``, with the contracts of its pyproject."""
    lint = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    assert lint, "import-linter is a test dependency (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([lint], cwd=root, env=env, capture_output=True, text=True)


def test_the_layers_hold() -> None:
    """The contracts in pyproject.toml: front ends over files over the domain over the
    store, the core free of Textual and click, the front ends through the domain."""
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_crossed_layer_fails_the_check(tmp_path: Path) -> None:
    """The check can fail: the domain importing the terminal app breaks a contract."""
    copy = tmp_path
    shutil.copytree(ROOT / "coalition", copy / "coalition")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    dedupe = copy / "coalition" / "domain" / "dedupe.py"
    dedupe.write_text(dedupe.read_text() + "\nimport coalition.tui.app  # crossing\n")
    done = _lint_imports(copy)
    assert done.returncode != 0
    assert "coalition.domain.dedupe -> coalition.tui.app" in done.stdout
