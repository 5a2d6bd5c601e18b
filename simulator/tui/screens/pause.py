"""Stepping out: a calm screen that hides the scene and stops the clock."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Static

PAUSE_TEXT = (
    "You have stepped out of the room.\n\n"
    "Nothing moves while you are here: the clock has stopped and the group will wait.\n\n"
    "Take whatever time you need. If it helps, breathe in slowly for four, "
    "and out for six, a few times.\n\n"
    "When you are ready, go back in."
)


class PauseScreen(Screen[None]):
    """Shown over the session; dismissing it resumes where the trainee was."""

    AUTO_FOCUS = "#resume"
    BINDINGS = [Binding("escape,s", "resume", "Go back in")]

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static(Content(PAUSE_TEXT), id="pause-text")
            with Center():
                yield Button("Go back in", id="resume", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_resume(self) -> None:
        self.dismiss(None)
