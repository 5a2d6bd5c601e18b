"""The trainee's app and its factory, shared by `groupsim play` and the tests.

Only the library and briefing screens are imported here, because one of them is
the first thing shown; the session, debrief, help and pause screens load on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from simulator.authoring.library import Found
from simulator.engine.model import Scenario
from simulator.tui.run import ObserverFactory, Run, Settings
from simulator.tui.screens.briefing import BriefingScreen
from simulator.tui.screens.library import LibraryScreen


class GroupSimApp(App[None]):
    """Library → briefing → session → debrief."""

    TITLE = "groupsim"
    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("question_mark,f1", "help", "Help", key_display="?")]

    def __init__(
        self,
        found: list[Found],
        *,
        seed: int | None = None,
        observe: ObserverFactory | None = None,
        export_dir: Path | None = None,
        cursor_blink: bool = True,
        delta_seconds: float = 4.0,
    ) -> None:
        super().__init__()
        self.found = found
        self.seed = seed
        """A fixed seed for every run, or None for a fresh random one each time."""
        self.observe = observe
        self.export_dir = export_dir or Path.cwd() / "groupsim-exports"
        self.cursor_blink = cursor_blink
        self.delta_seconds = delta_seconds
        self.current: Run | None = None
        """The run being played or debriefed, if any."""
        self._settings = Settings()

    # -- flow ---------------------------------------------------------------------
    def on_mount(self) -> None:
        self.push_screen(LibraryScreen(self.found))
        if len(self.found) == 1 and self.found[0].scenario is not None:
            self.open_briefing(self.found[0].scenario)
        self.call_after_refresh(self._no_blink)

    def _no_blink(self) -> None:
        if not self.cursor_blink:
            for widget in self.screen.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    @on(LibraryScreen.ScenarioPicked)
    def _picked(self, event: LibraryScreen.ScenarioPicked) -> None:
        if event.found.scenario is not None:
            self.open_briefing(event.found.scenario)

    def open_briefing(self, scenario: Scenario) -> None:
        def begin(settings: Settings | None) -> None:
            if settings is not None:
                self._settings = settings
                self.start(scenario, settings)

        self.push_screen(BriefingScreen(scenario, self._settings), callback=begin)
        self.call_after_refresh(self._no_blink)

    def start(self, scenario: Scenario, settings: Settings) -> None:
        """Start a run of `scenario` and show its session (replacing a run already on screen)."""
        from simulator.tui.screens.session import SessionScreen

        run, problem = Run.start(scenario, settings, seed=self.seed, observe=self.observe)
        self.current = run
        screen = SessionScreen(run, delta_seconds=self.delta_seconds)
        if self._run_screen_on_top():
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        if problem:
            self.notify(f"Records are off for this run: {problem}", severity="error", timeout=10)

    def show_debrief(self, run: Run) -> None:
        from simulator.tui.screens.debrief import DebriefScreen

        self.switch_screen(DebriefScreen(run, self.export_dir))
        self.call_after_refresh(self._no_blink)

    def _run_screen_on_top(self) -> bool:
        return getattr(self.screen, "run", None) is not None

    def _confirm_leaving(self, then: str, go) -> None:  # type: ignore[no-untyped-def]
        """Ask before abandoning a run that is under way; `go()` if yes (or nothing to lose)."""
        run = self.current
        screen_run = getattr(self.screen, "run", None)
        if run is None or screen_run is None or run.session.finished or run.session.turn == 0:
            go()
            return
        from simulator.tui.screens.confirm import ConfirmScreen

        self.push_screen(
            ConfirmScreen(f"Leave this run and {then}? The decisions made so far will not be debriefed.", yes="Leave"),
            callback=lambda yes: go() if yes else None,
        )

    # -- actions (also in the command palette) ---------------------------------------
    def action_help(self) -> None:
        from simulator.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_restart(self) -> None:
        run = self.current
        if run is None:
            return
        self._confirm_leaving("start again", lambda: self.start(run.session.scenario, run.settings))

    def action_open_library(self) -> None:
        def go() -> None:
            while len(self.screen_stack) > 1 and not isinstance(self.screen, LibraryScreen):
                self.pop_screen()
            self.current = None

        self._confirm_leaving("go to the library", go)

    def action_rewind(self) -> None:
        rewind = getattr(self.screen, "action_rewind", None)
        if rewind is not None:
            rewind()

    def action_export(self) -> None:
        export = getattr(self.screen, "action_export", None)
        if export is not None:
            export()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.current is not None and getattr(screen, "run", None) is not None:
            yield SystemCommand("Restart scenario", "Play this scenario again from the start", self.action_restart)
        run = getattr(screen, "run", None)
        if hasattr(screen, "action_rewind") and run is not None and run.settings.rewind_allowed:
            yield SystemCommand("Rewind", "Go back to the previous decision (practice only)", self.action_rewind)
        yield SystemCommand("Open library", "Go back to the list of scenarios", self.action_open_library)
        if hasattr(screen, "action_export"):
            yield SystemCommand("Export", "Save the transcript and debrief as Markdown and JSON", self.action_export)


def make_app(
    found: list[Found],
    *,
    seed: int | None = None,
    observe: ObserverFactory | None = None,
    export_dir: Path | None = None,
    cursor_blink: bool = True,
    delta_seconds: float = 4.0,
) -> GroupSimApp:
    """The app `groupsim play` runs.

    Args:
        found: the scenarios to offer (from `simulator.authoring.library.resolve`); with
            exactly one playable scenario the app opens on its briefing.
        seed: a fixed seed for chance branches; None picks a new one for every run.
        observe: called as `observe(scenario, trainee, mode, seed)` when a run starts;
            returns an object with any of `on_step`, `on_rewind`, `on_finish`,
            `on_reflections` (see `simulator.tui.run.Observer`). For records.
        export_dir: where the debrief's exports go (default ./groupsim-exports).
        cursor_blink: False in tests, so snapshots are stable.
        delta_seconds: how long a change (+8 / −12) stays beside its bar.
    """
    return GroupSimApp(
        found,
        seed=seed,
        observe=observe,
        export_dir=export_dir,
        cursor_blink=cursor_blink,
        delta_seconds=delta_seconds,
    )
