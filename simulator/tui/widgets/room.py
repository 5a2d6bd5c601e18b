"""The room: the transcript of the session as it grows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, Static

from simulator.engine.transcript import Entry

MEMBER_COLOURS = 6
"""How many member colour classes app.tcss defines (`member-0` ...)."""

YOU = "You"


def plain(text: str) -> Content:
    """Scenario text as plain content: brackets and all, never markup."""
    return Content(" ".join(text.split()) if "\n" not in text.strip() else text.strip())


class SpokenLine(Vertical):
    """Something said: the speaker's name above, what they said beneath."""

    def __init__(self, speaker: str, text: str, *, speaker_class: str, show_name: bool = True) -> None:
        super().__init__(classes=f"spoken {speaker_class}")
        self._speaker = speaker
        self._text = text
        self._speaker_class = speaker_class
        self._show_name = show_name

    def compose(self) -> ComposeResult:
        if self._show_name:
            yield Label(Content(self._speaker), classes=f"speaker {self._speaker_class}")
        yield Static(plain(self._text), classes="said")


class RoomLog(VerticalScroll):
    """The room's transcript. Set `entries`; new ones are appended, a rewind rebuilds."""

    entries: reactive[tuple[Entry, ...]] = reactive((), init=False, always_update=True)
    """The whole story so far, as the engine's transcript entries."""

    def __init__(self, names: dict[str, str], *, id: str | None = None) -> None:
        """`names` maps speaker ids (members, then the cast) to display names, in the scenario's order."""
        super().__init__(id=id)
        self._names = names
        self._order = {mid: i for i, mid in enumerate(names)}
        self._shown: tuple[Entry, ...] = ()

    def member_class(self, speaker: str) -> str:
        return f"member-{self._order.get(speaker, 0) % MEMBER_COLOURS}"

    def _widget_for(self, entry: Entry, previous: Entry | None) -> Widget:
        if entry.kind == "title":
            return Static(Content(f"── {entry.text.strip()} ──"), classes="entry scene-title")
        if entry.kind == "narration":
            return Static(plain(entry.text), classes="entry narration")
        if entry.kind == "line":
            same = previous is not None and previous.kind == "line" and previous.speaker == entry.speaker
            name = self._names.get(entry.speaker, entry.speaker)
            return SpokenLine(name, entry.text, speaker_class=self.member_class(entry.speaker), show_name=not same)
        if entry.kind == "choice":
            return SpokenLine(YOU, entry.text, speaker_class="you")
        if entry.kind == "timeout":
            return Static(Content(f"({entry.text.strip()})"), classes="entry timeout")
        return Static(Content(f"The end: {entry.text.strip()}"), classes="entry ending-line")

    async def watch_entries(self, entries: tuple[Entry, ...]) -> None:
        shown = self._shown
        if entries[: len(shown)] == shown and len(shown) <= len(entries):
            new = entries[len(shown) :]
            previous = shown[-1] if shown else None
        else:  # a rewind or restart: start again
            await self.remove_children()
            new, previous = entries, None
        self._shown = entries
        if not new:
            return
        widgets = []
        for e in new:
            widgets.append(self._widget_for(e, previous))
            previous = e
        await self.mount_all(widgets)
        # Show the start of what just happened, from the trainee's last move, so a long
        # passage is read from its top; a room filled at once (a resumed or rewound run)
        # opens there too, not at the start of the session.
        moves = [i for i, e in enumerate(new) if e.kind in ("choice", "timeout")]
        first = widgets[moves[-1] if moves else 0]
        self.call_after_refresh(self.scroll_to_widget, first, top=True, animate=False)
