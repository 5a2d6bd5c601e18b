"""The briefing: the setting, objectives and content notes; the trainee's name and mode."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, RadioSet, Static

from simulator.engine.model import Scenario
from simulator.play.settings import Settings
from simulator.tui.widgets.toggles import Check, Radio

HEADING = "bold $text-accent"
"""A section heading's style (as `.section-heading` in app.tcss)."""

MODE_HELP = {
    True: "Feedback after every choice; you can rewind. Time limits are off unless you ask for them below.",
    False: "Feedback is held for the debrief; no rewinding; time limits are on.",
}
"""What each mode means, keyed by "is it practice"."""


class BriefingScreen(Screen[Settings | None]):
    """Read the brief, choose a mode, begin. Dismisses with the `Settings`, or None for back."""

    AUTO_FOCUS = "#trainee"
    BINDINGS = [Binding("escape", "back", "Back to library")]

    def __init__(self, scenario: Scenario, settings: Settings | None = None) -> None:
        super().__init__()
        self.scenario = scenario
        self._settings = settings or Settings()

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
            with VerticalScroll(id="choose-mode"):
                yield Static(Content("Your name (optional, kept with your records)"), classes="field-label")
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
                with Horizontal(id="briefing-actions"):
                    yield Button("Begin", variant="primary", id="begin")
                    yield Button("Back", id="back")
        yield Footer()

    @property
    def mode(self) -> str:
        return "assessment" if self.query_one("#assessment", Radio).value else "practice"

    def _describe_mode(self) -> None:
        practice = self.mode == "practice"
        self.query_one("#mode-help", Static).update(Content(MODE_HELP[practice]))
        self.query_one("#timed", Check).display = practice

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        self._describe_mode()

    def settings(self) -> Settings:
        return Settings(
            mode="assessment" if self.mode == "assessment" else "practice",
            trainee=self.query_one("#trainee", Input).value.strip(),
            timed=self.query_one("#timed", Check).value,
        )

    @on(Button.Pressed, "#begin")
    @on(Input.Submitted, "#trainee")
    def _begin(self) -> None:
        self.dismiss(self.settings())

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
