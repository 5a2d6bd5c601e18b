"""The debrief's exports: the run, its transcript and its debrief as Markdown and as JSON.

The JSON carries the exact text; the Markdown is the reading copy, every scenario and
trainee text escaped so that a Markdown viewer shows it as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.engine.session import Session
from simulator.engine.transcript import transcript
from simulator.play.debrief import REFLECTION_PROMPTS, debrief_items, question_key, series, signed
from simulator.play.settings import Settings


def to_json(
    session: Session,
    settings: Settings,
    *,
    reflections: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The run, its transcript and its debrief as JSON-ready data."""
    sc = session.scenario
    ending = session.ending
    return {
        "scenario": {"id": sc.id, "title": sc.title, "digest": sc.digest, "source": sc.source},
        "trainee": settings.trainee,
        "exported_at": (now or datetime.now()).astimezone().isoformat(timespec="seconds"),
        "mode": settings.mode,
        "time_limits": settings.time_limits,
        "time_accommodation": settings.accommodation,
        "say_first": settings.say_first,
        "seed": session.seed,
        "ending": None
        if ending is None
        else {
            "state": session.state.id,
            "outcome": ending.outcome,
            "title": ending.shown("title", session.context),
            "debrief": ending.shown("debrief", session.context),
        },
        "meters": session.meters(),
        "members": session.members(),
        "transcript": [
            {"kind": e.kind, "text": e.text, "speaker": e.speaker, "state": e.state} for e in transcript(session)
        ],
        "decisions": [
            {
                "turn": r.turn,
                "state": r.state,
                "where": r.where,
                "chosen": r.chosen or None,
                "said": r.said or None,
                "timed_out": r.timed_out,
                "rating": r.rating,
                "feedback": r.feedback,
                "refs": [{"key": k, "text": t} for k, t in r.refs],
                "recommended": list(r.recommended),
                "changes": dict(r.changes),
            }
            for r in debrief_items(session)
        ],
        "series": series(session),
        "objectives": list(sc.objectives),
        "reflection_questions": list(sc.reflection),
        "reflections": dict(reflections or {}),
        "session": session.to_json(),
    }


_LINE_END = re.compile(r"\r\n|\r|\n")
_ANYWHERE = re.compile(r"[\\`*_~^$|]|\](?=[(\[:{])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START = re.compile(r"^(?=[#>+\-=\[:])|^(\d{1,9})(?=[.)](?:[ \t]|$))")
_CLOSING_HASHES = re.compile(r"(?<=[ \t])(?=#+$)")


def escape_markdown(text: str) -> str:
    """`text` as Markdown that a CommonMark renderer shows exactly as written.

    Each line (lines end at CR, LF or CRLF, as in CommonMark) is escaped on its own
    and the lines are joined with LF, so multi-line text keeps its line breaks: a
    line break renders as a soft break and a blank line as a paragraph break. Whether
    a line of the result starts a line of the document, follows a list marker or
    `> `, sits inside `**...**` or in a GFM table cell, it renders as its text:

    - no emphasis, code span, strikethrough, sub/superscript or math: backslash,
      backtick, `*`, `_`, `~`, `^` and `$` are always backslash-escaped;
    - no link, image, reference definition, footnote or task-list box: a `]`
      followed by `(`, `[`, `:` or `{` is escaped, and so is a `[` starting a line;
    - no raw HTML and no autolink: every `<` becomes `&lt;`, and an `&` that would
      begin an entity or character reference becomes `&amp;`;
    - no table cell boundary: `|` is always escaped;
    - no block structure: spaces and tabs at either end of a line are dropped
      (Markdown drops them anyway, but leading ones make code blocks and trailing
      ones hard breaks); a line starting with `#`, `>`, `+`, `-`, `=`, `[`, `:` or
      a list number (`1.`, `1)`) has that escaped, so it makes no heading, setext
      underline, quote, list or thematic break; a trailing run of `#` after a space
      is escaped, as it would close an ATX heading.

    The rest of ASCII punctuation is left alone where it cannot matter, so plain
    prose reads the same in the raw file.
    """
    out = []
    for line in _LINE_END.split(text):
        line = _ANYWHERE.sub(lambda m: "\\" + m.group(), line.strip(" \t"))
        line = _ENTITY.sub("&amp;", line).replace("<", "&lt;")
        line = _LINE_START.sub(lambda m: (m.group(1) or "") + "\\", line, count=1)
        out.append(_CLOSING_HASHES.sub(r"\\", line, count=1))
    return "\n".join(out)


def _one_line(text: str) -> str:
    """`text` on one line (its whitespace folded, as Markdown would), escaped."""
    return escape_markdown(" ".join(text.split()))


def _quote(text: str) -> str:
    """`text` as a block quote, a line of the quote for each of its lines.

    A line followed by another ends in a backslash, CommonMark's hard line break, so
    viewers keep the trainee's line breaks instead of running the lines together.
    """
    text = text.strip()
    if not text:
        return "> (nothing written)"
    lines = escape_markdown(text).split("\n")
    out = []
    for line, after in zip(lines, [*lines[1:], ""]):
        out.append(f"> {line}\\" if line and after else f"> {line}" if line else ">")
    return "\n".join(out)


def _time_note(settings: Settings) -> str:
    """What the run's time limits were, in words, after the mode."""
    if settings.accommodation == "off" or not settings.time_limits:
        return ", no time limits" if settings.accommodation == "off" else ""
    more = {"1.5x": ", time limits one and a half times as long", "2x": ", time limits twice as long"}
    return more.get(settings.accommodation, ", with time limits")


def to_markdown(
    session: Session,
    settings: Settings,
    *,
    reflections: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """The run, its transcript and its debrief as a Markdown document.

    Every text from the scenario or the trainee goes through `escape_markdown`, so a
    Markdown viewer shows it as written; only the document's own headings, lists,
    quotes and table are Markdown. The JSON export carries the exact text.
    """
    sc = session.scenario
    texts = dict(reflections or {})
    md = _one_line
    out: list[str] = [f"# {md(sc.title)}", ""]
    who = f"Trainee: {md(settings.trainee)}  \n" if settings.trainee else ""
    played = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    out.append(
        f"{who}Date: {played}  \nMode: {settings.mode}{_time_note(settings)}  \n"
        f"Seed: {session.seed}  \nScenario: {md(sc.id)}"
    )
    out.append("")
    out.append("## Transcript")
    out.append("")
    for e in transcript(session):
        if e.kind == "title":
            out += [f"### {md(e.text)}", ""]
        elif e.kind == "narration":
            out += [md(e.text), ""]
        elif e.kind == "line":
            out += [f"**{md(sc.speaker_name(e.speaker))}:** {md(e.text)}", ""]
        elif e.kind == "choice":
            out += [f"**You:** {md(e.text)}", ""]
        elif e.kind == "timeout":
            out += [f"*{md(e.text)}*", ""]
        elif e.kind == "ending":
            out += [f"**Ending:** {md(e.text)}", ""]
    out += ["## Debrief", ""]
    ending = session.ending
    if ending is not None:
        out += [f"### The ending: {md(ending.shown('title', session.context))} ({ending.outcome})", ""]
        if debrief := ending.shown("debrief", session.context):
            out += [md(debrief), ""]
    else:
        out += ["The scenario was not finished.", ""]
    out += ["### Reaction", "", REFLECTION_PROMPTS["reaction"], "", _quote(texts.get("reaction", "")), ""]
    out += ["### Decisions", ""]
    for r in debrief_items(session):
        out.append(f"{r.turn}. **{md(r.where)}**")
        if r.said:
            out.append(f"   - You wrote first: {md(r.said)}")
        out.append("   - You let the time run out." if r.timed_out else f"   - You chose: {md(r.chosen)}")
        if r.rating is not None:
            out.append(f"   - Rating: {r.rating}")
        if r.recommended and not r.took_recommended:
            for text in r.recommended:
                out.append(f"   - Recommended here: {md(text)}")
        if r.changes:
            out.append("   - Changes: " + ", ".join(f"{md(label)} {signed(d)}" for label, d in r.changes))
        if r.feedback:
            out.append(f"   - Why: {md(r.feedback)}")
        for _key, text in r.refs:
            out.append(f"   - See: {md(text)}")
    out.append("")
    out += ["### Meters", ""]
    data = series(session)
    header = "| | start | " + " | ".join(str(i) for i in range(1, session.turn + 1)) + " |"
    out += [header, "|" + "---|" * (session.turn + 2)]
    for k, values in data.items():
        out.append(f"| {md(sc.label(k))} | " + " | ".join(str(v) for v in values) + " |")
    out.append("")
    out += ["### Plus and delta", ""]
    out += [REFLECTION_PROMPTS["plus"], "", _quote(texts.get("plus", "")), ""]
    out += [REFLECTION_PROMPTS["delta"], "", _quote(texts.get("delta", "")), ""]
    out += ["### Objectives", ""] + [f"- {md(o)}" for o in sc.objectives] + [""]
    if sc.reflection:
        out += ["### Questions to reflect on", ""]
        for i, q in enumerate(sc.reflection):
            out += [f"{i + 1}. {md(q)}", "", _quote(texts.get(question_key(i), "")), ""]
    return "\n".join(out).rstrip() + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


def write_exports(
    session: Session,
    folder: Path,
    settings: Settings,
    *,
    reflections: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[Path, Path]:
    """Write the Markdown and JSON exports into `folder`; return their paths.

    The names carry the scenario id and the time, so exports never overwrite each other
    within a second's resolution; a clash gets a counter.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{_slug(session.scenario.id)}-{stamp}"
    n = 1
    stem = base
    while (folder / f"{stem}.md").exists() or (folder / f"{stem}.json").exists():
        n += 1
        stem = f"{base}-{n}"
    md = folder / f"{stem}.md"
    js = folder / f"{stem}.json"
    md.write_text(to_markdown(session, settings, reflections=reflections, now=now), encoding="utf-8")
    data = to_json(session, settings, reflections=reflections, now=now)
    js.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return md, js
