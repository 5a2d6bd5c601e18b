"""Help: the keys, screen by screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("F1", "this help (? works too, where you are not typing)"),
            ("Ctrl+P", "command palette: restart, rewind, map, open library, export, theme"),
            ("Tab / Shift+Tab", "move between parts of the screen"),
            ("Ctrl+Q", "quit"),
        ),
    ),
    (
        "Library",
        (
            ("type", "filter by title, tag or stage (Esc clears)"),
            ("↑ ↓", "move through the list"),
            ("Enter or click", "open the briefing"),
        ),
    ),
    (
        "Briefing",
        (
            ("Enter", "begin (from the name field or the Begin button)"),
            ("Esc", "back to the library"),
        ),
    ),
    (
        "Session",
        (
            ("1-9", "take the choice shown with that number"),
            ("↑ ↓ Enter, or click", "take the highlighted choice"),
            ("PgDn or Space, PgUp", "read on (or back) in the room, while the choices keep the keyboard"),
            ("Enter", "say it first: show the options after your own words; then continue after the feedback"),
            ("r", "rewind to the previous decision (practice only)"),
            ("s", "step out: pause everything, clock included"),
            ("m", "the map, your path marked (practice only; ratings show for the choices you made)"),
        ),
    ),
    (
        "Map",
        (
            ("↑ ↓", "move through the states and choices"),
            ("Enter or Space", "open or close a branch"),
            ("Esc or m", "back to the session, its clock where it stopped"),
        ),
    ),
    (
        "Debrief",
        (
            ("Tab / Shift+Tab", "move through the parts: each decision, the charts, the writing boxes, the buttons"),
            ("PgDn / PgUp", "scroll the page, from anywhere (a writing box too)"),
            ("Ctrl+S", "export the transcript and debrief (Markdown and JSON)"),
        ),
    ),
)


def help_text() -> Content:
    parts: list[Content | tuple[str, str] | str] = []
    width = max(len(k) for _, keys in KEYS for k, _ in keys)
    for section, keys in KEYS:
        parts += [(section, "bold underline"), "\n"]
        for key, what in keys:
            parts += [(f"  {key.ljust(width)}  ", "$text-accent bold"), what, "\n"]
        parts.append("\n")
    return Content.assemble(*parts).rstrip()


class HelpScreen(ModalScreen[None]):
    """The keys; Esc, ? or the button closes it."""

    AUTO_FOCUS = "#help-body"
    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close help")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with VerticalScroll(id="help-body"):
                # A row per key, its description wrapping in its own column.
                width = max(len(k) for _, keys in KEYS for k, _ in keys) + 4  # its indent and a gap
                for section, keys in KEYS:
                    yield Static(Content.styled(section, "bold underline"), classes="help-section")
                    for key, what in keys:
                        with Horizontal(classes="help-row"):
                            key_cell = Static(Content.styled(key, "$text-accent bold"), classes="help-key")
                            key_cell.styles.width = width
                            yield key_cell
                            yield Static(Content(what), classes="help-what")
            yield Button("Close", id="close-help", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
