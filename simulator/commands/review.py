"""Open the supervisor's review of recorded runs in the terminal.

Every run in a table, filtered by trainee, scenario, date and outcome; Enter opens a
run's transcript and debrief (choices a rewind took back are shown as such); c opens
the cohort view of the highlighted run's scenario: for each decision, how often each
choice was taken, as a bar labelled with its rating, and the average meters at each
ending. The records database is the one `groupsim play` writes (see `groupsim report`).
"""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

HELP = "review recorded runs, transcripts and a cohort view per scenario (full screen)"

RATING_WORDS = {
    "recommended": "recommended",
    "acceptable": "acceptable",
    "risky": "risky",
    "harmful": "harmful",
    None: "time ran out",
}
REFLECTION_LABELS = {"reaction": "How it felt", "plus": "What went well", "delta": "What I would change"}
OUTCOME_CHOICES = (("strong", "strong"), ("mixed", "mixed"), ("poor", "poor"), ("unfinished", "none"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    from simulator.commands.report import add_db_argument

    p.add_argument("--scenario", metavar="ID", help="start filtered to this scenario")
    p.add_argument("--trainee", metavar="NAME", help="start filtered to this trainee")
    p.add_argument("--anonymise", "--anonymize", action="store_true", help="show pseudonyms instead of names")
    add_db_argument(p)


def run(args: argparse.Namespace) -> int:
    from simulator.records.queries import check_known
    from simulator.records.store import RecordsError, Store

    try:
        store = Store.open(args.db, create=False)
        check_known(store, trainee=args.trainee, scenario=args.scenario)
    except RecordsError as exc:
        print(f"groupsim review: {exc}", file=sys.stderr)
        return 1
    if not sys.stdout.isatty():
        store.close()
        print("groupsim review: needs a terminal; for the same data as text use 'groupsim report'", file=sys.stderr)
        return 2
    with store:
        app = make_app(store, trainee=args.trainee, scenario=args.scenario, anonymise=args.anonymise)
        app.run()
    return int(app.return_code or 0)


def make_app(store: Any, *, trainee: str | None = None, scenario: str | None = None, anonymise: bool = False) -> Any:
    """The review app on an open `Store`: what `groupsim review` runs and the tests drive."""
    return _app_class()(store, trainee=trainee, scenario=scenario, anonymise=anonymise)


# -- plain helpers (no Textual) ------------------------------------------------------


def _changes(before: dict[str, int], after: dict[str, int], labels: dict[str, str]) -> str:
    parts = [
        f"{labels.get(k, k)} {v} → {after[k]} ({after[k] - v:+d})" for k, v in before.items() if after.get(k, v) != v
    ]
    return ", ".join(parts) if parts else "no change"


def _seconds(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:.1f} s"


def _prompt_label(key: str, scenario: Any) -> str:
    """'reaction' → 'How it felt'; 'question-2' → the scenario's second reflection question."""
    if key in REFLECTION_LABELS:
        return REFLECTION_LABELS[key]
    if key.startswith("question-") and key[9:].isdigit() and scenario is not None:
        n = int(key[9:])
        if 1 <= n <= len(scenario.reflection):
            return " ".join(scenario.reflection[n - 1].split())
    return key


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def bar(count: int, most: int, width: int = 24) -> str:
    """A bar of `count` out of `most`, at least one cell when count > 0."""
    if count <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(width * count / most))


@functools.cache
def _app_class() -> type:
    """Build the Textual classes on first use, so `groupsim --help` never imports Textual."""
    from rich.text import Text
    from textual import on
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.screen import Screen
    from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

    from simulator.records.queries import Pseudonyms, cohort, list_runs, transcript
    from simulator.records.recorder import Recorder
    from simulator.records.resume import locate

    def plain(text: object) -> Text:
        """Names and scenario text are shown as written, never read as markup."""
        return Text(str(text))

    class RunsScreen(Screen[None]):
        """All runs in a table, with filters."""

        BINDINGS = [
            Binding("enter", "open_run", "Open run", show=True, priority=False),
            Binding("c", "cohort", "Cohort view"),
            Binding("r", "reload", "Reload"),
            Binding("slash", "focus_filter", "Filter"),
            Binding("q", "app.quit", "Quit"),
        ]

        def compose(self) -> ComposeResult:
            app: ReviewApp = self.app  # type: ignore[assignment]
            yield Header()
            with Horizontal(id="filters"):
                yield Input(value=app.start_trainee or "", placeholder="trainee", id="f-trainee")
                yield Select([], prompt="any scenario", id="f-scenario")
                yield Select(OUTCOME_CHOICES, prompt="any outcome", id="f-outcome")
                yield Input(placeholder="from date", id="f-since", tooltip="runs started on or after YYYY-MM-DD")
                yield Input(placeholder="to date", id="f-until", tooltip="runs started on or before YYYY-MM-DD")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Label("", id="count")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one("#runs", DataTable)
            table.add_columns("Run", "Trainee", "Scenario", "Mode", "Started", "Outcome", "Dec.", "Ending")
            self.action_reload()
            table.focus()

        def action_reload(self) -> None:
            app: ReviewApp = self.app  # type: ignore[assignment]
            app.load()
            select = self.query_one("#f-scenario", Select)
            current = select.value
            ids = sorted({r["scenario"] for r in app.runs})
            select.set_options([(plain(i), i) for i in ids])
            if app.start_scenario in ids and current is Select.NULL and not getattr(self, "_seeded", False):
                select.value = app.start_scenario
            elif current in ids:
                select.value = current
            self._seeded = True
            self.refilter()

        def filtered(self) -> list[dict[str, Any]]:
            app: ReviewApp = self.app  # type: ignore[assignment]
            who = self.query_one("#f-trainee", Input).value.strip().casefold()
            scen = self.query_one("#f-scenario", Select).value
            outcome = self.query_one("#f-outcome", Select).value
            since = self.query_one("#f-since", Input).value.strip()
            until = self.query_one("#f-until", Input).value.strip()
            out = []
            for r in app.runs:
                if who and who not in r["trainee"].casefold() and who not in app.shown_name(r["trainee"]).casefold():
                    continue
                if scen is not Select.NULL and r["scenario"] != scen:
                    continue
                if outcome is not Select.NULL and (r["outcome"] or "none") != outcome:
                    continue
                day = r["started"][:10]
                if since and day < since[:10]:
                    continue
                if until and day > until[:10]:
                    continue
                out.append(r)
            return out

        def refilter(self) -> None:
            app: ReviewApp = self.app  # type: ignore[assignment]
            table = self.query_one("#runs", DataTable)
            table.clear()
            rows = self.filtered()
            for r in rows:
                table.add_row(
                    str(r["run"]),
                    plain(_clip(app.shown_name(r["trainee"]), 16)),
                    plain(_clip(r["scenario_title"] or r["scenario"], 22)),
                    r["mode"],
                    r["started"][:10],
                    r["outcome"]
                    if r["status"] == "finished"
                    else ("unfinished" if r["status"] == "active" else r["status"]),
                    str(r["decisions"]),
                    plain(_clip(r["ending_title"] or "", 30)),
                    key=str(r["run"]),
                )
            self.query_one("#count", Label).update(
                f"{len(rows)} of {len(app.runs)} runs · Enter opens the highlighted run"
            )

        @on(Input.Changed)
        @on(Select.Changed)
        def _filter_changed(self) -> None:
            self.refilter()

        @on(Input.Submitted)
        def _filter_submitted(self) -> None:
            self.query_one("#runs", DataTable).focus()

        def _highlighted(self) -> int | None:
            table = self.query_one("#runs", DataTable)
            if table.row_count == 0:
                return None
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            return int(key.value) if key.value is not None else None

        @on(DataTable.RowSelected)
        def _row_selected(self, event: DataTable.RowSelected) -> None:
            if event.row_key.value is not None:
                self.app.push_screen(RunScreen(int(event.row_key.value)))

        def action_open_run(self) -> None:
            run_id = self._highlighted()
            if run_id is not None:
                self.app.push_screen(RunScreen(run_id))

        def action_cohort(self) -> None:
            run_id = self._highlighted()
            if run_id is None:
                self.notify("No run is highlighted.", severity="warning")
                return
            app: ReviewApp = self.app  # type: ignore[assignment]
            scen = next(r["scenario"] for r in app.runs if r["run"] == run_id)
            self.app.push_screen(CohortScreen(scen, run_id))

        def action_focus_filter(self) -> None:
            self.query_one("#f-trainee", Input).focus()

    class RunScreen(Screen[None]):
        """One run: its summary, every decision in order, its ending and reflections."""

        BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

        def __init__(self, run_id: int) -> None:
            super().__init__()
            self.run_id = run_id

        def compose(self) -> ComposeResult:
            app: ReviewApp = self.app  # type: ignore[assignment]
            t = transcript(app.store, self.run_id)
            r = t["run"]
            scenario = app.scenario_for(self.run_id)
            labels = {} if scenario is None else {k: scenario.label(k) for k in scenario.initial_values()}
            yield Header()
            with VerticalScroll(id="transcript"):
                yield Static(
                    plain(
                        f"Run {r['run']} · {app.shown_name(r['trainee']) or '(no name)'} · "
                        f"{r['scenario_title'] or r['scenario']} (file version {r['digest'][:12]}) · {r['mode']}"
                        f"{' with time limits' if r['time_limits'] and r['mode'] == 'practice' else ''} · "
                        f"seed {r['seed']} · started {r['started'][:16].replace('T', ' ')} UTC"
                    ),
                    classes="summary",
                )
                for e in t["entries"]:
                    if e["kind"] == "step":
                        title = e["state"]
                        if scenario is not None and e["state"] in scenario.states:
                            title = scenario.states[e["state"]].title or e["state"]
                        what = "The time ran out." if e["choice"] is None else f"Chose {e['choice']}: {e['text']}"
                        rating = RATING_WORDS.get(e["rating"], str(e["rating"]))
                        head = f"{e['turn']}. {title} — {what}  [{rating}]"
                        if e["undone"]:
                            head += "  (taken back by a rewind)"
                        body = _changes(
                            {**e["meters_before"], **e["trust_before"]},
                            {**e["meters_after"], **e["trust_after"]},
                            labels,
                        )
                        if e["response_ms"] is not None:
                            body += f" · answered in {_seconds(e['response_ms'])}"
                        classes = f"step rating-{e['rating'] or 'timeout'}" + (" undone" if e["undone"] else "")
                        with Vertical(classes=classes):
                            yield Static(plain(head), classes="step-head")
                            yield Static(plain(body), classes="step-body")
                            if e["feedback"]:
                                yield Static(plain(e["feedback"]), classes="step-feedback")
                    elif e["kind"] == "rewound":
                        yield Static(
                            plain(
                                f"↶ Rewound to just after decision {e['turn']}"
                                if e["turn"]
                                else "↶ Rewound to the start"
                            ),
                            classes="event",
                        )
                    else:
                        note = "↻ Resumed after an interruption"
                        if e["kind"] == "resumed-on-changed-scenario":
                            note += " on a changed version of the scenario file"
                        yield Static(plain(note), classes="event")
                if r["status"] == "finished":
                    yield Static(
                        plain(f"Ending ({r['outcome']}): {r['ending_title'] or r['ending']}"),
                        classes=f"ending outcome-{r['outcome']}",
                    )
                    if scenario is not None and r["ending"] in scenario.states:
                        ending = scenario.states[r["ending"]].ending
                        if ending is not None and ending.debrief:
                            yield Static(plain(ending.debrief), classes="debrief")
                    meters = ", ".join(f"{labels.get(k, k)} {v}" for k, v in r["final_meters"].items())
                    yield Static(plain(f"Final meters: {meters}"), classes="step-body")
                else:
                    yield Static(
                        plain(f"Not finished ({r['status']}): {r['decisions']} decision(s) stand."), classes="ending"
                    )
                written = {k: v for k, v in t["reflections"].items() if v.strip()}
                if written:
                    yield Label("Reflections", classes="section")
                    for prompt, text in written.items():
                        yield Static(plain(f"{_prompt_label(prompt, scenario)}: {text}"), classes="reflection")
                else:
                    yield Static(plain("No reflections were written."), classes="muted")
            yield Footer()

    class CohortScreen(Screen[None]):
        """A scenario across the cohort: choices per decision as bars, average meters per ending."""

        BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

        def __init__(self, scenario_id: str, run_id: int) -> None:
            super().__init__()
            self.scenario_id = scenario_id
            self.run_id = run_id

        def compose(self) -> ComposeResult:
            app: ReviewApp = self.app  # type: ignore[assignment]
            scenario = app.scenario_for(self.run_id)
            data = cohort(app.store, self.scenario_id, scenario)
            labels = {} if scenario is None else {k: scenario.label(k) for k in scenario.initial_values()}
            yield Header()
            with VerticalScroll(id="cohort"):
                versions = len(data["digests"])
                yield Static(
                    plain(
                        f"{scenario.title if scenario else self.scenario_id}: {data['runs']} run(s), {data['finished']} finished"
                        + (f" · played on {versions} versions of the file" if versions > 1 else "")
                    ),
                    classes="summary",
                )
                for d in data["decisions"]:
                    yield Label(plain(f"{d['title'] or d['state']}  ({d['total']} decision(s))"), classes="section")
                    most = max([c["count"] for c in d["choices"]] + [1])
                    for c in d["choices"]:
                        pct = f"{100 * c['count'] / d['total']:.0f}%" if d["total"] else "—"
                        number = "timeout" if c["choice"] is None else f"{c['choice']}."
                        with Horizontal(classes=f"bar-row rating-{c['rating'] or 'timeout'}"):
                            yield Static(
                                plain(f"{number} {_clip(c['text'] or 'the time ran out', 64)}"), classes="bar-label"
                            )
                            yield Static(plain(RATING_WORDS.get(c["rating"], str(c["rating"]))), classes="bar-rating")
                            yield Static(bar(c["count"], most), classes="bar")
                            rewound = f", {c['rewound']} taken back" if c["rewound"] else ""
                            yield Static(plain(f"{c['count']} ({pct}){rewound}"), classes="bar-count")
                yield Label("Average meters at each ending", classes="section")
                table: DataTable[Any] = DataTable(id="endings", cursor_type="none")
                meter_ids = (
                    list(scenario.meters)
                    if scenario is not None
                    else sorted({k for e in data["endings"] for k in e["average_meters"]})
                )
                table.add_columns("Ending", "Outcome", "Runs", *[labels.get(m, m) for m in meter_ids])
                for e in data["endings"]:
                    table.add_row(
                        plain(e["title"] or e["ending"]),
                        e["outcome"] or "",
                        str(e["runs"]),
                        *[
                            ("—" if m not in e["average_meters"] else f"{e['average_meters'][m]:.1f}")
                            for m in meter_ids
                        ],
                    )
                yield table
            yield Footer()

    class ReviewApp(App[None]):
        """The supervisor's review of the records."""

        TITLE = "groupsim review"
        CSS = """
        #filters { height: auto; }
        #filters Input { width: 1fr; }
        #filters Select { width: 1fr; }
        #runs { height: 1fr; }
        #count { color: $text-muted; padding: 0 1; }
        .summary { text-style: bold; padding: 0 1 1 1; }
        .section { text-style: bold; padding: 1 1 0 1; }
        .step { height: auto; padding: 0 1 1 1; }
        .step-head { text-style: bold; }
        .step-body, .step-feedback { color: $text-muted; }
        .undone { opacity: 60%; }
        .undone .step-head { text-style: strike; }
        .event { color: $accent; padding: 0 1 1 1; }
        .ending, .debrief, .reflection, .muted { padding: 0 1 1 1; }
        .muted { color: $text-muted; }
        .bar-row { height: auto; padding: 0 1; }
        .bar-label { width: 2fr; padding-right: 1; }
        .bar-rating { width: 13; }
        .bar { width: 26; }
        .bar-count { width: 1fr; }
        .rating-recommended .bar, .rating-recommended .bar-rating, .rating-recommended .step-head { color: $success; }
        .rating-acceptable .bar, .rating-acceptable .bar-rating, .rating-acceptable .step-head { color: $primary; }
        .rating-risky .bar, .rating-risky .bar-rating, .rating-risky .step-head { color: $warning; }
        .rating-harmful .bar, .rating-harmful .bar-rating, .rating-harmful .step-head { color: $error; }
        .rating-timeout .bar, .rating-timeout .bar-rating { color: $text-muted; }
        #endings { height: auto; margin: 0 1; }
        """

        def __init__(self, store: Any, *, trainee: str | None, scenario: str | None, anonymise: bool) -> None:
            super().__init__()
            self.store = store
            self.start_trainee = trainee
            self.start_scenario = scenario
            self.anonymise = anonymise
            self.runs: list[dict[str, Any]] = []
            self._pseudonyms: Any = None
            self._scenarios: dict[int, Any] = {}

        def load(self) -> None:
            self.runs = list_runs(self.store)
            self._pseudonyms = Pseudonyms(self.store) if self.anonymise else None

        def shown_name(self, name: str) -> str:
            return self._pseudonyms(name) if self._pseudonyms is not None else name

        def scenario_for(self, run_id: int) -> Any:
            """The scenario file of a run, for titles and choices nobody took (None if it cannot be found)."""
            if run_id not in self._scenarios:
                info = Recorder(store=self.store).run(run_id)
                self._scenarios[run_id] = locate(info)[0]
            return self._scenarios[run_id]

        def on_mount(self) -> None:
            self.push_screen(RunsScreen())

    return ReviewApp
