"""The facilitator's options, numbered for the keyboard and clickable."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from simulator.engine.model import Choice


class ChoiceList(OptionList):
    """The choices on offer, shown as 1..k; posts `ChoiceMade` with the authored number."""

    @dataclass
    class ChoiceMade(Message):
        """A choice was picked (by key, Enter or click)."""

        choice: Choice
        """The choice picked (the scenario's own object: a screen can tell a message about
        a list it has since replaced by checking the choice is still on offer)."""

        @property
        def number(self) -> int:
            """The choice's authored number (its place in the file), not its place on screen."""
            return self.choice.number

    choices: reactive[tuple[Choice, ...]] = reactive((), init=False, always_update=True)
    """What is on offer now, in authored order."""

    def watch_choices(self, choices: tuple[Choice, ...]) -> None:
        self.clear_options()
        self.add_options(
            Option(Content.assemble((f"{i}. ", "bold"), Content(" ".join(c.text.split()))), id=f"choice-{c.number}")
            for i, c in enumerate(choices, 1)
        )
        if choices:
            self.highlighted = 0

    def pick(self, shown: int) -> bool:
        """Pick the choice shown as number `shown` (1-based); False if there is none."""
        if not 1 <= shown <= len(self.choices):
            return False
        self.highlighted = shown - 1
        self.post_message(self.ChoiceMade(self.choices[shown - 1]))
        return True

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        # The option's id names its choice, whatever the list shows by the time this arrives.
        number = int((event.option.id or "choice-0").removeprefix("choice-"))
        choice = next((c for c in self.choices if c.number == number), None)
        if choice is not None:
            self.post_message(self.ChoiceMade(choice))
