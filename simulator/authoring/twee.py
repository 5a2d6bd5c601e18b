"""Twine interchange: scenarios to Twee 3 text and back.

Twee 3 (iftechfoundation/twine-specs, twee-3-specification.md) is a story as text:
passages, each a header line `:: Name [tags] {"metadata": "json"}` and the lines
after it. `export_twee` writes one passage per state, the choices as `[[text->target]]`
links so that Twine's story map shows the branches, and everything else in the
passage's metadata under the key "groupsim"; the scenario's own data (meters,
members, objectives, tests...) goes in a passage tagged `groupsim`.

`import_twee` reads any Twee 3 story. Passages become states and links become
choices; what a story written in Twine cannot say (ratings, feedback, meters) gets
a default and a warning, so that the result always loads and plays. A story that
`export_twee` wrote comes back exactly: export, import and export again give the same
text.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from simulator.authoring.diagnostics import Diagnostic, Severity
from simulator.authoring.emit import Commented, dump, scenario_doc
from simulator.authoring.loader import SCHEMA_HEADER, SLUG, STATE_ID, load_text
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


def narration_of(text: str) -> str:
    """A passage's text as narration: lines holding only links are dropped, links inside
    sentences become their text, and runs of blank lines shrink to one."""
    kept = []
    for line in text.split("\n"):
        if _LINK.search(line) and not _LINK.sub("", line).strip():
            continue
        kept.append(_LINK.sub(lambda m: _label(links_in(m.group(0))[0]), line))
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return out if out.strip() else ""


def _label(link: Link) -> str:
    return link.text.strip() or link.target.strip()


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
    for sid, sd in states.items():
        parts.append(_export_state(sid, sd, _position(*layout[sid])))
    return "\n\n\n".join(parts) + "\n"


def _export_state(sid: str, sd: dict[str, Any], position: str) -> str:
    """One state as a passage. Its text is read back exactly as an importer will read it;
    a narration or choice text that would not come back unchanged (it holds `[[`, `->`,
    line breaks...) is shown tidied in the text and kept exactly in the metadata."""
    narration = sd.get("narration", "")
    tags: list[str] = []
    if "choices" in sd and sd.get("time_limit") is not None:
        tags.append("timed")
    elif "next" in sd:
        tags.append("route")
    elif "ending" in sd:
        tags += ["ending", sd["ending"]["outcome"]]
    exact: set[int] = set()  # choices whose text goes in the metadata
    narration_in_meta = False
    while True:  # each round moves more into the metadata, so this ends
        meta: dict[str, Any] = {}
        for k, v in sd.items():
            if k == "narration":
                if narration_in_meta:
                    meta["narration"] = v
            elif k == "choices":
                meta["choices"] = [
                    ({"text": c["text"]} if i in exact else {})
                    | {ck: cv for ck, cv in c.items() if ck not in ("text", "goto")}
                    for i, c in enumerate(v)
                ]
            else:
                meta[k] = v
        if "choices" in sd:
            links = [
                f"[[{_safe_link_text(c['text']) if i in exact else c['text']}->{c['goto']}]]"
                for i, c in enumerate(sd["choices"])
            ]
        elif "next" in sd:
            links = [f"[[{goto}]]" for goto in dict.fromkeys(b["goto"] for b in sd["next"])]
        else:
            links = []
        shown = _safe_narration(narration) if narration_in_meta else narration
        text = "\n\n".join(p for p in (shown, "\n".join(links)) if p)
        header = _header_line(sid, tags, {"position": position, "size": "100,100", META_KEY: meta})
        back = _reparse(header, text)
        changed = False
        if not narration_in_meta and narration_of(back.text) != narration:
            narration_in_meta = changed = True
        if "choices" in sd:
            got = [(_label(lk), lk.target) for lk in links_in(back.text)]
            want = [(c["text"], c["goto"]) for c in sd["choices"]]
            if len(got) != len(want):
                new = set(range(len(want)))
            else:
                new = {i for i, (g, w) in enumerate(zip(got, want)) if g != w and i not in exact}
            if new - exact:
                exact |= new
                changed = True
        if not changed:
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
    """What `import_twee` made: the scenario's YAML text and every message on the way."""

    yaml: str
    diagnostics: list[Diagnostic]
    states: int = 0
    passages: int = 0

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


class _Importer:
    def __init__(self, story: Story, msgs: _Messages) -> None:
        self.story = story
        self.msgs = msgs
        self.ids: dict[str, str] = {}
        self.taken: set[str] = set()
        self.missing: dict[str, str] = {}
        self.passages: list[Passage] = []

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

        data = self.scenario_data(data_p)
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
            states[sid] = self.state(p)
            if sid != p.name:
                comments[sid] = f"Twine passage: {p.name}"
        for name, sid in self.missing.items():
            states[sid] = {
                "ending": {
                    "outcome": DEFAULT_OUTCOME,
                    "title": f"Missing passage: {name}",
                    "debrief": "A placeholder made by 'groupsim twee import' for a link to a passage the story does not have.",
                }
            }
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
        for key in ("members", "cast", "flags", "tests"):
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
        if g is None:
            self.warn_macros(p)
            g = {}
        for key in g:
            if key not in (
                "title",
                "narration",
                "lines",
                "prompt",
                "time_limit",
                "on_timeout",
                "choices",
                "next",
                "ending",
            ):
                self.msgs.at(
                    "warning", p, f"unknown key '{key}' in the groupsim metadata of passage '{p.name}'; it is ignored"
                )

        def text_field(key: str) -> str | None:
            if key in g and not isinstance(g[key], str):
                self.msgs.at(
                    "warning", p, f"'{key}' in the metadata of passage '{p.name}' should be text; it is ignored"
                )
                return None
            return g.get(key)

        title = text_field("title")
        narration = text_field("narration")
        if narration is None:
            narration = narration_of(p.text)
        prompt = text_field("prompt")
        st: dict[str, Any] = {}
        if title:
            st["title"] = title
        if narration:
            st["narration"] = narration
        if "lines" in g:
            lines = g["lines"]
            if isinstance(lines, list) and all(
                isinstance(x, dict) and len(x) == 1 and all(isinstance(v, str) for v in x.values()) for x in lines
            ):
                st["lines"] = lines
            else:
                self.msgs.at(
                    "warning",
                    p,
                    f"'lines' in the metadata of passage '{p.name}' should be a list of {{\"member\": \"words\"}}; it is ignored",
                )
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
            if isinstance(g.get("on_timeout"), str):
                st["on_timeout"] = self.resolve(g["on_timeout"], p, None, "times out to")
            else:
                del st["time_limit"]
                self.msgs.at(
                    "warning",
                    p,
                    f"passage '{p.name}' has a time limit but no 'on_timeout' passage; the time limit is dropped",
                )

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
        return st

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

    def choice(self, p: Passage, lk: Link, meta: Any) -> dict[str, Any]:
        c: dict[str, Any] = {"text": _label(lk)}
        if meta is not None and not isinstance(meta, dict):
            self.msgs.at(
                "warning", p, f"the metadata of choice '{_label(lk)}' should be a JSON object; it is ignored", lk.start
            )
            meta = None
        m: dict[str, Any] = meta or {}
        known = ("text", "rating", "effects", "set", "unset", "feedback", "refs", "competencies", "when")
        for key in m:
            if key not in known:
                self.msgs.at(
                    "warning",
                    p,
                    f"unknown key '{key}' in the metadata of choice '{_label(lk)}'; it is ignored",
                    lk.start,
                )

        def typed(key: str, ok: bool, want: str) -> bool:
            if key in m and not ok:
                self.msgs.at(
                    "warning", p, f"'{key}' of choice '{_label(lk)}' should be {want}; it is ignored", lk.start
                )
                return False
            return key in m

        if typed("text", isinstance(m.get("text"), str) and bool(m.get("text", "").strip()), "text"):
            c["text"] = m["text"]
        rating = m.get("rating") if typed("rating", m.get("rating") in RATINGS, " | ".join(RATINGS)) else None
        feedback = (
            m.get("feedback")
            if typed("feedback", isinstance(m.get("feedback"), str) and bool(str(m.get("feedback")).strip()), "text")
            else None
        )
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
        c["rating"] = rating or DEFAULT_RATING
        if typed(
            "effects",
            isinstance(m.get("effects"), dict)
            and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in m.get("effects", {}).values()),
            'an object like {"trust": "+5"}',
        ):
            c["effects"] = {k: (f"{v:+d}" if isinstance(v, int) else v) for k, v in m["effects"].items()}
        for key in ("set", "unset"):
            if typed(key, _str_list(m.get(key)), "a list of flag names"):
                c[key] = m[key]
        c["feedback"] = feedback or PLACEHOLDER_FEEDBACK
        if typed("refs", _str_list(m.get("refs")), "a list of reference keys"):
            c["refs"] = m["refs"]
        if typed(
            "competencies",
            isinstance(m.get("competencies"), list)
            and all(isinstance(x, int) and not isinstance(x, bool) for x in m.get("competencies", [])),
            "a list of numbers 1-9",
        ):
            c["competencies"] = m["competencies"]
        if typed("when", isinstance(m.get("when"), str), "a condition (text)"):
            c["when"] = m["when"]
        c["goto"] = self.resolve(lk.target, p, lk.start)
        return c

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
        title = e.get("title")
        if not (isinstance(title, str) and title.strip()):
            title = " ".join(p.name.split())
        out: dict[str, Any] = {"outcome": outcome, "title": title}
        if isinstance(e.get("debrief"), str) and e["debrief"]:
            out["debrief"] = e["debrief"]
        return out


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def import_twee(sources: Iterable[tuple[str, bytes]]) -> Imported:
    """Read one Twee 3 story (from one or more files) and write it as a scenario.

    Returns:
        The scenario's YAML and the messages: warnings and notes for what was
        guessed or skipped, errors if the result does not load.

    Raises:
        TweeError: a file is not UTF-8, a header is malformed, or there are no passages.
    """
    msgs = _Messages()
    texts = []
    for path, data in sources:
        try:
            texts.append((path, read_text(data, path)))
        except TweeError as exc:
            msgs.items.extend(exc.diagnostics)
    story, _ = parse(texts, msgs)
    if msgs.errors:
        raise TweeError(msgs.errors + [d for d in msgs.items if d.severity != "error"])
    importer = _Importer(story, msgs)
    doc, comments = importer.run()
    doc["states"] = {sid: Commented(st, comments[sid]) if sid in comments else st for sid, st in doc["states"].items()}
    text = dump(
        doc,
        [
            SCHEMA_HEADER.removeprefix("# "),
            "Made from a Twine story by 'groupsim twee import'; check it with 'groupsim validate'.",
        ],
    )
    _, problems = load_text(text, "<imported scenario>")
    order = {path: i for i, (path, _) in enumerate(texts)}
    found = sorted(msgs.items, key=lambda d: (order.get(d.path, len(order)), d.line, d.col))
    found += [Diagnostic(d.path, d.line, d.col, "error", d.message) for d in problems]
    return Imported(text, found, len(doc["states"]), len(importer.passages))
