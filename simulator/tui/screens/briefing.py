"""The briefing: the setting, objectives and content notes; the trainee's name and mode."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, RadioButton, RadioSet, Static

from simulator.engine.model import Scenario
from simulator.tui.run import Settings


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
                rows = [("Group", g.kind), ("Session", g.session), ("Stage", g.stage), ("Setting", g.setting)]
                text = Content.assemble(
                    *[part for k, v in rows if v for part in ((f"{k}: ", "bold"), v, "\n")],
                    "\n",
                    " ".join(sc.summary.split()),
                )
                yield Static(text, id="setting")
                if sc.content_notes:
                    with Vertical(id="content-notes"):
                        yield Static(Content("Content notes"), classes="section-heading")
                        yield Static(Content("\n".join(f"• {n}" for n in sc.content_notes)))
                yield Static(Content("Objectives"), classes="section-heading")
                yield Static(Content("\n".join(f"• {' '.join(o.split())}" for o in sc.objectives)), id="objectives")
                if sc.members:
                    yield Static(Content("In the room"), classes="section-heading")
                    yield Static(
                        Content.assemble(
                            *[
                                part
                                for m in sc.members.values()
                                for part in ((m.name, "bold"), f" — {' '.join(m.about.split())}\n" if m.about else "\n")
                            ]
                        ),
                        id="members",
                    )
            with VerticalScroll(id="choose-mode"):
                yield Static(Content("Your name (optional, kept with your records)"), classes="field-label")
                yield Input(value=self._settings.trainee, placeholder="optional", id="trainee")
                yield Static(Content("Mode"), classes="field-label")
                with RadioSet(id="mode"):
                    yield RadioButton("Practice", value=self._settings.mode == "practice", id="practice")
                    yield RadioButton("Assessment", value=self._settings.mode == "assessment", id="assessment")
                yield Static(id="mode-help", markup=False)
                yield Checkbox("Use time limits", value=self._settings.timed, id="timed")
                with Horizontal(id="briefing-actions"):
                    yield Button("Begin", variant="primary", id="begin")
                    yield Button("Back", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self._describe_mode()

    @property
    def mode(self) -> str:
        return "assessment" if self.query_one("#assessment", RadioButton).value else "practice"

    def _describe_mode(self) -> None:
        if self.mode == "practice":
            text = "Feedback after every choice; you can rewind. Time limits are off unless you ask for them below."
        else:
            text = "Feedback is held for the debrief; no rewinding; time limits are on."
        self.query_one("#mode-help", Static).update(Content(text))
        self.query_one("#timed", Checkbox).display = self.mode == "practice"

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        self._describe_mode()

    def settings(self) -> Settings:
        return Settings(
            mode="assessment" if self.mode == "assessment" else "practice",
            trainee=self.query_one("#trainee", Input).value.strip(),
            timed=self.query_one("#timed", Checkbox).value,
        )

    @on(Button.Pressed, "#begin")
    @on(Input.Submitted, "#trainee")
    def _begin(self) -> None:
        self.dismiss(self.settings())

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
