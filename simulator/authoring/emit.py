"""Writing scenarios as YAML text, without PyYAML.

The loader is the only module that reads YAML; this one writes it, by hand, in the
layout the format document uses (block mappings, `{flow: maps}` for short records,
`[flow, lists]` for short lists, `>-` for long prose, `|-` for text with line
breaks). Doing it by hand keeps the output readable and makes the quoting rule
explicit: a text is written bare only when every YAML reader would read it back as
that same text, so `yes`, `no`, `on`, `12`, `+8` and `[brackets]` come out quoted.

`scenario_doc` turns a loaded `Scenario` into plain data shaped like its YAML
file (dicts, lists, str, int, bool), which `dump` writes and `twee` reuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulator.engine.model import NO_CONSEQUENCE, Choice, Scenario, ScenarioTest, State, Timeout, Variant

WIDTH = 88
"""Where long prose is wrapped (in `>-` blocks)."""
LINE_MAX = 100
"""The longest line written as one: a text, a `{flow: map}` or a `[flow, list]`."""
DEFAULT_PROMPT = "What do you do?"

# Words that YAML 1.1 readers (PyYAML, many editors) turn into booleans or null.
_SPECIAL_WORDS = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"])
_EFFECT = re.compile(r"^[+-]\d+$")
_FLOW_BREAKERS = set(",[]{}?:#")  # inside {...} and [...] these end or confuse a bare text


@dataclass(frozen=True, slots=True)
class Commented:
    """A mapping value with a comment line written above its key."""

    value: Any
    comment: str


def plain_ok(text: str, flow: bool = False) -> bool:
    """True if `text` can be written without quotes and still read back as that text."""
    if not text or text != text.strip() or any(not ch.isprintable() for ch in text):
        return False
    first = text[0]
    if first.isdigit():
        # "5 of 8" is fine; "12", "1.5", "2024-01-02" and "1:30" would not stay text.
        if not (" " in text and any(ch.isalpha() for ch in text) and ":" not in text):
            return False
    elif not first.isalpha():
        return False
    if text.lower() in _SPECIAL_WORDS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    return not (flow and any(ch in _FLOW_BREAKERS for ch in text))


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif not ch.isprintable() and ch != " ":
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def scalar(value: Any, flow: bool = False) -> str:
    """One value on one line: a number, true/false, or a text, quoted when it must be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if plain_ok(text, flow) else quoted(text)


def _literal_ok(text: str) -> bool:
    """A text with line breaks that a `|-` block keeps exactly (the loader strips
    leading and trailing line breaks of block texts, so those must be quoted)."""
    if "\r" in text or text.startswith(("\n", " ", "\t")) or text.endswith("\n"):
        return False
    return all(ch.isprintable() or ch in "\n\t" for ch in text)


def _fold_ok(text: str) -> bool:
    """A one-line text that a `>-` block can wrap at spaces and give back unchanged."""
    return (
        "\n" not in text
        and "  " not in text
        and "\t" not in text
        and text == text.strip()
        and " " in text
        and all(ch.isprintable() for ch in text)
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


def _text_block(prefix: str, text: str, indent: int) -> list[str]:
    """`prefix` is everything before the value on its line ('key: ' or '- ')."""
    pad = " " * indent
    if "\n" in text and _literal_ok(text):
        return [prefix + "|-"] + [pad + line if line else "" for line in text.split("\n")]
    one = prefix + scalar(text)
    if len(one) <= LINE_MAX or not _fold_ok(text):
        return [one]
    return [prefix + ">-"] + [pad + line for line in _wrap(text, WIDTH - indent)]


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, int, bool))


def _flow_value(key: str | None, v: Any) -> str | None:
    """A short mapping or list of scalars on one line, or None if it should be a block."""
    if isinstance(v, dict):
        if not v or not all(_is_scalar(x) for x in v.values()):
            return None
        if any(isinstance(x, str) and "\n" in x for x in v.values()):
            return None
        parts = [f"{scalar(k, True)}: {_effect(x) if key == 'effects' else scalar(x, True)}" for k, x in v.items()]
        return "{" + ", ".join(parts) + "}"
    if isinstance(v, list):
        # Lists of names and numbers go on one line; lists of sentences read better as blocks.
        if not all(isinstance(x, int) or (isinstance(x, str) and " " not in x and "\n" not in x) for x in v):
            return None
        return "[" + ", ".join(scalar(x, True) for x in v) + "]"
    return None


def _effect(v: Any) -> str:
    # Effects read best as the format writes them: +8, -6, "%+20".
    return v if isinstance(v, str) and _EFFECT.match(v) else scalar(v, True)


def _mapping(
    d: dict[str, Any],
    indent: int,
    out: list[str],
    depth: int,
    first_prefix: str | None = None,
    parent: str | None = None,
) -> None:
    pad = " " * indent

    def fits(key: str, value: Any) -> bool:
        flow = _flow_value(key, value)
        return flow is not None and len(pad) + len(scalar(key)) + 2 + len(flow) <= LINE_MAX

    # Sibling records (the meters, the members) are all on one line each or all blocks.
    records = [(k, v.value if isinstance(v, Commented) else v) for k, v in d.items()]
    uniform = all(fits(k, v) for k, v in records if isinstance(v, dict))
    for i, (key, value) in enumerate(d.items()):
        lead = first_prefix if (i == 0 and first_prefix is not None) else pad
        if isinstance(value, Commented):
            out.append(f"{lead}# {value.comment}")
            lead = pad
            value = value.value
        k = scalar(key)
        if parent == "effects" and isinstance(value, str) and _EFFECT.match(value):
            out.append(f"{lead}{k}: {value}")
            continue
        if _is_scalar(value):
            out.extend(
                _text_block(f"{lead}{k}: ", value, indent + 2)
                if isinstance(value, str)
                else [f"{lead}{k}: {scalar(value)}"]
            )
            continue
        # Top-level records are blocks, as in the format document; short lists stay on one line.
        flow = None if (depth == 0 or not uniform) and isinstance(value, dict) else _flow_value(key, value)
        if flow is not None and len(lead) + len(k) + 2 + len(flow) <= LINE_MAX:
            out.append(f"{lead}{k}: {flow}")
        elif isinstance(value, dict):
            if not value:
                out.append(f"{lead}{k}: {{}}")
                continue
            out.append(f"{lead}{k}:")
            _mapping(value, indent + 2, out, depth + 1, parent=key)
        else:
            if not value:
                out.append(f"{lead}{k}: []")
                continue
            out.append(f"{lead}{k}:")
            _sequence(value, indent + 2, out, depth + 1)


def _sequence(items: list[Any], indent: int, out: list[str], depth: int) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict):
            _mapping(item, indent + 2, out, depth + 1, first_prefix=pad + "- ")
        elif isinstance(item, str):
            out.extend(_text_block(pad + "- ", item, indent + 2))
        elif _is_scalar(item):
            out.append(f"{pad}- {scalar(item)}")
        else:
            flow = _flow_value(None, item)
            out.append(f"{pad}- {flow if flow is not None else '[]'}")


def dump(doc: dict[str, Any], header: list[str] | None = None) -> str:
    """Write `doc` (a scenario shaped as plain data) as YAML text, `header` lines as comments.

    Top-level keys are blocks, separated by a blank line before `states` and `tests`;
    each state is preceded by a blank line.
    """
    out: list[str] = [f"# {h}" if h else "#" for h in (header or [])]
    for key, value in doc.items():
        if key in ("states", "tests") and out:
            out.append("")
        if key == "states" and isinstance(value, dict):
            out.append("states:")
            for i, (sid, state) in enumerate(value.items()):
                if i:
                    out.append("")
                _mapping({sid: state}, 2, out, 1)
            continue
        _mapping({key: value}, 0, out, 0)
    return "\n".join(out) + "\n"


# -- a loaded scenario as plain data ------------------------------------------------


def _versions(plain: str, variants: tuple[Variant, ...] | None) -> Any:
    """A text that may follow what happened: the plain text, or its list of versions."""
    if not variants:
        return plain
    out = []
    for v in variants:
        vd: dict[str, Any] = {}
        if v.when is not None:
            vd["when"] = v.when.source
        vd["text"] = v.text
        out.append(vd)
    return out


def _consequences(d: dict[str, Any], c: Choice | Timeout) -> None:
    """What a choice or a time-out changes, in the format's order, into `d`."""
    if c.effects:
        d["effects"] = {e.target: e.describe() for e in c.effects}
    if c.set:
        d["set"] = list(c.set)
    if c.unset:
        d["unset"] = list(c.unset)


def _citations(d: dict[str, Any], c: Choice | Timeout) -> None:
    if c.refs:
        d["refs"] = list(c.refs)
    if c.competencies:
        d["competencies"] = list(c.competencies)


def state_doc(st: State) -> dict[str, Any]:
    """One state as its YAML mapping, keys in the format's order."""
    d: dict[str, Any] = {}
    if st.title or "title" in st.variants:
        d["title"] = _versions(st.title, st.variants.get("title"))
    if st.narration or "narration" in st.variants:
        d["narration"] = _versions(st.narration, st.variants.get("narration"))
    if st.lines:
        d["lines"] = [{ln.speaker: ln.text, **({"when": ln.when.source} if ln.when else {})} for ln in st.lines]
    if "prompt" in st.variants:
        d["prompt"] = _versions(st.prompt, st.variants["prompt"])
    elif st.prompt and st.prompt != DEFAULT_PROMPT:
        d["prompt"] = st.prompt
    if st.time_limit is not None:
        d["time_limit"] = st.time_limit
    if st.on_timeout is not None:
        if st.timeout == NO_CONSEQUENCE:
            d["on_timeout"] = st.on_timeout
        else:
            t = st.timeout
            td: dict[str, Any] = {"goto": st.on_timeout}
            if t.rating is not None:
                td["rating"] = t.rating
            _consequences(td, t)
            if t.feedback:
                td["feedback"] = t.feedback
            _citations(td, t)
            d["on_timeout"] = td
    if st.order != "shuffled" and st.choices:
        d["order"] = st.order
    if st.ending is not None:
        ending = st.ending
        e: dict[str, Any] = {"outcome": ending.outcome, "title": _versions(ending.title, ending.variants.get("title"))}
        if ending.debrief or "debrief" in ending.variants:
            e["debrief"] = _versions(ending.debrief, ending.variants.get("debrief"))
        d["ending"] = e
    elif st.next:
        branches = []
        for b in st.next:
            bd: dict[str, Any] = {}
            if b.when is not None:
                bd["when"] = b.when.source
            if b.chance is not None:
                bd["chance"] = b.chance
            bd["goto"] = b.goto
            branches.append(bd)
        d["next"] = branches
    else:
        choices = []
        for c in st.choices:
            cd: dict[str, Any] = {"text": c.text, "rating": c.rating}
            _consequences(cd, c)
            cd["feedback"] = c.feedback
            _citations(cd, c)
            if c.when is not None:
                cd["when"] = c.when.source
            if c.phrasings:
                cd["phrasings"] = list(c.phrasings)
            cd["goto"] = c.goto
            choices.append(cd)
        d["choices"] = choices
    return d


def test_doc(t: ScenarioTest, s: Scenario) -> dict[str, Any]:
    """One scenario test as its YAML mapping."""
    d: dict[str, Any] = {"name": t.name}
    if t.choose is not None:
        d["choose"] = list(t.choose)
        if t.seed:
            d["seed"] = t.seed
        exp: dict[str, Any] = {}
        if t.ending is not None:
            exp["ending"] = t.ending
        if t.outcome is not None:
            exp["outcome"] = t.outcome
        meters = {x.name: _expected(x.op, x.value) for x in t.values if x.name not in s.members}
        members = {x.name: _expected(x.op, x.value) for x in t.values if x.name in s.members}
        if meters:
            exp["meters"] = meters
        if members:
            exp["members"] = members
        if t.flags:
            exp["flags"] = {x.name: bool(x.value) for x in t.flags}
        if t.visited:
            exp["visited"] = list(t.visited)
        if t.not_visited:
            exp["not_visited"] = list(t.not_visited)
        if exp:
            d["expect"] = exp
    if t.reachable:
        d["reachable"] = list(t.reachable)
    if t.unreachable:
        d["unreachable"] = list(t.unreachable)
    return d


def _expected(op: str, value: int | bool) -> int | str:
    return int(value) if op == "==" else f"{op} {int(value)}"


def scenario_doc(s: Scenario) -> dict[str, Any]:
    """A scenario as plain data shaped like its YAML file, keys in the format's order.

    Defaults are left out (min 0, max 100, member trust 50, the default prompt), so
    writing a loaded file back gives what an author would have written.
    """
    d: dict[str, Any] = {"format": s.format, "id": s.id, "title": s.title, "summary": s.summary}
    if s.tags:
        d["tags"] = list(s.tags)
    if s.minutes is not None:
        d["minutes"] = s.minutes
    g: dict[str, Any] = {"kind": s.group.kind}
    if s.group.session:
        g["session"] = s.group.session
    g["stage"] = s.group.stage
    if s.group.setting:
        g["setting"] = s.group.setting
    d["group"] = g
    if s.content_notes:
        d["content_notes"] = list(s.content_notes)
    d["objectives"] = list(s.objectives)
    if s.reflection:
        d["reflection"] = list(s.reflection)
    if s.references:
        d["references"] = dict(s.references)
    meters: dict[str, Any] = {}
    for m in s.meters.values():
        md: dict[str, Any] = {"label": m.label, "start": m.start}
        if m.min != 0:
            md["min"] = m.min
        if m.max != 100:
            md["max"] = m.max
        if m.help:
            md["help"] = m.help
        meters[m.id] = md
    d["meters"] = meters
    if s.members:
        members: dict[str, Any] = {}
        for mb in s.members.values():
            mbd: dict[str, Any] = {"name": mb.name}
            if mb.about:
                mbd["about"] = mb.about
            if mb.trust != 50:
                mbd["trust"] = mb.trust
            members[mb.id] = mbd
        d["members"] = members
    cast = getattr(s, "cast", None) or {}  # speakers who are not members (format addition)
    if cast:
        d["cast"] = {v.id: ({"name": v.name, "about": v.about} if v.about else {"name": v.name}) for v in cast.values()}
    if s.flags:
        d["flags"] = list(s.flags)
    if s.say_first:
        d["say_first"] = True
    d["start"] = s.start
    d["states"] = {sid: state_doc(st) for sid, st in s.states.items()}
    if s.tests:
        d["tests"] = [test_doc(t, s) for t in s.tests]
    return d
