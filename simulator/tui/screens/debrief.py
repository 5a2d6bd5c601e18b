"""The debrief, shaped like PEARLS: reactions, description, analysis, application.

The ending and its text; "How did that feel?"; each decision with its rating, the
recommended choice and what it changed; a chart of every meter; plus/delta; the
objectives and the scenario's own questions. Export writes Markdown and JSON, or,
in a browser (`groupsim serve`), sends them to the browser as downloads.

What the trainee writes reaches the run's recorder while they write it: about a
second after they stop typing, when they leave a box, and when the screen closes,
so a closed terminal or a killed process loses at most the last second of it.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Static, TextArea

from simulator.play.debrief import (
    REFLECTION_PROMPTS,
    debrief_items,
    question_key,
    series,
    signed,
    turning_points,
)
from simulator.play.export import write_exports
from simulator.play.run import Run
from simulator.tui.clock import Clock, Ticking
from simulator.tui.plot import Series
from simulator.tui.screens.base import RunScreen
from simulator.tui.widgets.chart import MeterChart
from simulator.tui.widgets.feedback import RATING_WORDS

OUTCOME_WORDS = {"strong": "Strong outcome", "mixed": "Mixed outcome", "poor": "Poor outcome"}

SAVE_AFTER_PAUSE_S = 1.0
"""Reflections are saved this long after the last change (one write per pause, not per key)."""
SAVE_WITHIN_S = 10.0
"""...and at least this often while the trainee types without pausing."""

# The MIME types the browser is told for each export (the JSON is the export's data, the Markdown its reading copy).
DOWNLOAD_TYPES = {".md": "text/markdown", ".json": "application/json"}


def _flat(text: str) -> str:
    return " ".join(text.split())


class Decision(Vertical, can_focus=True):
    """One decision looked back on: Tab stops here, and the page scrolls to it."""


class DebriefScreen(RunScreen):
    """Look back on a finished (or abandoned) run."""

    BINDINGS = [
        Binding("ctrl+s", "export", "Export"),
        # The page scrolls from anywhere, a writing box included (priority: a box would
        # otherwise take PgDn for its own few lines). Tab stops at each decision and chart.
        Binding("pagedown", "page(1)", "Scroll", key_display="PgDn/PgUp", priority=True),
        Binding("pageup", "page(-1)", "Scroll up", show=False, priority=True),
        Binding("tab", "app.focus_next", "Next part", show=True),
    ]

    def __init__(self, run: Run, export_dir: Path, clock: Clock | None = None) -> None:
        super().__init__()
        self.run = run
        self._clock = clock or Clock()
        self.export_dir = export_dir
        self.exported: tuple[Path, Path] | None = None
        """The files Export last wrote (in a terminal)."""
        self.sent: tuple[str, str] | None = None
        """The names of the files Export last sent to the browser (under `groupsim serve`)."""
        self._texts: dict[str, str] = {}
        self._saved: dict[str, str] = {}
        """What the recorder was last given, by key."""
        self._save_timer: Ticking | None = None
        self._unsaved_since: float | None = None
        self._save_problem: str | None = None

    def compose(self) -> ComposeResult:
        s = self.run.session
        sc = s.scenario
        yield Static(Content(f"Debrief · {sc.title}"), classes="screen-title")
        with VerticalScroll(id="debrief-body"):
            # The ending
            yield Static(Content("How it ended"), classes="section-heading")
            ending = s.ending
            if ending is not None:
                with Horizontal(classes="ending-head"):
                    yield Static(
                        Content(f" {OUTCOME_WORDS.get(ending.outcome, ending.outcome)} "),
                        classes=f"outcome outcome-{ending.outcome}",
                    )
                    yield Static(Content(_flat(ending.shown("title", s.context))), classes="ending-title")
                if debrief := ending.shown("debrief", s.context):
                    yield Static(Content(_flat(debrief)), classes="ending-debrief")
            else:
                yield Static(Content("You left before the scenario ended."), classes="ending-debrief")
            items = debrief_items(s)
            costly = turning_points(items)
            if costly:
                # What this run actually turned on, before anything general.
                yield Static(Content("Where this run turned"), classes="section-heading")
                for r in costly:
                    said = "You let the time run out" if r.timed_out else f"You chose: {_flat(r.chosen)}"
                    word = RATING_WORDS.get(r.rating or "", "Time ran out")
                    yield Static(Content(f"Decision {r.turn} · {r.where} · {word}. {said}"), classes="turning-point")
            # Reactions
            yield Static(Content("Reaction"), classes="section-heading")
            yield Static(Content(REFLECTION_PROMPTS["reaction"]), classes="prompt")
            yield TextArea(id="reaction", classes="reflection")
            # Description and analysis: the decisions
            yield Static(Content("Your decisions"), classes="section-heading")
            for r in items:
                with Decision(classes="decision", id=f"decision-{r.turn}"):
                    yield Static(Content(f"Decision {r.turn} · {r.where}"), classes="decision-where")
                    if r.said:
                        yield Static(Content(f"You wrote first: “{_flat(r.said)}”"), classes="decision-said")
                    with Horizontal(classes="decision-head"):
                        if r.rating is None:
                            yield Static(Content(" Time ran out "), classes="rating rating-timeout")
                        else:
                            yield Static(
                                Content(f" {RATING_WORDS.get(r.rating, r.rating)} "),
                                classes=f"rating rating-{r.rating}",
                            )
                        said = "You let the time run out." if r.timed_out else f"You chose: {_flat(r.chosen)}"
                        yield Static(Content(said), classes="decision-chosen")
                    if r.took_recommended:
                        pass
                    elif r.recommended:
                        text = "\n".join(f"Recommended here: {_flat(t)}" for t in r.recommended)
                        yield Static(Content(text), classes="decision-recommended")
                    else:
                        yield Static(Content("No choice here was marked recommended."), classes="decision-recommended")
                    changes = ", ".join(f"{label} {signed(d)}" for label, d in r.changes) or "nothing changed"
                    yield Static(Content(f"Changes: {changes}"), classes="decision-changes")
                    if r.feedback:
                        yield Static(Content(f"Why: {_flat(r.feedback)}"), classes="decision-feedback")
                    for _key, ref in r.refs:
                        yield Static(Content(f"See: {ref}"), classes="decision-ref")
            if not s.history:
                yield Static(Content("No decisions were made."), classes="decision")
            # The meters across the decisions
            yield Static(Content("The meters across your decisions"), classes="section-heading")
            data = series(s)
            meters = [Series(m.label, tuple(data[k])) for k, m in sc.meters.items()]
            low = min(m.min for m in sc.meters.values())
            high = max(m.max for m in sc.meters.values())
            yield MeterChart("The group", meters, low, high, id="chart-meters")
            if sc.members:
                members = [Series(m.name, tuple(data[k])) for k, m in sc.members.items()]
                yield MeterChart("Members' trust", members, 0, 100, id="chart-members")
            # Application: plus / delta, objectives, questions
            yield Static(Content("Plus and delta"), classes="section-heading")
            yield Static(Content(REFLECTION_PROMPTS["plus"]), classes="prompt")
            yield TextArea(id="plus", classes="reflection")
            yield Static(Content(REFLECTION_PROMPTS["delta"]), classes="prompt")
            yield TextArea(id="delta", classes="reflection")
            yield Static(Content("The objectives"), classes="section-heading")
            yield Static(Content("\n".join(f"• {_flat(o)}" for o in sc.objectives)), id="debrief-objectives")
            if sc.reflection:
                yield Static(Content("Questions to reflect on"), classes="section-heading")
                for i, q in enumerate(sc.reflection):
                    yield Static(Content(f"{i + 1}. {_flat(q)}"), classes="prompt")
                    yield TextArea(id=question_key(i), classes="reflection")
            yield Static(id="export-result", markup=False)
        with Horizontal(id="debrief-actions"):
            yield Button("Export (Markdown + JSON)", id="export", variant="primary", compact=True)
            yield Button("Play again", id="again", compact=True)
            yield Button("Library", id="library", compact=True)
            yield Button("Quit", id="quit", variant="error", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-result").display = False
        for ta in self.query(TextArea):
            ta.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
        if self.run.session.finished:
            from simulator.tui.app import GroupSimApp

            if isinstance(self.app, GroupSimApp):  # the library marks it from now on
                self.app.finished_ids.add(self.run.session.scenario.id)
            problem = self.run.finished()
            if problem:
                self.notify(f"Could not record the ending: {problem}", severity="error", timeout=8)
        self.call_after_refresh(self._first_focus)

    def _first_focus(self) -> None:
        """Open at the top, on the ending. "How did that feel?" has the keyboard if it is in
        view there; where it is not (a long ending on a short terminal), the page has it,
        so the arrows scroll and Tab reaches the box, and nothing typed goes out of sight."""
        body = self.query_one("#debrief-body", VerticalScroll)
        reaction = self.query_one("#reaction", TextArea)
        body.scroll_home(animate=False, immediate=True)
        if reaction.region.bottom <= body.content_region.bottom:
            reaction.focus(scroll_visible=False)
        else:
            body.focus(scroll_visible=False)

    @on(TextArea.Changed)
    def _written(self, event: TextArea.Changed) -> None:
        if event.text_area.id:
            self._texts[event.text_area.id] = event.text_area.text
            self._save_soon()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # Leaving a box (Tab, a click elsewhere, a button) saves what was written at once.
        if isinstance(event.widget, TextArea):
            self.save_reflections()

    def reflections(self) -> dict[str, str]:
        """What the trainee has written, by key (empty boxes left out)."""
        return {k: v for k, v in self._texts.items() if v.strip()}

    def _save_soon(self) -> None:
        """Save after a pause in typing; while typing goes on without one, every `SAVE_WITHIN_S`."""
        now = self._clock.now()
        if self._unsaved_since is None:
            self._unsaved_since = now
        elif now - self._unsaved_since >= SAVE_WITHIN_S:
            self.save_reflections()
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self._clock.after(self, SAVE_AFTER_PAUSE_S, self.save_reflections, name="save-reflections")

    def save_reflections(self) -> None:
        """Give the recorder every reflection, if any changed since it was last given them.

        A box emptied after it was saved is given as '' so the deleted words do not
        stay in the records. The recorder replaces each prompt's text, so giving it
        the same text again is harmless, but it is one database write: skipped.
        """
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self._unsaved_since = None
        texts = {k: v if v.strip() else "" for k, v in self._texts.items()}
        texts = {k: v for k, v in texts.items() if v or self._saved.get(k)}
        if texts == self._saved:
            return
        problem = self.run.reflections(texts)
        if problem is None:
            self._saved = texts
            self._save_problem = None
        elif problem != self._save_problem:  # say so once, not on every pause in typing
            self._save_problem = problem
            self.notify(
                f"Could not save your reflections to the records: {problem}. They are still here; Export keeps a copy.",
                severity="error",
                timeout=10,
            )

    def action_page(self, pages: int) -> None:
        body = self.query_one("#debrief-body", VerticalScroll)
        if pages > 0:
            body.scroll_page_down(animate=False)
        else:
            body.scroll_page_up(animate=False)

    def action_export(self) -> None:
        self.save_reflections()
        if self.app.is_web:
            self._send_to_browser()
            return
        s = self.run.session
        texts = self.reflections()
        try:
            md, js = write_exports(s, self.export_dir, self.run.settings, reflections=texts)
        except OSError as exc:
            self.notify(f"Could not export to {self.export_dir}: {exc.strerror or exc}", severity="error", timeout=10)
            return
        self.exported = (md, js)
        problem = self.run.exported((md, js))
        if problem:
            self.notify(f"Could not note the exported files in the records: {problem}", severity="warning", timeout=8)
        result = self.query_one("#export-result", Static)
        result.update(Content(f"Exported:\n  {md}\n  {js}"))
        result.display = True
        self.notify(f"Saved {md.name} and {js.name} in {md.parent}", title="Exported", timeout=8)

    def _send_to_browser(self) -> None:
        """Under `groupsim serve`: hand both exports to the trainee's browser as downloads.

        The files are the ones `write_exports` writes, made in a temporary folder on
        the server and read back, so nothing is left on the server's disk.
        """
        s = self.run.session
        try:
            with tempfile.TemporaryDirectory(prefix="groupsim-export-") as folder:
                paths = write_exports(s, Path(folder), self.run.settings, reflections=self.reflections())
                files = [(p.name, p.read_text(encoding="utf-8")) for p in paths]
        except OSError as exc:
            self.notify(f"Could not make the export files: {exc.strerror or exc}", severity="error", timeout=10)
            return
        for name, text in files:
            key = self.app.deliver_text(
                io.StringIO(text),
                save_filename=name,
                encoding="utf-8",
                mime_type=DOWNLOAD_TYPES.get(Path(name).suffix, "text/plain"),
                name=name,
            )
            if key is None:  # no driver to deliver through (the app is closing)
                self.notify("Could not send the export files to your browser.", severity="error", timeout=10)
                return
        md_name, js_name = (name for name, _ in files)
        self.sent = (md_name, js_name)
        result = self.query_one("#export-result", Static)
        result.update(
            Content(
                f"Sent to your browser: {md_name}, {js_name}\n"
                "Look for them in your browser's downloads. If the browser asks whether this page "
                "may download several files, allow it."
            )
        )
        result.display = True
        self.notify(f"Sent {md_name} and {js_name} to your browser", title="Exported", timeout=8)

    def on_unmount(self) -> None:
        # Whatever was written is kept with the records even if never exported.
        self.save_reflections()

    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#again")
    def _again(self) -> None:
        self.app.action_restart()  # type: ignore[attr-defined]

    @on(Button.Pressed, "#library")
    def _library(self) -> None:
        self.app.action_open_library()  # type: ignore[attr-defined]

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()
