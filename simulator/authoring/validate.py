"""The validator: load errors, then the warnings a graph can show (networkx).

`check_file` is what `groupsim validate` runs on each file; `warnings` is the
graph part on an already loaded scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import networkx as nx

from simulator.authoring.analysis import reachability
from simulator.authoring.audit import standout
from simulator.authoring.diagnostics import Diagnostic
from simulator.authoring.library import SUFFIXES
from simulator.authoring.loader import read_text
from simulator.engine.model import Pos, Scenario, State, Variant


def graph(s: Scenario) -> nx.DiGraph:
    """States as nodes; an edge for every choice, `next` branch and time-out."""
    g = nx.DiGraph()
    g.add_nodes_from(s.states)
    for st in s.states.values():
        for c in st.choices:
            g.add_edge(st.id, c.goto)
        for b in st.next:
            g.add_edge(st.id, b.goto)
        if st.on_timeout:
            g.add_edge(st.id, st.on_timeout)
    return g


def warnings(s: Scenario) -> list[Diagnostic]:
    """Everything that plays but deserves the author's eye."""
    out: list[Diagnostic] = []

    def warn(pos: Pos, message: str) -> None:
        out.append(Diagnostic(s.source or "<scenario>", pos.line or 1, pos.col or 1, "warning", message))

    g = graph(s)
    reachable = nx.descendants(g, s.start) | {s.start}
    endings = [sid for sid, st in s.states.items() if st.ending is not None]
    # One backward search from every ending at once (an ancestors() per ending is quadratic).
    can_end = set(nx.multi_source_dijkstra_path_length(g.reverse(copy=False), endings)) if endings else set()

    for sid, st in s.states.items():
        if sid not in reachable:
            warn(st.pos, f"state '{sid}' cannot be reached from the start ('{s.start}'); link to it or remove it")
        elif sid not in can_end:
            warn(st.pos, f"no ending can be reached from state '{sid}': a trainee who gets there is stuck")

    found = reachability(s)
    if found.complete:
        for sid, st in s.states.items():
            if sid in reachable and sid not in found.states:
                what = "ending" if st.ending else "state"
                warn(st.pos, f"{what} '{sid}' is never reached: the conditions on every way to it never hold")
            if sid in found.states:
                for where, name, variants in _texts(st):
                    for i, v in enumerate(variants):
                        if (sid, name, i) not in found.shown:
                            why = (
                                f"on every arrival its condition '{v.when}' is false or a version above it applies"
                                if v.when
                                else "a version above it applies on every arrival"
                            )
                            warn(v.pos, f"version {i + 1} of {where} of state '{sid}' is never shown: {why}")
                for i, ln in enumerate(st.lines):
                    if ln.when is not None and (sid, "line", i) not in found.shown:
                        warn(
                            ln.pos,
                            f"this line of state '{sid}' is never said: its condition '{ln.when}' never holds on arrival",
                        )
                for c in st.choices:
                    if c.when is not None and (sid, c.number) not in found.offered:
                        warn(
                            c.pos,
                            f"choice {c.number} of state '{sid}' is never offered: its condition '{c.when}' never holds when the state is reached",
                        )

    for sid, st in s.states.items():
        if not st.choices:
            continue
        if not any(c.rating == "recommended" for c in st.choices):
            warn(
                st.pos,
                f"decision '{sid}' has no recommended choice; trainees learn most when one response is the model",
            )
        for c, n, other in standout(st):
            warn(
                c.pos,
                f"choice {c.number} of '{sid}' is recommended and more than a quarter longer than every choice"
                f" not recommended there ({n} characters against {other}): trainees learn to pick the longest answer"
                " instead of judging the situation. Shorten it or give the other choices the same weight; if it"
                " bundles several pieces of advice, split them across decisions",
            )
        if len(st.choices) > 1:
            shapes = {
                (
                    c.goto,
                    tuple(sorted((e.target, e.amount, e.fair) for e in c.effects)),
                    frozenset(c.set),
                    frozenset(c.unset),
                )
                for c in st.choices
            }
            if len(shapes) == 1:
                warn(
                    st.pos,
                    f"every choice at '{sid}' leads to '{st.choices[0].goto}' with the same effects, so the decision makes no difference",
                )
    return sorted(out, key=lambda d: (d.line, d.col))


def _texts(st: State) -> list[tuple[str, str, tuple[Variant, ...]]]:
    """(how to name it, its key in `Reachability.shown`, its versions) for each text of `st` that has versions."""
    out = [(f"the {name}", name, vs) for name, vs in st.variants.items()]
    if st.ending is not None:
        out += [(f"the ending {name}", f"ending {name}", vs) for name, vs in st.ending.variants.items()]
    return out


def check_file(path: Path) -> list[Diagnostic]:
    """Errors if the file does not load, else its warnings."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [Diagnostic(str(path), 1, 1, "error", f"cannot read the file: {exc.strerror or exc}")]
    loaded = read_text(data, str(path))
    if loaded.scenario is None:
        return loaded.errors
    # Mistakes in `tests:` are errors here (the tests cannot run) though the scenario plays.
    return loaded.test_errors + loaded.warnings + warnings(loaded.scenario)


def scenario_files(paths: Iterable[Path]) -> Iterator[Path | str]:
    """Each scenario file under `paths`; a path that does not exist is yielded as a str."""
    for p in paths:
        if p.is_dir():
            yield from sorted(
                f
                for f in p.rglob("*")
                if f.suffix in SUFFIXES
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            yield p
        else:
            yield str(p)
