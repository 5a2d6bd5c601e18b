"""The map: the scenario's graph as a tree, for supervisors, with the path taken marked.

Opened over a session (key `m`, or the command palette, in practice mode); Esc goes
back to the session exactly as it was, its clock held while the map is open. The
validator's warnings are worked out in a thread and put on their states and choices
when they are ready.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, Tree
from textual.worker import Worker, WorkerState

from simulator.authoring.diagnostics import Diagnostic
from simulator.engine.model import Scenario, Variant
from simulator.engine.session import Session
from simulator.tui.widgets.map_tree import Entry, MapTree, Trail, state_name

LEGEND = Content.assemble(
    ("●", "$text-accent bold"),
    " your path so far   ",
    ("◉", "$text-accent bold"),
    " where you are now   ",
    ("⚠", "$text-warning bold"),
    " a validator's warning",
)


def _flat(text: str) -> str:
    return " ".join(text.split())


def describe(s: Scenario, entry: Entry, problems: list[Diagnostic], trail: Trail, revealed: bool = True) -> Content:
    """Everything about the node `entry`, whole (the tree shortens), as plain text.

    Without `revealed`, a choice's rating, effects and feedback and an ending's outcome and
    debrief are left out (a practice map shows them only for choices taken and endings reached).
    """
    parts: list[Content | tuple[str, str] | str] = []

    def field(name: str, value: str) -> None:
        if value:
            parts.extend([(f"{name}: ", "bold"), _flat(value), "\n"])

    def versions(name: str, plain: str, variants: tuple[Variant, ...] | None) -> None:
        if not variants:
            field(name, plain)
            return
        parts.extend([(f"{name}, in versions:", "bold"), "\n"])
        for v in variants:
            parts.extend(
                [(f"  when {v.when}: " if v.when is not None else "  otherwise: ", "$text-muted"), _flat(v.text), "\n"]
            )

    if entry.kind == "scenario":
        parts += [(s.title, "bold"), "\n", (f"{s.id} · {s.source or 'built in code'}", "$text-muted"), "\n\n"]
        kinds = [st.kind for st in s.states.values()]
        parts.append(
            f"{kinds.count('decision')} decisions, {kinds.count('route')} routing states, {kinds.count('ending')} endings.\n"
        )
        field("Starts at", s.start)
    elif entry.kind == "group":
        parts.append("No chain of choices, branches or time-outs leads to these states from the start.")
    elif entry.kind == "warning" and entry.warning is not None:
        d = entry.warning
        parts += [
            ("⚠ warning", "$text-warning bold"),
            (f" at line {d.line}, column {d.col}", "$text-muted"),
            "\n",
            d.message,
        ]
    elif entry.kind == "state":
        st = s.states[entry.state]
        name = state_name(st)
        parts += [(name, "bold"), "\n", (f"{st.id} · {st.kind}" if name != st.id else st.kind, "$text-muted")]
        if entry.state == trail.here:
            parts.append((" · you are here", "$text-accent bold"))
        elif entry.state in trail.states:
            parts.append((" · on your path", "$text-accent"))
        parts.append("\n\n")
        if entry.seen_above:
            parts.append("Already open higher up this branch: the way loops back to it.\n\n")
        versions("Title", st.title, st.variants.get("title"))
        versions("Narration", st.narration, st.variants.get("narration"))
        for line in st.lines:
            said_when = f" (when {line.when})" if line.when is not None else ""
            parts.extend([(f"{s.speaker_name(line.speaker)}{said_when}: ", "bold"), _flat(line.text), "\n"])
        if st.ending is not None and not revealed:
            parts.append("An ending: what it says, and how it rates, shows once you reach it.\n")
        elif st.ending is not None:
            parts.extend(
                [("Ending: ", "bold"), (st.ending.outcome, f"$text-{_OUTCOME_COLOUR[st.ending.outcome]} bold"), "\n"]
            )
            versions("Ending title", st.ending.title, st.ending.variants.get("title"))
            versions("Debrief", st.ending.debrief, st.ending.variants.get("debrief"))
        elif st.choices:
            versions("Prompt", st.prompt, st.variants.get("prompt"))
            if st.time_limit is not None:
                field("Time limit", f"{st.time_limit} s, then '{st.on_timeout}'")
            if st.order == "fixed":
                field("Order", "fixed: the choices are shown as written")
    elif entry.kind == "choice":
        c = s.states[entry.state].choices[entry.key[2] - 1]
        parts.append((f"Choice {c.number} at '{entry.state}'", "bold"))
        if revealed:
            parts += [(" · ", "bold"), (c.rating, f"$text-{_RATING_COLOUR[c.rating]} bold")]
        if entry.key in trail.edges:
            parts.append((" · you chose this", "$text-accent"))
        parts += ["\n\n", _flat(c.text), "\n\n"]
        if c.when is not None:
            field("Offered when", str(c.when))
        if revealed:
            field("Effects", ", ".join(f"{s.label(e.target)} {e.describe()}" for e in c.effects) or "none")
            field("Sets", ", ".join(c.set))
            field("Clears", ", ".join(c.unset))
        field("Leads to", c.goto)
        if revealed:
            field("Feedback", c.feedback)
            field("See", "; ".join(s.references.get(r, r) for r in c.refs))
        else:
            parts.append("Its rating, effects and feedback show once you have made this choice.\n")
    elif entry.kind == "next":
        st = s.states[entry.state]
        b = st.next[entry.key[2]]
        how = f"when {b.when}" if b.when is not None else f"{b.chance}% chance" if b.chance is not None else "otherwise"
        parts += [(f"From '{entry.state}', routing", "bold"), "\n\n", f"Goes to '{b.goto}' {how}.", "\n"]
        if entry.key in trail.edges:
            parts.append(("Your session went this way.\n", "$text-accent"))
    elif entry.kind == "timeout":
        st = s.states[entry.state]
        parts += [(f"At '{entry.state}', time runs out", "bold"), "\n\n"]
        parts.append(f"After {st.time_limit} s without a choice the session goes to '{st.on_timeout}'.\n")
        if entry.key in trail.edges:
            parts.append(("Your time ran out here.\n", "$text-accent"))
    for d in problems:
        parts += ["\n", ("⚠ ", "$text-warning bold"), (f"line {d.line}:{d.col}: ", "$text-muted"), d.message, "\n"]
    return Content.assemble(*parts).rstrip()


_RATING_COLOUR = {"recommended": "success", "acceptable": "primary", "risky": "warning", "harmful": "error"}
_OUTCOME_COLOUR = {"strong": "success", "mixed": "warning", "poor": "error"}


class MapScreen(ModalScreen[None]):
    """The scenario as a tree; `session`'s path so far is marked. Dismisses with None."""

    AUTO_FOCUS = "#map-tree"
    BINDINGS = [
        Binding("escape,m", "close", "Back"),
        # A modal screen holds back the app's keys; help is still wanted here.
        Binding("f1,question_mark", "app.help", "Help", key_display="F1"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]

    def __init__(self, scenario: Scenario, session: Session | None = None, *, everything: bool = True) -> None:
        super().__init__()
        self.scenario = scenario
        self.trail = Trail.of(session)
        self.everything = everything
        """The author's view: every rating and outcome. Else only those on the path taken."""

    def compose(self) -> ComposeResult:
        with Vertical(id="map"):
            yield Static(Content(f"Map · {self.scenario.title}"), classes="screen-title")
            legend = LEGEND
            if not self.everything:
                legend = Content.assemble(
                    LEGEND,
                    "\n? a rating you see once you have made that choice (endings show their outcome once "
                    "reached; the author's view, groupsim play FILE --author, shows everything)",
                )
            yield Static(legend, id="map-legend")
            with Horizontal(id="map-body"):
                yield MapTree(self.scenario, self.trail, everything=self.everything, id="map-tree")
                with VerticalScroll(id="map-detail"):
                    yield Static(id="map-detail-text", markup=False)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#map-detail").border_title = "Details"
        from simulator.authoring.validate import warnings

        # networkx and the reachability search can take a moment on a big scenario.
        self.run_worker(lambda: warnings(self.scenario), thread=True, name="map-warnings", exit_on_error=False)

    @on(Worker.StateChanged)
    def _warnings_ready(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "map-warnings":
            return
        tree = self.query_one(MapTree)
        if event.state == WorkerState.SUCCESS:
            tree.warnings = tuple(event.worker.result or ())
        elif event.state == WorkerState.ERROR:
            tree.warnings = ()
            self.notify(
                f"Could not check the scenario for problems: {event.worker.error}", severity="warning", markup=False
            )
        else:
            return
        self._show(tree.cursor_node)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        self._show(event.node)

    def _show(self, node) -> None:
        if node is None or node.data is None:
            return
        tree = self.query_one(MapTree)
        text = describe(self.scenario, node.data, tree.problems(node.data), self.trail, tree.revealed(node.data))
        self.query_one("#map-detail-text", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
