"""The App: its screens (as modes), bindings, command palette and the open database.

``make_app`` is the one factory: the command line, the tests and the benchmark
build the app through it. The database is opened on first use inside a
worker thread (``database()``), and the domain layer is imported there too,
so the first frame is drawn while SQLAlchemy loads (~0.3 s of imports).

Every second the app asks, in a worker, whether another program changed the database
(``store.watch``: SQLite's change counter, no lock taken); when one did, the screen on
top reads what it shows again, keeping its place (its ``others_changed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from coalition import settings
from coalition.tui.commands import CoalitionCommands
from coalition.tui.jobs import JobScreen, report_failure
from coalition.tui.screens.start import StartScreen

if TYPE_CHECKING:
    from coalition.store.database import Database
    from coalition.store.watch import ChangeWatch, ServerChangeWatch


class CoalitionApp(App[None]):
    """coalition in the terminal."""

    TITLE = "coalition"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {CoalitionCommands}
    MODES: ClassVar = {
        "start": StartScreen,
        "contacts": lambda: _screens().ContactsScreen(),
        "organisations": lambda: _screens().OrganisationsScreen(),
        "campaign": lambda: _campaign().CampaignScreen(),
    }
    DEFAULT_MODE: ClassVar[str] = "start"
    WATCH_SECONDS: ClassVar[float] = 1.0
    """How often to look for changes made by another program (the screen shown reloads)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key of the app"),
        Binding("question_mark", "help", "Help", show=False, id="app.help-alt"),
        Binding("f2", "show_start", "Start", id="app.start", tooltip="Follow-ups and campaigns"),
        Binding("f3", "show_contacts", "Contacts", id="app.contacts"),
        Binding("f4", "show_organisations", "Organisations", id="app.organisations"),
        Binding(
            "f5",
            "show_campaign",
            "Campaign",
            id="app.campaign",
            tooltip="The sign-on pipeline of a campaign",
        ),
        Binding(
            "f6",
            "import_file",
            "Import",
            id="app.import",
            tooltip="Import a CSV, XLSX, ODS or vCard file",
        ),
        Binding(
            "f7",
            "export",
            "Export",
            id="app.export",
            tooltip="Mail merge, signatory list or vCards",
        ),
        Binding(
            "f8",
            "import_batches",
            "Batches",
            show=False,
            id="app.batches",
            tooltip="Import batches: undo one",
        ),
        Binding(
            "ctrl+l",
            "log_interaction",
            "Log",
            show=False,
            id="app.log",
            tooltip="Log an interaction with what is selected, and its follow-up",
        ),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, db_target: str, coordinator: str, *, declared: bool = False) -> None:
        super().__init__()
        self.db_target = db_target
        """What --db, COALITION_DB or the default said: a path or a URL."""
        self.coordinator = coordinator
        """Recorded with every change made from the app: the name given (``declared``:
        with --as) until the database opens, then the one ``acting_coordinator`` decides
        (on a server, the database role)."""
        self._declared = declared
        self._db: Database | None = None
        self._db_lock = threading.Lock()
        self._watch: ChangeWatch | ServerChangeWatch | None = None
        """The database's change counter (``store.watch``), once the database is open."""
        self._saved_theme = settings.saved_theme()
        """The theme chosen last time (Ctrl+P, Theme); kept in the user config dir."""
        if self._saved_theme in self.available_themes:
            self.theme = self._saved_theme

    @property
    def database_open(self) -> bool:
        """Whether ``database`` has opened it (and so imported SQLAlchemy)."""
        return self._db is not None

    def database(self) -> Database:
        """The open database; opened (and upgraded) on first use. Call from a worker thread."""
        with self._db_lock:
            if self._db is None:
                from coalition.domain.team import acting_coordinator
                from coalition.store.database import open_database
                from coalition.store.watch import watch_for

                db = open_database(self.db_target)
                try:
                    self.coordinator = acting_coordinator(
                        db, self.coordinator, declared=self._declared
                    )
                except BaseException:
                    db.close()
                    raise
                watch = watch_for(db)
                watch.changed()  # the count before anything is read: later changes show
                self._watch, self._db = watch, db
                _freeze_long_lived()
            return self._db

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.close()
        if self._db is not None:
            self._db.close()

    # --- other programs' changes ----------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(self.WATCH_SECONDS, self._look_for_changes, name="watch")

    def _look_for_changes(self) -> None:
        """Every WATCH_SECONDS: has another program (or another coordinator's process)
        changed the database? Asked in a worker; nothing is asked before it is open."""
        if self._db is None or any(w.group == "watch" and not w.is_finished for w in self.workers):
            return
        self.run_worker(self._changed_elsewhere, thread=True, group="watch", exit_on_error=False)

    def _changed_elsewhere(self) -> None:
        if self._watch is not None and self._watch.changed():
            self.call_from_thread(self._reload_shown)

    def _reload_shown(self) -> None:
        """Read what is shown again, keeping its place: the screen on top says how
        (``others_changed``); one under a dialog reads itself again when uncovered."""
        screen = self.screen
        hook = getattr(screen, "others_changed", None)
        if hook is not None and screen.is_mounted:
            hook()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

    def watch_theme(self, name: str) -> None:
        """Remember a theme chosen in the command palette for the next run."""
        if name == self._saved_theme:
            return
        try:
            settings.save_theme(name)
        except OSError as exc:
            self.notify(
                f"The theme could not be kept for next time: {exc.strerror or exc}.",
                severity="warning",
                markup=False,
            )
        else:
            self._saved_theme = name

    # --- actions --------------------------------------------------------------------------

    def action_help(self) -> None:
        from coalition.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_show_start(self) -> None:
        if self.current_mode == "start" and isinstance(self.screen, StartScreen):
            self.screen.refresh_overview()  # F2 again: read it afresh
        else:
            self.switch_mode("start")

    def action_show_contacts(self) -> None:
        self.switch_mode("contacts")

    def action_show_organisations(self) -> None:
        self.switch_mode("organisations")

    def action_show_campaign(self) -> None:
        if self.current_mode == "campaign" and isinstance(self.screen, _campaign().CampaignScreen):
            self.screen.refresh_pipeline()  # F5 again: read it afresh
        else:
            self.switch_mode("campaign")

    async def action_show_campaign_report(self) -> None:
        """The campaign screen's report (``R`` there), from the palette."""
        if self.current_mode != "campaign":
            await self.switch_mode("campaign")
        screen = self.screen
        if isinstance(screen, _campaign().CampaignScreen):
            screen.show_report()

    async def action_new_campaign(self) -> None:
        await _campaign().new_campaign(self)

    async def action_organisation_sign_on(self, every_listed: bool = False) -> None:
        """Sign-on from the palette: on the organisations screen as ``c`` (or ``C``) there;
        from elsewhere, that screen is shown with what to do next."""
        if self.current_mode != "organisations":
            await self.switch_mode("organisations")
            key = "search or filter, then C" if every_listed else "highlight one, then c"
            self.notify(f"Organisations: {key}.", markup=False)
            return
        screen = self.screen
        if isinstance(screen, _screens().OrganisationsScreen):
            if every_listed:
                screen.action_add_all()
            else:
                screen.action_sign_on()

    def action_import_file(self) -> None:
        from coalition.tui.screens.import_wizard import ImportWizard, open_import_wizard

        if not isinstance(self.screen, ImportWizard):
            open_import_wizard(self)

    def action_export(self, kind: str = "mailmerge") -> None:
        from coalition.tui.screens.export_dialog import ExportDialog, open_export_dialog

        if not isinstance(self.screen, ExportDialog):
            open_export_dialog(self, kind)

    def action_import_batches(self) -> None:
        from coalition.tui.screens.import_batches import ImportBatchesScreen, open_import_batches

        if not isinstance(self.screen, ImportBatchesScreen):
            open_import_batches(self)

    def action_duplicates(self, kind: str | None = None) -> None:
        """The likely duplicates: of ``kind`` ("contact", "organisation"), or both."""
        from coalition.tui.screens.duplicates import open_duplicates

        open_duplicates(self, kind)

    def action_log_interaction(self) -> None:
        from coalition.tui.screens.log_dialog import open_log_dialog

        open_log_dialog(self)

    async def go_to(self, kind: str, record_id: int, title: str) -> None:
        """Show one organisation or contact: its screen, found in the table, in the detail pane."""
        mode = "organisations" if kind == "organisation" else "contacts"
        await self.switch_mode(mode)
        screen = self.screen
        if isinstance(screen, _screens().BrowseScreen):
            screen.open_record(record_id, title)

    # --- for tests and benchmarks -------------------------------------------------------------

    def _ours(self, worker: Worker[Any]) -> bool:
        """A job one of coalition's screens started; not a widget's own worker, such as the
        import wizard's file browser loader, which runs as long as the browser is shown."""
        node = worker.node
        if worker.group == "watch":
            return False  # the look for others' changes: not a job a test waits on
        return node is self or (
            isinstance(node, Screen) and type(node).__module__.startswith("coalition.")
        )

    def _jobs(self) -> list[Worker[Any]]:
        return [w for w in self.workers if not w.is_finished and self._ours(w)]

    @property
    def busy(self) -> bool:
        """A database job is running, due, or its result not yet shown."""
        screens = [s for stack in self._screen_stacks.values() for s in stack]
        return bool(self._jobs()) or any(s.busy for s in screens if isinstance(s, JobScreen))

    async def settle(self) -> None:
        """Wait until every pending search, page and detail has been fetched and shown."""
        while self.busy:
            # A newer search cancels an older one (exclusive workers): that is an end too;
            # so is a job that failed while waited for (its screen says why: the workers
            # do not exit the app on error).
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self.workers.wait_for_complete(self._jobs())
            await asyncio.sleep(0.002)  # let the results' messages be handled


_frozen = False


def _freeze_long_lived() -> None:
    """Move what start-up made (Textual, SQLAlchemy, the models: ~80,000 objects that live
    as long as the app) out of the cycle collector's sight, once a process.

    Otherwise each full collection walks them all again: 25-80 ms at a time, now and
    then in the middle of a keystroke's search (``benchmarks/tui_bench.py``); with them
    frozen, 10-25 ms. Once only: freezing again would keep whatever garbage had piled up
    since (a test process opens many apps)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


# Screens other than the start screen are imported when first shown (~60 ms at start-up
# otherwise, with their widgets and styles).


def _screens() -> Any:
    from coalition.tui.screens import browse

    return browse


def _campaign() -> Any:
    from coalition.tui.screens import campaign

    return campaign


def make_app(db_target: str, coordinator: str, *, declared: bool = False) -> CoalitionApp:
    """The app over the database at ``db_target`` (a path or URL), working as ``coordinator``
    (``declared``: named with --as; on a server the database role is recorded)."""
    return CoalitionApp(db_target, coordinator, declared=declared)
