"""`groupsim graph`: DOT that Graphviz accepts, Mermaid with the right structure, and
labels escaped so that scenario text comes out exactly as written.

DOT syntax is always checked with pydot's parser (no Graphviz needed, so the check
never skips); where `dot` is on PATH, Graphviz itself renders every diagram too."""

from __future__ import annotations

import html
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pydot
import pytest

from simulator.authoring.graph import PATH_COLOUR, edges, mermaid_text, to_dot, to_mermaid, trace
from simulator.authoring.loader import load
from simulator.cli import main
from simulator.engine import SessionError

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "fixtures" / "valid"
TINY = VALID / "tiny.yaml"
ESCAPING = VALID / "graph-escaping.yaml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
ALL = SHIPPED + sorted(VALID.glob("*.yaml"))

# pydot's parser calls pyparsing functions that newer pyparsing marks deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot")


def dot_unquote(quoted: str) -> str:
    """Undo DOT quoting as Graphviz reads a label: \\\\ is a backslash, \\" a quote, \\n a line
    break, and character entities (&amp;) are characters."""
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    out, i, body = [], 0, quoted[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"\\": "\\", '"': '"', "n": "\n"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            assert ch != '"', f"unescaped quote in {quoted}"
            out.append(ch)
            i += 1
    return html.unescape("".join(out))


def mermaid_unquote(quoted: str) -> str:
    assert quoted.startswith('"') and quoted.endswith('"') and '"' not in quoted[1:-1], quoted
    text = quoted[1:-1].replace("<br>", "\n")
    assert "<" not in text and ">" not in text and "`" not in text and "|" not in text, text
    codes = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
    return re.sub(r"#(\w+);", lambda m: codes.get(m.group(1)) or chr(int(m.group(1))), text)


def parse_dot(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs, "pydot could not parse the DOT output"
    return graphs[0]


# -- DOT ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_dot_parses_and_has_every_state_and_edge(path):
    s = load(path)
    g = parse_dot(to_dot(s))
    labels = {
        n.get_name(): dot_unquote(n.get_label())
        for n in g.get_nodes()
        if n.get_name() not in ("node", "edge", "graph", "start")
    }
    assert len(labels) == len(s.states)
    for sid, st in s.states.items():
        assert any(
            line == f"({sid})" or line.startswith(f"({sid},") or line == sid
            for text in labels.values()
            for line in text.split("\n")
        ), sid
    assert len(g.get_edges()) == len(edges(s)) + 1  # and the arrow from the start marker
    for e in g.get_edges():
        assert e.get_source() in labels or e.get_source() == "start"
        assert e.get_destination() in labels


def test_dot_labels_round_trip_exactly():
    s = load(ESCAPING)
    g = parse_dot(to_dot(s))
    by_name = {n.get_name(): n for n in g.get_nodes()}
    assert dot_unquote(by_name["graph"].get_label()) == s.title  # pydot reads `graph [...]` as a node
    ab = dot_unquote(by_name["s2"].get_label())
    assert ab == "Back\\slash \\N \\G at end\\\n(a-b)"
    first = dot_unquote(by_name["s0"].get_label())
    assert first.split("\n")[:2] == ["Two lines:", '"quoted" {braces} (parens)']
    good = dot_unquote(by_name["s5"].get_label())
    assert good.startswith('A "good" end → ✓')
    tooltips = [dot_unquote(e.get("tooltip")) for e in g.get_edges() if e.get("tooltip")]
    assert 'Say "hello" \\n literally; a|b; <script>alert(1)</script>' in tooltips
    assert "Wait — ça va? עברית" in tooltips


def test_dot_styles_endings_ratings_branches_and_timeouts():
    text = to_dot(load(TINY))
    g = parse_dot(text)
    nodes = {dot_unquote(n.get("tooltip")): n for n in g.get_nodes() if n.get("tooltip")}
    assert (nodes["good-end"].get("shape"), nodes["mixed-end"].get("shape"), nodes["poor-end"].get("shape")) == (
        "doubleoctagon",
        "octagon",
        "Msquare",
    )
    fills = {nodes[x].get("fillcolor") for x in ("good-end", "mixed-end", "poor-end")}
    assert len(fills) == 3
    by_label = {dot_unquote(e.get_label()): e for e in g.get_edges() if e.get_label()}
    assert by_label["2 harmful"].get("color") == '"#c62828"' and by_label["2 harmful"].get("arrowhead") == "tee"
    assert by_label["3 risky\nwhen not named"].get("arrowhead") == "empty"
    assert by_label["when cohesion < 30"].get("style") == "dashed"
    assert by_label["50% chance"].get("style") == "dashed"
    assert by_label["timeout"].get("style") == "dotted"


def test_dot_highlights_a_path():
    s = load(TINY)
    g = parse_dot(to_dot(s, trace(s, [1, 1], seed=0)))
    path = [e for e in g.get_edges() if e.get("color") == f'"{PATH_COLOUR}"']
    assert [(e.get_source(), e.get_destination()) for e in path] == [
        ("start", "s0"),
        ("s0", "s2"),
        ("s2", "s3"),
        ("s3", "s5"),
    ]
    marked = {n.get_name() for n in g.get_nodes() if n.get("color") == f'"{PATH_COLOUR}"'}
    assert marked == {"s0", "s2", "s3", "s5"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_graphviz_accepts_the_dot(path, graphviz_dot):
    s = load(path)
    done = subprocess.run([graphviz_dot, "-Tsvg"], input=to_dot(s), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    ET.fromstring(done.stdout)


def test_graphviz_draws_the_text_as_written(graphviz_dot):
    s = load(ESCAPING)
    done = subprocess.run(
        [graphviz_dot, "-Tsvg"],
        input=to_dot(s, trace(s, [1, 1])),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    svg = ET.fromstring(done.stdout)
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    # backslash escapes that Graphviz would otherwise expand (\N = node name, \G = graph name)
    assert "Back\\slash \\N \\G at end\\" in texts
    assert '"quoted" {braces} (parens)' in texts
    assert 'A "good" end → ✓' in texts
    assert s.title in texts


# -- Mermaid -------------------------------------------------------------------------------

NODE = re.compile(r'^  (s\d+)(\[|\(|\{\{|\(\[|\[/)("[^"]*")(\]|\)|\}\}|\]\)|\\\])$')
EDGE = re.compile(r'^  (s\d+|start) (-->|-\.->)(?:\|("[^"]*")\|)? (s\d+)$')


def mermaid_parts(text: str):
    lines = text.splitlines()
    assert lines[:1] == ["---"] and lines[3] == "flowchart TD"
    nodes, links, styles = {}, [], []
    for line in lines[4:]:
        if m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2), mermaid_unquote(m.group(3)))
        elif m := EDGE.match(line):
            links.append((m.group(1), m.group(2), m.group(3) and mermaid_unquote(m.group(3)), m.group(4)))
        elif line.startswith(("  classDef ", "  class ", "  linkStyle ")):
            styles.append(line.strip())
        else:
            assert line == '  start(("start"))', f"unexpected line: {line!r}"
    return nodes, links, styles


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_mermaid_structure(path):
    s = load(path)
    nodes, links, styles = mermaid_parts(to_mermaid(s))
    assert len(nodes) == len(s.states)
    assert len(links) == len(edges(s)) + 1
    assert all(a in nodes or a == "start" for a, _, _, _ in links) and all(b in nodes for _, _, _, b in links)
    for line in styles:
        if line.startswith("linkStyle "):
            assert all(0 <= int(i) < len(links) for i in line.split()[1].split(","))


def test_mermaid_labels_round_trip_and_shapes():
    s = load(ESCAPING)
    text = to_mermaid(s)
    nodes, links, _ = mermaid_parts(text)
    assert nodes["s0"] == ("[", 'Two lines:\n"quoted" {braces} (parens)\n[brackets]\n(node)')
    assert nodes["s3"][1] == "#35; is not an entity here;\nnor is &lt;\n(a_b)"
    assert nodes["s5"] == ("{{", 'A "good" end → ✓\n(graph, strong)')
    assert nodes["s6"][0] == "[/" and nodes["s1"][0] == "("
    assert ("s0", "-->", "2 acceptable\nwhen trust < 60 and not said", "s3") in links
    assert ("s1", "-.->", "30% chance", "s6") in links
    assert ("s0", "-.->", "timeout", "s1") in links
    # the ids 'end', 'node', 'subgraph' never appear as Mermaid node ids
    assert not re.search(r"^\s*(end|node|subgraph|graph)\b", text.split("flowchart TD", 1)[1], re.M)
    assert text.splitlines()[1] == 'title: "Quotes \\"double\\" and \\\\back\\\\slash [b]bold[/b] #1 <i>&amp; | `tick`"'


def test_mermaid_styles_by_outcome_rating_and_path():
    s = load(TINY)
    text = to_mermaid(s, trace(s, [1, 1]))
    _, links, styles = mermaid_parts(text)
    assert "class s5 strong" in styles and "class s6 mixed" in styles and "class s7 poor" in styles
    assert "class s0,s2,s3,s5 onpath" in styles
    path = next(x for x in styles if x.startswith("linkStyle") and PATH_COLOUR in x)
    taken = [links[int(i)] for i in path.split()[1].split(",")]
    assert [(a, b) for a, _, _, b in taken] == [("start", "s0"), ("s0", "s2"), ("s2", "s3"), ("s3", "s5")]
    harmful = next(x for x in styles if x.startswith("linkStyle") and "#c62828" in x)
    assert all(links[int(i)][2].split("\n")[0].endswith("harmful") for i in harmful.split()[1].split(","))


@pytest.mark.parametrize("text", ['"', "#", "<b>", "a|b", "`x`", "&amp;", "#quot;", "line\nbreak", "tab\there"])
def test_mermaid_text_never_leaves_its_quotes(text):
    q = mermaid_text(text)
    assert mermaid_unquote(q) == text.replace("\t", "")


# -- tracing a path and the command ----------------------------------------------------------


def test_trace_follows_chance_with_the_seed():
    s = load(TINY)
    lucky = trace(s, [1, 1, 3], seed=4)
    assert {"lucky", "mixed-end"} <= lucky.states and ("next", "route", 1) in lucky.edges
    with pytest.raises(SessionError, match=r"move 2 \(9\) at 'middle': choice 9 is not on offer"):
        trace(s, [1, 9])
    with pytest.raises(SessionError, match="comes after the scenario has ended"):
        trace(s, [1, 1, 1, 1], seed=0)


def test_graph_command(capsys):
    assert main(["graph", str(TINY)]) == 0
    parse_dot(capsys.readouterr().out)
    assert main(["graph", str(TINY), "--format", "mermaid", "--path", "1,timeout"]) == 1
    assert "--path: move 2 (timeout) at 'middle'" in capsys.readouterr().err
    assert main(["graph", str(TINY), "--format", "mermaid", "--path", "timeout,3", "--seed", "1"]) == 0
    assert "onpath" in capsys.readouterr().out


def test_graph_command_bad_input(capsys):
    assert main(["graph", "nowhere.yaml"]) == 1
    with pytest.raises(SystemExit) as info:
        main(["graph", str(TINY), "--format", "png"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["graph", str(TINY), "--path", "1,x"])
    assert info.value.code == 2
