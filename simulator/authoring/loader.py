"""YAML scenario files to frozen `Scenario`s, with every error placed and explained.

This is the only module that imports yaml. It composes the file into libyaml's
node tree (C when available) and reads the nodes itself instead of letting PyYAML
build Python objects, because that is where line and column live, where a key
given twice can still be seen, and where `yes` can stay the word "yes".
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from simulator.authoring.diagnostics import Diagnostic, ScenarioError
from simulator.engine import conditions
from simulator.engine.model import (
    NO_CONSEQUENCE,
    OUTCOMES,
    RATINGS,
    STAGES,
    Branch,
    Choice,
    Effect,
    Ending,
    Expectation,
    Group,
    Line,
    Member,
    Meter,
    Outcome,
    Pos,
    Rating,
    Scenario,
    ScenarioTest,
    State,
    Timeout,
    Variant,
    Variants,
    Voice,
)
from simulator.play.text import unsafe_characters


def _resolve(kind: type) -> str:
    """Every untagged node gets its kind's plain tag: the reader interprets scalars itself,
    so PyYAML's regex-driven implicit typing (which makes `yes` a boolean) is skipped."""
    if kind is ScalarNode:
        return BaseResolver.DEFAULT_SCALAR_TAG
    if kind is SequenceNode:
        return BaseResolver.DEFAULT_SEQUENCE_TAG
    return BaseResolver.DEFAULT_MAPPING_TAG


try:  # libyaml's C parser is several times faster; the pure one is the fallback.
    from yaml._yaml import CParser as _Parser

    class _Loader(_Parser, BaseResolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            BaseResolver.__init__(self)

        def resolve(self, kind: type, value: object, implicit: object) -> str:
            return _resolve(kind)

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            BaseResolver.__init__(self)

        def resolve(self, kind: type, value: object, implicit: object) -> str:
            return _resolve(kind)

    LIBYAML = False

FORMAT_VERSION = 1
STATE_KEYS = ("title", "narration", "lines", "prompt", "time_limit", "on_timeout", "order", "choices", "next", "ending")
"""The keys a state may have, in the order emitted files and Twine exports write them."""
CHOICE_KEYS = (
    "text",
    "rating",
    "effects",
    "set",
    "unset",
    "feedback",
    "refs",
    "competencies",
    "when",
    "phrasings",
    "goto",
)
"""The keys a choice may have, in that order."""
TIMEOUT_KEYS = ("goto", "rating", "effects", "set", "unset", "feedback", "refs", "competencies")
"""The keys of what a time-out does (`on_timeout` as a mapping), in that order."""
READING_SPEED = 200
"""Words a minute a trainee reads, for the time a timed decision needs."""
THINKING_TIME = 15
"""Seconds a timed decision leaves to think, on top of the time to read it."""
SCHEMA_HEADER = "# yaml-language-server: $schema=../simulator/schema/scenario.schema.json"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATE_ID = re.compile(r"^[A-Za-z0-9_]+(?:[-_][A-Za-z0-9_]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
INT = re.compile(r"^[+-]?\d+$")
FAIR = re.compile(r"^%([+-])(\d+)$")
EXPECT = re.compile(r"^\s*(<=|>=|==|!=|<|>)?\s*([+-]?\d+)\s*$")
STANDARD_TAG = "tag:yaml.org,2002:"


class _Abort(Exception):
    """Raised inside the reader when nothing more can be read usefully."""


def _suggest(word: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(pool), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a set of keys"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{_short(node.value)}'" if node.value != "" else "nothing"


def _short(text: str, n: int = 30) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


# -- YAML that does not parse, explained -------------------------------------------------
#
# libyaml names a mistake in its own terms, often a line or more after it. For the mistakes
# beginners make, these rules look at the lines around where it stopped, find the line the
# mistake is on and say what to type there, in the format document's words.

_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)?)(?P<key>[A-Za-z0-9_][\w-]*) *:(?: |$)")
_NO_COLON = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)?)(?P<key>[A-Za-z_][\w-]*)(?: +(?P<rest>\S.*))?$")
_NO_SPACE = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)?)(?P<key>[A-Za-z_][\w-]*):(?P<rest>[^\s:/].*)$")
_VALUE_START = re.compile(r"^(?P<lead> *(?:- +)*(?:[A-Za-z0-9_][\w-]* *: +)?)(?P<value>\S.*)$")


def _content(line: str) -> str:
    """A line without its comment (a '#' after a space, or first) and trailing spaces."""
    m = re.search(r"(?:^|[ \t])#", line)
    return (line[: m.start()] if m else line).rstrip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _key_column(m: re.Match[str]) -> int:
    """The 0-based column where a key line's key starts (after any '- ')."""
    return len(m.group("indent")) + len(m.group("dash"))


def _has_value(line: str, m: re.Match[str]) -> bool:
    """Whether a key line has a value on it, rather than opening the lines below."""
    return bool(_content(line)[m.end() :].strip())


def _in_quotes(text: str) -> str:
    """`text` as a quoted YAML text: in double quotes, or single ones when it holds a " or a backslash."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "''") + "'"


def _sample(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Mistake:
    """Where libyaml stopped (0-based), and the lines around it."""

    def __init__(self, text: str, exc: yaml.MarkedYAMLError) -> None:
        self.lines = text.split("\n")
        mark = exc.problem_mark or exc.context_mark
        self.line = min(mark.line, len(self.lines) - 1) if mark else 0
        self.col = mark.column if mark else 0
        self.problem = exc.problem or ""
        self.context = exc.context or ""
        cm = exc.context_mark
        self.cline = min(cm.line, len(self.lines) - 1) if cm else None
        self.ccol = cm.column if cm else 0

    def text(self, i: int | None) -> str:
        return self.lines[i] if i is not None and 0 <= i < len(self.lines) else ""

    def char(self, i: int, col: int) -> str:
        s = self.text(i)
        return s[col] if 0 <= col < len(s) else ""

    def previous(self, i: int) -> int | None:
        """The nearest line above `i` with something on it besides a comment."""
        for j in range(min(i, len(self.lines)) - 1, -1, -1):
            if _content(self.lines[j]).strip():
                return j
        return None

    def following(self, i: int) -> int | None:
        for j in range(i + 1, len(self.lines)):
            if _content(self.lines[j]).strip():
                return j
        return None


_Found = tuple[int, int, str]
"""(line, column), 0-based, and the message."""


def _explain(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """The line and column (1-based) of a YAML mistake and what to type instead."""
    m = _Mistake(text, exc)
    rules: tuple[Callable[[_Mistake], _Found | None], ...] = (
        _tab,
        _quote_never_closed,
        _quote_runs_on,
        _quote_ends_early,
        _symbol_first,
        _bracket_first,
        _bracket_not_closed,
        _colon_in_text,
        _missing_colon,
        _missing_dash,
        _misaligned,
    )
    for rule in rules:
        found = rule(m)
        if found is not None:
            return found[0] + 1, found[1] + 1, found[2]
    return (
        m.line + 1,
        m.col + 1,
        "this line does not fit with the lines around it: check that it is indented like the lines it belongs "
        "with, and put in quotes any text that contains ': ' or ' #' or starts with a symbol",
    )


def _tab(m: _Mistake) -> _Found | None:
    """A tab in the indentation: YAML indents with spaces only."""
    at: int | None = None
    if "tab character" in m.problem and m.char(m.line, m.col) == "\t":
        at = m.line
    else:
        i: int | None = m.line
        for _ in range(3):
            if i is None:
                break
            s = m.text(i)
            if "\t" in s[: len(s) - len(s.lstrip(" \t"))] and s.strip():
                at = i
                break
            i = m.previous(i)
    if at is None:
        return None
    s = m.text(at)
    col = m.col if at == m.line and m.char(at, m.col) == "\t" else s.index("\t")
    near = ""
    for j in (m.following(at), m.previous(at)):
        t = m.text(j)
        if j is not None and "\t" not in t[: _indent(t) + 1]:
            near = f" (line {j + 1}, beside it, is indented with {_indent(t)})"
            break
    return at, col, f"this line is indented with a tab; indent with spaces only: replace the tab with spaces{near}"


def _quote_never_closed(m: _Mistake) -> _Found | None:
    if m.context != "while scanning a quoted scalar" or m.cline is None:
        return None
    q = m.char(m.cline, m.ccol) or '"'
    return m.cline, m.ccol, f"the text in quotes that starts here is never closed: add {q} at the end of the text"


def _close_quote(s: str, start: int, q: str) -> int | None:
    """The index of the quote `q` that ends a quoted text in `s`, looking from `start`; None if not on `s`."""
    i = start
    while i < len(s):
        c = s[i]
        if q == '"' and c == "\\":
            i += 2
            continue
        if c == q:
            if q == "'" and s[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


def _quote_runs_on(m: _Mistake) -> _Found | None:
    """A text in quotes not closed on its line, whose following lines look like keys: the quote
    took them in as text, and the parser only stopped further on."""
    i = 0
    while i < m.line:
        s = m.text(i)
        v = _VALUE_START.match(_content(s))
        q = v.group("value")[:1] if v else ""
        if v is None or q not in ('"', "'") or _close_quote(s, len(v.group("lead")) + 1, q) is not None:
            i += 1
            continue
        j, took_keys = i + 1, False
        while j < len(m.lines):
            end = _close_quote(m.text(j), 0, q)
            k = _KEY_LINE.match(m.text(j))
            took_keys = took_keys or bool(k and (end is None or end > _key_column(k)))
            if end is not None:
                break
            j += 1
        if took_keys:
            return (
                i,
                len(v.group("lead")),
                f"the text in quotes that starts here is not closed on its line, so the lines after it are read "
                f"as part of it; add {q} at the end of the text",
            )
        i = j + 1
    return None


def _quote_ends_early(m: _Mistake) -> _Found | None:
    """`ben: "Sorry," he says.` — a text that starts with a quote ends where that quote closes."""
    s = _content(m.text(m.line))
    v = _VALUE_START.match(s)
    if not v:
        return None
    value, at = v.group("value"), len(v.group("lead"))
    q = value[:1]
    end = _close_quote(s, at + 1, q) if q in ('"', "'") else None
    if end is None or end + 1 >= len(s) or m.col <= end:
        return None
    inner = value[1:-1] if len(value) > 1 and value.endswith(q) else value
    if q == "'":
        how = "write each ' inside the text twice"
    else:
        how = "put the whole text in single quotes (and write each ' inside it twice)"
    fixed = "'" + inner.replace("'", "''") + "'"
    return (
        m.line,
        end + 1,
        f"this text starts with a quote, so it ends where that quote closes and the rest of the line cannot be "
        f"read; {how}: {(v.group('lead').strip() + ' ').lstrip()}{_sample(fixed)}",
    )


_SYMBOLS = {
    "*": "a reference to another value",
    "&": "a label for reuse",
    "%": "a directive",
    "@": "a character kept for later use",
    "`": "a character kept for later use",
    "|": "the start of a block of text on the lines below",
    ">": "the start of a block of text on the lines below",
    "-": "a list item",
    "?": "a key",
}


def _symbol_first(m: _Mistake) -> _Found | None:
    """A text starting with a character YAML reads as something else there: * & % @ ` | > -."""
    if m.context in ("while scanning an alias", "while scanning an anchor", "while scanning a block scalar"):
        line, col = m.cline if m.cline is not None else m.line, m.ccol
    elif m.problem.startswith(
        ("found undefined alias", "found character that cannot start any token", "block sequence entries are not")
    ):
        line, col = m.line, m.col
    else:
        return None
    v = _VALUE_START.match(_content(m.text(line)))
    if not v or len(v.group("lead")) != col or not v.group("lead").strip():
        return None
    value = v.group("value")
    ch = value[0]
    lead = v.group("lead").strip()
    return (
        line,
        col,
        f"a text cannot start with '{ch}' unless it is in quotes (YAML reads '{ch}' there as "
        f"{_SYMBOLS.get(ch, 'something other than text')}); write: {lead} {_sample(_in_quotes(value))}",
    )


def _bracket_first(m: _Mistake) -> _Found | None:
    """`ben: [sighs] I know` — a text starting with [ or { is read as a list or a set of keys."""
    v = _VALUE_START.match(_content(m.text(m.line)))
    if not v:
        return None
    value, at = v.group("value"), len(v.group("lead"))
    if value[0] not in "[{" or m.col <= at or not v.group("lead").strip():
        return None
    close = "]" if value[0] == "[" else "}"
    depth, end = 0, None
    for i, c in enumerate(value):
        depth += (c == value[0]) - (c == close)
        if depth == 0:
            end = i
            break
    if end is None or end == len(value) - 1:
        return None
    kind = "a list" if value[0] == "[" else "a set of keys"
    return (
        m.line,
        at,
        f"this text starts with '{value[0]}', which YAML reads as the start of {kind}; put the whole text in "
        f"quotes: {v.group('lead').strip()} {_sample(_in_quotes(value))}",
    )


def _bracket_not_closed(m: _Mistake) -> _Found | None:
    """A [ or { not closed on its line, or a comma missing inside one."""
    if m.context not in ("while parsing a flow mapping", "while parsing a flow sequence") or m.cline is None:
        return None
    opener = m.char(m.cline, m.ccol) or ("{" if "mapping" in m.context else "[")
    close = "}" if opener == "{" else "]"
    if m.line > m.cline:
        s = _content(m.text(m.cline))
        return m.cline, len(s), f"the '{opener}' at column {m.ccol + 1} is not closed: end the line with '{close}'"
    before = m.text(m.line)[: m.col]
    words = re.findall(r"[\w%+-]+", before[before.rfind(",") + 1 :] if "," in before else before[m.ccol + 1 :])
    if m.char(m.line, m.col) == ":" and len(words) >= 3:
        word = words[-1]
        at = before.rfind(word)
        return m.line, at, f"inside {opener}...{close} the entries are separated by commas: put a ',' before '{word}'"
    return None


def _colon_in_text(m: _Mistake) -> _Found | None:
    """`text: Let her go: you will...` — ': ' inside a text starts another key."""
    if not m.problem.startswith("mapping values are not allowed"):
        return None
    s = m.text(m.line)
    k = _KEY_LINE.match(s)
    if k and m.col > s.index(":", _key_column(k)):
        value = _content(s)[k.end() :].strip()
        return (
            m.line,
            m.col,
            f"the text of '{k.group('key')}' contains ': ' (a colon and a space), which YAML reads as the start of "
            f"another key; put the whole text in quotes: {k.group('key')}: {_sample(_in_quotes(value))}",
        )
    prev = m.previous(m.line)
    if prev is None or _missing_colon_at(m, prev) is not None:
        return None  # the line above lacks its colon: see _missing_colon
    owner: int | None = prev
    while owner is not None and not _KEY_LINE.match(m.text(owner)):
        owner = m.previous(owner)
    o = _KEY_LINE.match(m.text(owner)) if owner is not None else None
    if owner is None or o is None or _key_column(o) >= _indent(s) or not _has_value(m.text(owner), o):
        return None
    key = k.group("key") if k else ""
    if key in FORMAT_KEYS:
        return (
            m.line,
            _indent(s),
            f"'{key}' is indented more than '{o.group('key')}' on line {owner + 1}, so it reads as more of the "
            f"text of '{o.group('key')}'; start '{key}' in column {_key_column(o) + 1}, like '{o.group('key')}'",
        )
    return (
        m.line,
        m.col,
        f"the text of '{o.group('key')}' (line {owner + 1}) goes on to this line and contains ': ' here, which "
        f"YAML reads as the start of another key; put the whole text in quotes, or write "
        f"'{o.group('key')}: >' and the text on the lines below it",
    )


def _missing_colon_at(m: _Mistake, i: int) -> _Found | None:
    """Line `i`, if it is a key without its colon (or without the space after it)."""
    s = _content(m.text(i))
    ns = _NO_SPACE.match(s)
    if ns and ns.group("key") in FORMAT_KEYS:
        key = ns.group("key")
        col = len(ns.group("indent")) + len(ns.group("dash")) + len(key) + 1
        return i, col, f"put a space after the colon: '{key}: {_sample(ns.group('rest'), 50)}'"
    nc = _NO_COLON.match(s)
    if _KEY_LINE.match(s) or not nc:
        return None
    col = len(nc.group("indent")) + len(nc.group("dash"))
    # It must sit where a key would: lined up with a key beside it, or first under a key that opens a block.
    aligned = False
    for j in (m.previous(i), m.following(i)):
        k = _KEY_LINE.match(m.text(j))
        if k is None or j is None:
            continue
        if (
            _key_column(k) == col
            or (nc.group("dash") and len(k.group("indent")) == len(nc.group("indent")))
            or (j < i and _key_column(k) < col and not _has_value(m.text(j), k))
        ):
            aligned = True
    if not aligned:
        return None
    key, rest = nc.group("key"), nc.group("rest") or ""
    at = col + len(key)
    if key in FORMAT_KEYS:
        return i, at, f"'{key}' needs a colon after it: write '{key}:{' ' + _sample(rest, 50) if rest else ''}'"
    return i, at, f"this line has no colon, but each line here is 'key: value': is the ':' missing after '{key}'?"


def _missing_colon(m: _Mistake) -> _Found | None:
    """`title The door opens`: libyaml notices on that line or one to three lines later."""
    if m.context == "while scanning a simple key" and m.cline is not None:
        found = _missing_colon_at(m, m.cline)
        if found:
            return found
    i: int | None = m.line
    for _ in range(4):
        if i is None:
            break
        found = _missing_colon_at(m, i)
        if found:
            return found
        i = m.previous(i)
    return None


def _list_name(m: _Mistake, first: int, dash_col: int) -> str:
    """The list whose first '-' is at (first, dash_col): "the list under 'choices' (line 66)"."""
    j: int | None = first
    while j is not None:
        k = _KEY_LINE.match(m.text(j))
        if k and _key_column(k) < dash_col and (j < first or not k.group("dash")):
            return f"the list under '{k.group('key')}' (line {j + 1})"
        j = m.previous(j)
    return "the list above it"


def _missing_dash(m: _Mistake) -> _Found | None:
    """A line in a list that does not start with '-', or that is indented less than its item."""
    if not m.problem.startswith("did not find expected '-' indicator") or m.cline is None:
        return None
    dash_col = m.ccol
    s = m.text(m.line)
    k = _KEY_LINE.match(s)
    col = _indent(s)
    item: int | None = m.previous(m.line)  # the item above: its '- ' is in the list's column
    while item is not None and item >= m.cline:
        t = m.text(item)
        if _indent(t) == dash_col and t.lstrip(" ").startswith("-"):
            break
        item = m.previous(item)
    first = _KEY_LINE.match(m.text(item)) if item is not None else None
    listed = _list_name(m, m.cline, dash_col)
    if k and first and col == dash_col and k.group("key") == first.group("key"):
        return (
            m.line,
            col,
            f"a new item of {listed} starts here without its '-': write '- {k.group('key')}: ...', "
            f"with the '-' in column {dash_col + 1} like the items above",
        )
    if k and first and item is not None:
        return (
            m.line,
            col,
            f"'{k.group('key')}' is indented less than '{first.group('key')}' on line {item + 1}, so it belongs to "
            f"no item of {listed}; start it in column {_key_column(first) + 1}, under '{first.group('key')}'",
        )
    return (
        m.line,
        col,
        f"this line is in {listed} but does not start with '-': start each item with '- ' in column "
        f"{dash_col + 1}, or indent the line under the item it belongs to",
    )


def _misaligned(m: _Mistake) -> _Found | None:
    """A line indented less than the lines it belongs with, but more than the key they are under."""
    if not m.problem.startswith(("did not find expected key", "expected <block end>")):
        return None
    s = m.text(m.line)
    col = _indent(s)
    prev = m.previous(m.line)
    if prev is None or _indent(m.text(prev)) <= col:
        return None
    # the line it should line up with: the nearest above it that starts a line at a smaller depth than `prev`
    j: int | None = prev
    sibling = prev
    while j is not None and _indent(m.text(j)) > col:
        if _indent(m.text(j)) <= _indent(m.text(sibling)):
            sibling = j
        j = m.previous(j)
    if j is None:
        return None

    def name(line: str) -> str:
        k = _KEY_LINE.match(line)
        if k:
            return f"'{k.group('dash')}{k.group('key')}'"
        return f"'{_sample(_content(line).strip(), 30)}'"

    target = _indent(m.text(sibling))
    return (
        m.line,
        col,
        f"{name(s)} is indented less than {name(m.text(sibling))} on line {sibling + 1}, and more than "
        f"{name(m.text(j))} on line {j + 1}: line it up with one of them (with {name(m.text(sibling))}, start it "
        f"in column {target + 1})",
    )


def _condition_hint(src: str, exc: conditions.ConditionError) -> tuple[int, str]:
    """Where a condition's mistake is and what to type, for the operators written the wrong way round
    or with an '=' too many (`=>`, `=<`, `!==`, `===`), which the condition language sees as a lone '='."""
    at = exc.offset
    ahead, behind = src[at : at + 2], src[:at]
    if ahead == "=>":
        return at, "write '>=' (greater than or equal: the '>' comes first)"
    if ahead == "=<":
        return at, "write '<=' (less than or equal: the '<' comes first)"
    if ahead[:1] == "=" and behind.endswith("!="):
        return at - 2, "write '!=' (not equal: one '=' after the '!')"
    if ahead[:1] == "=" and behind.endswith("=="):
        return at - 2, "write '==' (equal: two equals signs, not three)"
    return at, exc.message


@dataclass(frozen=True, slots=True)
class _Anchor:
    """An anchor (`&name`) or an alias (`*name`) in the file; `index` is its offset in the text."""

    name: str
    line: int
    col: int
    index: int
    scalar: bool = False


@dataclass(frozen=True, slots=True)
class _Marks:
    """The anchors and aliases of a file, found from libyaml's events (the node tree keeps no trace
    of an anchor that no alias uses)."""

    anchors: tuple[_Anchor, ...] = ()
    aliases: tuple[_Anchor, ...] = ()

    def anchors_in(self, node: Node) -> list[_Anchor]:
        return [a for a in self.anchors if node.start_mark.index <= a.index <= node.end_mark.index]


def _marks(text: str) -> _Marks:
    if "&" not in text and "*" not in text:
        return _Marks()
    anchors: list[_Anchor] = []
    aliases: list[_Anchor] = []
    for event in yaml.parse(text, Loader=_Loader):
        name = getattr(event, "anchor", None)
        if not name:
            continue
        m = event.start_mark
        found = _Anchor(name, m.line + 1, m.column + 1, m.index, isinstance(event, yaml.ScalarEvent))
        (aliases if isinstance(event, yaml.AliasEvent) else anchors).append(found)
    return _Marks(tuple(anchors), tuple(aliases))


class _Reader:
    """Reads one composed YAML document into a Scenario, collecting diagnostics."""

    def __init__(self, path: str, text: str = "", marks: _Marks | None = None) -> None:
        self.path = path
        self.lines = text.split("\n")
        self.marks = marks or _Marks()
        self.diags: list[Diagnostic] = []
        self.warns: list[Diagnostic] = []
        self.test_diags: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.taken: dict[str, str] = {}  # meter/member/flag names, which share one namespace
        self.broken: set[str] = set()  # names declared with errors: already reported, so not again where used
        # Every place a state is named (goto, on_timeout, next, start, tests), checked once all are read:
        # (the id named, its node, how to call it, whether it is in `tests:`).
        self.state_refs: list[tuple[str, Node, str, bool]] = []
        self.in_tests = False

    # -- reporting ---------------------------------------------------------------
    def error(self, node: Node | Pos | None, message: str) -> None:
        line, col = self._where(node)
        self.diags.append(Diagnostic(self.path, line, col, "error", message))

    def warn(self, node: Node | Pos | None, message: str) -> None:
        line, col = self._where(node)
        self.warns.append(Diagnostic(self.path, line, col, "warning", message))

    def line_of(self, node: Node) -> str:
        i = node.start_mark.line
        return self.lines[i] if 0 <= i < len(self.lines) else ""

    @staticmethod
    def _where(node: Node | Pos | None) -> tuple[int, int]:
        if node is None:
            return 1, 1
        if isinstance(node, Pos):
            return node.line, node.col
        return node.start_mark.line + 1, node.start_mark.column + 1

    @staticmethod
    def pos(node: Node) -> Pos:
        return Pos(node.start_mark.line + 1, node.start_mark.column + 1)

    def visit(self, node: Node) -> bool:
        """Note a node as read; False if an alias reuses it (reported where its anchor is)."""
        key = id(node)
        if key in self.seen:
            if not self.marks.anchors:  # pragma: no cover - an alias always comes with its anchor
                self.error(
                    node,
                    "this value is reused elsewhere through an alias; anchors and aliases (& and *) are not allowed, so write it out in full each time",
                )
            return False
        self.seen.add(key)
        if node.tag and not node.tag.startswith(STANDARD_TAG):
            fix = ""
            if isinstance(node, ScalarNode):
                v = _VALUE_START.match(_content(self.line_of(node)))
                if v and len(v.group("lead")) == node.start_mark.column and v.group("lead").strip():
                    fix = (
                        f"; if '{node.tag}' belongs to the text, put the whole text in quotes: "
                        f"{v.group('lead').strip()} {_sample(_in_quotes(v.group('value')))}"
                    )
            self.error(
                node,
                f"tags such as '{node.tag}' are not used in scenarios (YAML reads '!' at the start of a value as a tag)"
                + (fix or "; remove it"),
            )
        return True

    # -- generic readers -----------------------------------------------------------
    def mapping(
        self,
        node: Node,
        where: str,
        known: Iterable[str],
        required: Iterable[str] = (),
        item: str | None = None,
        misplaced: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, tuple[Node, Node]] | None:
        """Check a mapping's keys; return key -> (key node, value node).

        `item` names what the mapping is when it is an item of a list ("choice"), so that a
        second item written without its '-' is reported as that; `misplaced` gives, for keys
        that belong elsewhere, what to say instead of the nearest known key, and the key each
        stands in for ('' for none). A required key that an unknown key stands in for (`next`
        for `goto`, `feedbak` for `feedback`) is not reported missing as well: one mistake, one
        message.
        """
        if not isinstance(node, MappingNode):
            self.error(node, f"{where} should be a set of 'key: value' lines, but is {_kind(node)}")
            return None
        if not self.visit(node):
            return None
        known = list(known)
        out: dict[str, tuple[Node, Node]] = {}
        stand_ins: set[str] = set()
        for i, (knode, vnode) in enumerate(node.value):
            if not isinstance(knode, ScalarNode):
                self.error(knode, f"a key in {where} must be a plain word")
                continue
            key = knode.value
            if key == "<<":
                self.error(knode, "merge keys (<<) are not allowed; write the keys out in full")
                continue
            if key in out:
                first = out[key][0].start_mark.line + 1
                again = [k.value for k, _ in node.value[i:] if isinstance(k, ScalarNode) and k.value in out]
                if item is not None and len(again) >= 2 and not node.flow_style:
                    # `text`, `rating`, `goto`... a second time: the next item lost its '-'.
                    dash = knode.start_mark.column - 1
                    self.error(
                        knode,
                        f"a new {item} starts here without its '-', so its keys read as {where} again "
                        f"('{key}' is already on line {first}); write '- {key}: ...' with the '-' in column "
                        f"{dash}, like the other {item}s",
                    )
                    break
                self.error(knode, f"'{key}' is given twice in {where} (first on line {first}); keep one")
                continue
            if key not in known:
                if misplaced and key in misplaced:
                    hint = "; " + misplaced[key][0]
                    stand_ins.add(misplaced[key][1])
                else:
                    hint = _suggest(key, known)
                    stand_ins.update(difflib.get_close_matches(key, known, n=1, cutoff=0.6))
                if not hint and node.flow_style and (" " in key or not known):
                    hint = "; if it belongs to the text before it, put that text in quotes — inside {...} a comma starts a new key"
                held = self.marks.anchors_in(vnode)
                if held:
                    hint += (
                        f"; it holds '&{held[0].name}', a label for reusing its value elsewhere, but anchors and"
                        " aliases (& and *) are not allowed: write the values out in full where they are used,"
                        f" and remove '{key}'"
                    )
                self.error(knode, f"unknown key '{key}' in {where}{hint}")
                continue
            out[key] = (knode, vnode)
        for key in required:
            if key not in out and key not in stand_ins:
                self.error(node, f"{where} is missing '{key}'")
        return out

    def entries(self, node: Node, where: str) -> list[tuple[Node, Node]] | None:
        """A mapping whose keys are ids chosen by the author (states, meters...)."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{where} should be a set of 'id: ...' entries, but is {_kind(node)}")
            return None
        if not self.visit(node):
            return None
        out: list[tuple[Node, Node]] = []
        firsts: dict[str, Node] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode) or knode.value == "":
                self.error(knode, f"an id in {where} must be a plain word")
                continue
            if knode.value == "<<":
                self.error(knode, "merge keys (<<) are not allowed; write the keys out in full")
                continue
            if knode.value in firsts:
                first = firsts[knode.value].start_mark.line + 1
                self.error(
                    knode, f"'{knode.value}' is given twice in {where} (first on line {first}); ids must be unique"
                )
                continue
            firsts[knode.value] = knode
            out.append((knode, vnode))
        return out

    def seq(self, node: Node, where: str, allow_single: bool = False) -> list[Node] | None:
        if isinstance(node, SequenceNode):
            return node.value if self.visit(node) else None
        if allow_single and isinstance(node, ScalarNode) and node.value != "":
            return [node]
        self.error(node, f"{where} should be a list ('- item' lines or [a, b]), but is {_kind(node)}")
        return None

    def text(self, node: Node, where: str, required: bool = True, prose: bool = True) -> str | None:
        """A text; `prose` for what people read (not ids, ratings or conditions)."""
        if not isinstance(node, ScalarNode):
            self.error(node, f"{where} should be text, but is {_kind(node)}")
            return None
        self.visit(node)
        value = node.value
        if required and value.strip() == "":
            rest = self.line_of(node)[node.start_mark.column :]
            if not node.style and rest.lstrip(" \t").startswith("#"):
                at = node.start_mark.column + len(rest) - len(rest.lstrip(" \t"))
                self.error(
                    Pos(node.start_mark.line + 1, at + 1),
                    f"{where} is empty: YAML reads ' #' and everything after it on the line as a comment; if the"
                    " text starts with '#', put the whole text in quotes",
                )
            else:
                self.error(node, f"{where} is empty; write the text after the colon")
            return None
        self.control_characters(node)
        if prose and not node.style:
            self.cut_by_comment(node)
        return value.strip("\n") if node.style in ("|", ">") else value

    def control_characters(self, node: ScalarNode) -> None:
        """Refuse a text that holds a control character (written as an escape in double quotes:
        the file itself was checked for them before it was read)."""
        found = unsafe_characters(node.value)
        if found:
            names = list(dict.fromkeys(name for _, name in found))
            self.error(
                node,
                f"this text holds the control character{'s' * (len(names) > 1)} {' and '.join(names)} (written as"
                " an escape such as '\\e' or '\\x1b'), which can change what a trainee's terminal shows; remove"
                f" {'them' if len(names) > 1 else 'it'}",
            )

    def cut_by_comment(self, node: ScalarNode) -> None:
        """Warn when ' #' ends a plain text where the '#' looks like part of it: `#1-800-...`, `(room #4)`."""
        i, end = node.end_mark.line, node.end_mark.column
        if not 0 <= i < len(self.lines):
            return
        line = self.lines[i]
        hit = re.match(r"[ \t]+#", line[end:])
        if hit is None:
            return
        at = end + hit.end() - 1
        after = line[at + 1 :]
        unclosed = any(node.value.count(a) > node.value.count(b) for a, b in ("()", "[]", "{}"))
        if not (after[:1].strip() and after[:1] != "#") and not unclosed:
            return  # '# a comment', as comments are written
        shown = node.value.replace("\n", " ")
        if node.start_mark.line == i:
            v = _VALUE_START.match(line)
            lead = v.group("lead").strip() if v and len(v.group("lead")) == node.start_mark.column else ""
            whole = line[node.start_mark.column :].rstrip()
            quoted = f" ({lead + ' ' if lead else ''}{_sample(_in_quotes(whole))})"
        else:
            quoted = ""
        self.warn(
            Pos(i + 1, at + 1),
            f"the text stops before ' #': YAML reads ' #' and the rest of the line as a comment, so this text"
            f" shows as '{_short(shown, 50)}'. To keep the '#', put the whole text in quotes{quoted}, or write '>'"
            " after the colon and the text on the lines below it",
        )

    def integer(self, node: Node, where: str, low: int | None = None, high: int | None = None) -> int | None:
        if not isinstance(node, ScalarNode) or not INT.match(node.value.strip()):
            self.error(node, f"{where} should be a whole number, but is {_kind(node)}")
            return None
        self.visit(node)
        value = int(node.value)
        if (low is not None and value < low) or (high is not None and value > high):
            rng = f"from {low} to {high}" if high is not None else f"{low} or more"
            self.error(node, f"{where} should be {rng}, but is {value}")
            return None
        return value

    def boolean(self, node: Node, where: str) -> bool | None:
        if isinstance(node, ScalarNode) and not node.style and node.value.lower() in ("true", "false"):
            self.visit(node)
            return node.value.lower() == "true"
        self.error(node, f"{where} should be true or false, but is {_kind(node)}")
        return None

    def choice_of(self, node: Node, where: str, options: tuple[str, ...]) -> str | None:
        value = self.text(node, where, prose=False)
        if value is None:
            return None
        if value not in options:
            self.error(node, f"{where} '{_short(value)}' is not one of {' | '.join(options)}{_suggest(value, options)}")
            return None
        return value

    def text_list(self, node: Node, where: str) -> tuple[str, ...]:
        items = self.seq(node, where, allow_single=True)
        if items is None:
            return ()
        out = []
        for item in items:
            value = self.text(item, f"each item of {where}")
            if value is not None:
                out.append(value)
        return tuple(out)

    def ref(self, node: Node, pool: dict[str, Any] | tuple[str, ...], what: str) -> str | None:
        """A text naming one of `pool` (a state, a flag, ...). A state that is not declared is
        reported once every state is named (see `check_state_refs`)."""
        value = self.text(node, what, prose=False)
        if value is None:
            return None
        if pool is getattr(self, "state_ids", None):
            self.state_refs.append((value, node, what, self.in_tests))
            return value if value in pool else None
        if value not in pool:
            self.error(node, f"unknown {what} '{_short(value)}'{_suggest(value, pool)}")
            return None
        return value

    def condition(self, node: Node, where: str) -> conditions.Condition | None:
        if isinstance(node, ScalarNode) and node.tag.startswith("!") and not node.tag.startswith(STANDARD_TAG):
            # `when: !breach_named`: YAML takes '!breach_named' for a tag.
            self.seen.add(id(node))
            name, rest = node.tag[1:], node.value.strip()
            shown = f"!{name}{' ' + rest if rest else ''}"
            self.error(
                node,
                f"in the condition '{_short(shown, 50)}': write 'not {name}' instead of '!{name}' (YAML reads '!'"
                " at the start of a value as a tag)",
            )
            return None
        src = self.text(node, where, prose=False)
        if src is None:
            return None
        try:
            return conditions.parse(src, self.names, self.state_set, self.choice_counts)
        except conditions.ConditionError as exc:
            offset, message = _condition_hint(src, exc)
            line, col = self._where(node)
            if node.style in ('"', "'"):
                col += 1
            if "\n" not in src and node.style in (None, "", '"', "'"):
                col += offset
            self.diags.append(
                Diagnostic(self.path, line, col, "error", f"in the condition '{_short(src, 50)}': {message}")
            )
            return None

    def check_anchors(self) -> None:
        """Each anchor, where it is: with the lines that reuse it, or (on a text) with how to keep
        the '&' as part of the text."""
        for a in self.marks.anchors:
            uses = [u for u in self.marks.aliases if u.name == a.name]
            where = Pos(a.line, a.col)
            if uses:
                lines = ", ".join(str(u.line) for u in uses)
                self.error(
                    where,
                    f"'&{a.name}' marks this value for reuse, and line{'s' * (len(uses) > 1)} {lines} reuse"
                    f"{'s' * (len(uses) == 1)} it with '*{a.name}'; anchors and aliases (& and *) are not allowed:"
                    f" write the value out in full in each place, and remove '&{a.name}'",
                )
                continue
            line = self.lines[a.line - 1] if a.line <= len(self.lines) else ""
            v = _VALUE_START.match(_content(line))
            if a.scalar and v and len(v.group("lead")) == a.col - 1 and v.group("lead").strip():
                self.error(
                    where,
                    f"a text cannot start with '&' unless it is in quotes: YAML reads '&{a.name}' as a label for"
                    f" reuse (an anchor) and leaves it out of the text; write: {v.group('lead').strip()}"
                    f" {_sample(_in_quotes(v.group('value')))}",
                )
            else:
                self.error(
                    where,
                    f"'&{a.name}' marks this value for reuse, but anchors and aliases (& and *) are not allowed;"
                    f" remove '&{a.name}'",
                )

    def check_state_refs(self) -> None:
        """Report every state named but not declared, now that all of them are known.

        When several places name the same missing id and a declared state close to it is named
        nowhere, the declaration is the likelier typo: say so once, there, rather than ask every
        correct `goto` to copy the typo. Suggestions come only from the ids declared."""
        declared = self.state_ids
        named: dict[str, int] = {}
        missing: dict[str, list[tuple[Node, str, bool]]] = {}
        for value, node, what, in_tests in self.state_refs:
            if value in declared:
                named[value] = named.get(value, 0) + 1
            else:
                missing.setdefault(value, []).append((node, what, in_tests))
        for value, uses in missing.items():
            close = difflib.get_close_matches(value, list(declared), n=1, cutoff=0.6)
            in_play = [u for u in uses if not u[2]]
            if close and not named.get(close[0]) and len(uses) >= 2 and in_play:
                lines = ", ".join(str(n.start_mark.line + 1) for n, _, _ in uses)
                self.error(
                    declared[close[0]],
                    f"no 'goto' names the state '{close[0]}', but '{value}' is named on lines {lines} and no"
                    f" state has that id: if this is the state meant, correct its id to '{value}'",
                )
                continue
            for node, what, in_tests in uses:
                line, col = self._where(node)
                found = Diagnostic(
                    self.path, line, col, "error", f"unknown {what} '{_short(value)}'{_suggest(value, declared)}"
                )
                (self.test_diags if in_tests else self.diags).append(found)

    # -- the document ----------------------------------------------------------------
    TOP = (
        "format",
        "id",
        "title",
        "summary",
        "tags",
        "minutes",
        "group",
        "content_notes",
        "objectives",
        "reflection",
        "references",
        "meters",
        "members",
        "cast",
        "flags",
        "say_first",
        "start",
        "states",
        "tests",
    )
    TOP_REQUIRED = ("format", "id", "title", "summary", "group", "objectives", "meters", "start", "states")

    def read(self, root: Node) -> Scenario | None:
        self.check_anchors()
        top = self.mapping(root, "the scenario", self.TOP)
        if top is None:
            raise _Abort
        # `format` first: a file of a future format should say so, not list a dozen errors.
        if "format" not in top:
            self.error(root, "the scenario is missing 'format'; add 'format: 1' as the first line after the comments")
        else:
            fmt = self.integer(top["format"][1], "'format'")
            if fmt is not None and fmt != FORMAT_VERSION:
                self.error(
                    top["format"][1], f"format {fmt} is not supported; this groupsim reads format {FORMAT_VERSION}"
                )
                raise _Abort
        for key in self.TOP_REQUIRED:
            if key != "format" and key not in top:
                self.error(root, f"the scenario is missing '{key}'")

        def get(key: str, fn: Callable[[Node], Any], default: Any = None) -> Any:
            return fn(top[key][1]) if key in top else default

        sid = get("id", lambda n: self.text(n, "'id'"))
        if sid is not None and not SLUG.match(sid):
            self.error(
                top["id"][1],
                f"'id' should use lowercase letters, digits and hyphens, like 'confidentiality-breach', not '{_short(sid)}'",
            )
        title = get("title", lambda n: self.text(n, "'title'"))
        summary = get("summary", lambda n: self.text(n, "'summary'"))
        tags = get("tags", lambda n: self.text_list(n, "'tags'"), ())
        minutes = get("minutes", lambda n: self.integer(n, "'minutes'", 1, 600))
        group = get("group", self.group)
        notes = get("content_notes", lambda n: self.text_list(n, "'content_notes'"), ())
        objectives = get("objectives", lambda n: self.text_list(n, "'objectives'"), ())
        if "objectives" in top and not objectives:
            self.error(top["objectives"][1], "'objectives' needs at least one learning objective")
        reflection = get("reflection", lambda n: self.text_list(n, "'reflection'"), ())
        say_first = get("say_first", lambda n: self.boolean(n, "'say_first'"), False)
        self.references = get("references", self.read_references, {})

        self.meters: dict[str, Meter] = get("meters", self.read_meters, {})
        if "meters" in top and not self.meters and isinstance(top["meters"][1], MappingNode):
            self.error(top["meters"][1], "'meters' needs at least one meter, e.g. 'trust: {label: Trust, start: 50}'")
        self.members: dict[str, Member] = get("members", self.read_members, {})
        self.cast: dict[str, Voice] = get("cast", self.read_cast, {})
        self.speakers = {**self.members, **self.cast}
        self.flags: tuple[str, ...] = get("flags", self.read_flags, ())
        self.names: dict[str, conditions.Kind] = dict.fromkeys(self.meters, "number")
        self.names.update(dict.fromkeys(self.members, "number"))
        self.names.update(dict.fromkeys(self.flags, "flag"))
        self.names.update(dict.fromkeys(self.broken, "number"))  # reported once, where declared

        # State ids and choice counts come before the states themselves, since conditions,
        # gotos and chose(...) may name states further down the file.
        self.state_ids: dict[str, Node] = {}
        self.choice_counts: dict[str, int] = {}
        state_entries = get("states", lambda n: self.entries(n, "'states'"), None) or []
        for knode, vnode in state_entries:
            if not STATE_ID.match(knode.value):
                self.error(knode, f"state id '{_short(knode.value)}' should use letters, digits and hyphens only")
            self.state_ids[knode.value] = knode
            if isinstance(vnode, MappingNode):
                for k, v in vnode.value:
                    if isinstance(k, ScalarNode) and k.value == "choices" and isinstance(v, SequenceNode):
                        self.choice_counts[knode.value] = len(v.value)
        self.state_set = set(self.state_ids)
        if "states" in top and not state_entries and isinstance(top["states"][1], MappingNode):
            self.error(top["states"][1], "'states' is empty; a scenario needs at least a start state and an ending")

        start = get("start", lambda n: self.ref(n, self.state_ids, "start state"))
        states = {k.value: s for k, v in state_entries if (s := self.state(k, v)) is not None}
        # A mistake in `tests:` keeps the tests from running, not trainees from playing: its
        # errors are kept apart (`groupsim validate` and `groupsim test` report them).
        before = len(self.diags)
        self.in_tests = True
        tests = get("tests", self.read_tests, ())
        self.in_tests = False
        self.test_diags += self.diags[before:]
        del self.diags[before:]
        self.check_state_refs()

        if self.diags:
            return None
        self.check_route_loops(states)
        if self.diags:
            return None
        return Scenario(
            id=sid,
            title=title,
            summary=summary,
            group=group,
            objectives=objectives,
            meters=self.meters,
            states=states,
            start=start,
            members=self.members,
            cast=self.cast,
            flags=self.flags,
            references=self.references,
            tags=tags,
            minutes=minutes,
            content_notes=notes,
            reflection=reflection,
            say_first=bool(say_first),
            tests=tests,
            format=FORMAT_VERSION,
        )

    def group(self, node: Node) -> Group | None:
        m = self.mapping(node, "'group'", ("kind", "stage", "session", "setting"), ("kind", "stage"))
        if m is None:
            return None
        kind = self.text(m["kind"][1], "'group: kind'") if "kind" in m else None
        stage = self.choice_of(m["stage"][1], "the group's stage", STAGES) if "stage" in m else None
        session = self.text(m["session"][1], "'group: session'", required=False) if "session" in m else ""
        setting = self.text(m["setting"][1], "'group: setting'", required=False) if "setting" in m else ""
        if kind is None or stage is None:
            return None
        return Group(kind=kind, stage=stage, session=session or "", setting=setting or "")

    def read_references(self, node: Node) -> dict[str, str]:
        out: dict[str, str] = {}
        for knode, vnode in self.entries(node, "'references'") or []:
            value = self.text(vnode, f"reference '{knode.value}'")
            if value is not None:
                out[knode.value] = value
        return out

    def check_name(self, knode: ScalarNode, what: str, taken: dict[str, str]) -> bool:
        name = knode.value
        if name in conditions.RESERVED:
            self.error(knode, f"'{name}' is a word of the condition language; choose another name for this {what}")
            return False
        if not NAME.match(name):
            self.error(
                knode,
                f"{what} name '{_short(name)}' should be lowercase letters, digits and _ (like 'group_trust'), starting with a letter",
            )
            return False
        if name in taken:
            self.error(
                knode, f"'{name}' is already the name of a {taken[name]}; a meter, member and flag may not share a name"
            )
            return False
        taken[name] = what
        return True

    def read_meters(self, node: Node) -> dict[str, Meter]:
        out: dict[str, Meter] = {}
        for knode, vnode in self.entries(node, "'meters'") or []:
            if not self.check_name(knode, "meter", self.taken):
                continue
            where = f"meter '{knode.value}'"
            self.broken.add(knode.value)
            m = self.mapping(vnode, where, ("label", "start", "min", "max", "help"), ("label", "start"))
            if m is None:
                continue
            label = self.text(m["label"][1], f"the label of {where}") if "label" in m else None
            start = self.integer(m["start"][1], f"the start of {where}") if "start" in m else None
            low = self.integer(m["min"][1], f"the min of {where}") if "min" in m else 0
            high = self.integer(m["max"][1], f"the max of {where}") if "max" in m else 100
            help_ = self.text(m["help"][1], f"the help of {where}", required=False) if "help" in m else ""
            if low is not None and high is not None and low >= high:
                self.error(vnode, f"{where} has min {low} and max {high}; min must be below max")
                continue
            if start is not None and low is not None and high is not None and not low <= start <= high:
                self.error(m["start"][1], f"{where} starts at {start}, outside its range {low} to {high}")
                continue
            if label is None or start is None or low is None or high is None:
                continue
            out[knode.value] = Meter(knode.value, label, start, low, high, help_ or "", self.pos(knode))
            self.broken.discard(knode.value)
        return out

    def read_members(self, node: Node) -> dict[str, Member]:
        taken = self.taken
        out: dict[str, Member] = {}
        for knode, vnode in self.entries(node, "'members'") or []:
            if not self.check_name(knode, "member", taken):
                continue
            where = f"member '{knode.value}'"
            self.broken.add(knode.value)
            m = self.mapping(vnode, where, ("name", "about", "trust"), ("name",))
            if m is None:
                continue
            name = self.text(m["name"][1], f"the name of {where}") if "name" in m else None
            about = self.text(m["about"][1], f"'about' of {where}", required=False) if "about" in m else ""
            trust = self.integer(m["trust"][1], f"the trust of {where}", 0, 100) if "trust" in m else 50
            if name is None or trust is None:
                continue
            out[knode.value] = Member(knode.value, name, about or "", trust, self.pos(knode))
            self.broken.discard(knode.value)
        return out

    def read_cast(self, node: Node) -> dict[str, Voice]:
        out: dict[str, Voice] = {}
        for knode, vnode in self.entries(node, "'cast'") or []:
            if not self.check_name(knode, "cast speaker", self.taken):
                continue
            where = f"cast speaker '{knode.value}'"
            self.broken.add(knode.value)
            m = self.mapping(vnode, where, ("name", "about"), ("name",))
            if m is None:
                continue
            name = self.text(m["name"][1], f"the name of {where}") if "name" in m else None
            about = self.text(m["about"][1], f"'about' of {where}", required=False) if "about" in m else ""
            if name is None:
                continue
            out[knode.value] = Voice(knode.value, name, about or "", self.pos(knode))
            self.broken.discard(knode.value)
        return out

    def read_flags(self, node: Node) -> tuple[str, ...]:
        taken = self.taken
        out: list[str] = []
        for item in self.seq(node, "'flags'", allow_single=True) or []:
            if not isinstance(item, ScalarNode):
                self.error(item, f"each flag should be a name, but this is {_kind(item)}")
                continue
            self.visit(item)
            if item.value in out:
                self.error(item, f"flag '{item.value}' is listed twice")
            elif self.check_name(item, "flag", taken):
                out.append(item.value)
        return tuple(out)

    # -- states --------------------------------------------------------------------
    STATE_KEYS = STATE_KEYS
    TIMEOUT_KEYS = TIMEOUT_KEYS

    def state(self, knode: ScalarNode, vnode: Node) -> State | None:
        sid = knode.value
        where = f"state '{sid}'"
        m = self.mapping(vnode, where, self.STATE_KEYS, misplaced=IN_A_STATE)
        if m is None:
            return None
        before = len(self.diags)
        modes = [k for k in ("choices", "next", "ending") if k in m]
        if len(modes) != 1:
            if modes:
                self.error(
                    m[modes[1]][0],
                    f"{where} has both '{modes[0]}' and '{modes[1]}'; a state offers choices, routes on with 'next', or ends — only one",
                )
            else:
                self.error(knode, f"{where} needs 'choices', 'next' or 'ending' to say what happens there")
        variants: dict[str, Variants] = {}
        title = self.versions(m, "title", f"the title of {where}", variants, required=False)
        narration = self.versions(m, "narration", f"the narration of {where}", variants, required=False)
        prompt = self.versions(m, "prompt", f"the prompt of {where}", variants) if "prompt" in m else None
        lines = self.read_lines(m["lines"][1], where) if "lines" in m else ()
        order = self.choice_of(m["order"][1], f"'order' of {where}", ("shuffled", "fixed")) if "order" in m else None
        if "order" in m and "choices" not in m:
            self.error(m["order"][0], f"{where} has 'order' but no choices to put in order")
        time_limit = on_timeout = None
        timeout = NO_CONSEQUENCE
        if "time_limit" in m:
            time_limit = self.integer(m["time_limit"][1], f"the time limit of {where}", 5, 3600)
            if "choices" not in m:
                self.error(m["time_limit"][0], f"{where} has a time limit but no choices to make in time")
            if "on_timeout" not in m:
                self.error(
                    m["time_limit"][0], f"{where} has a time limit but no 'on_timeout' state for when the time runs out"
                )
        if "on_timeout" in m:
            on_timeout, timeout = self.read_timeout(m["on_timeout"][1], where)
            if "time_limit" not in m:
                self.error(
                    m["on_timeout"][0],
                    f"{where} has 'on_timeout' but no 'time_limit'; add 'time_limit: 45' (seconds) or remove it",
                )
        choices: tuple[Choice, ...] = ()
        branches: tuple[Branch, ...] = ()
        ending = None
        if "choices" in m:
            items = self.seq(m["choices"][1], f"the choices of {where}")
            if items is not None and not items:
                self.error(m["choices"][1], f"{where} has an empty list of choices; add at least one")
            choices = tuple(c for i, n in enumerate(items or [], 1) if (c := self.choice(n, i, sid)) is not None)
        if "next" in m:
            branches = self.read_next(m["next"][1], sid)
        if "ending" in m:
            ending = self.read_ending(m["ending"][1], where)
        if len(self.diags) > before:
            return None
        if time_limit is not None and choices:
            prompts = [v.text for v in variants.get("prompt", ())] or [prompt or "What do you do?"]
            self.reading_time(m["time_limit"][1], sid, time_limit, prompts, choices)
        return State(
            id=sid,
            title=title or "",
            narration=narration or "",
            lines=lines,
            prompt=prompt or "What do you do?",
            time_limit=time_limit,
            on_timeout=on_timeout,
            timeout=timeout,
            choices=choices,
            next=branches,
            ending=ending,
            pos=self.pos(knode),
            order="fixed" if order == "fixed" else "shuffled",
            variants=variants,
        )

    def reading_time(self, node: Node, sid: str, limit: int, prompts: list[str], choices: tuple[Choice, ...]) -> None:
        """Warn when a time limit leaves too little time to read the prompt and every choice, and think."""
        words = max(len(p.split()) for p in prompts) + sum(len(c.text.split()) for c in choices)
        reading = math.ceil(words * 60 / READING_SPEED)
        least = reading + THINKING_TIME
        if limit < least:
            self.warn(
                node,
                f"the time limit of decision '{sid}' is {limit} seconds; make it at least {least}. Trainees read"
                f" about {READING_SPEED} words a minute, and its prompt and choices come to {words} words"
                f" ({reading} seconds), plus {THINKING_TIME} seconds to think (in say-it-first mode 45 seconds"
                " more are added, to type)",
            )

    def versions(
        self, m: dict[str, tuple[Node, Node]], key: str, where: str, into: dict[str, Variants], required: bool = True
    ) -> str:
        """A text that may follow what happened: one text, or a list of versions
        `- when: CONDITION` / `  text: ...` with at most one without `when`, last.

        Returns the plain text (the version without `when`, or ''); puts the versions,
        if a list was given, into `into[key]`.
        """
        if key not in m:
            return ""
        node = m[key][1]
        if not isinstance(node, SequenceNode):
            return self.text(node, where, required=required) or ""
        self.visit(node)
        if not node.value:
            self.error(node, f"{where} is an empty list; give a text, or versions like '- when: ...' and 'text: ...'")
            return ""
        out: list[Variant] = []
        plain = ""
        for i, item in enumerate(node.value, 1):
            vwhere = f"version {i} of {where}"
            vm = self.mapping(item, vwhere, ("when", "text"), ("text",), item="version")
            if vm is None:
                continue
            text = self.text(vm["text"][1], f"the text of {vwhere}", required=required)
            when = self.condition(vm["when"][1], f"'when' of {vwhere}") if "when" in vm else None
            if "when" not in vm:
                if i != len(node.value):
                    self.error(
                        item,
                        f"in {where}, the version without 'when' is shown when no other applies, so it must be the "
                        "last one (the versions after it could never be shown)",
                    )
                plain = text or ""
            if text is not None:
                out.append(Variant(text, when, self.pos(item)))
        into[key] = tuple(out)
        return plain

    def consequences(self, m: dict[str, tuple[Node, Node]], where: str) -> dict[str, Any]:
        """What a choice or a time-out changes and cites: effects, set, unset, refs, competencies."""
        out: dict[str, Any] = {}
        out["effects"] = self.read_effects(m["effects"][1], where) if "effects" in m else ()
        for key, pool, what in (
            ("set", self.flags, "flag"),
            ("unset", self.flags, "flag"),
            ("refs", self.references, "reference"),
        ):
            out[key] = (
                tuple(
                    r
                    for n in (self.seq(m[key][1], f"'{key}' of {where}", True) or [])
                    if (r := self.ref(n, pool, what))
                )
                if key in m
                else ()
            )
        comps: list[int] = []
        if "competencies" in m:
            for n in self.seq(m["competencies"][1], f"'competencies' of {where}", True) or []:
                c = self.integer(n, "a CSWE EPAS competency", 1, 9)
                if c is not None:
                    comps.append(c)
        out["competencies"] = tuple(comps)
        return out

    def read_timeout(self, node: Node, where: str) -> tuple[str | None, Timeout]:
        """`on_timeout`: a state id, or what running out of time does (`goto` and, like a choice,
        rating, feedback, effects, set, unset, refs, competencies)."""
        if not isinstance(node, MappingNode):
            return self.ref(node, self.state_ids, "state"), NO_CONSEQUENCE
        twhere = f"'on_timeout' of {where}"
        m = self.mapping(node, twhere, self.TIMEOUT_KEYS, ("goto",))
        if m is None:
            return None, NO_CONSEQUENCE
        goto = self.ref(m["goto"][1], self.state_ids, "state") if "goto" in m else None
        rating = self.choice_of(m["rating"][1], f"the rating of {twhere}", RATINGS) if "rating" in m else None
        feedback = self.text(m["feedback"][1], f"the feedback of {twhere}") if "feedback" in m else ""
        return goto, Timeout(
            rating=cast(Rating, rating) if rating else None,
            feedback=feedback or "",
            pos=self.pos(node),
            **self.consequences(m, twhere),
        )

    def read_lines(self, node: Node, where: str) -> tuple[Line, ...]:
        out = []
        for item in self.seq(node, f"the lines of {where}") or []:
            # `- maria: I heard...`, and optionally `when: CONDITION` beside it (said only then).
            pairs = item.value if isinstance(item, MappingNode) else []
            whens = [(k, v) for k, v in pairs if isinstance(k, ScalarNode) and k.value == "when"]
            said = [(k, v) for k, v in pairs if not (isinstance(k, ScalarNode) and k.value == "when")]
            if not isinstance(item, MappingNode) or len(said) != 1 or len(whens) > 1:
                self.error(item, f"each line of {where} should be 'member: what they say', e.g. '- maria: I heard...'")
                continue
            self.visit(item)
            knode, vnode = said[0]
            when = self.condition(whens[0][1], f"'when' of a line of {where}") if whens else None
            if knode.value in self.broken:
                continue
            speaker = self.ref(knode, self.speakers, "member") if self.speakers or self.broken else None
            if not self.speakers and not self.broken:
                self.error(
                    knode,
                    f"'{_short(knode.value)}' speaks, but the scenario has no 'members' (or 'cast'); add them at the top",
                )
            text = self.text(vnode, f"what {knode.value} says")
            if speaker is not None and text is not None and (when is not None or not whens):
                out.append(Line(speaker, text, self.pos(knode), when))
        return tuple(out)

    CHOICE_KEYS = CHOICE_KEYS

    def choice(self, node: Node, number: int, sid: str) -> Choice | None:
        where = f"choice {number} of state '{sid}'"
        m = self.mapping(
            node, where, self.CHOICE_KEYS, ("text", "rating", "feedback", "goto"), item="choice", misplaced=IN_A_CHOICE
        )
        if m is None:
            return None
        before = len(self.diags)
        text = self.text(m["text"][1], f"the text of {where}") if "text" in m else None
        rating = self.choice_of(m["rating"][1], f"the rating of {where}", RATINGS) if "rating" in m else None
        feedback = self.text(m["feedback"][1], f"the feedback of {where}") if "feedback" in m else None
        goto = self.ref(m["goto"][1], self.state_ids, "state") if "goto" in m else None
        has = self.consequences(m, where)
        when = self.condition(m["when"][1], f"'when' of {where}") if "when" in m else None
        phrasings = self.text_list(m["phrasings"][1], f"'phrasings' of {where}") if "phrasings" in m else ()
        if len(self.diags) > before or text is None or rating is None or feedback is None or goto is None:
            return None
        return Choice(
            number=number,
            text=text,
            rating=cast(Rating, rating),
            feedback=feedback,
            goto=goto,
            when=when,
            phrasings=phrasings,
            **has,
            pos=self.pos(node),
        )

    def read_effects(self, node: Node, where: str) -> tuple[Effect, ...]:
        out = []
        targets = list(self.meters) + list(self.members)
        for knode, vnode in self.entries(node, f"the effects of {where}") or []:
            target = knode.value
            if target in self.broken:
                continue
            if target not in targets:
                what = "flag" if target in self.flags else None
                hint = (
                    f"; '{target}' is a flag — use 'set: [{target}]' instead"
                    if what
                    else _suggest(target, targets) or f" (meters and members: {', '.join(targets)})"
                )
                self.error(knode, f"effect on '{target}', which is not a meter or member{hint}")
                continue
            if not isinstance(vnode, ScalarNode):
                self.error(vnode, f"the change to '{target}' should be like +8, -6 or \"%+20\", but is {_kind(vnode)}")
                continue
            self.visit(vnode)
            raw = vnode.value.strip()
            fair = FAIR.match(raw)
            if INT.match(raw):
                if raw[0] not in "+-" and int(raw) != 0:
                    # It plays as an addition (files written by other YAML tools drop the '+'),
                    # but say so: it could be read as setting the meter to that value.
                    self.warn(
                        vnode,
                        f"the change to '{target}' has no sign, so it adds {int(raw)}: write +{int(raw)} to say so"
                        f" (or -{int(raw)} to take {int(raw)} away); '{raw}' alone could be read as setting it to"
                        f" {int(raw)}, which effects never do",
                    )
                out.append(Effect(target, int(raw), False, self.pos(vnode)))
            elif fair:
                amount = int(fair.group(2))
                if not 1 <= amount <= 100:
                    self.error(vnode, f"a fair change moves 1% to 100% of the way; '{raw}' is out of range")
                    continue
                out.append(Effect(target, amount if fair.group(1) == "+" else -amount, True, self.pos(vnode)))
            else:
                self.error(
                    vnode,
                    f"the change to '{target}' should be like +8, -6 or \"%+20\" (in quotes), but is '{_short(raw)}'",
                )
        return tuple(out)

    def read_next(self, node: Node, sid: str) -> tuple[Branch, ...]:
        out: list[Branch] = []
        items = self.seq(node, f"'next' of state '{sid}'")
        if items is None:
            return ()
        if not items:
            self.error(node, f"'next' of state '{sid}' is empty; add at least a default branch '- goto: some-state'")
            return ()
        defaults = []
        for i, item in enumerate(items, 1):
            where = f"branch {i} of 'next' in state '{sid}'"
            m = self.mapping(item, where, ("when", "chance", "goto"), ("goto",), item="branch")
            if m is None:
                continue
            goto = self.ref(m["goto"][1], self.state_ids, "state") if "goto" in m else None
            when = self.condition(m["when"][1], f"'when' of {where}") if "when" in m else None
            chance = (
                self.integer(m["chance"][1], f"the chance of {where} (a percent)", 1, 99) if "chance" in m else None
            )
            if "when" in m and "chance" in m:
                self.error(m["chance"][0], f"{where} has both 'when' and 'chance'; give each its own branch")
            if "when" not in m and "chance" not in m:
                defaults.append((i, item))
            if goto is not None:
                out.append(Branch(goto, when, chance, self.pos(item)))
        if not defaults:
            self.error(
                node,
                f"'next' of state '{sid}' needs a default branch with only 'goto', last, for when nothing else is taken",
            )
        elif defaults[0][0] != len(items) or len(defaults) > 1:
            self.error(
                defaults[0][1],
                f"in 'next' of state '{sid}', the default branch (only 'goto') must be the last one, and there can be only one",
            )
        return tuple(out)

    def read_ending(self, node: Node, where: str) -> Ending | None:
        m = self.mapping(node, f"the ending of {where}", ("outcome", "title", "debrief"), ("outcome", "title"))
        if m is None:
            return None
        before = len(self.diags)
        outcome = self.choice_of(m["outcome"][1], f"the outcome of {where}", OUTCOMES) if "outcome" in m else None
        variants: dict[str, Variants] = {}
        title = self.versions(m, "title", f"the ending title of {where}", variants)
        debrief = self.versions(m, "debrief", f"the debrief of {where}", variants, required=False)
        if outcome is None or len(self.diags) > before:
            return None
        if "title" in m and not title:
            self.error(
                m["title"][1],
                f"the ending title of {where} needs a version without 'when', last, for when no other applies",
            )
            return None
        return Ending(cast(Outcome, outcome), title, debrief, self.pos(node), variants)

    def check_route_loops(self, states: dict[str, State]) -> None:
        """States that only route on must not form a loop: it would never stop."""
        colour: dict[str, int] = {}
        for root in states:
            if colour.get(root) or not states[root].next:
                continue
            stack = [(root, iter(b.goto for b in states[root].next))]
            colour[root] = 1
            path = [root]
            while stack:
                sid, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    colour[sid] = 2
                    stack.pop()
                    path.pop()
                    continue
                if not states[nxt].next:
                    continue
                if colour.get(nxt) == 1:
                    loop = " → ".join(path[path.index(nxt) :] + [nxt])
                    self.error(
                        states[nxt].pos,
                        f"states that route on by themselves form a loop ({loop}); put a decision or an ending in it",
                    )
                    return
                if not colour.get(nxt):
                    colour[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(b.goto for b in states[nxt].next)))

    # -- tests ------------------------------------------------------------------
    def read_tests(self, node: Node) -> tuple[ScenarioTest, ...]:
        out = []
        for i, item in enumerate(self.seq(node, "'tests'") or [], 1):
            where = f"test {i}"
            m = self.mapping(item, where, ("name", "choose", "seed", "expect", "reachable", "unreachable"), item="test")
            if m is None:
                continue
            before = len(self.diags)
            refs = len(self.state_refs)
            name = self.text(m["name"][1], f"the name of {where}") if "name" in m else None
            kinds = [k for k in ("choose", "reachable", "unreachable") if k in m]
            if not kinds:
                self.error(item, f"{where} needs 'choose' (a path to play), 'reachable' or 'unreachable'")
                continue
            choose: list[int | str] | None = None
            cnode = m["choose"][1] if "choose" in m else None
            if isinstance(cnode, ScalarNode) and cnode.value.strip() and not cnode.style:
                # `choose: 1,3,2`, as `groupsim run --choose` takes it
                self.visit(cnode)
                choose = []
                for part in cnode.value.split(","):
                    word = part.strip().lower()
                    if word == "timeout":
                        choose.append("timeout")
                    elif word.isdigit() and int(word) >= 1:
                        choose.append(int(word))
                    else:
                        self.error(
                            cnode,
                            f"'choose' of {where} lists choice numbers, like 1,3,2 or [1, 3, 2] ('timeout' to let"
                            f" the time run out), but '{_short(part.strip())}' is not one",
                        )
            elif "choose" in m:
                choose = []
                for n in self.seq(m["choose"][1], f"'choose' of {where}") or []:
                    if isinstance(n, ScalarNode) and n.value.strip().lower() == "timeout":
                        choose.append("timeout")
                    else:
                        v = self.integer(n, "a choice number (or 'timeout')", 1)
                        if v is not None:
                            choose.append(v)
            elif "expect" in m or "seed" in m:
                self.error((m.get("expect") or m["seed"])[0], f"'expect' and 'seed' belong with 'choose' in {where}")
            seed = self.integer(m["seed"][1], f"the seed of {where}", 0) if "seed" in m else 0
            reach = (
                tuple(
                    s
                    for n in (self.seq(m["reachable"][1], f"'reachable' of {where}", True) or [])
                    if (s := self.ref(n, self.state_ids, "state"))
                )
                if "reachable" in m
                else ()
            )
            unreach = (
                tuple(
                    s
                    for n in (self.seq(m["unreachable"][1], f"'unreachable' of {where}", True) or [])
                    if (s := self.ref(n, self.state_ids, "state"))
                )
                if "unreachable" in m
                else ()
            )
            exp: dict[str, Any] = {
                "ending": None,
                "outcome": None,
                "values": [],
                "flags": [],
                "visited": (),
                "not_visited": (),
            }
            if "expect" in m:
                exp = self.read_expect(m["expect"][1], where)
            if len(self.diags) > before or any(r[0] not in self.state_ids for r in self.state_refs[refs:]):
                continue
            if name is None:
                if choose is not None:
                    name = "path " + ",".join(str(c) for c in choose)
                else:
                    name = "; ".join(
                        p
                        for p in (
                            f"reachable: {', '.join(reach)}" if reach else "",
                            f"unreachable: {', '.join(unreach)}" if unreach else "",
                        )
                        if p
                    )
            out.append(
                ScenarioTest(
                    name=name,
                    choose=None if choose is None else tuple(choose),
                    seed=seed or 0,
                    ending=exp["ending"],
                    outcome=exp["outcome"],
                    values=tuple(exp["values"]),
                    flags=tuple(exp["flags"]),
                    visited=exp["visited"],
                    not_visited=exp["not_visited"],
                    reachable=reach,
                    unreachable=unreach,
                    pos=self.pos(item),
                )
            )
        return tuple(out)

    def read_expect(self, node: Node, where: str) -> dict[str, Any]:
        m = (
            self.mapping(
                node,
                f"'expect' of {where}",
                ("ending", "outcome", "meters", "members", "flags", "visited", "not_visited"),
            )
            or {}
        )
        out: dict[str, Any] = {
            "ending": None,
            "outcome": None,
            "values": [],
            "flags": [],
            "visited": (),
            "not_visited": (),
        }
        if "ending" in m:
            vnode = m["ending"][1]
            if isinstance(vnode, ScalarNode) and vnode.value == "none":
                out["ending"] = "none"
            else:
                out["ending"] = self.ref(vnode, self.state_ids, "state")
        if "outcome" in m:
            out["outcome"] = self.choice_of(m["outcome"][1], f"the expected outcome in {where}", OUTCOMES)
        for key, pool in (("meters", self.meters), ("members", self.members)):
            if key not in m:
                continue
            for knode, vnode in self.entries(m[key][1], f"expected {key} in {where}") or []:
                if knode.value not in pool:
                    self.error(knode, f"unknown {key[:-1]} '{knode.value}'{_suggest(knode.value, pool)}")
                    continue
                got = EXPECT.match(vnode.value) if isinstance(vnode, ScalarNode) else None
                if got is None:
                    self.error(
                        vnode, f"expected value for '{knode.value}' should be a number or a comparison like \">= 60\""
                    )
                    continue
                self.visit(vnode)
                out["values"].append(Expectation(knode.value, got.group(1) or "==", int(got.group(2))))
        if "flags" in m:
            for knode, vnode in self.entries(m["flags"][1], f"expected flags in {where}") or []:
                if knode.value not in self.flags:
                    self.error(knode, f"unknown flag '{knode.value}'{_suggest(knode.value, self.flags)}")
                    continue
                b = self.boolean(vnode, f"expected flag '{knode.value}'")
                if b is not None:
                    out["flags"].append(Expectation(knode.value, "==", b))
        for key in ("visited", "not_visited"):
            if key in m:
                out[key] = tuple(
                    s
                    for n in (self.seq(m[key][1], f"'{key}' in {where}", True) or [])
                    if (s := self.ref(n, self.state_ids, "state"))
                )
        return out


FORMAT_KEYS = frozenset(
    (
        *_Reader.TOP,
        *_Reader.STATE_KEYS,
        *_Reader.CHOICE_KEYS,
        *_Reader.TIMEOUT_KEYS,
        *("kind", "stage", "session", "setting", "label", "start", "min", "max", "help", "name", "about", "trust"),
        *("outcome", "debrief", "when", "chance", "choose", "seed", "expect", "reachable", "unreachable"),
        *("visited", "not_visited"),
    )
)
"""Every key the format uses, at any level: a line that starts with one is meant as a key."""

_STATE_ONLY = "'{key}' belongs to a state, not to a choice: if it is indented under this choice by mistake, line it up with the state's other keys"
IN_A_CHOICE = {
    "next": (
        "'next' belongs to a state, where it routes on without a decision; a choice says where it leads with"
        " 'goto' (write 'goto: ...')",
        "goto",
    ),
    **{
        k: (_STATE_ONLY.format(key=k), "")
        for k in ("narration", "lines", "prompt", "time_limit", "on_timeout", "order", "choices", "ending")
    },
}
"""What to say of a key in a choice that belongs elsewhere, rather than the nearest known key."""
IN_A_STATE = {
    "goto": (
        "a state leads on through its choices, each with its own 'goto'; a state without a decision routes on"
        " with 'next' and '- goto: ...' below it",
        "",
    ),
    **{
        k: (f"'{k}' belongs to a choice: write it under one of the state's choices ('- text: ...' in 'choices')", "")
        for k in ("text", "rating", "feedback", "effects", "set", "unset", "refs", "competencies", "phrasings")
    },
}
"""What to say of a key in a state that belongs to a choice or a branch."""


def _position_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


@dataclass(frozen=True, slots=True)
class Loaded:
    """What reading a scenario file found.

    `scenario` is None when `errors` holds anything. `warnings` are what the reading itself
    noticed (it plays, but look). `test_errors` are mistakes in `tests:`: they keep those
    tests from running but not trainees from playing, so the scenario loads without them;
    `groupsim validate` and `groupsim test` report them.
    """

    scenario: Scenario | None
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    test_errors: list[Diagnostic] = field(default_factory=list)


def _in_order(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (d.line, d.col))


MAX_CONTROL_CHARACTERS = 20
"""Control characters reported at most in one file (a binary file pasted in has thousands)."""


def _control_characters(text: str, path: str) -> list[Diagnostic]:
    """Each control character in the file but line breaks and tabs, where it is."""
    out: list[Diagnostic] = []
    starts = [0]
    for offset, name in unsafe_characters(text):
        if text[offset] == "\r":  # a line break, as Windows writes them
            continue
        while len(starts) < text.count("\n", 0, offset) + 1:
            starts.append(text.index("\n", starts[-1]) + 1)
        line = len(starts)
        out.append(
            Diagnostic(
                path,
                line,
                offset - starts[-1] + 1,
                "error",
                f"a control character, {name}, is here; it can change what a trainee's terminal shows, so it is"
                " not allowed: delete it (it may not show in your editor: delete the characters around this"
                " point and type them again)",
            )
        )
        if len(out) == MAX_CONTROL_CHARACTERS:
            break
    return out


def read_text(data: bytes | str, path: str = "<text>") -> Loaded:
    """Read a scenario from bytes or text: the scenario, or every error found (in file order),
    and the warnings and test errors reading found."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()

    def fail(line: int, col: int, message: str) -> Loaded:
        return Loaded(None, [Diagnostic(path, line, col, "error", message)])

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position_of_byte(raw, exc.start)
        return fail(
            line, col, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8 in your editor"
        )
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return fail(
            1, 1, "the file is empty; start from 'groupsim new my-scenario' or copy a scenario from the library"
        )
    controls = _control_characters(text, path)
    if controls:
        return Loaded(None, controls)
    try:
        root = yaml.compose(text, Loader=_Loader)
        marks = _marks(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or ""
        if "maximum nesting depth" in problem:
            return fail(line, col, "the file is nested too deeply to be a scenario")
        if "expected a single document" in problem or "but found another document" in problem:
            return fail(line, col, "the file holds more than one document ('---'); a scenario is one document")
        try:
            line, col, message = _explain(text, exc)
        except Exception:  # pragma: no cover - the explanation must never be what fails
            message = "this line does not fit with the lines around it: check its indentation and quotes"
        return fail(line, col, message)
    except yaml.YAMLError:
        return fail(1, 1, "the file cannot be read as YAML: check its indentation and quotes")
    except RecursionError:
        return fail(1, 1, "the file is nested too deeply to be a scenario")
    if root is None:
        return fail(1, 1, "the file holds only comments; add the scenario's keys")
    reader = _Reader(path, text, marks)
    try:
        scenario = reader.read(root)
    except _Abort:
        scenario = None
    except RecursionError:
        return fail(1, 1, "the file is nested too deeply to be a scenario")
    if scenario is None or reader.diags:
        diags = _in_order(reader.diags + reader.test_diags)
        if not diags:  # pragma: no cover - every None comes with a reason
            diags = [Diagnostic(path, 1, 1, "error", "the scenario could not be read")]
        return Loaded(None, diags)
    return Loaded(_with_source(scenario, path, digest), [], _in_order(reader.warns), _in_order(reader.test_diags))


def load_text(data: bytes | str, path: str = "<text>") -> tuple[Scenario | None, list[Diagnostic]]:
    """Read a scenario from bytes or text (see `read_text` for its warnings and test errors).

    Returns:
        The scenario (None if there were errors) and every error found, in file order.
    """
    loaded = read_text(data, path)
    return loaded.scenario, loaded.errors


def _with_source(s: Scenario, path: str, digest: str) -> Scenario:
    from dataclasses import replace

    return replace(s, source=path, digest=digest)


def load(path: str | Path) -> Scenario:
    """Load one scenario file.

    Raises:
        ScenarioError: the file cannot be read or has errors; `diagnostics` lists them.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError([Diagnostic(str(path), 1, 1, "error", f"cannot read the file: {reason}")]) from None
    scenario, diags = load_text(data, str(path))
    if scenario is None:
        raise ScenarioError(diags)
    return scenario
