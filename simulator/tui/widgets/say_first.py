"""Say it first: the trainee types what they would say or do before seeing the options."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

PLACEHOLDER = "In your own words: what would you say or do?"


class SayFirst(Vertical):
    """A box for the trainee's own words; Enter posts `Said` (empty words are not sent)."""

    @dataclass
    class Said(Message):
        """The trainee has written their answer."""

        text: str

    def compose(self) -> ComposeResult:
        yield Static(
            Content("Write what you would say or do, then press Enter to see the options."), classes="say-first-help"
        )
        yield Input(placeholder=PLACEHOLDER, id="said")

    def focus_box(self) -> None:
        self.query_one("#said", Input).focus()

    def clear(self) -> None:
        self.query_one("#said", Input).value = ""

    @on(Input.Submitted, "#said")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify("Write a few words first: what would you say or do here?", timeout=4)
            return
        self.post_message(self.Said(text))
