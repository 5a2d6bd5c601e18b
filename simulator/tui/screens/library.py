"""The library: every scenario found, a preview, and type-to-filter."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator.authoring.library import Found


def matches(found: Found, query: str) -> bool:
    """Whether every word of `query` appears in the scenario's title, id, stage, tags or summary."""
    words = query.lower().split()
    if not words:
        return True
    sc = found.scenario
    if sc is None:
        hay = f"{found.path.name} {found.id}"
    else:
        hay = " ".join([sc.title, sc.id, sc.group.stage, sc.group.kind, sc.summary, *sc.tags])
    hay = hay.lower()
    return all(w in hay for w in words)


def first_error(found: Found) -> str:
    errors = [d for d in found.errors if d.severity == "error"] or list(found.errors)
    if not errors:
        return "could not be loaded"
    d = errors[0]
    return f"line {d.line}:{d.col}: {d.message}"


def _prompt(found: Found, done: bool = False) -> Content:
    sc = found.scenario
    if sc is None:
        return Content.assemble(
            ("⚠ ", "$text-warning"),
            (found.path.name, "bold"),
            " — cannot be played\n",
            (first_error(found), "$text-muted"),
        )
    facts = [sc.group.stage]
    if sc.minutes:
        facts.append(f"{sc.minutes} min")
    facts.append(", ".join(sc.tags))
    mark = [("  ✓ done", "$text-success")] if done else []
    return Content.assemble((sc.title, "bold"), *mark, "\n", (" · ".join(f for f in facts if f), "$text-muted"))


class LibraryScreen(Screen[None]):
    """Pick a scenario. Typing filters; ↑/↓ move; Enter or a click opens the briefing."""

    AUTO_FOCUS = "#filter"
    BINDINGS = [
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    @dataclass
    class ScenarioPicked(Message):
        """A scenario was chosen to be briefed on."""

        found: Found

    def __init__(self, found: list[Found], *, finished: set[str] | None = None) -> None:
        super().__init__()
        # Playable scenarios first; files that cannot be played after them, still listed.
        self._found = [f for f in found if f.scenario is not None] + [f for f in found if f.scenario is None]
        self._shown: list[Found] = []
        """What the list shows now, in its order."""
        self._finished = finished or set()
        """The ids of scenarios this trainee has finished (marked ✓ done)."""

    def compose(self) -> ComposeResult:
        yield Static(Content("groupsim · scenario library"), id="library-title", classes="screen-title")
        yield Input(placeholder="Type to filter by title, tag or stage", id="filter")
        with Horizontal(id="library-body"):
            yield OptionList(id="scenarios")
            with VerticalScroll(id="preview", can_focus=False):
                yield Static(id="preview-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # The footer cannot show these (the filter box's own keys shadow them), so say it here.
        self.query_one("#scenarios").border_subtitle = "↑ ↓ to move · Enter to open"
        self.query_one("#preview").border_title = "Preview"
        self._refilter("")

    def _count(self) -> None:
        """The list's title: how many scenarios it shows, of how many, and how many cannot be played."""
        playable = sum(1 for f in self._found if f.scenario is not None)
        shown = sum(1 for f in self._shown if f.scenario is not None)
        broken = len(self._found) - playable
        title = f"Scenarios ({shown} of {playable})" if shown != playable else f"Scenarios ({playable})"
        done = sum(1 for f in self._found if f.scenario is not None and f.scenario.id in self._finished)
        if done:
            title += f" · {done} done"
        self.query_one("#scenarios").border_title = title + (f" · {broken} cannot be played" if broken else "")

    def _refilter(self, query: str) -> None:
        ol = self.query_one("#scenarios", OptionList)
        self._shown = [f for f in self._found if matches(f, query)]
        ol.clear_options()
        # Each option's id is the scenario's place in `_found`, which never changes: a
        # message about an option names it whatever the list has become since.
        done = self._finished
        ol.add_options(
            Option(_prompt(f, f.scenario is not None and f.scenario.id in done), id=str(self._found.index(f)))
            for f in self._shown
        )
        self._count()
        if self._shown:
            ol.highlighted = 0
            self._preview(self._shown[0])  # now, for the first frame, not when the highlight's message arrives
        else:
            self._preview(None, empty="No scenario matches that filter." if self._found else "No scenarios found.")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._refilter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        ol = self.query_one("#scenarios", OptionList)
        if ol.highlighted_option is not None:
            self._open(ol.highlighted_option)

    def action_move(self, delta: int) -> None:
        ol = self.query_one("#scenarios", OptionList)
        if ol.has_focus:  # the list moves itself
            return
        if delta > 0:
            ol.action_cursor_down()
        else:
            ol.action_cursor_up()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""

    @on(OptionList.OptionHighlighted, "#scenarios")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # The message may come from a list that typing has refiltered since it was sent
        # (two keys at once): preview what is highlighted now, not the message's index.
        option = self.query_one("#scenarios", OptionList).highlighted_option
        if option is not None:
            self._preview(self._found_for(option))

    @on(OptionList.OptionSelected, "#scenarios")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option)

    def _found_for(self, option: Option) -> Found:
        return self._found[int(option.id or 0)]

    def _open(self, option: Option) -> None:
        found = self._found_for(option)
        if found.scenario is None:
            self.notify(f"{found.path.name} cannot be played: {first_error(found)}", severity="warning")
            return
        self.post_message(self.ScenarioPicked(found))

    def _preview(self, found: Found | None, empty: str = "") -> None:
        text = self.query_one("#preview-text", Static)
        if found is None:
            text.update(Content(empty))
            return
        sc = found.scenario
        if sc is None:
            parts: list[Content | tuple[str, str] | str] = [
                (found.path.name, "bold"),
                "\nThis file cannot be played until these are fixed:\n\n",
            ]
            for d in found.errors:
                parts.append(Content(f"• line {d.line}:{d.col}: {d.severity}: {d.message}\n"))
            text.update(Content.assemble(*parts))
            return
        g = sc.group
        setting = " · ".join(x for x in (g.kind, f"session {g.session}" if g.session else "", g.stage) if x)
        parts = [(sc.title, "bold"), "\n", (setting, "$text-muted"), "\n\n", " ".join(sc.summary.split()), "\n\n"]
        parts.append(("Objectives", "bold"))
        parts.append("\n")
        for o in sc.objectives:
            parts.append(f"• {' '.join(o.split())}\n")
        text.update(Content.assemble(*parts))
