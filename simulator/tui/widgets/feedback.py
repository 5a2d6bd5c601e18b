"""Feedback on a choice: its rating in words and colour, why, and the references."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from simulator.engine.session import Step

RATING_WORDS = {
    "recommended": "Recommended",
    "acceptable": "Acceptable",
    "risky": "Risky",
    "harmful": "Harmful",
}


def rating_badge(rating: str | None) -> Static:
    """The rating as a word on a coloured badge (class `rating-<rating>` in app.tcss)."""
    if rating is None:
        return Static(Content(" Time ran out "), classes="rating rating-timeout")
    return Static(Content(f" {RATING_WORDS.get(rating, rating)} "), classes=f"rating rating-{rating}")


class FeedbackPanel(Vertical):
    """What a choice meant, in a scrolling body above an always-visible Continue button.

    Enter (or the button) posts `Continued`.
    """

    BINDINGS = [Binding("enter", "continue", "Continue", priority=False)]

    @dataclass
    class Continued(Message):
        """The trainee has read the feedback and wants to go on."""

    def __init__(
        self, step: Step, references: dict[str, str], *, changes: str = "", note: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._step = step
        self._references = references
        self._changes = changes
        self._note = note

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="feedback-body"):
            yield from self._body()
        yield Button("Continue ⏎", id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        # The body takes focus, so arrows scroll it and Enter continues.
        self.query_one("#feedback-body").focus()

    def _body(self) -> ComposeResult:
        step = self._step
        with Horizontal(classes="feedback-head"):
            yield rating_badge(step.rating)
            if step.timed_out and not step.feedback:
                lead = "You let the silence run, and the session moved on without you. See how the room took it."
            elif step.timed_out:
                lead = "You let the time run out. " + " ".join(step.feedback.split())
            else:
                lead = " ".join(step.feedback.split())
            yield Static(Content(lead), classes="feedback-text")
        if self._changes:
            yield Static(Content(self._changes), classes="feedback-changes")
        for key in step.refs:
            yield Static(Content(f"See: {self._references.get(key, key)}"), classes="feedback-ref")
        if self._note:
            yield Static(Content(self._note), classes="feedback-note")

    def action_continue(self) -> None:
        self.post_message(self.Continued())

    @on(Button.Pressed, "#continue")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Continued())
