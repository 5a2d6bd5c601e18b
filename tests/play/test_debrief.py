"""The play layer: what was on offer (engine.history), the debrief data and exports,
the run, its settings and its observer. No terminal needed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from simulator.play.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"
CIRCLE = ROOT / "tests" / "tui" / "fixtures" / "circle.yaml"


@pytest.fixture
def circle():
    from simulator.authoring.loader import load

    return load(CIRCLE)


@pytest.fixture
def tiny():
    from simulator.authoring.loader import load

    return load(TINY)


# -- engine.history.offered ------------------------------------------------------------


def test_offered_matches_what_was_on_offer_at_each_decision(tiny):
    from simulator.engine import Session
    from simulator.engine.history import offered, recommended

    live = Session(tiny, seed=0)
    seen = []
    for n in (2, 2):  # the harmful choice hides "Invite both in" at the next decision
        seen.append(live.choices())
        live.choose(n)
    assert offered(live) == tuple(seen)
    assert [c.number for c in offered(live)[1]] == [2, 3]
    assert recommended(offered(live)[1]) == ()
    assert [c.number for c in recommended(offered(live)[0])] == [1]


def test_offered_replays_time_outs_and_chance(tiny):
    from simulator.engine import Session
    from simulator.engine.history import offered

    for seed in range(6):
        s = Session(tiny, seed=seed)
        s.timeout()
        s.choose(3)
        if not s.finished:
            s.choose(1)
        got = offered(s)
        assert len(got) == s.turn
        assert [c.number for c in got[0]] == [1, 2, 3]
        # The replay is exact: the same seed and picks reach the same state.
        assert s.history[-1].after == s.values


def test_offered_is_empty_before_any_decision(tiny):
    from simulator.engine import Session
    from simulator.engine.history import offered

    assert offered(Session(tiny)) == ()


# -- report ---------------------------------------------------------------------------------


def _played(circle, picks=(2, 1)):
    from simulator.engine import Session

    s = Session(circle, seed=0)
    for n in picks:
        s.choose(n)
    return s


def test_review_names_the_recommended_choice_when_another_was_taken(circle):
    from simulator.play.debrief import debrief_items as review

    first, second = review(_played(circle))
    assert first.rating == "risky" and first.where == "Late [again]"
    assert first.recommended == ("Welcome him, say buses are maddening, and offer a quick recap.",)
    assert first.changes == (("Trust", -4), ("Kwame", -12))
    assert first.refs == (("iaswg", "IASWG Standards, beginnings"),)
    assert second.took_recommended and second.where == "draw-in"
    assert ("Lì [i]Na[/i]", 15) in second.changes


def test_series_has_the_start_and_every_decision(circle):
    from simulator.play.debrief import series

    data = series(_played(circle))
    assert data["trust"] == [50, 46, 51]
    assert data["kwame"] == [40, 28, 28]
    assert set(data) == set(circle.meters) | set(circle.members)


def test_markdown_and_json_exports(circle, tmp_path):
    from simulator.play.export import to_json, to_markdown, write_exports

    s = _played(circle)
    texts = {"reaction": "Uneasy [b]at first[/b]", "plus": "The pause.", "question-1": "Annoyance."}
    md = to_markdown(s, Settings("assessment", "Zoë"), reflections=texts)
    assert md.startswith("# The Circle [Snapshot]\n")
    assert "Trainee: Zoë" in md and "Mode: assessment" in md
    assert "**Kwame:** Don't look at me like that. The bus [b]never[/b] comes." in md
    assert "**You:** Remind him, firmly, of the group's agreement to arrive on time." in md
    assert "### The ending: The circle widens (strong)" in md
    assert "> Uneasy [b]at first[/b]" in md and "> Annoyance." in md
    assert "   - Recommended here: Welcome him, say buses are maddening, and offer a quick recap." in md
    assert "   - Changes: Trust −4, Kwame −12" in md
    assert "| Trust | 50 | 46 | 51 |" in md
    data = to_json(s, Settings("assessment", "Zoë"), reflections=texts)
    assert data["ending"]["state"] == "warm" and data["ending"]["outcome"] == "strong"
    assert [d["rating"] for d in data["decisions"]] == ["risky", "recommended"]
    assert data["decisions"][0]["changes"] == {"Trust": -4, "Kwame": -12}
    assert data["reflections"] == texts
    assert data["session"]["history"][0]["choice"] == 2
    json.dumps(data)  # JSON-ready

    now = datetime(2026, 1, 2, 3, 4, 5)
    md1, js1 = write_exports(s, tmp_path / "out", Settings(), now=now)
    md2, js2 = write_exports(s, tmp_path / "out", Settings(), now=now)
    assert md1.name == "circle-20260102-030405.md" and js1.name == "circle-20260102-030405.json"
    assert md2.name == "circle-20260102-030405-2.md"  # never overwrites
    assert json.loads(js1.read_text(encoding="utf-8"))["mode"] == "practice"


def test_export_of_an_unfinished_run(circle):
    from simulator.engine import Session
    from simulator.play.export import to_json, to_markdown

    s = Session(circle)
    assert "The scenario was not finished." in to_markdown(s, Settings("practice"))
    assert to_json(s, Settings("practice"))["ending"] is None


# -- Markdown escaping ---------------------------------------------------------------------
#
# Checked by rendering with a real CommonMark renderer (markdown-it-py, which Rich brings
# with Textual) with GFM tables and strikethrough switched on: a text escaped and put in
# its place must render to the same elements as a harmless placeholder there, and its
# rendered text must be the original (whitespace folded, as Markdown folds it).

HARD = [
    "Use *stars*, _underscores_, __double__ and **bold**",
    "# Not a heading",
    "###### Nor this #",
    "Closing hashes ##",
    "1. Not a list",
    "12) Nor this",
    "> Not a quote",
    "- Not a bullet",
    "+ Nor this",
    "* Nor this",
    "---",
    "===",
    "- - -",
    "___",
    "`code` and ``more code``",
    "```python",
    "~~~",
    "[a link](https://example.com) and ![an image](x.png)",
    "[ref][1] and [1] and [^1]",
    "[1]: https://example.com",
    "[ ] not a task box",
    "<b>bold</b> <script>alert(1)</script> <!-- c -->",
    "<https://example.com> and <me@example.com>",
    "<div>",
    "a | b | c",
    "AT&T, &amp;, &copy; and &#35;",
    "back\\slash, \\*escaped\\* and a trailing \\",
    "~~struck~~ ~sub~ ^sup^ $x^2$",
    "    indented like code",
    "\ttabbed",
    "trailing double spaces  ",
    ": a definition?",
    "Don't look at me like that. The bus [b]never[/b] comes.",
]
MULTI = [
    "Two spaces at the end  \nthen # more\n\n1. one\n- two\n+ three\n> four\n---\nlast line\n===\n"
    "    code?\n<div>\nhtml?\n</div>\n[x]: /url\n\n\nend [x]",
    "Setext?\n---",
    "Setext?\n=",
    "CRLF\r\n# next\rthird",
]
CONTEXTS = [
    "{}",
    "- {}",
    "> {}",
    "1. {}",
    "# {}",
    "### {}",
    "**You:** {}",
    "1. **{}**",
    "*{}*",
    "Trainee: {}  \nMode: practice",
    "1. Late\n   - Why: {}",
    "| {} | 50 |\n|---|---|",
]


def _render(markdown: str) -> tuple[list[str], str]:
    """The element tags, in order, and the plain text (whitespace folded) of `markdown`."""
    import html
    import re

    from markdown_it import MarkdownIt

    out = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    tags = re.findall(r"</?[A-Za-z][A-Za-z0-9]*", out)
    return tags, " ".join(html.unescape(re.sub(r"<[^>]*>", " ", out)).split())


class Placeholders:
    """Stands a harmless placeholder in for each line of a text, and remembers the line."""

    def __init__(self):
        self.lines: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        import re

        out = []
        for line in re.split(r"\r\n|\r|\n", text):
            if line.strip():
                key = f"PLACEHOLDER{len(self.lines):03d}X"
                self.lines[key] = " ".join(line.split())
                line = key
            out.append(line.strip())
        return "\n".join(out)

    def problems(self, markdown: str, placeheld: str) -> list[str]:
        """How `markdown` renders differently from `placeheld` with the lines put back."""
        tags, text = _render(markdown)
        want_tags, want = _render(placeheld)
        for key, line in self.lines.items():
            want = want.replace(key, line)
        out = []
        if tags != want_tags:
            out.append(f"elements {tags} != {want_tags}")
        if text != want:
            out.append(f"text {text!r} != {want!r}")
        return out


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("text", HARD)
def test_escaped_text_renders_as_written_in_every_place_the_export_puts_it(text, context):
    from simulator.play.export import escape_markdown

    held = Placeholders()
    assert held.problems(context.format(escape_markdown(text)), context.format(held(text))) == []


@pytest.mark.parametrize("text", MULTI + ["\n".join(HARD)])
def test_escaped_lines_stay_lines_and_render_as_written(text):
    from simulator.play.export import escape_markdown

    held = Placeholders()
    escaped = escape_markdown(text)
    assert escaped.count("\n") == text.count("\n") - text.count("\r\n") + text.count("\r")
    assert held.problems(escaped, held(text)) == []
    quoted = "\n".join("> " + line if line else ">" for line in escaped.split("\n"))
    assert held.problems(quoted, "\n".join("> " + line for line in held(text).split("\n"))) == []


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# x", "\\# x"),
        ("Part two ##", "Part two \\##"),
        ("1. x", "1\\. x"),
        ("2) x", "2\\) x"),
        ("> x", "\\> x"),
        ("- x", "\\- x"),
        ("+ x", "\\+ x"),
        ("---", "\\---"),
        ("===", "\\==="),
        ("*a* _b_ `c` ~d~", "\\*a\\* \\_b\\_ \\`c\\` \\~d\\~"),
        ("see [t](u) ![i](s) [r][1]", "see [t\\](u) ![i\\](s) [r\\][1]"),
        ("[1]: /u", "\\[1\\]: /u"),
        ("<b>x</b> &amp; &#35; AT&T", "&lt;b>x&lt;/b> &amp;amp; &amp;#35; AT&T"),
        ("a | b", "a \\| b"),
        ("a\\", "a\\\\"),
        ("  a  \n    b\t", "a\nb"),
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_escape_markdown_hard_cases(text, escaped):
    from simulator.play.export import escape_markdown

    assert escape_markdown(text) == escaped


@pytest.mark.parametrize(
    "text",
    [
        "Don't look at me like that. The bus [b]never[/b] comes.",
        "Lì [i]Na[/i]",
        "Ask Lì directly: what's it like for you?",
        "...",
        '3.5 hours, 50% of them (roughly); C# and F# - or so -- she said! "Quoted" = fine.',
        "Week 2 of 6. 10 minutes in, 4 members.",
    ],
)
def test_escape_markdown_leaves_plain_prose_alone(text):
    from simulator.play.export import escape_markdown

    assert escape_markdown(text) == text


def _nasty(circle_yaml: dict, fill) -> dict:
    """`circle.yaml`'s data with every text the export shows replaced by `fill(next text)`."""
    import copy
    import itertools

    pool = itertools.cycle(MULTI + HARD)
    d = copy.deepcopy(circle_yaml)

    def text():
        # A scenario cannot hold a carriage return of its own (the loader refuses control
        # characters); trainees' words, below, can.
        return fill(next(pool).replace("\r", ""))

    d["title"] = text()
    d["objectives"] = [text() for _ in d["objectives"]]
    d["reflection"] = [text() for _ in d["reflection"]]
    d["references"] = {k: text() for k in d["references"]}
    for m in (*d["meters"].values(), *d["members"].values()):
        m["label" if "label" in m else "name"] = text()
    for st in d["states"].values():
        for key in ("title", "narration"):
            if key in st:
                st[key] = text()
        for line in st.get("lines", []):
            (speaker,) = line
            line[speaker] = text()
        for c in st.get("choices", []):
            c["text"], c["feedback"] = text(), text()
        if "ending" in st:
            st["ending"]["title"], st["ending"]["debrief"] = text(), text()
    return d


@pytest.mark.parametrize("picks", [(2, 1), ("timeout", 2)])
def test_markdown_export_shows_every_text_as_written(picks, tmp_path):
    import yaml

    from simulator.authoring.loader import load_text
    from simulator.engine import Session
    from simulator.play.export import to_json, to_markdown

    data = yaml.safe_load(CIRCLE.read_text(encoding="utf-8"))
    held = Placeholders()
    runs = []
    for fill in (lambda t: t, held):
        scenario, diags = load_text(yaml.safe_dump(_nasty(data, fill), allow_unicode=True))
        assert scenario is not None, diags
        s = Session(scenario, seed=0)
        for n in picks:
            s.timeout() if n == "timeout" else s.choose(n)
        texts = {"reaction": fill(MULTI[0]), "plus": fill(HARD[0]), "delta": fill("\n".join(HARD)), "question-1": ""}
        runs.append((s, fill("Zoë *the* <b>trainee</b>  "), texts))
    (nasty, trainee, texts), (placeheld, held_trainee, held_texts) = runs
    assert nasty.finished
    md = to_markdown(nasty, Settings("practice", trainee), reflections=texts)
    want = to_markdown(placeheld, Settings("practice", held_trainee), reflections=held_texts)
    assert held.problems(md, want) == []
    assert len(held.lines) > 60  # every text made it into the comparison
    # The JSON keeps the exact text.
    exact = to_json(nasty, Settings("practice", trainee), reflections=texts)
    assert exact["trainee"] == trainee and exact["reflections"] == texts
    assert exact["scenario"]["title"] == nasty.scenario.title == MULTI[0]


def test_the_rendering_check_catches_unescaped_text(circle, monkeypatch):
    """Without the escaping, the end-to-end check above fails: it is not vacuous."""
    import simulator.play.export as report

    monkeypatch.setattr(report, "escape_markdown", lambda text: text)
    held = Placeholders()
    s = _played(circle)
    texts = {"reaction": "\n".join(HARD), "plus": "See [a link](https://example.com), <b>bold</b>"}
    md = report.to_markdown(s, Settings("practice", "*Zoë*"), reflections=texts)
    placeheld = {k: held(v) for k, v in texts.items()}
    want = report.to_markdown(s, Settings("practice", held("*Zoë*")), reflections=placeheld)
    assert len(held.problems(md, want)) == 2  # both the elements and the text differ
    assert {"<a", "<b", "<code", "<em", "<h6", "<pre"} <= set(_render(md)[0]) - set(_render(want)[0])


# -- run and observer -----------------------------------------------------------------------


def test_run_tells_the_observer_and_survives_its_failures(circle):
    from simulator.play.run import Observer, Run

    calls = []

    class Flaky(Observer):
        def on_step(self, session, step, elapsed_ms):
            calls.append(("step", step.turn, elapsed_ms))
            raise RuntimeError("disk full")

        def on_finish(self, session):
            calls.append(("finish", session.state.id))

    run, problem = Run.start(circle, Settings(mode="assessment"), seed=3, observe=lambda *a: Flaky())
    assert problem is None and run.session.seed == 3
    step = run.session.choose(1)
    assert run.stepped(step, 120) == "RuntimeError: disk full"
    assert run.rewound() is None  # no on_rewind: nothing to tell
    run.session.choose(1)
    assert run.finished() is None and run.finished() is None  # told once
    assert calls == [("step", 1, 120), ("finish", "warm")]

    def broken(*args):
        raise OSError("no database")

    run, problem = Run.start(circle, Settings(), observe=broken)
    assert problem == "OSError: no database" and run.observer is None
    assert 0 <= run.session.seed < 1_000_000


def test_settings_follow_the_mode():
    from simulator.play.settings import Settings

    practice, timed, assessment = Settings(), Settings(timed=True), Settings(mode="assessment")
    assert practice.feedback_now and practice.rewind_allowed and not practice.time_limits
    assert timed.time_limits
    assert not assessment.feedback_now and not assessment.rewind_allowed and assessment.time_limits


def test_stopwatch_leaves_out_paused_time():
    from simulator.play.run import Stopwatch

    now = [10.0]
    watch = Stopwatch(lambda: now[0])
    now[0] = 12.0
    watch.pause()
    now[0] = 100.0
    assert watch.elapsed_ms() == 2000
    watch.resume()
    now[0] = 101.5
    assert watch.elapsed_ms() == 3500
    watch.restart()
    assert watch.elapsed_ms() == 0


# -- start-up hygiene -----------------------------------------------------------------------


def _loaded(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(','.join(m for m in ('textual', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return {m for m in out.stdout.strip().split(",") if m}


def test_the_play_layer_and_the_text_chart_import_neither_textual_nor_yaml():
    modules = "simulator.play.settings, simulator.play.run, simulator.play.debrief, simulator.play.export"
    assert _loaded(f"import {modules}, simulator.play.replay, simulator.tui.plot") == set()


def test_play_help_does_not_import_textual():
    code = "from simulator.cli import main\ntry:\n    main(['play', '--help'])\nexcept SystemExit:\n    pass"
    assert "textual" not in _loaded(code)


def test_app_module_leaves_later_screens_unloaded():
    code = (
        "import simulator.tui.app, sys\n"
        "late = [m for m in ('simulator.tui.screens.session', 'simulator.tui.screens.debrief',"
        " 'simulator.tui.screens.library', 'simulator.tui.screens.help') if m in sys.modules]\n"
        "assert not late, late"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_reflection_keeps_its_line_breaks_when_rendered():
    # Each line the trainee wrote is a line in a viewer too (a hard break), and a blank
    # line still starts a new paragraph; nothing else is added to the text.
    from markdown_it import MarkdownIt

    from simulator.play.export import _quote

    text = "I froze at first.\nThen I named it *out loud*.\n\nNext time: sooner.\\"
    html = MarkdownIt("commonmark").render(_quote(text))
    assert html == (
        "<blockquote>\n<p>I froze at first.<br />\nThen I named it *out loud*.</p>\n"
        "<p>Next time: sooner.\\</p>\n</blockquote>\n"
    )
