"""The debrief, shaped like PEARLS: reactions, description, analysis, application.

The ending and its text; "How did that feel?"; each decision with its rating, the
recommended choice and what it changed; a chart of every meter; plus/delta; the
objectives and the scenario's own questions. Export writes Markdown and JSON.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static, TextArea

from simulator.tui.plot import Series
from simulator.tui.report import REFLECTION_PROMPTS, question_key, review, series, signed, write_exports
from simulator.tui.run import Run
from simulator.tui.widgets.chart import MeterChart
from simulator.tui.widgets.feedback import RATING_WORDS

OUTCOME_WORDS = {"strong": "Strong outcome", "mixed": "Mixed outcome", "poor": "Poor outcome"}


def _flat(text: str) -> str:
    return " ".join(text.split())


class DebriefScreen(Screen[None]):
    """Look back on a finished (or abandoned) run."""

    BINDINGS = [Binding("ctrl+s", "export", "Export")]

    def __init__(self, run: Run, export_dir: Path) -> None:
        super().__init__()
        self.run = run
        self.export_dir = export_dir
        self.exported: tuple[Path, Path] | None = None
        self._texts: dict[str, str] = {}

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
                    yield Static(Content(_flat(ending.title)), classes="ending-title")
                if ending.debrief:
                    yield Static(Content(_flat(ending.debrief)), classes="ending-debrief")
            else:
                yield Static(Content("You left before the scenario ended."), classes="ending-debrief")
            # Reactions
            yield Static(Content("Reaction"), classes="section-heading")
            yield Static(Content(REFLECTION_PROMPTS["reaction"]), classes="prompt")
            yield TextArea(id="reaction", classes="reflection")
            # Description and analysis: the decisions
            yield Static(Content("Your decisions"), classes="section-heading")
            for r in review(s):
                with Vertical(classes="decision", id=f"decision-{r.turn}"):
                    yield Static(Content(f"Decision {r.turn} · {r.where}"), classes="decision-where")
                    with Horizontal(classes="decision-head"):
                        if r.rating is None:
                            yield Static(Content(" Time ran out "), classes="rating rating-timeout")
                            yield Static(Content("You let the time run out."), classes="decision-chosen")
                        else:
                            yield Static(
                                Content(f" {RATING_WORDS.get(r.rating, r.rating)} "), classes=f"rating rating-{r.rating}"
                            )
                            yield Static(Content(f"You chose: {_flat(r.chosen)}"), classes="decision-chosen")
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
            problem = self.run.finished()
            if problem:
                self.notify(f"Could not record the ending: {problem}", severity="error", timeout=8)
        self.query_one("#reaction", TextArea).focus()
        self.query_one("#debrief-body", VerticalScroll).scroll_home(animate=False)

    @on(TextArea.Changed)
    def _written(self, event: TextArea.Changed) -> None:
        if event.text_area.id:
            self._texts[event.text_area.id] = event.text_area.text

    def reflections(self) -> dict[str, str]:
        """What the trainee has written, by key (empty boxes left out)."""
        return {k: v for k, v in self._texts.items() if v.strip()}

    def action_export(self) -> None:
        s = self.run.session
        texts = self.reflections()
        self.run.reflections(texts)
        try:
            md, js = write_exports(
                s, self.export_dir, mode=self.run.settings.mode, trainee=self.run.settings.trainee, reflections=texts
            )
        except OSError as exc:
            self.notify(f"Could not export to {self.export_dir}: {exc.strerror or exc}", severity="error", timeout=10)
            return
        self.exported = (md, js)
        result = self.query_one("#export-result", Static)
        result.update(Content(f"Exported:\n  {md}\n  {js}"))
        result.display = True
        self.notify(f"Saved {md.name} and {js.name} in {md.parent}", title="Exported", timeout=8)

    def on_unmount(self) -> None:
        # Whatever was written is kept with the records even if never exported.
        texts = self.reflections()
        if texts:
            self.run.reflections(texts)

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
