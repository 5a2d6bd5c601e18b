"""The trainee's app and its factory, shared by `groupsim play` and the tests.

Start-up builds only the first screen: the briefing when one scenario is given
(the library is built if the trainee goes back to it), else the library. Every
other screen's module is imported on first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from simulator.authoring.diagnostics import Diagnostic
from simulator.authoring.library import Found
from simulator.engine.model import Scenario
from simulator.play.run import ObserverFactory, Run
from simulator.play.settings import Accommodation, GrantLookup, Settings, no_grant
from simulator.tui.clock import Clock
from simulator.tui.screens.base import RunScreen

if TYPE_CHECKING:
    from simulator.engine.session import Step
    from simulator.tui.screens.library import LibraryScreen
    from simulator.tui.screens.session import SessionScreen
    from simulator.tui.watch import FileWatch

HIGH_CONTRAST = Theme(
    name="groupsim-high-contrast",
    # Pure black and white with saturated accents: every pair of text and background used
    # here is above 7:1 (WCAG AAA), and none of them carries meaning by colour alone.
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    warning="#FFB000",
    error="#FF6E6E",
    success="#7CFF7C",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    boost="#333333",
    dark=True,
    text_alpha=1.0,
    variables={
        "border": "#FFFFFF",
        "border-blurred": "#BBBBBB",
        "text-muted": "#E0E0E0",
        "text-disabled": "#C8C8C8",  # placeholders too: 7:1 or better on black
        "scrollbar": "#BBBBBB",
        "scrollbar-hover": "#FFFFFF",
        "scrollbar-active": "#FFFF00",
        "scrollbar-background": "#333333",
        # Coloured text sits on a tint of its own colour (a rating's label, say): lighter
        # text keeps those pairs above 7:1 too.
        "text-error": "#FFC4C4",
        "text-warning": "#FFDD99",
        "text-success": "#BBFFBB",
        "text-primary": "#FFFF99",
        "text-secondary": "#BBFFFF",
        "text-accent": "#FFFF99",
    },
)
"""A theme for low vision: offered in the palette's Theme list, or from the start with --high-contrast."""

ERROR_SECONDS = 600
"""How long a watched file's load errors stay up (a click dismisses them; the next save replaces them)."""


class GroupSimApp(App[None]):
    """Library → briefing → session → debrief."""

    TITLE = "groupsim"
    CSS_PATH = "app.tcss"
    # F1 is named in the footer because it works everywhere, also while typing in a box
    # (where '?' is a question mark); '?' works wherever nothing is being typed.
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", key_display="F1"),
        # Only while watching a file (an author at work): see check_action.
        Binding("t", "save_test", "Save as test"),
    ]

    def __init__(
        self,
        found: list[Found],
        *,
        seed: int | None = None,
        observe: ObserverFactory | None = None,
        export_dir: Path | None = None,
        cursor_blink: bool = True,
        resume: Run | None = None,
        watch: Path | None = None,
        watch_interval: float = 0.5,
        clock: Clock | None = None,
        say_first: bool = False,
        author_view: bool = False,
        accommodation: Accommodation = "none",
        finished: set[str] | None = None,
        high_contrast: bool = False,
        calm: bool = False,
        granted: GrantLookup = no_grant,
    ) -> None:
        super().__init__()
        self.register_theme(HIGH_CONTRAST)
        if high_contrast:
            self.theme = HIGH_CONTRAST.name
        if calm:
            # No animation: no sliding, no smooth scrolling, no fading notifications.
            self.animation_level = "none"
        self.calm = calm
        """Transient flashes off (`--calm`): notifications stay until dismissed."""
        self.finished_ids = finished or set()
        """Scenarios this trainee has finished a run of (the library marks them)."""
        self.say_first_required = say_first
        """Assessment runs ask the trainee's own words first (`--say-first`)."""
        self.clock = clock or Clock()
        """Where the app's time comes from (tests give a `ManualClock`)."""
        self.found = found
        self.seed = seed
        """A fixed seed for every run, or None for a fresh random one each time."""
        self.observe = observe
        self.export_dir = export_dir or Path.cwd() / "groupsim-exports"
        self.cursor_blink = cursor_blink and not calm
        self.current: Run | None = None
        """The run being played or debriefed, if any."""
        self._resume = resume
        # --watch is an author trying out their own file: the map shows everything.
        self._settings = Settings(author_view=author_view or watch is not None, accommodation=accommodation)
        self.accommodation_required = accommodation
        """The time accommodation a supervisor set for every run (`--time-accommodation`)."""
        self.granted = granted
        """The time accommodation the records grant a trainee by name (`groupsim records accommodate`)."""
        self.watched_file = watch
        """The scenario file reloaded when it is saved (`groupsim play FILE --watch`), or None."""
        if watch is not None:
            self.observe = None  # an author's rehearsal across versions of a file: not recorded
        self._watch_interval = watch_interval
        self._file_watch: FileWatch | None = None
        self._pending: Found | None = None
        self.reload_errors: tuple[Diagnostic, ...] = ()
        """What kept the watched file's last save from loading (empty once it loads)."""

    # -- flow ---------------------------------------------------------------------
    @property
    def single(self) -> Scenario | None:
        """The scenario, when exactly one playable file was given."""
        if len(self.found) == 1 and self.found[0].scenario is not None:
            return self.found[0].scenario
        return None

    def on_mount(self) -> None:
        if self._resume is not None:
            # Straight back into an interrupted run.
            self.current = self._resume
            self._push_session(self._resume)
        elif self.single is not None:
            self.open_briefing(self.single)
        else:
            self._push_library()
        self.call_after_refresh(self._no_blink)
        if self.watched_file is not None:
            self._start_watching(self.watched_file)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Textual's notification; with `--calm` it stays until clicked rather than fading after seconds."""
        if self.calm:
            timeout = ERROR_SECONDS
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _push_library(self) -> None:
        from simulator.tui.screens.library import LibraryScreen

        self.push_screen(LibraryScreen(self.found, finished=self.finished_ids))
        self.call_after_refresh(self._no_blink)

    def _library_on_stack(self) -> bool:
        from simulator.tui.screens.library import LibraryScreen

        return any(isinstance(s, LibraryScreen) for s in self.screen_stack)

    def _no_blink(self) -> None:
        if not self.cursor_blink:
            for widget in self.screen.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    def on_library_screen_scenario_picked(self, event: LibraryScreen.ScenarioPicked) -> None:
        if event.found.scenario is not None:
            self.open_briefing(event.found.scenario)

    def open_briefing(self, scenario: Scenario) -> None:
        from simulator.tui.screens.briefing import BriefingScreen

        def begin(settings: Settings | None) -> None:
            if settings is not None:
                self._settings = settings
                self.start(scenario, settings)
            elif not self._library_on_stack():
                self._push_library()  # "Back" from a briefing the app opened on

        self.push_screen(
            BriefingScreen(
                scenario,
                self._settings,
                say_first_required=self.say_first_required,
                accommodation=self.accommodation_required,
                granted=self.granted,
            ),
            callback=begin,
        )
        self.call_after_refresh(self._no_blink)

    def start(self, scenario: Scenario, settings: Settings) -> None:
        """Start a run of `scenario` and show its session (replacing a run already on screen)."""
        run, problem = Run.start(scenario, settings, seed=self.seed, observe=self.observe)
        self.current = run
        self._push_session(run)
        if problem:
            self.notify(f"Records are off for this run: {problem}", severity="error", timeout=10)

    def _push_session(self, run: Run, feedback_for: Step | None = None) -> None:
        from simulator.tui.screens.session import SessionScreen

        screen = SessionScreen(run, clock=self.clock, feedback_for=feedback_for)
        if self._run_screen_on_top():
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def show_debrief(self, run: Run) -> None:
        from simulator.tui.screens.debrief import DebriefScreen

        self.switch_screen(DebriefScreen(run, self.export_dir, self.clock))
        self.call_after_refresh(self._no_blink)

    def _run_screen_on_top(self) -> bool:
        return isinstance(self.screen, RunScreen)

    def _confirm_leaving(self, then: str, go) -> None:
        """Ask before abandoning a run that is under way; `go()` if yes (or nothing to lose).

        A run left this way is marked abandoned in the records, so the next start does not
        offer to resume what the trainee chose to leave (closing the app does not: that run
        is offered again).
        """
        run = self.current
        # The run's screen may be under an overlay (help, map, pause) when this is asked.
        on_stack = run is not None and any(isinstance(s, RunScreen) and s.run is run for s in self.screen_stack)
        if run is None or not on_stack or run.session.finished:
            go()
            return

        def leave() -> None:
            problem = run.abandoned()
            if problem:
                self.notify(f"Could not record leaving the run: {problem}", severity="error", timeout=8)
            go()

        if run.session.turn == 0:
            leave()
            return
        from simulator.tui.screens.confirm import ConfirmScreen

        self.push_screen(
            ConfirmScreen(f"Leave this run and {then}? The decisions made so far will not be debriefed.", yes="Leave"),
            callback=lambda yes: leave() if yes else None,
        )

    # -- actions (also in the command palette) ---------------------------------------
    async def action_quit(self) -> None:
        """Quit; with decisions made in a run still under way, ask first."""
        run = self.current
        under_way = (
            run is not None
            and not run.session.finished
            and run.session.turn > 0
            and any(isinstance(s, RunScreen) and s.run is run for s in self.screen_stack)
        )
        if not under_way:
            self.exit()
            return
        from simulator.tui.screens.confirm import ConfirmScreen

        if self.is_web:
            kept = "Your decisions so far are kept in the records, but a run in a browser cannot be continued later."
        else:
            kept = "Your decisions so far are saved: the next 'groupsim play' offers to continue where you left off."
        self.push_screen(
            ConfirmScreen(f"Quit groupsim in the middle of this run? {kept}", yes="Quit"),
            callback=lambda yes: self.exit() if yes else None,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_test":
            run = self.current
            return self.watched_file is not None and run is not None and bool(run.session.history)
        return True

    def action_save_test(self) -> None:
        """Keep the path played so far as a test in the watched file (asks for its name)."""
        from simulator.tui.screens.save_test import SaveTestScreen

        run = self.current
        path = self.watched_file
        if path is None or run is None or not run.session.history or isinstance(self.screen, SaveTestScreen):
            return
        session = run.session
        ended = session.state.id if session.ending is not None else None
        picks: list[int | str] = ["timeout" if step.choice is None else step.choice for step in session.history]

        def save(name: str | None) -> None:
            from simulator.authoring.save_test import SaveTestError, save_test

            if not name:
                return
            try:
                saved = save_test(path, name, picks, session.seed, session)
            except SaveTestError as exc:
                self.notify(str(exc), title="The test was not saved", severity="error", timeout=12, markup=False)
                return
            self.notify(
                f"Saved '{saved.name}' to {saved.path.name}, line {saved.line}; 'groupsim test {saved.path}' runs it.",
                title="Test saved",
                timeout=8,
                markup=False,
            )
            self.check_reload()  # the file just written is the version played from now on

        self.push_screen(SaveTestScreen(path.name, len(session.history), ended), callback=save)

    def action_help(self) -> None:
        from simulator.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_restart(self) -> None:
        run = self.current
        if run is None:
            return
        self._confirm_leaving("start again", lambda: self.start(self._latest(run.session.scenario), run.settings))

    def action_open_library(self) -> None:
        def go() -> None:
            from simulator.tui.screens.library import LibraryScreen

            while len(self.screen_stack) > 1 and not isinstance(self.screen, LibraryScreen):
                self.pop_screen()
            self.current = None
            if not self._library_on_stack():
                self._push_library()

        self._confirm_leaving("go to the library", go)

    def _session_screen(self, screen: Screen | None = None) -> SessionScreen | None:
        from simulator.tui.screens.session import SessionScreen

        screen = self.screen if screen is None else screen
        return screen if isinstance(screen, SessionScreen) else None

    def action_rewind(self) -> None:
        if (session := self._session_screen()) is not None:
            session.action_rewind()

    def action_export(self) -> None:
        if isinstance(self.screen, RunScreen):
            self.screen.action_export()

    def action_map(self) -> None:
        if (session := self._session_screen()) is not None:
            session.action_map()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own "Keys" panel docks beside the screen, does not close with Esc and
        # squeezes the choices; groupsim's help (a screen of its own, Esc closes it) replaces it.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand("Keys and help", "Every key, screen by screen (F1)", self.action_help)
        run = screen.run if isinstance(screen, RunScreen) else None
        on_session = self._session_screen(screen) is not None
        if self.current is not None and run is not None:
            yield SystemCommand("Restart scenario", "Play this scenario again from the start", self.action_restart)
        if on_session and run is not None and run.settings.rewind_allowed:
            yield SystemCommand("Rewind", "Go back to the previous decision (practice only)", self.action_rewind)
        yield SystemCommand("Open library", "Go back to the list of scenarios", self.action_open_library)
        if run is not None:
            yield SystemCommand("Export", "Save the transcript and debrief as Markdown and JSON", self.action_export)
        if on_session and run is not None and run.settings.map_allowed:
            yield SystemCommand(
                "Map",
                "The scenario as a tree: every state and choice, your path marked (practice only)",
                self.action_map,
            )

    # -- --watch: reload the scenario file when it is saved ------------------------------
    def _start_watching(self, path: Path) -> None:
        from simulator.tui.watch import FileWatch, problems_text

        self._file_watch = FileWatch(path)
        errors = next((f.errors for f in self.found if f.scenario is None), ())
        if errors:
            self.reload_errors = errors
            self.notify(
                problems_text(errors),
                title=f"{path.name} does not load yet",
                severity="error",
                timeout=ERROR_SECONDS,
                markup=False,
            )
        else:
            self.notify(f"Watching {path.name}: save it and the scenario reloads here.", timeout=4, markup=False)
        self.clock.every(self, self._watch_interval, self.check_reload, name="watch")

    def check_reload(self) -> bool:
        """Reload the watched file if it was saved since the last look (the interval calls this).

        A file that does not load leaves everything as it is and lists its errors; one that
        loads replaces the briefing, or the session with the decisions so far replayed onto
        it (or restarted, saying why). Over a help, map or other overlay the reload waits
        until the trainee is back. Returns True when a save was read or a reload applied.
        """
        if self._file_watch is None:
            return False
        from simulator.authoring.library import load_file
        from simulator.tui.watch import problems_text

        read = False
        if self._file_watch.changed():
            read = True
            found = load_file(self._file_watch.path)
            self.clear_notifications()
            if found.scenario is None:
                self._pending = None
                self.reload_errors = found.errors
                self.notify(
                    problems_text(found.errors) + "\nPlay goes on with the last version that loaded. (Click to hide.)",
                    title=f"{found.path.name} did not load",
                    severity="error",
                    timeout=ERROR_SECONDS,
                    markup=False,
                )
                return True
            self.reload_errors = ()
            self._pending = found
        if self._pending is not None and self._apply_reload(self._pending):
            self._pending = None
            return True
        return read

    def _latest(self, scenario: Scenario) -> Scenario:
        """The watched file's newest version of `scenario`, or `scenario` itself."""
        if self.watched_file is not None and self.single is not None and self.single.id == scenario.id:
            return self.single
        return scenario

    def _apply_reload(self, found: Found) -> bool:
        """Put a freshly loaded scenario on screen; False if an overlay is open (try later)."""
        from simulator.play.replay import replay
        from simulator.tui.screens.briefing import BriefingScreen
        from simulator.tui.screens.debrief import DebriefScreen
        from simulator.tui.screens.library import LibraryScreen
        from simulator.tui.screens.session import SessionScreen

        assert found.scenario is not None
        scenario = found.scenario
        name = found.path.name
        screen = self.screen
        if not isinstance(screen, (BriefingScreen, SessionScreen, LibraryScreen, DebriefScreen)):
            return False
        self.found = [found]
        if isinstance(screen, BriefingScreen):
            self._settings = screen.settings()
            self.pop_screen()
            self.open_briefing(scenario)
            self.notify(f"Reloaded {name}.", timeout=3, markup=False)
        elif isinstance(screen, SessionScreen):
            old = screen.run
            session, why = replay(old.session, scenario)
            run = Run(session, old.settings)
            self.current = run
            last = session.history[-1] if session.history else None
            showing_feedback = screen.phase == "feedback" and why is None
            self._push_session(run, feedback_for=last if showing_feedback else None)
            if why is None:
                n = session.turn
                kept = {0: "nothing to replay yet", 1: "your decision replayed"}.get(n, f"your {n} decisions replayed")
                self.notify(f"Reloaded {name}: {kept}.", timeout=4, markup=False)
            else:
                self.notify(
                    f"Reloaded {name} and started again from the new start: {why}.",
                    title="Session restarted",
                    severity="warning",
                    timeout=10,
                    markup=False,
                )
        elif isinstance(screen, LibraryScreen):
            self.switch_screen(LibraryScreen(self.found, finished=self.finished_ids))
            self.notify(f"Reloaded {name}.", timeout=3, markup=False)
        else:
            self.notify(f"Reloaded {name}: the next run uses the new version.", timeout=5, markup=False)
        return True


def make_app(
    found: list[Found],
    *,
    seed: int | None = None,
    observe: ObserverFactory | None = None,
    export_dir: Path | None = None,
    cursor_blink: bool = True,
    resume: Run | None = None,
    watch: Path | None = None,
    watch_interval: float = 0.5,
    clock: Clock | None = None,
    say_first: bool = False,
    author_view: bool = False,
    accommodation: Accommodation = "none",
    finished: set[str] | None = None,
    high_contrast: bool = False,
    calm: bool = False,
    granted: GrantLookup = no_grant,
) -> GroupSimApp:
    """The app `groupsim play` runs.

    Args:
        found: the scenarios to offer (from `simulator.authoring.library.resolve`); with
            exactly one playable scenario the app opens on its briefing.
        seed: a fixed seed for chance branches; None picks a new one for every run.
        observe: called as `observe(scenario, settings, seed)` when a run starts;
            returns an object with any of `on_step`, `on_rewind`, `on_finish`,
            `on_reflections`, `on_abandon` (see `simulator.play.run.Observer`). For records.
        export_dir: where the debrief's exports go (default ./groupsim-exports).
        cursor_blink: False in tests, so snapshots are stable.
        resume: a run to continue (its session restored, its observer attached): the app
            opens on its session instead of the briefing.
        watch: a scenario file to reload whenever it is saved (`found` should be that one
            file). A run carried over to a new version has no observer: watched runs are
            an author's rehearsal and are not recorded.
        watch_interval: seconds between looks at the watched file.
        clock: where time comes from; tests pass a `simulator.tui.clock.ManualClock`.
        say_first: assessment runs ask the trainee's own words before each set of options.
        author_view: the map shows every choice's rating and consequences (on with `watch`).
        accommodation: the time accommodation for every run (a supervisor's `--time-accommodation`).
        finished: ids of the scenarios this trainee has finished, marked in the library.
        high_contrast: start in the high-contrast theme (also in the palette's Theme list).
        calm: no animation and no notifications that vanish on their own.
        granted: the time accommodation the records grant a trainee, by name; a run gets the
            more generous of it and `accommodation` (`Recorder.accommodation_for`).
    """
    return GroupSimApp(
        found,
        seed=seed,
        observe=observe,
        export_dir=export_dir,
        cursor_blink=cursor_blink,
        resume=resume,
        watch=watch,
        watch_interval=watch_interval,
        clock=clock,
        say_first=say_first,
        author_view=author_view,
        accommodation=accommodation,
        finished=finished,
        high_contrast=high_contrast,
        calm=calm,
        granted=granted,
    )
