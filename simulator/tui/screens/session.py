"""The session: the room, the group and the choices, all at once.

The screen asks the run what is on offer (in the run's own order), calls `choose`,
`timeout` and `rewind`, and shows the `Step`s that come back. No rule of the scenario or
of the mode lives here: what practice and assessment allow is asked of the run's
`Settings`.

The text a trainee reacts to comes first: each new passage is shown from its first
line, and when it runs past the room's edge the edge says so and PgDn / Space page
through it while the choices keep the keyboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import ScreenResume, ScreenSuspend
from textual.widgets import Button, Footer, Static
from textual.worker import Worker, WorkerState

from simulator.engine.model import Choice
from simulator.engine.session import Step
from simulator.engine.transcript import transcript
from simulator.play.debrief import signed
from simulator.play.run import Run, Stopwatch
from simulator.tui.clock import Clock
from simulator.tui.screens.base import RunScreen
from simulator.tui.widgets.choices import ChoiceList
from simulator.tui.widgets.countdown import Countdown
from simulator.tui.widgets.feedback import FeedbackPanel
from simulator.tui.widgets.group import Gauge, GroupPanel
from simulator.tui.widgets.room import MEMBER_COLOURS, RoomLog
from simulator.tui.widgets.say_first import SayFirst

if TYPE_CHECKING:
    from simulator.play.matcher import Match

Phase = str
"""'saying' (say-it-first: the trainee's own words first), 'choosing', 'feedback', 'ended', or
'stuck' (a decision with nothing on offer: the scenario cannot go on)."""


class SessionScreen(RunScreen):
    """One run of a scenario, from its opening to its ending."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]
    BINDINGS = [
        Binding("1", "pick(1)", "Choose", key_display="1-9"),
        *[Binding(str(n), f"pick({n})", f"Choose {n}", show=False) for n in range(2, 10)],
        # The room pages while the choices keep the keyboard (priority: the choice list's
        # own PgDn would otherwise move its highlight).
        Binding("pagedown,space", "room(1)", "Read on", key_display="PgDn", priority=True),
        Binding("pageup", "room(-1)", "Read back", key_display="PgUp", priority=True, show=False),
        Binding("r", "rewind", "Rewind"),
        Binding("m", "map", "Map"),
        Binding("s", "step_out", "Step out"),
    ]

    def __init__(self, run: Run, *, clock: Clock | None = None, feedback_for: Step | None = None) -> None:
        super().__init__()
        self.run = run
        self._clock = clock or Clock()
        self._feedback_for = feedback_for
        """A step whose feedback to show first (a run replayed onto a reloaded scenario)."""
        self.phase: Phase = "choosing"
        """What the bottom of the screen shows: 'saying', 'choosing', 'feedback' or 'ended'."""
        self.said = ""
        """What the trainee wrote at this decision (say-it-first), until they choose."""
        self.match: Match | None = None
        """How their words matched the options (say-it-first), until they choose."""
        self._stopwatch = Stopwatch(self._clock.now)

    # -- building ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        sc = self.run.session.scenario
        yield Static(id="session-title", markup=False)
        with Horizontal(id="stage"):
            yield RoomLog({k: sc.speaker_name(k) for k in [*sc.members, *sc.cast]}, id="room")
            yield GroupPanel(*self._gauges({}), hidden=not self.run.settings.meters_shown, id="group")
        with Vertical(id="act"):
            with Horizontal(id="act-head"):
                yield Static(id="prompt", markup=False)
                yield Countdown(self._clock, id="countdown")
            yield SayFirst(id="say-first")
            yield Static(id="match-note", markup=False)
            yield ChoiceList(id="choices")
            with Vertical(id="ended"):
                yield Static(id="ending-text", markup=False)
                yield Button("Open the debrief ⏎", variant="primary", id="debrief", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#room").border_title = "The room"
        self.query_one("#group").border_title = "The group"
        choices = self.query_one("#choices", ChoiceList)
        room = self.query_one("#room", RoomLog)
        # On a short terminal not everything fits: say so on the panels' edges, so that the
        # rest of a passage or the last options are not missed (a scrollbar is easy to overlook).
        for widget in (choices, room, self.query_one("#group")):
            self.watch(widget, "scroll_y", self._mark_more, init=False)
            self.watch(widget, "virtual_size", self._mark_more, init=False)
        self.watch(self.query_one("#countdown", Countdown), "remaining", self._clock_seen, init=False)
        for hidden in ("#say-first", "#match-note", "#ended"):
            self.query_one(hidden).display = False
        room.entries = tuple(transcript(self.run.session))
        if self.run.settings.say_first:
            # The matcher's model takes a second or more to load: load it while the trainee reads.
            from simulator.play.matcher import preload

            self.run_worker(preload, thread=True, name="matcher-preload", exit_on_error=False)
        if self._feedback_for is not None:
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
        """Every bar's value, and what the last decision changed (shown until the next one)."""
        panel = self.query_one("#group", GroupPanel)
        panel.meters, panel.members = self._gauges(changes)

    def _title(self) -> None:
        s = self.run.session
        mode = "Practice" if self.run.settings.practice else "Assessment"
        who = f" · {self.run.settings.trainee}" if self.run.settings.trainee else ""
        if s.finished:
            where = "ended"
        elif self.phase == "feedback":
            where = f"feedback on decision {s.turn}"
        else:
            where = f"decision {s.turn + 1}"
        self.query_one("#session-title", Static).update(Content(f"{s.scenario.title} · {mode}{who} · {where}"))

    # -- the cycle: (say), choose, (feedback), again ---------------------------------
    def _present(self) -> None:
        """Show what the session offers now: the trainee's own words first, the choices, or the ending."""
        s = self.run.session
        settings = self.run.settings
        self._remove_feedback()
        choices_list = self.query_one("#choices", ChoiceList)
        countdown = self.query_one("#countdown", Countdown)
        ended = self.query_one("#ended")
        prompt = self.query_one("#prompt", Static)
        say = self.query_one("#say-first", SayFirst)
        self.query_one("#match-note").display = False
        self.said, self.match = "", None
        if s.finished:
            self._set_phase("ended")
            countdown.stop()
            choices_list.display = False
            say.display = False
            ended.display = True
            assert s.ending is not None
            prompt.update(Content("The session has ended."))
            self.query_one("#ending-text", Static).update(Content(s.ending.shown("title", s.context)))
            self.query_one("#debrief", Button).focus()
            return
        offered = self.run.on_offer()
        if not offered and s.state.on_timeout is None:
            # A dead end (`groupsim validate` reports it as an error): never an empty list to
            # stare at; say so, and let the trainee go on to the debrief of what they did.
            self._set_phase("stuck")
            countdown.stop()
            choices_list.display = False
            say.display = False
            ended.display = True
            prompt.update(Content("This scenario cannot go on from here."))
            self.query_one("#ending-text", Static).update(
                Content(
                    "Its author's conditions leave nothing on offer at this point ('groupsim validate' reports it). "
                    "Your decisions so far are kept; the debrief looks back on them."
                )
            )
            self.query_one("#debrief", Button).focus()
            return
        ended.display = False
        text = s.state.shown("prompt", s.context)
        prompt.update(Content(" ".join(text.split())))
        if settings.say_first and offered:
            self._set_phase("saying")
            choices_list.display = False
            say.clear()
            say.display = True
            say.focus_box()
        else:
            self._set_phase("choosing")
            say.display = False
            self._show_choices(offered)
        self._stopwatch.restart()
        limit = settings.time_limit(s.state.time_limit)
        if limit is not None and self.run.clock_left is not None:
            # A run resumed mid-decision gives back the time that was left, not the whole limit.
            limit = max(1, min(limit, self.run.clock_left))
        self.run.clock_left = None
        if limit is not None and s.state.on_timeout is not None:
            countdown.start(limit)
        else:
            countdown.stop()

    def _show_choices(self, offered: tuple[Choice, ...], selected: int | None = None) -> None:
        choices_list = self.query_one("#choices", ChoiceList)
        choices_list.choices = offered
        if selected is not None:
            choices_list.highlighted = selected
        choices_list.display = True
        choices_list.focus()

    @on(SayFirst.Said)
    def _said(self, event: SayFirst.Said) -> None:
        """The trainee's own words are in: match them (in a thread, off the screen's loop)."""
        if self.phase != "saying":
            return
        from simulator.play.matcher import match

        offered = self.run.on_offer()
        self.said = event.text
        note = self.query_one("#match-note", Static)
        note.update(Content("Finding the option closest to your words…"))
        note.display = True
        self.run_worker(lambda: match(event.text, offered), thread=True, name="match", exit_on_error=False)

    @on(Worker.StateChanged)
    def _matched(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "match" or self.phase != "saying":
            return
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self._show_match(event.worker.result)
        elif event.state == WorkerState.ERROR:  # never leave the trainee without the options
            from simulator.play.matcher import Match

            self._show_match(Match((), None, "the options could not be matched to your words"))

    def _show_match(self, found: Match) -> None:
        """Show the options, the one closest to the trainee's words highlighted if it is clear."""
        offered = self.run.on_offer()
        self.match = found
        self.query_one("#say-first").display = False
        note = self.query_one("#match-note", Static)
        said = self.said
        if found.selected is not None and found.selected in offered:
            shown = offered.index(found.selected) + 1
            note.update(Content(f"You wrote: “{said}”. Closest: option {shown}. Enter to confirm it, or pick another."))
        else:
            why = found.reason or "none of the options is clearly closest"
            note.update(Content(f"You wrote: “{said}”. Nothing is pre-selected: {why}. Pick the option you meant."))
        note.display = True
        self._set_phase("choosing")
        self._show_choices(offered, None if found.selected is None else offered.index(found.selected))
        if found.selected is None or found.selected not in offered:
            self.query_one("#choices", ChoiceList).highlighted = None

    def _decide(self, step: Step) -> None:
        """Show what a decision did."""
        self.query_one("#countdown", Countdown).stop()
        s = self.run.session
        settings = self.run.settings
        self.query_one("#room", RoomLog).entries = tuple(transcript(s))
        self._show_values(step.changes if settings.meters_shown else {})
        self.query_one("#match-note").display = False
        self.query_one("#say-first").display = False
        if settings.feedback_now:
            self._set_phase("feedback")
            self.query_one("#choices", ChoiceList).display = False
            self.query_one("#prompt", Static).update(Content("Feedback"))
            note = "The scenario has ended; continue to see how." if s.finished else ""
            changes = self._changes_line(step) if settings.meters_shown else ""
            panel = FeedbackPanel(step, s.scenario.references, changes=changes, note=note, id="feedback")
            self.query_one("#act").mount(panel, after="#act-head")
            self.call_after_refresh(self._watch_feedback)
        else:
            self._present()

    def _watch_feedback(self) -> None:
        for body in self.query("#feedback-body"):
            self.watch(body, "scroll_y", self._mark_more, init=False)
            self.watch(body, "virtual_size", self._mark_more)

    CLOCK_NOTE_EVERY = 5
    """Seconds between notes of a running clock to the records (so a crash loses at most this)."""

    def _clock_seen(self, remaining: int | None) -> None:
        if remaining is not None and remaining > 0 and remaining % self.CLOCK_NOTE_EVERY == 0:
            self._warn(self.run.clock(remaining))

    def _changes_line(self, step: Step) -> str:
        sc = self.run.session.scenario
        moved = ", ".join(f"{sc.label(k)} {signed(d)}" for k, d in step.changes.items())
        return f"Changes: {moved or 'nothing moved'}"

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
        step = self.run.session.choose(event.number, said=self.said)
        self._warn(self.run.stepped(step, elapsed))
        self._decide(step)

    @on(Countdown.Expired)
    def _expired(self) -> None:
        if self.phase not in ("saying", "choosing") or self.run.session.state.time_limit is None:
            return
        elapsed = self._stopwatch.elapsed_ms()
        step = self.run.session.timeout(said=self.said)
        self._warn(self.run.stepped(step, elapsed))
        self._decide(step)

    @on(FeedbackPanel.Continued)
    def _continued(self) -> None:
        self._present()

    @on(Button.Pressed, "#debrief")
    def action_open_debrief(self) -> None:
        if self.run.session.finished or self.phase == "stuck":
            self.app.show_debrief(self.run)  # type: ignore[attr-defined]

    # -- keys --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        settings = self.run.settings
        if action == "rewind":
            return settings.rewind_allowed
        if action == "map":
            return settings.map_allowed
        if action == "pick":
            return self.phase == "choosing"
        if action == "room":
            # While the trainee types their own words, Space is a space and PgDn stays in the box.
            return self.phase != "saying"
        return True

    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self._title()
        self.refresh_bindings()
        self.call_after_refresh(self._mark_more)

    def on_resize(self) -> None:
        self.call_after_refresh(self._mark_more)

    def _mark_more(self) -> None:
        choices = self.query_one("#choices", ChoiceList)
        below = choices.display and choices.scroll_y < choices.max_scroll_y
        edge = "more choices below ↓" if below else ""
        for body in self.query("#feedback-body"):
            if body.scroll_y < body.max_scroll_y:
                edge = "more feedback below · ↓"
        self.query_one("#act").border_subtitle = edge
        group = self.query_one("#group", GroupPanel)
        group.border_subtitle = "more below ↓" if group.scroll_y < group.max_scroll_y else ""
        room = self.query_one("#room", RoomLog)
        # Each entry ends with a blank line: only words below the edge count as more.
        if room.max_scroll_y - room.scroll_y > 1:
            room.border_subtitle = "more below · PgDn"
        elif room.scroll_y > 0:
            room.border_subtitle = "earlier above · PgUp"
        else:
            room.border_subtitle = ""

    def action_room(self, pages: int) -> None:
        """Page the room's text down (1) or up (-1); the choices keep the keyboard."""
        room = self.query_one("#room", RoomLog)
        if pages > 0:
            room.scroll_page_down(animate=False)
        else:
            room.scroll_page_up(animate=False)

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
        """Show the scenario as a tree with the path so far marked (practice only)."""
        settings = self.run.settings
        if not settings.map_allowed:
            self.notify("The map is for practice; in assessment it would give the choices away.")
            return
        from simulator.tui.screens.map import MapScreen

        session = self.run.session
        self.app.push_screen(MapScreen(session.scenario, session, everything=settings.map_shows_everything))

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
