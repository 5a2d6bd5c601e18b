"""YAML scenario files to frozen `Scenario`s, with every error placed and explained.

This is the only module that imports yaml. It composes the file into libyaml's
node tree (C when available) and reads the nodes itself instead of letting PyYAML
build Python objects, because that is where line and column live, where a key
given twice can still be seen, and where `yes` can stay the word "yes".
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
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


class _Reader:
    """Reads one composed YAML document into a Scenario, collecting diagnostics."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diags: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.taken: dict[str, str] = {}  # meter/member/flag names, which share one namespace
        self.broken: set[str] = set()  # names declared with errors: already reported, so not again where used

    # -- reporting ---------------------------------------------------------------
    def error(self, node: Node | Pos | None, message: str) -> None:
        line, col = self._where(node)
        self.diags.append(Diagnostic(self.path, line, col, "error", message))

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
        """Note a node as read; False (with an error) if an alias reuses it."""
        key = id(node)
        if key in self.seen:
            self.error(
                node,
                "this value is reused elsewhere through an alias; anchors and aliases (& and *) are not allowed, so write it out in full each time",
            )
            return False
        self.seen.add(key)
        if node.tag and not node.tag.startswith(STANDARD_TAG):
            self.error(node, f"tags such as '{node.tag}' are not used in scenarios; remove it")
        return True

    # -- generic readers -----------------------------------------------------------
    def mapping(
        self,
        node: Node,
        where: str,
        known: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, tuple[Node, Node]] | None:
        """Check a mapping's keys; return key -> (key node, value node)."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{where} should be a set of 'key: value' lines, but is {_kind(node)}")
            return None
        if not self.visit(node):
            return None
        known = list(known)
        out: dict[str, tuple[Node, Node]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                self.error(knode, f"a key in {where} must be a plain word")
                continue
            key = knode.value
            if key == "<<":
                self.error(knode, "merge keys (<<) are not allowed; write the keys out in full")
                continue
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.error(knode, f"'{key}' is given twice in {where} (first on line {first}); keep one")
                continue
            if key not in known:
                hint = _suggest(key, known)
                if not hint and node.flow_style and (" " in key or not known):
                    hint = "; if it belongs to the text before it, put that text in quotes — inside {...} a comma starts a new key"
                self.error(knode, f"unknown key '{key}' in {where}{hint}")
                continue
            out[key] = (knode, vnode)
        for key in required:
            if key not in out:
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

    def text(self, node: Node, where: str, required: bool = True) -> str | None:
        if not isinstance(node, ScalarNode):
            self.error(node, f"{where} should be text, but is {_kind(node)}")
            return None
        self.visit(node)
        value = node.value
        if required and value.strip() == "":
            self.error(node, f"{where} is empty; write the text after the colon")
            return None
        return value.strip("\n") if node.style in ("|", ">") else value

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
        value = self.text(node, where)
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
        """A text naming one of `pool` (a state, a flag, ...)."""
        value = self.text(node, what)
        if value is None:
            return None
        if value not in pool:
            self.error(node, f"unknown {what} '{_short(value)}'{_suggest(value, pool)}")
            return None
        return value

    def condition(self, node: Node, where: str) -> conditions.Condition | None:
        src = self.text(node, where)
        if src is None:
            return None
        try:
            return conditions.parse(src, self.names, self.state_set, self.choice_counts)
        except conditions.ConditionError as exc:
            line, col = self._where(node)
            if node.style in ('"', "'"):
                col += 1
            if "\n" not in src and node.style in (None, "", '"', "'"):
                col += exc.offset
            self.diags.append(
                Diagnostic(self.path, line, col, "error", f"in the condition '{_short(src, 50)}': {exc.message}")
            )
            return None

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
        tests = get("tests", self.read_tests, ())

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
    STATE_KEYS = (
        "title",
        "narration",
        "lines",
        "prompt",
        "time_limit",
        "on_timeout",
        "order",
        "choices",
        "next",
        "ending",
    )
    TIMEOUT_KEYS = ("goto", "rating", "effects", "set", "unset", "feedback", "refs", "competencies")

    def state(self, knode: ScalarNode, vnode: Node) -> State | None:
        sid = knode.value
        where = f"state '{sid}'"
        m = self.mapping(vnode, where, self.STATE_KEYS)
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
            vm = self.mapping(item, vwhere, ("when", "text"), ("text",))
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

    def choice(self, node: Node, number: int, sid: str) -> Choice | None:
        where = f"choice {number} of state '{sid}'"
        m = self.mapping(node, where, self.CHOICE_KEYS, ("text", "rating", "feedback", "goto"))
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
            m = self.mapping(item, where, ("when", "chance", "goto"), ("goto",))
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
            m = self.mapping(item, where, ("name", "choose", "seed", "expect", "reachable", "unreachable"))
            if m is None:
                continue
            before = len(self.diags)
            name = self.text(m["name"][1], f"the name of {where}") if "name" in m else None
            kinds = [k for k in ("choose", "reachable", "unreachable") if k in m]
            if not kinds:
                self.error(item, f"{where} needs 'choose' (a path to play), 'reachable' or 'unreachable'")
                continue
            choose: list[int | str] | None = None
            if "choose" in m:
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
            if len(self.diags) > before:
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


def _position_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def load_text(data: bytes | str, path: str = "<text>") -> tuple[Scenario | None, list[Diagnostic]]:
    """Read a scenario from bytes or text.

    Returns:
        The scenario (None if there were errors) and every error found, in file order.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()

    def fail(line: int, col: int, message: str) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(path, line, col, "error", message)]

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
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "the YAML does not parse"
        if "maximum nesting depth" in problem:
            return fail(line, col, "the file is nested too deeply to be a scenario")
        if "expected a single document" in problem or "but found another document" in problem:
            return fail(line, col, "the file holds more than one document ('---'); a scenario is one document")
        context = f" ({exc.context})" if exc.context else ""
        return fail(line, col, f"YAML syntax: {problem}{context}; check the indentation and quotes around here")
    except yaml.YAMLError as exc:
        return fail(1, 1, f"YAML syntax: {exc}")
    except RecursionError:
        return fail(1, 1, "the file is nested too deeply to be a scenario")
    if root is None:
        return fail(1, 1, "the file holds only comments; add the scenario's keys")
    reader = _Reader(path)
    try:
        scenario = reader.read(root)
    except _Abort:
        scenario = None
    except RecursionError:
        return fail(1, 1, "the file is nested too deeply to be a scenario")
    diags = sorted(reader.diags, key=lambda d: (d.line, d.col))
    if scenario is None or diags:
        if not diags:  # pragma: no cover - every None comes with a reason
            diags = [Diagnostic(path, 1, 1, "error", "the scenario could not be read")]
        return None, diags
    return _with_source(scenario, path, digest), []


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
