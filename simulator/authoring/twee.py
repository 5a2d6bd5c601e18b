"""Twine interchange: scenarios to Twee 3 text and back.

Twee 3 (iftechfoundation/twine-specs, twee-3-specification.md) is a story as text:
passages, each a header line `:: Name [tags] {"metadata": "json"}` and the lines
after it. `export_twee` writes one passage per state, the choices as `[[text->target]]`
links so that Twine's story map shows the branches, and everything else in the
passage's metadata under the key "groupsim"; the scenario's own data (meters,
members, objectives, tests...) goes in a passage tagged `groupsim`.

The members' lines are in the text too, a row each (`**Maria:** I need to say
something.`), and a narration that follows what happened shows its versions, each
after a row `(if CONDITION)` or `(otherwise)`; see `read_passage`.

`import_twee` reads any Twee 3 story. Passages become states and links become
choices; what a story written in Twine cannot say (ratings, feedback, meters) gets
a default and a warning, so that the result always loads and plays. A story that
`export_twee` wrote comes back exactly: export, import and export again give the same
text, and the same scenario.

`merge_twee` reads a story edited in Twine back into the scenario it was exported
from: Twine keeps a passage's text and tags but drops the rest of its metadata, so each
passage takes what it lost (ratings, feedback, effects, conditions, time limits...)
from its state in the scenario, and its text and links from the story.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from simulator.authoring.diagnostics import Diagnostic, Severity
from simulator.authoring.emit import Commented, dump, scalar, scenario_doc
from simulator.authoring.loader import (
    CHOICE_KEYS,
    SCHEMA_HEADER,
    SLUG,
    STATE_ID,
    STATE_KEYS,
    TIMEOUT_KEYS,
    load_text,
)
from simulator.engine.model import OUTCOMES, RATINGS, Scenario

STORY_FORMAT = "Harlowe"
STORY_FORMAT_VERSION = "3.3.9"
DATA_PASSAGE = "Groupsim Scenario"
DATA_TAG = "groupsim"
META_KEY = "groupsim"
DEFAULT_RATING = "acceptable"
DEFAULT_OUTCOME = "mixed"
PLACEHOLDER_FEEDBACK = "No feedback yet: say why this response helps or harms the group."
TAG_COLORS = {
    "strong": "green",
    "mixed": "yellow",
    "poor": "red",
    "route": "blue",
    "timed": "orange",
    DATA_TAG: "purple",
}
_IFID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://groupsim.invalid/twee/ifid")

# Passages that mean something to Twine or a story format, not to the story itself.
SPECIAL_NAMES = {
    "StoryInit": "SugarCube's start-up passage",
    "StoryCaption": "SugarCube's sidebar caption",
    "StoryMenu": "SugarCube's sidebar menu",
    "StoryBanner": "SugarCube's banner",
    "StorySubtitle": "SugarCube's subtitle",
    "StoryAuthor": "SugarCube's author line",
    "StoryInterface": "SugarCube's page layout",
    "StoryShare": "SugarCube's share links",
    "StorySettings": "a Twine 1 settings passage",
    "StoryIncludes": "a Twine 1 list of included files",
    "PassageReady": "SugarCube's before-each-passage code",
    "PassageDone": "SugarCube's after-each-passage code",
    "PassageHeader": "SugarCube's passage header",
    "PassageFooter": "SugarCube's passage footer",
}
SPECIAL_TAGS = {
    "script": "JavaScript",
    "stylesheet": "a stylesheet",
    "widget": "SugarCube widgets",
    "init": "SugarCube start-up code",
    "header": "a Harlowe header",
    "footer": "a Harlowe footer",
    "startup": "Harlowe start-up code",
    "debug-header": "a Harlowe debug header",
    "debug-footer": "a Harlowe debug footer",
    "debug-startup": "Harlowe debug start-up code",
    "Twine.image": "an image",
    "Twine.audio": "audio",
    "Twine.video": "video",
    "Twine.vtt": "subtitles",
    "Twine.private": "a private passage",
    "annotation": "a Twine 1 annotation",
}

# A link: `[[...]]` on one line; a single `]` may appear inside, `]]` ends it.
_LINK = re.compile(r"\[\[((?:[^\]\n]|\](?!\]))+)\]\]")
_SUGARCUBE_MACRO = re.compile(r"<<\s*([A-Za-z=-][\w-]*)")
_HARLOWE_MACRO = re.compile(r"\(([A-Za-z][\w-]*):(?!//)")
_TWEE2_POSITION = re.compile(r"^<\s*(-?\d+)\s*,\s*(-?\d+)\s*>\s*$")


class TweeError(Exception):
    """Input that cannot be read as Twee; `diagnostics` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(str(diagnostics[0]) if diagnostics else "not a Twee story")
        self.diagnostics = diagnostics


# -- reading Twee -----------------------------------------------------------------------


@dataclass(slots=True)
class Passage:
    """One passage as written: name, tags, metadata (None if absent or dropped), text."""

    name: str
    tags: tuple[str, ...]
    meta: dict[str, Any] | None
    text: str
    path: str
    line: int
    """The header's line; the text starts on the next one."""

    def where(self, offset: int | None = None) -> tuple[int, int]:
        """The file line and column of `offset` in the text (the header if None)."""
        if offset is None:
            return self.line, 1
        before = self.text[:offset]
        line = self.line + 1 + before.count("\n")
        return line, offset - (before.rfind("\n") + 1) + 1


@dataclass(slots=True)
class Link:
    text: str
    target: str
    start: int
    end: int


@dataclass(slots=True)
class Story:
    passages: list[Passage] = field(default_factory=list)


class _Messages:
    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, severity: str, path: str, line: int, col: int, message: str) -> None:
        self.items.append(Diagnostic(path, line, col, cast(Severity, severity), message))

    def at(self, severity: str, p: Passage, message: str, offset: int | None = None) -> None:
        line, col = p.where(offset)
        self.add(severity, p.path, line, col, message)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]


def _decode_escapes(chars: str) -> list[tuple[str, bool]]:
    """Twee's escapes: a backslash makes the next character literal (`\\q` is `q`)."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(chars):
        if chars[i] == "\\" and i + 1 < len(chars):
            out.append((chars[i + 1], True))
            i += 2
        else:
            out.append((chars[i], False))
            i += 1
    return out


def _strip_unescaped(chars: list[tuple[str, bool]]) -> str:
    start, end = 0, len(chars)
    while start < end and not chars[start][1] and chars[start][0].isspace():
        start += 1
    while end > start and not chars[end - 1][1] and chars[end - 1][0].isspace():
        end -= 1
    return "".join(c for c, _ in chars[start:end])


def _scan_to(rest: str, i: int, stops: str) -> int:
    """The index of the first unescaped character of `stops` at or after `i` (or len)."""
    while i < len(rest):
        if rest[i] == "\\":
            i += 2
            continue
        if rest[i] in stops:
            return i
        i += 1
    return len(rest)


def _header(
    rest: str, path: str, lineno: int, msgs: _Messages
) -> tuple[str, tuple[str, ...], dict[str, Any] | None] | None:
    """Read a header line after its `::`; None (with an error) if it is malformed."""
    col0 = 3  # columns are 1-based and `rest` starts after the two colons
    i = _scan_to(rest, 0, "[{")
    name_part = rest[:i]
    meta: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    # Twee2 wrote a position as `<x,y>` at the end of the header; accept it.
    m2 = re.search(r"\s<\s*-?\d+\s*,\s*-?\d+\s*>\s*$", name_part) if i == len(rest) else None
    if m2:
        pm = _TWEE2_POSITION.match(name_part[m2.start() + 1 :])
        if pm:
            meta = {"position": f"{pm.group(1)},{pm.group(2)}"}
        name_part = name_part[: m2.start()]
    name = _strip_unescaped(_decode_escapes(name_part))
    if not name:
        msgs.add(
            "error",
            path,
            lineno,
            1,
            "this passage header has no name; write one after '::', like ':: The waiting room'",
        )
        return None
    if i < len(rest) and rest[i] == "[":
        close = _scan_to(rest, i + 1, "]")
        if close == len(rest):
            msgs.add(
                "error",
                path,
                lineno,
                col0 + i,
                f"the tag list of passage '{name}' opens with '[' but never closes; end it with ']' "
                "(or write '\\[' for a bracket in the name)",
            )
            return None
        tags = tuple(t for t in "".join(c for c, _ in _decode_escapes(rest[i + 1 : close])).split() if t)
        i = close + 1
        while i < len(rest) and rest[i] in " \t":
            i += 1
    if i < len(rest) and rest[i] == "{":
        src = rest[i:].rstrip()
        try:
            value = json.loads(src)
        except json.JSONDecodeError as exc:
            msgs.add(
                "warning",
                path,
                lineno,
                col0 + i + exc.pos,
                f"the metadata of passage '{name}' is not valid JSON ({exc.msg}); it is ignored",
            )
        else:
            if isinstance(value, dict):
                meta = value
            else:
                msgs.add(
                    "warning",
                    path,
                    lineno,
                    col0 + i,
                    f"the metadata of passage '{name}' should be a JSON object {{...}}; it is ignored",
                )
    elif i < len(rest):
        leftover = rest[i:].strip()
        pm = _TWEE2_POSITION.match(leftover)
        if pm:
            meta = {"position": f"{pm.group(1)},{pm.group(2)}"}
        elif leftover:
            msgs.add(
                "error",
                path,
                lineno,
                col0 + i,
                f"unexpected '{leftover[:20]}' after the tags of passage '{name}'; a header is "
                '\':: Name [tags] {"json": "metadata"}\'',
            )
            return None
    return name, tags, meta


def read_text(data: bytes, path: str) -> str:
    """Decode a Twee file: UTF-8 (with or without a byte-order mark), any line endings.

    Raises:
        TweeError: the bytes are not UTF-8.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise TweeError(
            [
                Diagnostic(
                    path,
                    line,
                    col,
                    "error",
                    f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse(sources: Iterable[tuple[str, str]], msgs: _Messages | None = None) -> tuple[Story, list[Diagnostic]]:
    """Read Twee 3 text from one or more files as one story.

    Args:
        sources: (path, text) pairs, in order; paths are used in messages only.

    Returns:
        The passages in order, and the problems found (errors for headers that
        cannot be read, warnings for metadata that is dropped).
    """
    msgs = msgs or _Messages()
    story = Story()
    for path, text in sources:
        lines = text.split("\n")
        header: tuple[str, tuple[str, ...], dict[str, Any] | None] | None = None
        header_line = 0
        body: list[str] = []

        def flush() -> None:
            if header is None:
                if any(b.strip() for b in body):
                    first = next(n for n, b in enumerate(body) if b.strip())
                    msgs.add(
                        "warning",
                        path,
                        first + 1,
                        1,
                        "text before the first passage header (a line starting with '::') is ignored",
                    )
                return
            while body and not body[-1].strip():  # the specification drops trailing blank lines
                body.pop()
            # A line of text that starts with '::' is written '\::' so it is not a header.
            content = "\n".join(b[1:] if b.startswith("\\::") else b for b in body)
            name, tags, meta = header
            story.passages.append(Passage(name, tags, meta, content, path, header_line))

        failed = False
        for n, line in enumerate(lines, 1):
            if line.startswith("::"):
                if not failed:
                    flush()
                body = []
                header_line = n
                header = _header(line[2:], path, n, msgs)
                failed = header is None
            else:
                body.append(line)
        if not failed:
            flush()
    return story, list(msgs.items)


def links_in(text: str) -> list[Link]:
    """Every `[[link]]` in a passage's text, in order, read the way Twine reads them:
    `[[target]]`, `[[text->target]]` (the rightmost arrow), `[[target<-text]]` (the
    leftmost), `[[text|target]]`, and SugarCube's `[[text|target][$setter]]`."""
    out = []
    for m in _LINK.finditer(text):
        inner = m.group(1)
        setter = inner.find("][")
        if setter >= 0:
            inner = inner[:setter]
        if "<-" in inner:
            k = inner.index("<-")
            target, label = inner[:k], inner[k + 2 :]
        elif "->" in inner:
            k = inner.rindex("->")
            label, target = inner[:k], inner[k + 2 :]
        elif "|" in inner:
            k = inner.index("|")
            label, target = inner[:k], inner[k + 1 :]
        else:
            label = target = inner
        out.append(Link(label, target, m.start(), m.end()))
    return out


def narration_of(text: str, speakers: Speakers | None = None) -> str:
    """A passage's text as narration: lines holding only links are dropped, links inside
    sentences become their text, runs of blank lines shrink to one, and members' lines
    (`**Maria:** ...`, for `speakers`) are left out."""
    return read_passage(text, speakers or Speakers({})).raw


def _label(link: Link) -> str:
    return link.text.strip() or link.target.strip()


def _unlink(text: str) -> str:
    """`text` with each link replaced by its label, as a sentence shows it."""
    return _LINK.sub(lambda m: _label(links_in(m.group(0))[0]), text)


# -- members' lines and versions of a text, in a passage's text ---------------------------
#
# A line a member says is a row of its own, the speaker's name in bold with a colon:
#     **Maria:** I need to say something.
#     **Maria (if breach_named):** Thank you for saying it.
# and a narration that follows what happened is its versions, each after a row of its own:
#     (if froze)
#     The silence went on until Bo spoke first.
#
#     (otherwise)
#     Ana goes on, quieter.
# A row is a line only when the bold name is a member's or the cast's (by name or id), so
# narration such as "Maria: 52, widowed" or "**Note:** ..." stays narration. Harlowe shows
# `**...**` in bold and `(if froze)` as it is written (a macro would be `(if:`).

_SPOKEN = re.compile(r"\*\*(?P<head>[^\n]+?):\*\* ?(?P<said>.*)")
_CONDITIONAL = re.compile(r"(?P<who>.*\S) \(if (?P<when>.+)\)")
_VERSION = re.compile(r"\((?:if (?P<when>.+)|otherwise)\)")
_LOOKS_SPOKEN = re.compile(r"(?:\*\*)?(?P<who>[^\s*:][^*:\n]{0,60}?)(?:\*\*)?:\s")


class Speakers:
    """Who may say a line (members and the cast), and how a passage's text names them."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # id -> display name
        count = Counter(names.values())
        self.by_name = {n: i for i, n in names.items() if count[n] == 1}
        folded = Counter(n.casefold() for n in names.values())
        self.by_fold = {n.casefold(): i for i, n in names.items() if folded[n.casefold()] == 1}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Speakers:
        """The speakers of a scenario shaped as data (its `members` and `cast`)."""
        names: dict[str, str] = {}
        for key in ("members", "cast"):
            group = data.get(key)
            if isinstance(group, dict):
                for sid, d in group.items():
                    name = d.get("name") if isinstance(d, dict) else None
                    names[str(sid)] = name if isinstance(name, str) and name.strip() else str(sid)
        return cls(names)

    def find(self, name: str) -> str | None:
        """The id named by a display name (exactly, else in any case) or by an id."""
        if name in self.by_name:
            return self.by_name[name]
        if name in self.names:
            return name
        return self.by_fold.get(name.casefold())

    def read_head(self, head: str) -> tuple[str | None, str | None]:
        """The speaker and condition of a bold head (`Maria` or `Maria (if named)`)."""
        who = self.find(head)
        if who is not None:
            return who, None
        m = _CONDITIONAL.fullmatch(head)
        if m and (who := self.find(m["who"])) is not None:
            return who, m["when"].strip()
        return None, None

    def label(self, speaker: str) -> str:
        """How a line names `speaker`: by name where that reads back as them, else by id."""
        name = self.names.get(speaker, speaker)
        if "".join(name.splitlines()) == name and ":**" not in name and self.read_head(name) == (speaker, None):
            return name
        return speaker


@dataclass(slots=True)
class PassageText:
    """What a passage's text says: the narration (a text, or its versions), the members'
    lines, and what a reader may have meant otherwise (for warnings)."""

    narration: str | list[dict[str, str]] = ""
    lines: list[dict[str, str]] = field(default_factory=list)
    raw: str = ""
    """The narration as one text, before it is split into versions."""
    unknown: list[tuple[int, str]] = field(default_factory=list)
    """`**Name:**` rows that name no member or cast: (offset, name); they stay narration."""
    lookalike: list[tuple[int, str]] = field(default_factory=list)
    """Narration rows that start like `Maria:` for a member Maria: (offset, name)."""
    late: int | None = None
    """The offset of narration written after a line (it is shown before the lines)."""


def read_passage(text: str, speakers: Speakers) -> PassageText:
    """Split a passage's text into its narration and the members' lines (see above)."""
    out = PassageText()
    kept: list[str] = []
    offset = 0
    for row in text.split("\n"):
        at = offset
        offset += len(row) + 1
        if _LINK.search(row) and not _LINK.sub("", row).strip():
            continue  # a row of links is the choices
        m = _SPOKEN.fullmatch(row)
        if m and m["said"].strip():  # a bold name alone on a row is a heading, not a line
            who, when = speakers.read_head(m["head"])
            if who is not None:
                line = {who: _unlink(m["said"])}
                if when is not None:
                    line["when"] = when
                out.lines.append(line)
                continue
            out.unknown.append((at, m["head"]))
        elif (look := _LOOKS_SPOKEN.match(row)) and speakers.find(look["who"].strip()) is not None:
            out.lookalike.append((at, look["who"].strip()))
        if out.lines and row.strip() and out.late is None:
            out.late = at
        kept.append(_unlink(row))
    raw = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    out.raw = raw if raw.strip() else ""
    out.narration = _versions_in(out.raw)
    return out


def _versions_in(raw: str) -> str | list[dict[str, str]]:
    """A narration whose first row is `(if ...)` is a list of versions; any other is one text."""
    rows = raw.split("\n")
    if not _VERSION.fullmatch(rows[0]):
        return raw
    versions: list[tuple[dict[str, str], list[str]]] = []
    for row in rows:
        vm = _VERSION.fullmatch(row)
        if vm:
            versions.append(({"when": vm["when"].strip()} if vm["when"] is not None else {}, []))
        else:
            versions[-1][1].append(row)
    return [{**v, "text": "\n".join(body).strip("\n")} for v, body in versions]


def _plain_rows(text: str) -> str:
    """`text` tidied so that a passage reads it back as plain narration: no link markup, no
    row that reads as a member's line or as a version's `(if ...)`."""
    rows = []
    for row in _safe_narration(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n"):
        if m := _SPOKEN.fullmatch(row):
            row = f"**{m['head']}**:{row[m.end('head') + 3 :]}"
        elif _VERSION.fullmatch(row):
            row = f"[{row[1:-1]}]"
        rows.append(row)
    return "\n".join(rows)


def _narration_shown(value: Any, tidy: bool) -> str:
    """A narration (one text or its versions) as passage text; `tidy` when it is kept exactly
    in the metadata and the text need only read well."""
    if isinstance(value, str):
        return _plain_rows(value) if tidy else value
    blocks = []
    for v in value:
        when = v.get("when")
        if when is not None and tidy:
            when = " ".join(when.split())
        body = _plain_rows(v["text"]) if tidy else v["text"]
        marker = f"(if {when})" if when is not None else "(otherwise)"
        blocks.append(f"{marker}\n{body}" if body else marker)
    return "\n\n".join(blocks)


def _lines_shown(lines: list[dict[str, str]], speakers: Speakers, tidy: bool) -> str:
    """Members' lines as passage text, a row each."""
    rows = []
    for ln in lines:
        speaker, said = next((k, v) for k, v in ln.items() if k != "when")
        when = ln.get("when")
        if tidy:
            said = " ".join(_safe_narration(said).split())
            when = " ".join(when.split()) if when is not None else None
        who = speakers.label(speaker)
        rows.append(f"**{who if when is None else f'{who} (if {when})'}:** {said}")
    return "\n".join(rows)


# -- writing Twee -----------------------------------------------------------------------


def _escape_name(name: str) -> str:
    return re.sub(r"([\\\[\]{}])", r"\\\1", name)


def _escape_text(text: str) -> str:
    # A reader takes '\r' and '\r\n' as line ends too, so '::' after any of them would start a header.
    return re.sub(r"(^|[\r\n])::", r"\1\\::", text)


def _json_line(value: Any) -> str:
    out = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Keep the header on one line for readers that break lines at these too.
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def _safe_link_text(text: str) -> str:
    """A link label that Twine reads back as one label with the right target: no line
    breaks and none of the characters link markup is made of. The exact text goes in the
    metadata."""
    label = " ".join(text.split()).translate(str.maketrans("[]<>|", "()‹›/"))
    return label.strip() or "…"


def _safe_narration(text: str) -> str:
    """The narration with no link markup left in it ('[[[' needs two rounds)."""
    while "[[" in text or "]]" in text:
        text = text.replace("[[", "[ [").replace("]]", "] ]")
    return text


def _layout(s: Scenario) -> dict[str, tuple[int, int]]:
    """Columns by distance from the start, rows in file order: a readable story map."""
    depth: dict[str, int] = {s.start: 0}
    queue = deque([s.start])
    while queue:
        sid = queue.popleft()
        st = s.states[sid]
        targets = [c.goto for c in st.choices] + [b.goto for b in st.next] + ([st.on_timeout] if st.on_timeout else [])
        for t in targets:
            if t not in depth:
                depth[t] = depth[sid] + 1
                queue.append(t)
    last = max(depth.values(), default=0) + 1
    rows: dict[int, int] = {}
    out = {}
    for sid in s.states:
        col = depth.get(sid, last)
        out[sid] = (col + 1, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return out


def _position(col: int, row: int) -> str:
    return f"{100 + col * 175},{100 + row * 125}"


def _header_line(name: str, tags: list[str], meta: dict[str, Any]) -> str:
    tag_block = f" [{' '.join(_escape_name(t) for t in tags)}]" if tags else ""
    return f":: {_escape_name(name)}{tag_block} {_json_line(meta)}"


def _reparse(header: str, text: str) -> Passage:
    """The passage as an importer will read it back, decoding and all."""
    written = f"{header}\n{_escape_text(text)}\n"
    story, _ = parse([("<export>", read_text(written.encode("utf-8"), "<export>"))])
    return story.passages[0]


def ifid(scenario_id: str) -> str:
    """The story's IFID: a UUID derived from the scenario id, so each export gives the same."""
    return str(uuid.uuid5(_IFID_NAMESPACE, scenario_id)).upper()


def export_twee(s: Scenario) -> str:
    """The scenario as a Twee 3 story (see the module docstring for the mapping)."""
    doc = scenario_doc(s)
    states: dict[str, dict[str, Any]] = doc.pop("states")
    start = doc.pop("start")
    title = doc.pop("title")
    if _title_of(_reparse(":: StoryTitle", title)) != title:
        doc = {"title": title, **doc}  # a title Twee cannot hold exactly travels in the data
        title = " ".join(title.split()) or s.id
    story_data = {
        "ifid": ifid(s.id),
        "format": STORY_FORMAT,
        "format-version": STORY_FORMAT_VERSION,
        "start": start,
        "tag-colors": TAG_COLORS,
        "zoom": 1,
    }
    parts = [
        f":: StoryTitle\n{_escape_text(title)}",
        f":: StoryData\n{json.dumps(story_data, indent=2, ensure_ascii=False)}",
        f":: {DATA_PASSAGE} [{DATA_TAG}] {_json_line({'position': _position(0, 0), 'size': '100,100'})}\n"
        + json.dumps(doc, indent=2, ensure_ascii=False),
    ]
    layout = _layout(s)
    speakers = Speakers.of(doc)
    for sid, sd in states.items():
        parts.append(_export_state(sid, sd, _position(*layout[sid]), speakers))
    return "\n\n\n".join(parts) + "\n"


def _reads_back(text: str, speakers: Speakers) -> PassageText:
    return read_passage(_reparse(":: x", text).text, speakers)


def _export_state(sid: str, sd: dict[str, Any], position: str, speakers: Speakers) -> str:
    """One state as a passage: its narration, the members' lines (`**Maria:** ...`) and a
    link per choice in the text, everything else in the metadata. Each part of the text is
    read back exactly as an importer will read it; a part that would not come back
    unchanged (a narration with `[[` or a row like `**Maria:** ...`, a line with a line
    break, a choice with `->`...) is shown tidied in the text and kept exactly in the
    metadata."""
    narration = sd.get("narration", "")
    lines = sd.get("lines", [])
    tags: list[str] = []
    if "choices" in sd and sd.get("time_limit") is not None:
        tags.append("timed")
    elif "next" in sd:
        tags.append("route")
    elif "ending" in sd:
        tags += ["ending", sd["ending"]["outcome"]]
    # Each part on its own first, then the whole passage (where parts could meet).
    alone = _reads_back(_narration_shown(narration, False), speakers)
    narration_in_meta = alone.narration != narration or bool(alone.lines)
    alone = _reads_back(_lines_shown(lines, speakers, False), speakers)
    lines_in_meta = alone.lines != lines or bool(alone.raw)
    exact: set[int] = set()  # choices whose text goes in the metadata
    while True:  # each round moves more into the metadata, so this ends
        meta: dict[str, Any] = {}
        for k, v in sd.items():
            if k == "narration":
                if narration_in_meta:
                    meta["narration"] = v
            elif k == "lines":
                if lines_in_meta:
                    meta["lines"] = v
            elif k == "choices":
                meta["choices"] = [
                    ({"text": c["text"]} if i in exact else {})
                    | {ck: cv for ck, cv in c.items() if ck not in ("text", "goto")}
                    for i, c in enumerate(v)
                ]
            else:
                meta[k] = v
        # A part kept in the metadata is kept there even when empty, so the text is not read for it.
        if narration_in_meta and "narration" not in sd:
            meta["narration"] = ""
        if lines_in_meta and "lines" not in sd:
            meta["lines"] = []
        if "choices" in sd:
            links = [
                f"[[{_safe_link_text(c['text']) if i in exact else c['text']}->{c['goto']}]]"
                for i, c in enumerate(sd["choices"])
            ]
        elif "next" in sd:
            links = [f"[[{goto}]]" for goto in dict.fromkeys(b["goto"] for b in sd["next"])]
        else:
            links = []
        shown = _narration_shown(narration, narration_in_meta)
        said = _lines_shown(lines, speakers, lines_in_meta)
        text = "\n\n".join(p for p in (shown, said, "\n".join(links)) if p)
        header = _header_line(sid, tags, {"position": position, "size": "100,100", META_KEY: meta})
        back = _reparse(header, text)
        parts = read_passage(back.text, speakers)
        if not narration_in_meta and parts.narration != narration:
            narration_in_meta = True
            continue
        if not lines_in_meta and parts.lines != lines:
            lines_in_meta = True
            continue
        if "choices" in sd:
            got = [(_label(lk), lk.target) for lk in links_in(back.text)]
            want = [(c["text"], c["goto"]) for c in sd["choices"]]
            if len(got) != len(want):
                new = set(range(len(want)))
            else:
                new = {i for i, (g, w) in enumerate(zip(got, want)) if g != w and i not in exact}
            if new - exact:
                exact |= new
                continue
        break
    return f"{header}\n{_escape_text(text)}" if text else header


def _title_of(p: Passage) -> str | None:
    """The story's title from its StoryTitle passage (None if it is blank)."""
    return p.text.strip("\n") if p.text.strip() else None


# -- Twee to a scenario ---------------------------------------------------------------------


def slug(text: str) -> str:
    """Lowercase letters, digits and hyphens: `Day 30 KEB` → `day-30-keb`."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


@dataclass(slots=True)
class Imported:
    """What `import_twee` (or `merge_twee`) made: the scenario's YAML text and every
    message on the way; a merge also says what changed, passage by passage."""

    yaml: str
    diagnostics: list[Diagnostic]
    states: int = 0
    passages: int = 0
    changes: list[tuple[str, str]] = field(default_factory=list)
    """(passage, what changed), in the story's order; removed passages last."""
    unchanged: int = 0
    """Passages of a merge that changed nothing."""
    same: bool = False
    """A merge that gives back the scenario it was merged into, unchanged."""

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


@dataclass(slots=True)
class _Base:
    """The scenario a story is merged into, as its own export reads back."""

    scenario: Scenario
    doc: dict[str, Any]
    passages: dict[str, Passage]
    """The state passages of its export, by name (= state id)."""
    title: Passage
    data: Passage
    speakers: Speakers

    @classmethod
    def of(cls, s: Scenario) -> _Base:
        story, _ = parse([("<the scenario, exported>", export_twee(s))])
        title, _story_data, data, *states = story.passages
        doc = scenario_doc(s)
        return cls(s, doc, {p.name: p for p in states}, title, data, Speakers.of(doc))


class _Importer:
    def __init__(self, story: Story, msgs: _Messages, base: _Base | None = None) -> None:
        self.story = story
        self.msgs = msgs
        self.base = base
        self.ids: dict[str, str] = {}
        self.taken: set[str] = set()
        self.missing: dict[str, str] = {}
        self.passages: list[Passage] = []
        self.speakers = Speakers({})
        self.changes: list[tuple[str, str]] = []
        self.unchanged = 0
        self.passage_of: dict[str, Passage] = {}
        """The passage each state came from (for placing problems found later)."""
        self.data_passage: Passage | None = None
        self.edited: set[str] = set()
        """Passages of a merge whose narration or lines changed."""
        self.patched: set[str] = set()
        """Passages of a merge that took the scenario's metadata (Twine had dropped theirs)."""

    # -- names and ids --------------------------------------------------------------
    def _fresh(self, name: str, base: str = "passage") -> str:
        sid = name if STATE_ID.match(name) else (slug(name) or base)
        if sid in self.taken:
            n = 2
            while f"{sid}-{n}" in self.taken:
                n += 1
            sid = f"{sid}-{n}"
        self.taken.add(sid)
        return sid

    def assign_ids(self) -> None:
        # Names that already are ids keep them; the others get a slug that no one has taken.
        for p in self.passages:
            if STATE_ID.match(p.name):
                self.ids[p.name] = p.name
                self.taken.add(p.name)
        for p in self.passages:
            if p.name not in self.ids:
                self.ids[p.name] = self._fresh(p.name)

    def resolve(self, target: str, p: Passage, offset: int | None, what: str = "links to") -> str:
        """The state a link (or a goto in metadata) leads to, making a placeholder ending if needed."""
        for name in (target, target.strip()):
            if name in self.ids:
                return self.ids[name]
        name = target.strip()
        if name not in self.missing:
            self.missing[name] = self._fresh(name, "missing-passage")
        self.msgs.at(
            "warning",
            p,
            f"passage '{p.name}' {what} '{name}', which is not a passage of the story; "
            f"a placeholder ending '{self.missing[name]}' stands in for it — write that passage or fix the link",
            offset,
        )
        return self.missing[name]

    def changed(self, passage: str, what: str) -> None:
        self.changes.append((passage, what))

    # -- the whole story ----------------------------------------------------------------
    def run(self) -> tuple[dict[str, Any], dict[str, str]]:
        title_p: Passage | None = None
        data_p: Passage | None = None
        story_data: dict[str, Any] = {}
        seen: dict[str, Passage] = {}
        for p in self.story.passages:
            if p.name in seen:
                first = seen[p.name]
                self.msgs.at(
                    "warning",
                    p,
                    f"a second passage named '{p.name}' (the first is at {first.path}:{first.line}); this one is ignored",
                )
                continue
            seen[p.name] = p
            if p.name == "StoryTitle":
                title_p = p
            elif p.name == "StoryData":
                try:
                    value = json.loads(p.text) if p.text.strip() else {}
                except json.JSONDecodeError as exc:
                    line, col = p.where(exc.pos)
                    self.msgs.add(
                        "warning", p.path, line, col, f"StoryData is not valid JSON ({exc.msg}); it is ignored"
                    )
                else:
                    if isinstance(value, dict):
                        story_data = value
                    else:
                        self.msgs.at("warning", p, "StoryData should be a JSON object {...}; it is ignored")
            elif DATA_TAG in p.tags:
                if data_p is None:
                    data_p = p
                else:
                    self.msgs.at(
                        "warning",
                        p,
                        f"a second passage tagged '{DATA_TAG}' (the first is '{data_p.name}'); this one is ignored",
                    )
            elif p.name in SPECIAL_NAMES:
                self.msgs.at(
                    "note", p, f"skipped passage '{p.name}': {SPECIAL_NAMES[p.name]}, not a moment of the story"
                )
            elif special := next((t for t in p.tags if t in SPECIAL_TAGS), None):
                self.msgs.at(
                    "note",
                    p,
                    f"skipped passage '{p.name}': tagged '{special}', it holds {SPECIAL_TAGS[special]}, not a moment of the story",
                )
            else:
                self.passages.append(p)
        if not self.passages:
            where = self.story.passages[0] if self.story.passages else None
            if where:
                self.msgs.at(
                    "error",
                    where,
                    "the story has no passages to turn into states (only special passages such as StoryTitle)",
                )
            else:
                self.msgs.add(
                    "error", "<input>", 1, 1, "no passages found: a Twee passage starts with a line like ':: Start'"
                )
            raise TweeError(self.msgs.errors)
        self.assign_ids()
        if self.base is not None:
            if not any(p.name in self.base.passages for p in self.passages):
                s = self.base.scenario
                self.msgs.at(
                    "error",
                    self.passages[0],
                    f"no passage of the story is a state of '{s.id}' ({', '.join(_short(x, 20) for x in list(s.states)[:5])}"
                    f"{', ...' if len(s.states) > 5 else ''}), so it was not exported from that scenario; merge a story "
                    "exported from it, or import this one on its own (without --into)",
                )
                raise TweeError(self.msgs.errors)
            title_p, data_p = self.base_story(title_p, data_p, story_data)

        self.data_passage = data_p
        data = self.scenario_data(data_p)
        self.speakers = Speakers.of(data)
        title = data.pop("title", None)
        if title is None and title_p is not None:
            title = _title_of(title_p)
        if title is None:
            title = self.passages[0].path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            self.msgs.add(
                "warning", self.passages[0].path, 1, 1, f"the story has no StoryTitle passage; its title is '{title}'"
            )
        start = self.start(story_data)
        states: dict[str, Any] = {}
        comments: dict[str, str] = {}
        for p in self.passages:
            sid = self.ids[p.name]
            before = len(self.changes)
            states[sid] = self.state(p)
            self.passage_of[sid] = p
            if sid != p.name:
                comments[sid] = f"Twine passage: {p.name}"
            if self.base is None:
                continue
            if p.name not in self.base.passages:
                named = f" (state '{sid}')" if sid != p.name else ""
                self.changed(p.name, f"new passage{named}: {_kind_of(states[sid])}")
            else:
                if p.name not in self.patched:  # it kept metadata of its own: say what that changes
                    self.compare(p.name, self.base.doc["states"][p.name], states[sid])
                self.unchanged += len(self.changes) == before
        for name, sid in self.missing.items():
            states[sid] = {
                "ending": {
                    "outcome": DEFAULT_OUTCOME,
                    "title": f"Missing passage: {name}",
                    "debrief": "A placeholder made by 'groupsim twee import' for a link to a passage the story does not have.",
                }
            }
        if self.base is not None:
            self.removed(states)
        sid = data.pop("id", None)
        if not (isinstance(sid, str) and SLUG.match(sid)):
            sid = slug(title) or slug(self.passages[0].path.rsplit("/", 1)[-1].rsplit(".", 1)[0]) or "imported-story"
        doc: dict[str, Any] = {"format": 1, "id": sid, "title": title}
        doc.update(data)
        doc["start"] = start
        tests = doc.pop("tests", None)
        doc["states"] = states
        if tests is not None:
            doc["tests"] = tests
        if self.base is not None:
            self.top_changes(doc)
        return doc, comments

    def start(self, story_data: dict[str, Any]) -> str:
        first = self.passages[0]
        named = story_data.get("start")
        if isinstance(named, str) and named:
            if named in self.ids:
                return self.ids[named]
            self.msgs.at("warning", first, f"StoryData names '{named}' as the start, but there is no such passage")
        if "Start" in self.ids:
            return self.ids["Start"]
        self.msgs.at(
            "warning",
            first,
            f"the story does not say where it starts (no 'start' in StoryData, no 'Start' passage); it starts at '{first.name}'",
        )
        return self.ids[first.name]

    # -- merging into a scenario -----------------------------------------------------------
    def base_story(
        self, title_p: Passage | None, data_p: Passage | None, story_data: dict[str, Any]
    ) -> tuple[Passage, Passage]:
        """What a merge takes from the scenario where the story lacks it: the title, the
        scenario's data (meters, members...) and the start."""
        assert self.base is not None
        if title_p is None or _title_of(title_p) is None:
            title_p = self.base.title
        if data_p is None:
            self.changed(
                DATA_PASSAGE, f"not in the story; the scenario's own data is kept (in a passage tagged '{DATA_TAG}')"
            )
            data_p = self.base.data
        else:
            try:
                value = json.loads(data_p.text)
            except json.JSONDecodeError as exc:
                line, col = data_p.where(exc.pos)
                self.msgs.add(
                    "warning",
                    data_p.path,
                    line,
                    col,
                    f"the scenario data in passage '{data_p.name}' is not valid JSON ({exc.msg}); "
                    "the scenario's own data is kept — fix the JSON and merge again to change it",
                )
                data_p = self.base.data
            else:
                if not isinstance(value, dict):
                    self.msgs.at(
                        "warning",
                        data_p,
                        f"the scenario data in passage '{data_p.name}' should be a JSON object; the scenario's own data is kept",
                    )
                    data_p = self.base.data
        named = story_data.get("start")
        if not (isinstance(named, str) and named in self.ids) and self.base.scenario.start in self.ids:
            story_data["start"] = self.base.scenario.start
        return title_p, data_p

    def top_changes(self, doc: dict[str, Any]) -> None:
        assert self.base is not None
        old = self.base.doc
        if doc["title"] != old["title"]:
            self.changed("StoryTitle", f"title changed to '{_short(doc['title'])}'")
        if doc["start"] != old["start"]:
            self.changed("StoryData", f"starts at '{doc['start']}' (was '{old['start']}')")
        keys = [
            k for k in dict.fromkeys([*old, *doc]) if k not in ("title", "start", "states") and old.get(k) != doc.get(k)
        ]
        if keys:
            self.changed(DATA_PASSAGE, f"scenario data changed: {', '.join(keys)}")

    def kept_from_scenario(self, p: Passage, links: list[Link]) -> dict[str, Any]:
        """The groupsim metadata Twine dropped from passage `p`, taken from the scenario's own
        passage of that name and fitted to what `p`'s text now says."""
        assert self.base is not None
        q = self.base.passages[p.name]
        g: dict[str, Any] = copy.deepcopy(q.meta[META_KEY]) if q.meta else {}
        mine = read_passage(p.text, self.speakers)
        theirs = read_passage(q.text, self.base.speakers)
        if mine.narration != theirs.narration:
            g.pop("narration", None)
            self.edited.add(p.name)
            self.changed(p.name, "text changed")
        if mine.lines != theirs.lines:
            g.pop("lines", None)
            self.edited.add(p.name)
            self.changed(p.name, "members' lines changed")
        old = [lk for lk in links_in(q.text) if lk.target.strip()]
        if "ending" in g:
            tag = next((t for t in p.tags if t in OUTCOMES), None)
            if links:
                del g["ending"]
                self.changed(p.name, f"was an ending; now a decision with {_count(len(links), 'choice')}")
            elif tag is not None and tag != g["ending"].get("outcome"):
                self.changed(p.name, f"ending's outcome now '{tag}' (was '{g['ending'].get('outcome')}')")
                g["ending"]["outcome"] = tag
        elif "next" in g:
            was = list(dict.fromkeys(lk.target.strip() for lk in old))
            now = list(dict.fromkeys(lk.target.strip() for lk in links))
            for t in now:
                if t not in was:
                    self.changed(p.name, f"link added to '{t}' (where a route goes is set by its branches: see below)")
            for t in was:
                if t not in now:
                    self.changed(
                        p.name, f"link to '{t}' removed (where a route goes is set by its branches: see below)"
                    )
        elif not links:
            for key in ("choices", "time_limit", "on_timeout", "order"):
                g.pop(key, None)
            self.changed(p.name, "all its links were removed: it becomes an ending")
        else:
            g["choices"] = self.pair_choices(p, links, old, list(g.get("choices") or []))
        self.patched.add(p.name)
        return g

    def compare(self, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """What a passage that kept its own metadata changes in its state."""
        if old.get("narration") != new.get("narration"):
            self.changed(name, "text changed")
        if old.get("lines") != new.get("lines"):
            self.changed(name, "members' lines changed")
        was = [(c["text"], c["goto"]) for c in old.get("choices", [])]
        now = [(c["text"], c["goto"]) for c in new.get("choices", [])]
        for c in new.get("choices", []):
            if (c["text"], c["goto"]) not in was:
                self.changed(name, f"link added: '{_short(c['text'])}' -> {c['goto']}")
            else:
                before = old["choices"][was.index((c["text"], c["goto"]))]
                keys = [k for k in dict.fromkeys([*before, *c]) if before.get(k) != c.get(k)]
                if keys:
                    self.changed(name, f"choice '{_short(c['text'])}': {', '.join(keys)} changed")
        for text, goto in was:
            if (text, goto) not in now:
                self.changed(name, f"link removed: '{_short(text)}' -> {goto}")
        others = [k for k in STATE_KEYS if k not in ("narration", "lines", "choices") and old.get(k) != new.get(k)]
        if others:
            self.changed(name, f"{', '.join(others)} changed")

    def pair_choices(self, p: Passage, links: list[Link], old: list[Link], metas: list[Any]) -> list[Any]:
        """Pair the links now in passage `p` with the scenario's choices there: the same text
        and target, else the same text (the link was turned to another passage), else the
        same target (its text was reworded). A choice keeps its rating, feedback, effects and
        conditions; a link with no choice is new and gets the defaults."""
        was = [(_label(lk), lk.target.strip()) for lk in old]
        now = [(_label(lk), lk.target.strip()) for lk in links]
        match: dict[int, int] = {}
        for same in (lambda a, b: a == b, lambda a, b: a[0] == b[0], lambda a, b: a[1] == b[1]):
            for i, n in enumerate(now):
                if i in match:
                    continue
                j = next((j for j, o in enumerate(was) if j not in match.values() and same(o, n)), None)
                if j is not None:
                    match[i] = j
        out: list[Any] = []
        for i, lk in enumerate(links):
            label, target = now[i]
            if i not in match:
                out.append(None)
                self.changed(p.name, f"link added: '{_short(label)}' -> {target}")
                continue
            j = match[i]
            m = dict(metas[j]) if j < len(metas) and isinstance(metas[j], dict) else None
            if was[j][0] != label:
                if m is not None:
                    m.pop("text", None)
                self.changed(p.name, f"choice reworded: '{_short(was[j][0])}' -> '{_short(label)}'")
                self.msgs.at(
                    "warning",
                    p,
                    f"choice '{_short(label)}' in passage '{p.name}' was '{_short(was[j][0])}': it keeps that choice's "
                    "rating, feedback and effects — check they still fit",
                    lk.start,
                )
            if was[j][1] != target:
                self.changed(p.name, f"link '{_short(label)}' now leads to {target} (was {was[j][1]})")
            out.append(m)
        for j, (label, target) in enumerate(was):
            if j not in match.values():
                self.changed(p.name, f"link removed: '{_short(label)}' -> {target}")
        moved = [(j + 1, i + 1) for i, j in sorted(match.items()) if i != j]
        if moved:
            self.msgs.at(
                "warning",
                p,
                f"the choices of passage '{p.name}' are numbered anew ("
                + ", ".join(f"{a} is now {b}" for a, b in moved)
                + f"); conditions chose(\"{p.name}\", N) and tests' 'choose' lists count by these numbers — check them",
            )
        return out

    def removed(self, states: dict[str, Any]) -> None:
        """Report the scenario's states whose passages the story no longer has; they are
        removed, and any link still leading to one leads to a placeholder ending."""
        assert self.base is not None
        here = {p.name for p in self.passages}
        for sid, st in self.base.scenario.states.items():
            if sid in here:
                continue
            was_from = [
                other
                for other, o in self.base.scenario.states.items()
                if other in here
                and (sid in [c.goto for c in o.choices] or sid in [b.goto for b in o.next] or o.on_timeout == sid)
            ]
            still = sorted(
                {
                    self.passage_of[other].name
                    for other, sd in states.items()
                    if other in self.passage_of and sid in _gotos(sd)
                }
            )
            self.changed(sid, "removed")
            if sid in self.missing.values() and still:
                names = ", ".join(repr(s) for s in still)
                lead = "leads" if len(still) == 1 else "lead"
                self.changed(
                    sid, f"{names} still {lead} to it: a placeholder ending stands in for it — needs attention"
                )
                self.msgs.add(
                    "warning",
                    self.base.scenario.source or "<scenario>",
                    st.pos.line or 1,
                    st.pos.col or 1,
                    f"state '{sid}' is removed (its passage is not in the story), but {names} still {lead} to it: "
                    "a placeholder ending stands in for it — put the passage back in Twine, or change what leads to it",
                )
            elif was_from:
                names = ", ".join(repr(s) for s in was_from)
                self.changed(sid, f"it was reached from {names}, whose links to it were removed too")

    # -- the scenario's own data ---------------------------------------------------------
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
        "tests",
    )

    def scenario_data(self, p: Passage | None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if p is not None:
            try:
                value = json.loads(p.text)
            except json.JSONDecodeError as exc:
                line, col = p.where(exc.pos)
                self.msgs.add(
                    "warning",
                    p.path,
                    line,
                    col,
                    f"the scenario data in passage '{p.name}' is not valid JSON ({exc.msg}); placeholders are used instead",
                )
            else:
                if isinstance(value, dict):
                    data = value
                else:
                    self.msgs.at(
                        "warning",
                        p,
                        f"the scenario data in passage '{p.name}' should be a JSON object; placeholders are used instead",
                    )
        for key in list(data):
            if key not in self.TOP:
                self.msgs.at("warning", p, f"unknown key '{key}' in the scenario data; it is ignored")  # type: ignore[arg-type]
                del data[key]
        data.pop("format", None)
        out: dict[str, Any] = {}
        for key in ("title", "id"):
            if isinstance(data.get(key), str):
                out[key] = data[key]
            elif key in data:
                self.msgs.at("warning", p, f"'{key}' in the scenario data should be text; it is ignored")  # type: ignore[arg-type]
        placeholders = []
        defaults = {
            "summary": "Imported from a Twine story. Say in two or three sentences what the trainee walks into.",
            "group": {"kind": "Describe the group: who, how many, what kind of group", "stage": "forming"},
            "objectives": ["Write what a trainee should learn from this scenario."],
        }
        for key in ("summary", "tags", "minutes", "group", "content_notes", "objectives", "reflection", "references"):
            if key in data:
                out[key] = data[key]
            elif key in defaults:
                out[key] = defaults[key]
                placeholders.append(key)
        if placeholders:
            where = p or self.passages[0]
            self.msgs.at(
                "warning",
                where,
                f"the story has no groupsim data for {', '.join(placeholders)}; placeholders were written — replace them",
            )
        if isinstance(data.get("meters"), dict) and data["meters"]:
            out["meters"] = data["meters"]
        else:
            out["meters"] = {"trust": {"label": "Trust", "start": 50}, "cohesion": {"label": "Cohesion", "start": 50}}
            self.msgs.at(
                "warning",
                p or self.passages[0],
                "the story has no meters; it gets the usual trust and cohesion, both starting at 50",
            )
        for key in ("members", "cast", "flags", "say_first", "tests"):
            if key in data:
                out[key] = data[key]
        return out

    # -- one passage ----------------------------------------------------------------------
    def state(self, p: Passage) -> dict[str, Any]:
        g = (p.meta or {}).get(META_KEY)
        if g is not None and not isinstance(g, dict):
            self.msgs.at(
                "warning", p, f"the groupsim metadata of passage '{p.name}' should be a JSON object; it is ignored"
            )
            g = None
        links = [lk for lk in links_in(p.text) if self._usable(p, lk)]
        # Hints about rows that look like lines are for text written in Twine.
        hints = g is None
        if g is None and self.base is not None and p.name in self.base.passages:
            g = self.kept_from_scenario(p, links)
            hints = p.name in self.edited
        if g is None:
            self.warn_macros(p)
            g = {}
        for key in g:
            if key not in STATE_KEYS:
                self.msgs.at(
                    "warning", p, f"unknown key '{key}' in the groupsim metadata of passage '{p.name}'; it is ignored"
                )
        where = f"the metadata of passage '{p.name}'"
        text = read_passage(p.text, self.speakers)
        st: dict[str, Any] = {}
        title = self.text_value(p, g, "title", where)
        if title:
            st["title"] = title
        narration = self.text_value(p, g, "narration", where)
        if narration is None:
            narration = text.narration
        if narration:
            st["narration"] = narration
        lines = self.lines_value(p, g["lines"]) if "lines" in g else None
        if lines is None:
            lines = text.lines
            if hints:
                self.warn_rows(p, text)
        if lines:
            st["lines"] = lines
        prompt = self.text_value(p, g, "prompt", where)
        if prompt:
            st["prompt"] = prompt
        if "time_limit" in g:
            if isinstance(g["time_limit"], int) and not isinstance(g["time_limit"], bool):
                st["time_limit"] = g["time_limit"]
            else:
                self.msgs.at(
                    "warning",
                    p,
                    f"'time_limit' in the metadata of passage '{p.name}' should be a whole number of seconds; it is ignored",
                )
        if "time_limit" in st:
            timeout = g.get("on_timeout")
            if isinstance(timeout, str):
                st["on_timeout"] = self.resolve(timeout, p, None, "times out to")
            elif isinstance(timeout, dict) and (consequences := self.timeout(p, timeout)) is not None:
                st["on_timeout"] = consequences
            else:
                del st["time_limit"]
                self.msgs.at(
                    "warning",
                    p,
                    f"passage '{p.name}' has a time limit but no 'on_timeout' passage; the time limit is dropped",
                )
        order = g.get("order")
        if order is not None and order not in ("fixed", "shuffled"):
            self.msgs.at("warning", p, f'\'order\' in {where} should be "fixed" or "shuffled"; it is ignored')

        if isinstance(g.get("ending"), dict):
            if links:
                self.msgs.at(
                    "warning",
                    p,
                    f"passage '{p.name}' is an ending in its metadata, so its links are ignored",
                    links[0].start,
                )
            st["ending"] = self.ending(p, g["ending"])
        elif isinstance(g.get("next"), list) and g["next"]:
            st["next"] = self.branches(p, g["next"])
            shown = [self.resolve(lk.target, p, lk.start) for lk in links]
            if list(dict.fromkeys(shown)) != list(dict.fromkeys(b["goto"] for b in st["next"])):
                self.msgs.at(
                    "warning",
                    p,
                    f"the links of passage '{p.name}' differ from the branches in its metadata; the branches decide where it goes",
                )
        elif links:
            given = g.get("choices")
            metas = given if isinstance(given, list) else []
            if metas and len(metas) != len(links):
                self.msgs.at(
                    "warning",
                    p,
                    f"passage '{p.name}' has {len(links)} links but its metadata describes {len(metas)} choices; "
                    "they are paired in order",
                )
            st["choices"] = [self.choice(p, lk, metas[i] if i < len(metas) else None) for i, lk in enumerate(links)]
            if order == "fixed":
                st["order"] = "fixed"
        else:
            outcome = next((t for t in p.tags if t in OUTCOMES), None)
            if outcome is None:
                outcome = DEFAULT_OUTCOME
                self.msgs.at(
                    "warning",
                    p,
                    f"passage '{p.name}' has no links, so it becomes an ending with outcome '{outcome}'; "
                    "tag the passage strong, mixed or poor to say how it ends",
                )
            st["ending"] = {"outcome": outcome, "title": " ".join(p.name.split())}
        if "time_limit" in st and "choices" not in st:
            self.msgs.at("warning", p, f"passage '{p.name}' has a time limit but no choices; the time limit is dropped")
            st.pop("time_limit")
            st.pop("on_timeout", None)
        return {k: st[k] for k in STATE_KEYS if k in st}

    def text_value(self, p: Passage, g: dict[str, Any], key: str, where: str) -> Any:
        """A text from metadata that may follow what happened: a text, or a list of versions
        `{"when": "...", "text": "..."}`. None (with a warning) if it is neither."""
        if key not in g:
            return None
        v = g[key]
        if isinstance(v, str):
            return v
        if (
            isinstance(v, list)
            and v
            and all(
                isinstance(x, dict)
                and isinstance(x.get("text"), str)
                and set(x) <= {"when", "text"}
                and isinstance(x.get("when", ""), str)
                for x in v
            )
        ):
            return [{k: x[k] for k in ("when", "text") if k in x} for x in v]
        self.msgs.at(
            "warning",
            p,
            f"'{key}' in {where} should be text, or a list of versions like "
            '{"when": "named", "text": "..."}; it is ignored',
        )
        return None

    def lines_value(self, p: Passage, lines: Any) -> list[dict[str, str]] | None:
        def ok(x: Any) -> bool:
            said = [k for k in x if k != "when"] if isinstance(x, dict) else []
            return (
                isinstance(x, dict)
                and len(said) == 1
                and all(isinstance(v, str) for v in x.values())
                and isinstance(said[0], str)
            )

        if isinstance(lines, list) and all(ok(x) for x in lines):
            return [
                {k: v for k, v in x.items() if k != "when"} | ({"when": x["when"]} if "when" in x else {})
                for x in lines
            ]
        self.msgs.at(
            "warning",
            p,
            f"'lines' in the metadata of passage '{p.name}' should be a list of {{\"member\": \"words\"}}; "
            "it is ignored, and the lines written in the text are used",
        )
        return None

    def warn_rows(self, p: Passage, text: PassageText) -> None:
        """What a reader of the text may have meant as a line, and narration after the lines."""
        for at, head in text.unknown:
            who = _CONDITIONAL.fullmatch(head)
            name = who["who"] if who else head
            if self.speakers.names:
                self.msgs.at(
                    "warning",
                    p,
                    f"'**{_short(head)}:**' names no member or cast of the scenario, so the row stays narration; "
                    f"to make it a line, write a name from the '{DATA_PASSAGE}' passage "
                    f"({', '.join(sorted(self.speakers.names.values()))}) or add '{_short(name)}' there",
                    at,
                )
            else:
                self.msgs.at(
                    "note",
                    p,
                    f"'**{_short(head)}:**' reads like a line, but the story has no members or cast, so it stays "
                    f"narration; add them in a passage tagged '{DATA_TAG}' to make such rows lines",
                    at,
                )
        if text.late is not None:
            self.msgs.at(
                "warning",
                p,
                f"passage '{p.name}' has narration after the members' lines; groupsim shows the narration first, "
                "then the lines, so it is moved up — move it in the passage to see it as trainees will",
                text.late,
            )
        for at, name in text.lookalike:
            self.msgs.at(
                "note",
                p,
                f"'{_short(name)}:' starts a row of narration; a line {_short(name)} says is written "
                f"'**{_short(name)}:** words'",
                at,
            )

    def _usable(self, p: Passage, lk: Link) -> bool:
        if not lk.target.strip():
            self.msgs.at("warning", p, f"a link in passage '{p.name}' names no passage; it is kept as text", lk.start)
            return False
        return True

    def warn_macros(self, p: Passage) -> None:
        for m in _SUGARCUBE_MACRO.finditer(p.text):
            self.msgs.at(
                "warning",
                p,
                f"SugarCube macro '<<{m.group(1)}>>' is kept as plain text; groupsim does not run story-format code",
                m.start(),
            )
        for m in _HARLOWE_MACRO.finditer(p.text):
            self.msgs.at(
                "warning",
                p,
                f"Harlowe macro '({m.group(1)}:)' is kept as plain text; groupsim does not run story-format code",
                m.start(),
            )

    def fields(self, p: Passage, m: dict[str, Any], what: str, offset: int | None) -> dict[str, Any]:
        """The keys of a choice's (or a time-out's) metadata that have the right kind of value;
        a warning for each other one."""

        def typed(key: str, ok: bool, want: str) -> bool:
            if key in m and not ok:
                self.msgs.at("warning", p, f"'{key}' of {what} should be {want}; it is ignored", offset)
                return False
            return key in m

        out: dict[str, Any] = {}
        if typed("text", isinstance(m.get("text"), str) and bool(m.get("text", "").strip()), "text"):
            out["text"] = m["text"]
        if typed("rating", m.get("rating") in RATINGS, " | ".join(RATINGS)):
            out["rating"] = m["rating"]
        if typed(
            "effects",
            isinstance(m.get("effects"), dict)
            and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in m.get("effects", {}).values()),
            'an object like {"trust": "+5"}',
        ):
            out["effects"] = {k: (f"{v:+d}" if isinstance(v, int) else v) for k, v in m["effects"].items()}
        for key in ("set", "unset"):
            if typed(key, _str_list(m.get(key)), "a list of flag names"):
                out[key] = m[key]
        if typed("feedback", isinstance(m.get("feedback"), str) and bool(str(m.get("feedback")).strip()), "text"):
            out["feedback"] = m["feedback"]
        if typed("refs", _str_list(m.get("refs")), "a list of reference keys"):
            out["refs"] = m["refs"]
        if typed(
            "competencies",
            isinstance(m.get("competencies"), list)
            and all(isinstance(x, int) and not isinstance(x, bool) for x in m.get("competencies", [])),
            "a list of numbers 1-9",
        ):
            out["competencies"] = m["competencies"]
        if typed("when", isinstance(m.get("when"), str), "a condition (text)"):
            out["when"] = m["when"]
        if typed("phrasings", _str_list(m.get("phrasings")), "a list of texts"):
            out["phrasings"] = m["phrasings"]
        return out

    def choice(self, p: Passage, lk: Link, meta: Any) -> dict[str, Any]:
        if meta is not None and not isinstance(meta, dict):
            self.msgs.at(
                "warning", p, f"the metadata of choice '{_label(lk)}' should be a JSON object; it is ignored", lk.start
            )
            meta = None
        m: dict[str, Any] = meta or {}
        for key in m:
            if key not in CHOICE_KEYS or key == "goto":
                self.msgs.at(
                    "warning",
                    p,
                    f"unknown key '{key}' in the metadata of choice '{_label(lk)}'; it is ignored",
                    lk.start,
                )
        got = self.fields(p, m, f"choice '{_label(lk)}'", lk.start)
        rating, feedback = got.get("rating"), got.get("feedback")
        if rating is None or feedback is None:
            missing = " and ".join(w for w, v in (("rating", rating), ("feedback", feedback)) if v is None)
            self.msgs.at(
                "warning",
                p,
                f"choice '{_short(_label(lk))}' in passage '{p.name}' has no {missing}; "
                f"it gets {'rating ' + repr(DEFAULT_RATING) if rating is None else ''}"
                f"{' and ' if rating is None and feedback is None else ''}{'placeholder feedback' if feedback is None else ''} to replace",
                lk.start,
            )
        got.setdefault("rating", DEFAULT_RATING)
        got.setdefault("feedback", PLACEHOLDER_FEEDBACK)
        c = {"text": got.pop("text", _label(lk))} | {k: got[k] for k in CHOICE_KEYS if k in got}
        c["goto"] = self.resolve(lk.target, p, lk.start)
        return c

    def timeout(self, p: Passage, t: dict[str, Any]) -> dict[str, Any] | None:
        """`on_timeout` written as what the silence does: `goto` and, like a choice, rating,
        feedback, effects, flags and citations."""
        for key in t:
            if key not in TIMEOUT_KEYS:
                self.msgs.at("warning", p, f"unknown key '{key}' in 'on_timeout' of passage '{p.name}'; it is ignored")
        if not isinstance(t.get("goto"), str):
            return None
        got = self.fields(
            p, {k: v for k, v in t.items() if k in TIMEOUT_KEYS}, f"'on_timeout' of passage '{p.name}'", None
        )
        out = {"goto": self.resolve(t["goto"], p, None, "times out to")}
        return out | {k: got[k] for k in TIMEOUT_KEYS if k in got}

    def branches(self, p: Passage, items: list[Any]) -> list[dict[str, Any]]:
        out = []
        for i, b in enumerate(items, 1):
            if not isinstance(b, dict) or not isinstance(b.get("goto"), str):
                self.msgs.at(
                    "warning", p, f"branch {i} in the metadata of passage '{p.name}' needs a 'goto'; it is ignored"
                )
                continue
            bd: dict[str, Any] = {}
            if isinstance(b.get("when"), str):
                bd["when"] = b["when"]
            if isinstance(b.get("chance"), int) and not isinstance(b.get("chance"), bool):
                bd["chance"] = b["chance"]
            bd["goto"] = self.resolve(b["goto"], p, None, "routes to")
            out.append(bd)
        if not out or "when" in out[-1] or "chance" in out[-1]:
            self.msgs.at(
                "warning",
                p,
                f"the branches of passage '{p.name}' end without a default (only 'goto'); the scenario will not load until one is added",
            )
        return out

    def ending(self, p: Passage, e: dict[str, Any]) -> dict[str, Any]:
        outcome = e.get("outcome")
        if outcome not in OUTCOMES:
            outcome = next((t for t in p.tags if t in OUTCOMES), DEFAULT_OUTCOME)
            self.msgs.at(
                "warning",
                p,
                f"the ending of passage '{p.name}' has no outcome strong, mixed or poor; it is '{outcome}'",
            )
        where = f"the ending in the metadata of passage '{p.name}'"
        title = self.text_value(p, e, "title", where)
        if not title or (isinstance(title, str) and not title.strip()):
            title = " ".join(p.name.split())
        out: dict[str, Any] = {"outcome": outcome, "title": title}
        debrief = self.text_value(p, e, "debrief", where)
        if debrief:
            out["debrief"] = debrief
        return out


def _kind_of(sd: dict[str, Any]) -> str:
    if "ending" in sd:
        return f"an ending ({sd['ending']['outcome']})"
    if "next" in sd:
        return "a route"
    return f"a decision with {_count(len(sd.get('choices', [])), 'choice')}"


def _gotos(sd: dict[str, Any]) -> list[str]:
    t = sd.get("on_timeout")
    return (
        [c["goto"] for c in sd.get("choices", [])]
        + [b["goto"] for b in sd.get("next", [])]
        + ([t] if isinstance(t, str) else [t["goto"]] if isinstance(t, dict) else [])
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _read_sources(sources: Iterable[tuple[str, bytes]], msgs: _Messages) -> tuple[Story, list[str]]:
    texts = []
    for path, data in sources:
        try:
            texts.append((path, read_text(data, path)))
        except TweeError as exc:
            msgs.items.extend(exc.diagnostics)
    story, _ = parse(texts, msgs)
    if msgs.errors:
        raise TweeError(msgs.errors + [d for d in msgs.items if d.severity != "error"])
    return story, [path for path, _ in texts]


def _sorted(msgs: _Messages, paths: list[str]) -> list[Diagnostic]:
    order = {path: i for i, path in enumerate(paths)}
    return sorted(msgs.items, key=lambda d: (order.get(d.path, len(order)), d.line, d.col))


def _write_doc(doc: dict[str, Any], comments: dict[str, str], header: list[str]) -> str:
    doc["states"] = {sid: Commented(st, comments[sid]) if sid in comments else st for sid, st in doc["states"].items()}
    return dump(doc, header)


IMPORT_HEADER = [
    SCHEMA_HEADER.removeprefix("# "),
    "Made from a Twine story by 'groupsim twee import'; check it with 'groupsim validate'.",
]


def import_twee(sources: Iterable[tuple[str, bytes]]) -> Imported:
    """Read one Twee 3 story (from one or more files) and write it as a scenario.

    Returns:
        The scenario's YAML and the messages: warnings and notes for what was
        guessed or skipped, errors if the result does not load.

    Raises:
        TweeError: a file is not UTF-8, a header is malformed, or there are no passages.
    """
    msgs = _Messages()
    story, paths = _read_sources(sources, msgs)
    importer = _Importer(story, msgs)
    doc, comments = importer.run()
    text = _write_doc(doc, comments, IMPORT_HEADER)
    _, problems = load_text(text, "<imported scenario>")
    found = _sorted(msgs, paths)
    found += [Diagnostic(d.path, d.line, d.col, "error", d.message) for d in problems]
    return Imported(text, found, len(doc["states"]), len(importer.passages))


MERGED = "<merged scenario>"
"""The path of messages about the merged scenario itself (the file it is written to)."""


def merge_twee(sources: Iterable[tuple[str, bytes]], base: Scenario, header: list[str] | None = None) -> Imported:
    """Merge a story (edited in Twine) into the scenario it was exported from.

    Passages are matched to states by name. Where the story has no groupsim metadata
    (Twine drops it on saving) a passage keeps its state's: title, prompt, time limit,
    time-out, order, routing, ending, and each choice's rating, feedback, effects,
    conditions and phrasings, paired with the links by text and target. The text and the
    links are the story's. New passages come in as `import_twee` would make them (with a
    warning for each default); a state whose passage is gone is removed, and anything
    still leading to it reaches a placeholder ending.

    Args:
        header: comment lines to start the file with (default: those of an import).

    Returns:
        The merged YAML, the messages (warnings placed in the story or the scenario's file;
        those about the result at MERGED; errors when it does not load, placed at the
        passage or the scenario's file where the merge took them from), and the changes.

    Raises:
        TweeError: a file is not UTF-8, a header is malformed, or there are no passages.
    """
    from simulator.authoring.validate import warnings as graph_warnings

    msgs = _Messages()
    story, paths = _read_sources(sources, msgs)
    importer = _Importer(story, msgs, _Base.of(base))
    doc, comments = importer.run()
    text = _write_doc(doc, comments, header if header is not None else IMPORT_HEADER)
    merged, problems = load_text(text, MERGED)
    found = _sorted(msgs, paths)
    if merged is None:
        found += [_placed(d, text, doc, importer, base) for d in problems]
    same = merged is not None and scenario_doc(merged) == scenario_doc(base)
    if merged is not None and not same:
        # New warnings only (the graph's are costly to work out on a large scenario, and a
        # merge that changes nothing can have none of its own).
        known = {d.message for d in graph_warnings(base)}
        found += [d for d in graph_warnings(merged) if d.message not in known]
    return Imported(
        text,
        found,
        len(doc["states"]),
        len(importer.passages),
        importer.changes,
        importer.unchanged,
        same,
    )


def _placed(d: Diagnostic, text: str, doc: dict[str, Any], importer: _Importer, base: Scenario) -> Diagnostic:
    """An error in the merged YAML (which is not written), placed where it came from: the
    passage its state was made of, or the scenario's file for the scenario's own data."""
    rows = text.split("\n")
    starts: list[tuple[int, str]] = []
    at = next((n for n, row in enumerate(rows, 1) if row == "states:"), len(rows) + 1)
    for sid in doc["states"]:
        key = f"  {scalar(sid)}:"
        n = next((n for n in range(at, len(rows) + 1) if rows[n - 1] == key), None)
        if n is not None:
            starts.append((n, sid))
            at = n
    end = next((n for n, row in enumerate(rows, 1) if row == "tests:"), len(rows) + 1)
    sid = next((s for n, s in reversed(starts) if n <= d.line), None) if d.line < end else None
    src = base.source or "<scenario>"
    if sid is not None and sid in importer.passage_of:
        p = importer.passage_of[sid]
        kept = f" (state '{sid}' is at {src}:{base.states[sid].pos.line})" if sid in base.states else ""
        return Diagnostic(p.path, p.line, 1, "error", f"in passage '{p.name}', as merged: {d.message}{kept}")
    if sid is not None:
        return Diagnostic(src, 1, 1, "error", f"in the placeholder state '{sid}', as merged: {d.message}")
    data = importer.data_passage
    if data is not None and importer.base is not None and data is not importer.base.data:
        return Diagnostic(data.path, data.line, 1, "error", f"in the scenario's data, as merged: {d.message}")
    return Diagnostic(src, 1, 1, "error", f"in the scenario's data, as merged: {d.message}")
