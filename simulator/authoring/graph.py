"""A scenario as a diagram: Graphviz DOT and Mermaid flowchart text.

States are nodes (labelled with their title, or id), endings are shaped and
coloured by outcome, choices are edges labelled with their number and rating and
styled by rating, `next` branches are dashed edges labelled with their condition or
chance, a time-out is a dotted edge labelled "timeout". `trace` plays a path with
the engine's Session so that the route taken can be highlighted.

Every piece of scenario text is escaped for the language it goes into; node ids
are generated, never taken from the file, so no state id can clash with a
keyword (`end` breaks Mermaid, `node` and `edge` are DOT keywords). Pure: no
Graphviz needed.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Literal

from simulator.engine.model import Scenario, State
from simulator.engine.session import Session

EdgeKey = tuple
"""("start",) | ("choice", state, number) | ("timeout", state) | ("next", state, branch index)"""

RATING_STYLE = {
    # rating: (colour, DOT pen width, DOT arrowhead, Mermaid stroke width)
    "recommended": ("#2e7d32", 2.5, "normal", 3),
    "acceptable": ("#1565c0", 1.5, "normal", 2),
    "risky": ("#ef6c00", 1.5, "empty", 2),
    "harmful": ("#c62828", 2.5, "tee", 3),
}
OUTCOME_STYLE = {
    # outcome: (fill, border, DOT shape, Mermaid opening and closing brackets)
    "strong": ("#c8e6c9", "#2e7d32", "doubleoctagon", ("{{", "}}")),
    "mixed": ("#fff3c4", "#b28704", "octagon", ("([", "])")),
    "poor": ("#ffcdd2", "#c62828", "Msquare", ("[/", "\\]")),
}
PATH_COLOUR = "#6a1b9a"


@dataclass(frozen=True, slots=True)
class Edge:
    """One arrow of the diagram."""

    key: EdgeKey
    src: str
    dst: str
    kind: Literal["choice", "next", "timeout"]
    label: str
    rating: str | None = None
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """What a played path went through, for highlighting."""

    states: frozenset[str] = frozenset()
    edges: frozenset[EdgeKey] = field(default_factory=frozenset)


def edges(s: Scenario) -> list[Edge]:
    """Every edge, state by state in file order: choices, then `next` branches, then the time-out."""
    out: list[Edge] = []
    for sid, st in s.states.items():
        for c in st.choices:
            label = f"{c.number} {c.rating}" + (f"\nwhen {c.when}" if c.when is not None else "")
            out.append(Edge(("choice", sid, c.number), sid, c.goto, "choice", label, c.rating, c.text))
        for i, b in enumerate(st.next):
            label = (
                f"when {b.when}"
                if b.when is not None
                else f"{b.chance}% chance"
                if b.chance is not None
                else "otherwise"
            )
            out.append(Edge(("next", sid, i), sid, b.goto, "next", label))
        if st.on_timeout is not None:
            out.append(
                Edge(("timeout", sid), sid, st.on_timeout, "timeout", "timeout", tooltip=f"after {st.time_limit} s")
            )
    return out


def trace(s: Scenario, moves: list[int | str], seed: int = 0) -> Route:
    """Play `moves` (choice numbers or "timeout") from the start with `seed`.

    Raises:
        SessionError: a move is not on offer, or comes after the end; the message says which.
    """
    from simulator.engine.session import SessionError

    sess = Session(s, seed)
    states: set[str] = set(sess.opening)
    keys: set[EdgeKey] = {("start",)}
    keys |= _routing(s, sess.opening)
    for i, move in enumerate(moves, 1):
        if sess.finished:
            raise SessionError(f"move {i} ({move}) comes after the scenario has ended at '{sess.state.id}'")
        here = sess.state.id
        try:
            step = sess.timeout() if move == "timeout" else sess.choose(int(move))
        except SessionError as exc:
            raise SessionError(f"move {i} ({move}) at '{here}': {exc}") from None
        keys.add(("timeout", here) if step.timed_out else ("choice", here, step.choice))
        states.update(step.route)
        keys |= _routing(s, step.route)
    return Route(frozenset(states), frozenset(keys))


def _routing(s: Scenario, route: tuple[str, ...]) -> set[EdgeKey]:
    """The `next` branches a route took. Where two branches of one state lead to the
    same place the route cannot tell them apart; the first is marked."""
    out: set[EdgeKey] = set()
    for a, b in zip(route, route[1:]):
        for i, br in enumerate(s.states[a].next):
            if br.goto == b:
                out.add(("next", a, i))
                break
    return out


def _wrap(text: str, width: int = 28) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, width) or [""]
    return lines


def _node_lines(st: State) -> list[str]:
    """A state's label, line by line: the title (or ending title) wrapped, then the id."""
    if st.ending is not None:
        return _wrap(st.ending.title) + [f"({st.id}, {st.ending.outcome})"]
    if st.title:
        return _wrap(st.title) + [f"({st.id})"]
    return [st.id]


# -- Graphviz DOT --------------------------------------------------------------------


_NO_CONTROLS = dict.fromkeys((*range(32), 127))
"""Control characters dropped from labels (line breaks are given their own escape)."""

_DOT_ESCAPES = str.maketrans({**_NO_CONTROLS, "\\": "\\\\", "&": "&amp;", '"': '\\"', "\n": "\\n"})


def dot_quote(text: str) -> str:
    """`text` as a DOT double-quoted string: backslashes and quotes escaped, line breaks
    as DOT's centred-line escape, `&` as `&amp;` (Graphviz reads character entities such
    as `&lt;` in every label), other control characters dropped."""
    return '"' + text.translate(_DOT_ESCAPES) + '"'


def _dot_label(lines: list[str]) -> str:
    return dot_quote("\n".join(lines))


def to_dot(s: Scenario, route: Route | None = None) -> str:
    """The scenario as a Graphviz digraph."""
    route = route or Route()
    ids = {sid: f"s{i}" for i, sid in enumerate(s.states)}
    q = dot_quote
    out = [
        f"digraph {q(s.id)} {{",
        f'  graph [label={q(s.title)}, labelloc=t, fontname="Helvetica", fontsize=16, rankdir=TB];',
        '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff"];',
        '  edge [fontname="Helvetica", fontsize=9];',
        '  start [shape=point, width=0.15, label=""];',
    ]
    for sid, st in s.states.items():
        attrs = [f"label={_dot_label(_node_lines(st))}", f"tooltip={q(sid)}"]
        if st.ending is not None:
            fill, border, shape, _ = OUTCOME_STYLE[st.ending.outcome]
            attrs += [f"shape={shape}", f'fillcolor="{fill}"', f'color="{border}"']
        elif st.next:
            attrs += ["shape=ellipse", 'fillcolor="#eeeeee"']
        if sid in route.states:
            attrs = [a for a in attrs if not a.startswith("color=")] + ["penwidth=3", f'color="{PATH_COLOUR}"']
        out.append(f"  {ids[sid]} [{', '.join(attrs)}];")
    start = ["penwidth=3", f'color="{PATH_COLOUR}"'] if ("start",) in route.edges else []
    out.append(f"  start -> {ids[s.start]}{' [' + ', '.join(start) + ']' if start else ''};")
    for e in edges(s):
        attrs = [f"label={q(e.label)}"]
        if e.tooltip:
            attrs.append(f"tooltip={q(e.tooltip)}")
        if e.kind == "choice":
            colour, width, head, _ = RATING_STYLE[e.rating or "acceptable"]
            attrs += [f'color="{colour}"', f'fontcolor="{colour}"', f"penwidth={width}", f"arrowhead={head}"]
        elif e.kind == "next":
            attrs += ["style=dashed"]
        else:
            attrs += ["style=dotted"]
        if e.key in route.edges:
            attrs = [a for a in attrs if not a.startswith(("color=", "penwidth="))] + [
                f'color="{PATH_COLOUR}"',
                "penwidth=4",
            ]
        out.append(f"  {ids[e.src]} -> {ids[e.dst]} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


# -- Mermaid -------------------------------------------------------------------------


_MERMAID_ESCAPES = str.maketrans(
    {
        **_NO_CONTROLS,
        "#": "#35;",
        '"': "#quot;",
        "<": "#lt;",
        ">": "#gt;",
        "&": "#amp;",
        "|": "#124;",
        "`": "#96;",
        "\n": "<br>",
    }
)


def mermaid_text(text: str) -> str:
    """`text` for inside a Mermaid double-quoted label: characters Mermaid reads as
    syntax or markup become its entity codes (#quot; and friends), line breaks <br>."""
    return '"' + text.translate(_MERMAID_ESCAPES) + '"'


def to_mermaid(s: Scenario, route: Route | None = None) -> str:
    """The scenario as a Mermaid flowchart (renders in Markdown on common code hosts)."""
    route = route or Route()
    ids = {sid: f"s{i}" for i, sid in enumerate(s.states)}
    m = mermaid_text
    out = ["---", f"title: {json.dumps(s.title, ensure_ascii=False)}", "---", "flowchart TD"]
    out.append('  start(("start"))')
    classes: dict[str, list[str]] = {}
    for sid, st in s.states.items():
        text = m("\n".join(_node_lines(st)))
        if st.ending is not None:
            opening, closing = OUTCOME_STYLE[st.ending.outcome][3]
            classes.setdefault(st.ending.outcome, []).append(ids[sid])
        elif st.next:
            opening, closing = "(", ")"
            classes.setdefault("route", []).append(ids[sid])
        else:
            opening, closing = "[", "]"
        out.append(f"  {ids[sid]}{opening}{text}{closing}")
        if sid in route.states:
            classes.setdefault("onpath", []).append(ids[sid])
    links: dict[str, list[int]] = {}
    n = 0
    out.append(f"  start --> {ids[s.start]}")
    if ("start",) in route.edges:
        links.setdefault("path", []).append(n)
    n += 1
    for e in edges(s):
        arrow = "-->" if e.kind == "choice" else "-.->"
        out.append(f"  {ids[e.src]} {arrow}|{m(e.label)}| {ids[e.dst]}")
        if e.key in route.edges:
            links.setdefault("path", []).append(n)
        elif e.rating is not None:
            links.setdefault(e.rating, []).append(n)
        n += 1
    for outcome, (fill, border, _, _) in OUTCOME_STYLE.items():
        out.append(f"  classDef {outcome} fill:{fill},stroke:{border},stroke-width:2px")
    out.append("  classDef route fill:#eeeeee,stroke:#999999")
    out.append(f"  classDef onpath stroke:{PATH_COLOUR},stroke-width:4px")
    for name, members in classes.items():
        out.append(f"  class {','.join(members)} {name}")
    for rating, (colour, _, _, width) in RATING_STYLE.items():
        if rating in links:
            out.append(f"  linkStyle {','.join(map(str, links[rating]))} stroke:{colour},stroke-width:{width}px")
    if "path" in links:
        out.append(f"  linkStyle {','.join(map(str, links['path']))} stroke:{PATH_COLOUR},stroke-width:5px")
    return "\n".join(out) + "\n"
