"""The scenario as a navigable tree: states, their choices and where each one goes.

Built lazily (a state's choices are added when it is first opened), so a scenario of
any size opens at once. A state that is already open higher up the same branch is
shown as a leaf marked "(see above)", so loops end. Labels are assembled from each
node's `Entry` at render time, styled through component classes (see app.tcss), so
every Textual theme applies and no scenario text is ever read as markup.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from simulator.authoring.diagnostics import Diagnostic
from simulator.authoring.graph import Edge, EdgeKey, edges
from simulator.engine.model import Scenario, State
from simulator.engine.session import Session

Kind = Literal["scenario", "state", "choice", "next", "timeout", "warning", "group"]
ProblemKey = tuple
"""("state", state id) or ("choice", state id, authored number)."""

TEXT_WIDTH = 30
"""Choice texts are shortened to this many characters in the tree (the details show them whole)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What one node of the tree stands for."""

    kind: Kind
    state: str = ""
    """The state this node is (kind "state"), or the state it belongs to."""
    key: EdgeKey = ()
    """For a choice, branch or time-out: its key in `simulator.authoring.graph` terms."""
    target: str = ""
    """Where a choice, branch or time-out leads."""
    seen_above: bool = False
    """A state already open higher up this branch: a leaf, so that loops end."""
    warning: Diagnostic | None = None


@dataclass(frozen=True, slots=True)
class Trail:
    """The way a session has come: what to mark on the map."""

    states: frozenset[str] = frozenset()
    edges: frozenset[EdgeKey] = frozenset()
    hops: tuple[EdgeKey, ...] = ()
    """Every choice, time-out and `next` branch taken, in order."""
    here: str | None = None

    @classmethod
    def of(cls, session: Session | None) -> Trail:
        """The path `session` has taken so far (an empty trail for None)."""
        if session is None:
            return cls()
        s = session.scenario
        hops: list[EdgeKey] = [*_branches(s, session.opening)]
        states = set(session.opening)
        for step in session.history:
            hops.append(("timeout", step.state) if step.choice is None else ("choice", step.state, step.choice))
            hops += _branches(s, (step.state, *step.route))
            states.update(step.route)
        return cls(frozenset(states), frozenset(hops), tuple(hops), session.state.id)


def _branches(s: Scenario, route: tuple[str, ...]) -> list[EdgeKey]:
    """The `next` branches a route went through (the first that leads on, where two lead alike)."""
    out: list[EdgeKey] = []
    for a, b in zip(route, route[1:]):
        for i, br in enumerate(s.states[a].next):
            if br.goto == b:
                out.append(("next", a, i))
                break
    return out


def place(s: Scenario, warnings: Iterable[Diagnostic]) -> tuple[dict[ProblemKey, list[Diagnostic]], list[Diagnostic]]:
    """Put each warning on the state or choice it points at (by line and column).

    Returns the placed warnings by key, and those that point at neither.
    """
    where: dict[tuple[int, int], ProblemKey] = {}
    for sid, st in s.states.items():
        where[(st.pos.line, st.pos.col)] = ("state", sid)
        for c in st.choices:
            where[(c.pos.line, c.pos.col)] = ("choice", sid, c.number)
    placed: dict[ProblemKey, list[Diagnostic]] = defaultdict(list)
    loose: list[Diagnostic] = []
    for d in warnings:
        key = where.get((d.line, d.col))
        if key is None:
            loose.append(d)
        else:
            placed[key].append(d)
    return dict(placed), loose


def shorten(text: str, width: int = TEXT_WIDTH) -> str:
    """`text` on one line, cut at a word with an ellipsis if longer than `width`."""
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder="…") or " ".join(text.split())[:width]


def state_name(st: State) -> str:
    """A state's title (an ending's title for an ending), or its id when it has none."""
    if st.ending is not None and not st.title:
        return " ".join(st.ending.title.split()) or st.id
    return " ".join(st.title.split()) or st.id


class MapTree(Tree[Entry]):
    """The scenario's graph as a tree. Set `trail` and `warnings`; it posts Tree's own messages."""

    COMPONENT_CLASSES = {
        "map--name",
        "map--muted",
        "map--path",
        "map--here",
        "map--warning",
        "map--recommended",
        "map--acceptable",
        "map--risky",
        "map--harmful",
        "map--timeout",
        "map--strong",
        "map--mixed",
        "map--poor",
    }

    BINDINGS = [
        Binding("enter", "select_cursor", "Open/close"),
        Binding("space", "toggle_node", "Open/close", show=False),
    ]

    warnings: reactive[tuple[Diagnostic, ...] | None] = reactive(None, init=False)
    """The validator's warnings on the scenario; None while they are still being worked out."""

    def __init__(
        self, scenario: Scenario, trail: Trail | None = None, *, everything: bool = True, id: str | None = None
    ) -> None:
        super().__init__(Text(scenario.title), Entry("scenario"), id=id)
        self.scenario = scenario
        self.trail = trail or Trail()
        self.everything = everything
        """Show every choice's rating and every ending's outcome (the author's view); else only
        those of the choices taken and the endings reached, so the map gives no answer away."""
        self._out: dict[str, list[Edge]] = defaultdict(list)
        for e in edges(scenario):
            self._out[e.src].append(e)
        self._filled: set[int] = set()
        self._problems: dict[ProblemKey, list[Diagnostic]] = {}

    # -- building ------------------------------------------------------------------
    def on_mount(self) -> None:
        self.guide_depth = 3
        s = self.scenario
        root = self.root
        root.expand()
        start = self._add_state(root, s.start, expand=True)
        unreachable = [sid for sid in s.states if sid not in self.reachable()]
        if unreachable:
            group = root.add(Text("Not reachable from the start"), Entry("group"), expand=True)
            for sid in unreachable:
                self._add_state(group, sid)
        self._follow_trail(start)

    def reachable(self) -> set[str]:
        """Every state some chain of choices, branches and time-outs leads to from the start."""
        seen = {self.scenario.start}
        todo = [self.scenario.start]
        while todo:
            for e in self._out[todo.pop()]:
                if e.dst not in seen:
                    seen.add(e.dst)
                    todo.append(e.dst)
        return seen

    def _add_state(self, parent: TreeNode[Entry], sid: str, *, expand: bool = False) -> TreeNode[Entry]:
        above = {n.data.state for n in _lineage(parent) if n.data is not None and n.data.kind == "state"}
        if sid in above:
            return parent.add_leaf(Text(sid), Entry("state", sid, seen_above=True))
        has_children = bool(self._out[sid]) or ("state", sid) in self._problems
        node = parent.add(Text(sid), Entry("state", sid), expand=False, allow_expand=has_children)
        if expand and has_children:
            self.fill(node)
            node.expand()
        return node

    def fill(self, node: TreeNode[Entry]) -> None:
        """Add a node's children, once: a state's choices, branches and time-out; a choice's target."""
        if node.id in self._filled or node.data is None:
            return
        self._filled.add(node.id)
        entry = node.data
        if entry.kind == "state" and not entry.seen_above:
            for d in self._problems.get(("state", entry.state), ()):
                node.add_leaf(Text(d.message), Entry("warning", entry.state, warning=d))
            for e in self._out[entry.state]:
                node.add(Text(e.label), Entry(e.kind, entry.state, e.key, e.dst))
        elif entry.kind in ("choice", "next", "timeout"):
            if entry.kind == "choice":
                for d in self._problems.get(("choice", entry.state, entry.key[2]), ()):
                    node.add_leaf(Text(d.message), Entry("warning", entry.state, entry.key, warning=d))
            self._add_state(node, entry.target, expand=True)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        self.fill(event.node)

    def _follow_trail(self, start: TreeNode[Entry]) -> None:
        """Open the branch the session took, and put the cursor where it stands now."""
        node = start
        for hop in self.trail.hops:
            state_node = _open_state(node, hop[1])
            if state_node is None:
                break
            self.fill(state_node)
            state_node.expand()
            step = next((c for c in state_node.children if c.data is not None and c.data.key == hop), None)
            if step is None:
                break
            self.fill(step)
            step.expand()
            node = step
        here = _open_state(node, self.trail.here) if self.trail.here else None
        self.call_after_refresh(self.move_cursor, here or start)

    # -- warnings ----------------------------------------------------------------
    def watch_warnings(self, warnings: tuple[Diagnostic, ...] | None) -> None:
        if warnings is None:
            return
        self._problems, loose = place(self.scenario, warnings)
        # Nodes already filled get their warnings now; the rest get them when opened.
        for node in list(_walk(self.root)):
            entry = node.data
            if entry is None or node.id not in self._filled:
                if entry is not None and entry.kind == "state" and ("state", entry.state) in self._problems:
                    node.allow_expand = not entry.seen_above
                node.refresh()
                continue
            key: ProblemKey | None = None
            if entry.kind == "state" and not entry.seen_above:
                key = ("state", entry.state)
            elif entry.kind == "choice":
                key = ("choice", entry.state, entry.key[2])
            for i, d in enumerate(self._problems.get(key, ()) if key else ()):
                node.add_leaf(Text(d.message), Entry("warning", entry.state, entry.key, warning=d), before=i)
            node.refresh()
        for d in loose:
            self.root.add_leaf(Text(d.message), Entry("warning", warning=d))
        # Labels changed width; Tree (Textual 8.2) offers no public call that re-measures them.
        self._invalidate()

    def problems(self, entry: Entry) -> list[Diagnostic]:
        """The warnings placed on the state or choice `entry` stands for."""
        if entry.kind == "state":
            return self._problems.get(("state", entry.state), [])
        if entry.kind == "choice":
            return self._problems.get(("choice", entry.state, entry.key[2]), [])
        return []

    # -- labels ------------------------------------------------------------------
    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        entry = node.data
        if entry is None:
            return super().render_label(node, base_style, style)
        parts = self.label_parts(entry)
        label = Text.assemble(
            *[
                (text, self.get_component_rich_style(f"map--{role}", partial=True)) if role else text
                for text, role in parts
            ]
        )
        label.stylize(style)
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            return Text.assemble((icon, base_style + Style(meta={"toggle": True})), label)
        return label

    def label_parts(self, entry: Entry) -> list[tuple[str, str]]:
        """A node's label as (text, role) pieces; a role names a `map--` component class."""
        s = self.scenario
        trail = self.trail
        if entry.kind == "scenario":
            parts = [(s.title, "name"), (f" ({s.id}) · {len(s.states)} states", "muted")]
            if self.warnings is None:
                parts.append((" · checking for problems…", "muted"))
            elif self.warnings:
                n = len(self.warnings)
                parts.append((f"  ⚠ {n} warning{'s' if n != 1 else ''}", "warning"))
            else:
                parts.append((" · no problems found", "muted"))
            return parts
        if entry.kind == "group":
            return [("Not reachable from the start", "muted")]
        if entry.kind == "warning":
            assert entry.warning is not None
            return [("⚠ ", "warning"), (entry.warning.message, "warning")]
        if entry.kind == "state" and entry.state == trail.here and not entry.seen_above:
            mark = [("◉ ", "here")]
        else:
            mark = [("● ", "path")] if self._on_trail(entry) else []
        if entry.kind == "state":
            st = s.states[entry.state]
            name = state_name(st)
            parts = [*mark, (name, "name")]
            if name != st.id:
                parts.append((f" ({st.id})", "muted"))
            if entry.seen_above:
                return [*parts, (" (see above)", "muted")]
            if st.ending is not None and self.revealed(entry):
                parts += [(" · ending ", "muted"), (st.ending.outcome, st.ending.outcome)]
            elif st.ending is not None:
                parts.append((" · ending", "muted"))
            else:
                parts.append((f" · {st.kind}", "muted"))
            return parts + self._flag(entry)
        if entry.kind == "choice":
            st = s.states[entry.state]
            c = st.choices[entry.key[2] - 1]
            rating = (c.rating, c.rating) if self.revealed(entry) else ("?", "muted")
            parts = [*mark, (f"{c.number}. ", "name"), rating, (" ", ""), (shorten(c.text), "")]
            if c.when is not None:
                parts.append((f" · when {c.when}", "muted"))
            return parts + [(f" → {c.goto}", "muted")] + self._flag(entry)
        if entry.kind == "timeout":
            st = s.states[entry.state]
            return [*mark, (f"time runs out ({st.time_limit} s)", "timeout"), (f" → {entry.target}", "muted")]
        # a `next` branch: the label graph.edges gives it ("when …", "50% chance", "otherwise")
        label = next(e.label for e in self._out[entry.state] if e.key == entry.key)
        return [*mark, (label, ""), (f" → {entry.target}", "muted")]

    def revealed(self, entry: Entry) -> bool:
        """Whether a choice's rating and consequences, or an ending's outcome, may be shown."""
        return self.everything or self._on_trail(entry)

    def _on_trail(self, entry: Entry) -> bool:
        if entry.kind == "state":
            return entry.state in self.trail.states
        return entry.key in self.trail.edges

    def _flag(self, entry: Entry) -> list[tuple[str, str]]:
        n = len(self.problems(entry))
        return [(f"  ⚠ {n}", "warning")] if n else []


def _lineage(node: TreeNode[Entry] | None) -> Iterable[TreeNode[Entry]]:
    while node is not None:
        yield node
        node = node.parent


def _walk(node: TreeNode[Entry]) -> Iterable[TreeNode[Entry]]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _open_state(node: TreeNode[Entry], sid: str | None) -> TreeNode[Entry] | None:
    """The node showing state `sid` at or under `node` (one level), or higher up when
    the branch loops back to it (a "(see above)" leaf stands for the one above)."""
    candidates = [node, *node.children]
    for n in candidates:
        if n.data is not None and n.data.kind == "state" and n.data.state == sid:
            if not n.data.seen_above:
                return n
            return next(
                (
                    a
                    for a in _lineage(n.parent)
                    if a.data is not None and a.data.kind == "state" and a.data.state == sid and not a.data.seen_above
                ),
                None,
            )
    return None
