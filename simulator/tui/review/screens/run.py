"""One run's record: its summary, every decision and event in order, its ending and reflections."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from simulator.engine.model import Scenario
from simulator.records.queries import EventRecord, StepRecord
from simulator.records.recorder import EXPORTED
from simulator.tui.review.data import ReviewData
from simulator.tui.review.text import outcome_class, plain, rating_class, rating_word

TIME_WORDS = {
    "1.5x": "time accommodation 1.5x (one and a half times as long)",
    "2x": "time accommodation 2x (twice as long)",
    "off": "time accommodation: no time limits",
}
"""A run's time accommodation in its summary line (none says nothing)."""
REFLECTION_LABELS = {"reaction": "How it felt", "plus": "What went well", "delta": "What I would change"}


def changes(before: Mapping[str, int], after: Mapping[str, int], labels: Mapping[str, str]) -> str:
    """'Trust 50 → 60 (+10), ...' for each value that moved, or 'no change'."""
    parts = [
        f"{labels.get(k, k)} {v} → {after[k]} ({after[k] - v:+d})" for k, v in before.items() if after.get(k, v) != v
    ]
    return ", ".join(parts) if parts else "no change"


def seconds(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:.1f} s"


def prompt_label(key: str, scenario: Scenario | None) -> str:
    """'reaction' → 'How it felt'; 'question-2' → the scenario's second reflection question."""
    if key in REFLECTION_LABELS:
        return REFLECTION_LABELS[key]
    if key.startswith("question-") and key[9:].isdigit() and scenario is not None:
        n = int(key[9:])
        if 1 <= n <= len(scenario.reflection):
            return " ".join(scenario.reflection[n - 1].split())
    return key


class RunRecordScreen(Screen[None]):
    """What the records hold of one run, decision by decision, with any a rewind took back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

    def __init__(self, data: ReviewData, run_id: int) -> None:
        """Reads the run's record now.

        Raises:
            RecordsError: the records cannot be read.
        """
        super().__init__()
        self.data = data
        self.run_id = run_id
        self.record = data.record(run_id)
        self.scenario = data.scenario_for(run_id)

    def compose(self) -> ComposeResult:
        record = self.record
        r = record.run
        scenario = self.scenario
        labels = {} if scenario is None else {k: scenario.label(k) for k in scenario.initial_values()}
        yield Header()
        with VerticalScroll(id="record"):
            yield Static(
                plain(
                    f"Run {r.id} · {self.data.shown_name(r.trainee) or '(no name)'} · "
                    f"{r.scenario_title or r.scenario_id} (file version {r.scenario_digest[:12]}) · {r.mode}"
                    f"{' with time limits' if r.time_limits and r.mode == 'practice' else ''} · "
                    f"{TIME_WORDS[r.accommodation] + ' · ' if r.accommodation in TIME_WORDS else ''}"
                    f"seed {r.seed} · started {r.started_at[:16].replace('T', ' ')} UTC"
                ),
                classes="summary",
            )
            for e in record.entries:
                if isinstance(e, StepRecord):
                    yield from self._step(e, scenario, labels)
                else:
                    yield self._event(e)
            if r.status == "finished":
                yield Static(
                    plain(f"Ending ({r.outcome}): {r.ending_title or r.ending}"),
                    classes=f"ending {outcome_class(r.outcome)}",
                )
                if scenario is not None and r.ending is not None and r.ending in scenario.states:
                    ending = scenario.states[r.ending].ending
                    if ending is not None and ending.debrief:
                        yield Static(plain(ending.debrief), classes="debrief")
                meters = ", ".join(f"{labels.get(k, k)} {v}" for k, v in r.final_meters.items())
                yield Static(plain(f"Final meters: {meters}"), classes="step-body")
            else:
                yield Static(plain(f"Not finished ({r.status}): {r.decisions} decision(s) stand."), classes="ending")
            written = {k: v for k, v in record.reflections.items() if v.strip()}
            if written:
                yield Label("Reflections", classes="section")
                for prompt, text in written.items():
                    yield Static(plain(f"{prompt_label(prompt, scenario)}: {text}"), classes="reflection")
            else:
                yield Static(plain("No reflections were written."), classes="muted")
        yield Footer()

    def _step(self, e: StepRecord, scenario: Scenario | None, labels: Mapping[str, str]) -> ComposeResult:
        title = e.state
        if scenario is not None and e.state in scenario.states:
            title = scenario.states[e.state].title or e.state
        what = "The time ran out." if e.choice is None else f"Chose {e.choice}: {e.text}"
        head = f"{e.turn}. {title} — {what}  [{rating_word(e.rating)}]"
        if e.undone:
            head += "  (taken back by a rewind)"
        body = changes({**e.meters_before, **e.trust_before}, {**e.meters_after, **e.trust_after}, labels)
        if e.response_ms is not None:
            body += f" · answered in {seconds(e.response_ms)}"
        classes = f"step {rating_class(e.rating)}" + (" undone" if e.undone else "")
        with Vertical(classes=classes):
            yield Static(plain(head), classes="step-head")
            if e.said:
                yield Static(plain(f"Wrote first, in their own words: “{e.said}”"), classes="step-body")
            yield Static(plain(body), classes="step-body")
            if e.feedback:
                yield Static(plain(e.feedback), classes="step-feedback")

    def _event(self, e: EventRecord) -> Static:
        if e.kind == "rewound":
            return Static(
                plain(f"↶ Rewound to just after decision {e.turn}" if e.turn else "↶ Rewound to the start"),
                classes="event",
            )
        if e.kind == EXPORTED:
            files = e.detail.get("files")
            names = ", ".join(str(f) for f in files) if isinstance(files, list) else ""
            host = e.detail.get("host")
            where = f" on {host}" if isinstance(host, str) and host else ""
            return Static(plain(f"⇩ The debrief was exported{where}: {names or 'files not named'}"), classes="event")
        if e.kind.startswith("resumed"):
            note = "↻ Resumed after an interruption"
            if e.kind == "resumed-on-changed-scenario":
                note += " on a changed version of the scenario file"
            return Static(plain(note), classes="event")
        return Static(plain(f"· {e.kind}"), classes="event")
