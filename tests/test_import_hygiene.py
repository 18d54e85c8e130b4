"""The core (store, domain, interchange) runs without the terminal app or the CLI."""

import subprocess
import sys

CORE = [
    "coalition.store.models",
    "coalition.store.database",
    "coalition.store.search",
    "coalition.store.bulk",
    "coalition.domain.values",
    "coalition.domain.audit",
    "coalition.domain.people",
    "coalition.domain.campaigns",
    "coalition.domain.outreach",
    "coalition.domain.dedupe",
    "coalition.domain.duplicates",
    "coalition.domain.filters",
    "coalition.domain.merge",
    "coalition.domain.imports",
    "coalition.interchange.safety",
    "coalition.interchange.mapping",
    "coalition.interchange.importer",
    "coalition.interchange.tabular",
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
        f"{pkg.__name__}.{m.name}"
        for pkg in (coalition.store, coalition.domain, coalition.interchange)
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.ispkg
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
