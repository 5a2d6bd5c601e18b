"""The session: the room, the group and the choices, all at once.

The screen asks the `Session` what is on offer, calls `choose`, `timeout` and
`rewind`, and shows the `Step`s that come back. No rule of the scenario lives here.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import ScreenResume, ScreenSuspend
from textual.widgets import Button, Footer, Static

from simulator.engine.session import Step
from simulator.engine.transcript import transcript
from simulator.play.run import Run, Stopwatch
from simulator.tui.clock import Clock, Ticking
from simulator.tui.screens.base import RunScreen
from simulator.tui.widgets.choices import ChoiceList
from simulator.tui.widgets.countdown import Countdown
from simulator.tui.widgets.feedback import FeedbackPanel
from simulator.tui.widgets.group import Gauge, GroupPanel
from simulator.tui.widgets.room import MEMBER_COLOURS, RoomLog


class SessionScreen(RunScreen):
    """One run of a scenario, from its opening to its ending."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]
    BINDINGS = [
        Binding("1", "pick(1)", "Choose", key_display="1-9"),
        *[Binding(str(n), f"pick({n})", f"Choose {n}", show=False) for n in range(2, 10)],
        Binding("r", "rewind", "Rewind"),
        Binding("s", "step_out", "Step out"),
        # The map is a supervisor's tool: in the help and the palette, not in the trainee's footer.
        Binding("m", "map", "Map", show=False),
    ]

    def __init__(
        self, run: Run, *, clock: Clock | None = None, delta_seconds: float = 4.0, feedback_for: Step | None = None
    ) -> None:
        super().__init__()
        self.run = run
        self._clock = clock or Clock()
        self._feedback_for = feedback_for
        """A step whose feedback to show first (a run replayed onto a reloaded scenario)."""
        self.phase: str = "choosing"
        """'choosing', 'feedback' or 'ended': what the bottom of the screen shows."""
        self._delta_seconds = delta_seconds
        self._delta_timer: Ticking | None = None
        self._stopwatch = Stopwatch(self._clock.now)

    # -- building ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        sc = self.run.session.scenario
        yield Static(id="session-title", markup=False)
        with Horizontal(id="stage"):
            yield RoomLog({k: sc.speaker_name(k) for k in [*sc.members, *sc.cast]}, id="room")
            yield GroupPanel(*self._gauges({}), id="group")
        with Vertical(id="act"):
            with Horizontal(id="act-head"):
                yield Static(id="prompt", markup=False)
                yield Countdown(self._clock, id="countdown")
            yield ChoiceList(id="choices")
            with Vertical(id="ended"):
                yield Static(id="ending-text", markup=False)
                yield Button("Open the debrief ⏎", variant="primary", id="debrief", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#room").border_title = "The room"
        self.query_one("#group").border_title = "The group"
        choices = self.query_one("#choices", ChoiceList)
        # On a short terminal not every choice fits: say so on the panel's edge, so that
        # the last options are not missed (a scrollbar alone is easy to overlook).
        self.watch(choices, "scroll_y", self._mark_more, init=False)
        self.watch(choices, "virtual_size", self._mark_more, init=False)
        self.query_one("#room", RoomLog).entries = tuple(transcript(self.run.session))
        if self._feedback_for is not None:
            self.query_one("#ended").display = False  # `_present` would have hidden it
            self._decide(self._feedback_for)
        else:
            self._present()

    def _gauges(self, changes: dict[str, int]) -> tuple[tuple[Gauge, ...], tuple[Gauge, ...]]:
        s = self.run.session
        sc = s.scenario
        meters = tuple(
            Gauge(k, m.label, s.values[k], m.min, m.max, changes.get(k, 0), m.help) for k, m in sc.meters.items()
        )
        members = tuple(
            Gauge(k, m.name, s.values[k], 0, 100, changes.get(k, 0), m.about, f"member-{i % MEMBER_COLOURS}")
            for i, (k, m) in enumerate(sc.members.items())
        )
        return meters, members

    def _show_values(self, changes: dict[str, int]) -> None:
        panel = self.query_one("#group", GroupPanel)
        panel.meters, panel.members = self._gauges(changes)
        if self._delta_timer is not None:
            self._delta_timer.stop()
            self._delta_timer = None
        if changes:
            # The changes show briefly, long enough to connect cause and effect.
            self._delta_timer = self._clock.after(self, self._delta_seconds, lambda: self._show_values({}))

    def _title(self) -> None:
        s = self.run.session
        mode = "Practice" if self.run.settings.practice else "Assessment"
        who = f" · {self.run.settings.trainee}" if self.run.settings.trainee else ""
        where = "ended" if s.finished else f"decision {s.turn + 1}"
        self.query_one("#session-title", Static).update(Content(f"{s.scenario.title} · {mode}{who} · {where}"))

    # -- the cycle: present, decide, (feedback), present ------------------------
    def _present(self) -> None:
        """Show what the session offers now: choices, or the ending."""
        s = self.run.session
        self._title()
        self._remove_feedback()
        choices_list = self.query_one("#choices", ChoiceList)
        countdown = self.query_one("#countdown", Countdown)
        ended = self.query_one("#ended")
        prompt = self.query_one("#prompt", Static)
        if s.finished:
            self._set_phase("ended")
            countdown.stop()
            choices_list.display = False
            ended.display = True
            assert s.ending is not None
            prompt.update(Content("The session has ended."))
            self.query_one("#ending-text", Static).update(Content(s.ending.shown("title", s.context)))
            self.query_one("#debrief", Button).focus()
            return
        self._set_phase("choosing")
        ended.display = False
        offered = s.choices()
        choices_list.choices = offered
        choices_list.display = True
        text = " ".join(s.state.shown("prompt", s.context).split())
        if not offered:
            text += " (Nothing can be done here right now.)"
        prompt.update(Content(text))
        choices_list.focus()
        self._stopwatch.restart()
        if s.state.time_limit is not None and self.run.settings.time_limits:
            countdown.start(s.state.time_limit)
        else:
            countdown.stop()

    def _decide(self, step: Step) -> None:
        """Show what a decision did."""
        self.query_one("#countdown", Countdown).stop()
        s = self.run.session
        self.query_one("#room", RoomLog).entries = tuple(transcript(s))
        self._show_values(step.changes)
        if self.run.settings.feedback_now:
            self._set_phase("feedback")
            self._title()
            self.query_one("#choices", ChoiceList).display = False
            self.query_one("#prompt", Static).update(Content("Feedback"))
            note = "The scenario has ended; continue to see how." if s.finished else ""
            panel = FeedbackPanel(step, s.scenario.references, note=note, id="feedback")
            self.query_one("#act").mount(panel, after="#act-head")
        else:
            self._present()

    def _remove_feedback(self) -> None:
        for panel in self.query("#feedback"):
            panel.remove()

    def _warn(self, problem: str | None) -> None:
        if problem:
            self.notify(f"Could not record this: {problem}", severity="error", timeout=8)

    @on(ChoiceList.ChoiceMade)
    def _choice_made(self, event: ChoiceList.ChoiceMade) -> None:
        # A pick from a list this screen has since replaced (two keys at once) is not a choice here.
        if self.phase != "choosing" or not any(c is event.choice for c in self.run.session.choices()):
            return
        elapsed = self._stopwatch.elapsed_ms()
        step = self.run.session.choose(event.number)
        self._warn(self.run.stepped(step, elapsed))
        self._decide(step)

    @on(Countdown.Expired)
    def _expired(self) -> None:
        if self.phase != "choosing" or self.run.session.state.time_limit is None:
            return
        elapsed = self._stopwatch.elapsed_ms()
        step = self.run.session.timeout()
        self._warn(self.run.stepped(step, elapsed))
        self._decide(step)

    @on(FeedbackPanel.Continued)
    def _continued(self) -> None:
        self._present()

    @on(Button.Pressed, "#debrief")
    def action_open_debrief(self) -> None:
        if self.run.session.finished:
            self.app.show_debrief(self.run)  # type: ignore[attr-defined]

    # -- keys --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rewind":
            return self.run.settings.rewind_allowed
        if action == "pick":
            return self.phase == "choosing"
        return True

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self.refresh_bindings()
        self.call_after_refresh(self._mark_more)

    def on_resize(self) -> None:
        self.call_after_refresh(self._mark_more)

    def _mark_more(self) -> None:
        choices = self.query_one("#choices", ChoiceList)
        below = choices.display and choices.scroll_y < choices.max_scroll_y
        self.query_one("#act").border_subtitle = "more choices below ↓" if below else ""

    def action_pick(self, shown: int) -> None:
        if self.phase == "choosing":
            self.query_one("#choices", ChoiceList).pick(shown)

    def action_rewind(self) -> None:
        """Go back to the previous decision (practice only)."""
        if not self.run.settings.rewind_allowed:
            self.notify("Rewinding is for practice; in assessment every choice stands.")
            return
        s = self.run.session
        if s.turn == 0:
            self.notify("This is the first decision: there is nothing to rewind.")
            return
        s.rewind(s.turn - 1)
        self._warn(self.run.rewound())
        self.query_one("#room", RoomLog).entries = tuple(transcript(s))
        self._show_values({})
        self._present()
        self.notify(f"Rewound to decision {s.turn + 1}.", timeout=3)

    def action_export(self) -> None:
        """Export the run so far (the debrief exports the finished run with reflections)."""
        from simulator.play.export import write_exports

        try:
            md, js = write_exports(self.run.session, self.app.export_dir, self.run.settings)  # type: ignore[attr-defined]
        except OSError as exc:
            self.notify(f"Could not export: {exc.strerror or exc}", severity="error", timeout=10)
            return
        self.notify(f"Saved {md.name} and {js.name} in {md.parent}", title="Exported", timeout=8)

    def action_map(self) -> None:
        """Show the scenario as a tree with the path so far marked (practice only: it shows the ratings)."""
        if not self.run.settings.practice:
            self.notify("The map shows every choice's rating, so it is for practice, not assessment.")
            return
        from simulator.tui.screens.map import MapScreen

        self.app.push_screen(MapScreen(self.run.session.scenario, self.run.session))

    def action_step_out(self) -> None:
        from simulator.tui.screens.pause import PauseScreen

        self.app.push_screen(PauseScreen())

    # A paused, helped or palette-covered session does not run its clock.
    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        self.query_one("#countdown", Countdown).pause()
        self._stopwatch.pause()

    def on_screen_resume(self, event: ScreenResume) -> None:
        self.query_one("#countdown", Countdown).resume()
        self._stopwatch.resume()
