"""`groupsim play FILE --watch`: keep the path played so far as one of the file's tests.

Asks for the test's name over the current screen; the saving itself (and every reason
it may be refused) is `simulator.authoring.save_test`'s.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class SaveTestScreen(ModalScreen[str | None]):
    """Dismisses with the name typed, or None when the author thinks better of it."""

    AUTO_FOCUS = "#test-name"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, where: str, decisions: int, ended: str | None) -> None:
        super().__init__()
        self._where = where
        self._decisions = decisions
        self._ended = ended

    def compose(self) -> ComposeResult:
        reached = (
            f"and reached '{self._ended}'" if self._ended else "(the scenario has not ended: the test will say so)"
        )
        with Vertical(id="confirm"):
            yield Static(
                Content(
                    f"Save the {self._decisions} decision{'s' * (self._decisions != 1)} made so far {reached}"
                    f" as a test in {self._where}? 'groupsim test' will check that this path still gets there,"
                    " each meter within 4 of where it is now."
                ),
                id="question",
            )
            yield Input(placeholder="Name the test, e.g. Naming it early ends strong", id="test-name")
            with Horizontal(id="confirm-actions"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def _save(self) -> None:
        name = self.query_one("#test-name", Input).value.strip()
        if not name:
            self.notify("Type a name for the test first.", severity="warning")
            return
        self.dismiss(name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
