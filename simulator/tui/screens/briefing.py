"""The briefing: the setting, objectives and content notes; the trainee's name and mode."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, RadioSet, Select, Static

from simulator.engine.model import Scenario
from simulator.play.settings import (
    ACCOMMODATIONS,
    GRANTED_WORDS,
    Accommodation,
    GrantLookup,
    Settings,
    more_generous,
    no_grant,
)
from simulator.tui.widgets.toggles import Check, Radio

HEADING = "bold $text-accent"
"""A section heading's style (as `.section-heading` in app.tcss)."""

MODE_HELP = {
    True: "Feedback after every choice; you can rewind. Time limits are off unless you ask for them below.",
    False: "Feedback is held for the debrief; no rewinding; time limits are on; the group's meters stay "
    "hidden until the debrief.",
}
"""What each mode means, keyed by "is it practice"."""

TIME_CHOICES: tuple[tuple[Accommodation, str], ...] = (
    ("none", "Time as written"),
    ("1.5x", "One and a half times as long"),
    ("2x", "Twice as long"),
    ("off", "No time limits"),
)
"""The time accommodations, as the briefing words them."""

SAY_FIRST_HELP = "Say it first: write your own answer before you see the options."
SAY_FIRST_REQUIRED = "This assessment asks for your own words first at every decision (say it first)."

RECORDED = (
    "What is recorded: each choice and how long it took, rewinds, your own words (with say it first) and what "
    "you write in the debrief, with your name if you give one. They are kept in groupsim's records on this "
    "computer, or in the shared records file your course uses, where your supervisor can read them."
)


class BriefingScreen(Screen[Settings | None]):
    """Read the brief, choose a mode, begin. Dismisses with the `Settings`, or None for back."""

    AUTO_FOCUS = "#trainee"
    BINDINGS = [Binding("escape", "back", "Back to library")]

    def __init__(
        self,
        scenario: Scenario,
        settings: Settings | None = None,
        *,
        say_first_required: bool = False,
        accommodation: Accommodation = "none",
        granted: GrantLookup = no_grant,
    ) -> None:
        super().__init__()
        self.scenario = scenario
        self._settings = settings or Settings()
        self.say_first_required = say_first_required or scenario.say_first
        """Assessment asks the trainee's own words first (the scenario's `say_first`, or `--say-first`)."""
        self.accommodation = accommodation
        """The time accommodation the supervisor set: assessment uses it; practice starts from it."""
        self._granted_to = granted
        self._grants: dict[str, Accommodation] = {}
        self._given_shown = ""

    def compose(self) -> ComposeResult:
        sc = self.scenario
        g = sc.group
        yield Static(Content(f"Briefing · {sc.title}"), classes="screen-title")
        with Horizontal(id="briefing-body"):
            with VerticalScroll(id="brief"):
                # One Static per section, each heading styled text inside it: fewer widgets
                # to build at start-up, the same to read.
                rows = [("Group", g.kind), ("Session", g.session), ("Stage", g.stage), ("Setting", g.setting)]
                text = Content.assemble(
                    *[part for k, v in rows if v for part in ((f"{k}: ", "bold"), v, "\n")],
                    "\n",
                    " ".join(sc.summary.split()),
                )
                yield Static(text, id="setting")
                if sc.content_notes:
                    yield Static(
                        Content.assemble(
                            ("Content notes", "bold $text-warning"),
                            "\n",
                            "\n".join(f"• {n}" for n in sc.content_notes),
                        ),
                        id="content-notes",
                    )
                parts: list[str | tuple[str, str]] = [
                    ("Objectives", HEADING),
                    "\n",
                    "\n".join(f"• {' '.join(o.split())}" for o in sc.objectives),
                ]
                if sc.members:
                    parts += ["\n\n", ("In the room", HEADING), "\n"]
                    parts += [
                        part
                        for m in sc.members.values()
                        for part in ((m.name, "bold"), f" — {' '.join(m.about.split())}\n" if m.about else "\n")
                    ]
                yield Static(Content.assemble(*parts), id="objectives")
                yield Static(Content(RECORDED), id="recorded")
            with VerticalScroll(id="choose-mode"):
                yield Static(Content("Your name (optional)"), classes="field-label")
                yield Input(value=self._settings.trainee, placeholder="optional", id="trainee")
                yield Static(Content("Mode"), classes="field-label")
                with RadioSet(id="mode"):
                    yield Radio("Practice", value=self._settings.mode == "practice", id="practice")
                    yield Radio("Assessment", value=self._settings.mode == "assessment", id="assessment")
                # The mode's description and whether "time limits" is offered are set here, as
                # they start, rather than after mounting (which would lay the screen out twice).
                practice = self._settings.mode != "assessment"
                yield Static(Content(MODE_HELP[practice]), id="mode-help")
                timed = Check("Use time limits", value=self._settings.timed, id="timed")
                timed.display = practice
                yield timed
                chosen = self._settings.accommodation if self._settings.accommodation != "none" else self.accommodation
                more_time = Select(
                    [(label, value) for value, label in TIME_CHOICES],
                    value=chosen,
                    allow_blank=False,
                    id="more-time",
                    tooltip="More time for each timed decision (or none at all)",
                )
                # Only with time limits on is there a limit to lengthen.
                more_time.display = practice and self._settings.timed
                yield more_time
                given_text = self._given_shown = self._given_time(practice, self._settings.trainee)
                given = Static(Content(given_text), id="given-time")
                given.display = bool(given_text)
                yield given
                say = Check("Say it first", value=self._settings.say_first, id="say-first-box")
                say.display = practice
                yield say
                say_help = Static(Content(self._say_first_help(practice)), id="say-first-help")
                say_help.display = bool(self._say_first_help(practice))
                yield say_help
        # Outside the scrolling panes, so Begin is on screen however small the terminal.
        with Horizontal(id="briefing-actions"):
            yield Button("Begin", variant="primary", id="begin")
            yield Button("Back", id="back")
        yield Footer()

    def granted(self, trainee: str) -> Accommodation:
        """The time accommodation the records grant the trainee named `trainee` (asked once per name)."""
        name = trainee.strip()
        if name not in self._grants:
            self._grants[name] = more_generous("none", self._granted_to(name)) if name else "none"
        return self._grants[name]

    def _given_time(self, practice: bool, trainee: str) -> str:
        """The time accommodation set for the trainee, in words: their supervisor's grant, or
        (in assessment) what `--time-accommodation` allows if that is more."""
        granted = self.granted(trainee)
        allowed = more_generous(self.accommodation, granted)
        if granted != "none" and (practice or allowed == granted):
            return GRANTED_WORDS[granted]
        if practice or allowed == "none":
            return ""
        return f"Time: {dict(TIME_CHOICES)[allowed].lower()} (set for you)."

    def _say_first_help(self, practice: bool) -> str:
        if not practice and self.say_first_required:
            return SAY_FIRST_REQUIRED
        return SAY_FIRST_HELP if practice else ""

    @property
    def mode(self) -> str:
        return "assessment" if self.query_one("#assessment", Radio).value else "practice"

    def _describe_mode(self) -> None:
        practice = self.mode == "practice"
        self.query_one("#mode-help", Static).update(Content(MODE_HELP[practice]))
        self.query_one("#timed", Check).display = practice
        self.query_one("#say-first-box", Check).display = practice
        self.query_one("#more-time").display = practice and self.query_one("#timed", Check).value
        self._describe_time(practice)
        help_text = self._say_first_help(practice)
        self.query_one("#say-first-help", Static).update(Content(help_text))
        self.query_one("#say-first-help").display = bool(help_text)

    def _describe_time(self, practice: bool) -> None:
        given = self._given_time(practice, self._trainee_name())
        shown = self.query_one("#given-time", Static)
        if given != self._given_shown:  # not redrawn at every key typed in the name
            self._given_shown = given
            shown.update(Content(given))
        shown.display = bool(given)

    @on(RadioSet.Changed, "#mode")
    @on(Check.Changed, "#timed")
    def _mode_changed(self) -> None:
        self._describe_mode()

    @on(Input.Changed, "#trainee")
    def _name_changed(self) -> None:
        """A name the records grant a time accommodation is told so as it is typed."""
        self._describe_time(self.mode == "practice")

    def settings(self) -> Settings:
        assessment = self.mode == "assessment"
        return Settings(
            mode="assessment" if assessment else "practice",
            trainee=self._trainee_name(),
            timed=self.query_one("#timed", Check).value,
            say_first=self.say_first_required if assessment else self.query_one("#say-first-box", Check).value,
            author_view=self._settings.author_view,
            # In assessment only what the supervisor allows; in practice the trainee's own choice.
            # Either way, at least what their supervisor granted them by name.
            accommodation=more_generous(
                self.accommodation if assessment else self._chosen_time(), self.granted(self._trainee_name())
            ),
        )

    def _trainee_name(self) -> str:
        return self.query_one("#trainee", Input).value.strip()

    def _chosen_time(self) -> Accommodation:
        value = self.query_one("#more-time", Select).value
        return next((a for a in ACCOMMODATIONS if a == value), "none")

    @on(Button.Pressed, "#begin")
    @on(Input.Submitted, "#trainee")
    def _begin(self) -> None:
        if granted := GRANTED_WORDS[self.granted(self._trainee_name())]:
            self.app.notify(granted, timeout=8, markup=False)  # said again: Enter in the name box begins at once
        self.dismiss(self.settings())

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
