"""The scenario format's JSON Schema, and the editor header that points to it.

Editors that use yaml-language-server (VS Code's YAML extension, and others) read a
comment at the top of a scenario, `# yaml-language-server: $schema=WHERE`, to find the
schema behind completion, hover help and checking. WHERE is resolved from the scenario
file's folder, so the header has to be worked out for the folder the file lives in:

- Inside a groupsim source tree (a folder with pyproject.toml and simulator/schema/, as
  the library's own scenarios are), a relative path to that tree's schema, such as
  `../simulator/schema/scenario.schema.json`: the tree moves and is shared as a whole.
- Anywhere else, the installed schema's absolute `file://` URI: it keeps working wherever
  the scenario is moved on this computer, and it is always the schema of the groupsim
  that is installed. If groupsim is reinstalled elsewhere, `groupsim schema --header
  FILE...` points existing files at the new place.

Nothing here imports YAML: the header is one comment line, handled as text.
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

SCHEMA_FILE = "scenario.schema.json"
PREFIX = "# yaml-language-server: $schema="

# What yaml-language-server takes for its modeline: a comment starting with one of these,
# whose first `$schema=VALUE` (VALUE up to the first space) names the schema.
_MODELINE = re.compile(r"^#\s+(?:yaml-language-server\s*:|\$schema:)")
_VALUE = re.compile(r"\$schema(?:=|:\s*)(\S+)")
# A relative path goes into the header as written, so it must need no escaping there.
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


def schema_text() -> str:
    """The schema itself, as `groupsim schema` prints it."""
    return files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema_path() -> Path | None:
    """The installed schema file, or None when the package is not a folder on disk
    (run from a zip archive, say), where no editor could open it."""
    resource = files(__name__).joinpath(SCHEMA_FILE)
    if not isinstance(resource, Path) or not resource.is_file():
        return None
    return resource.resolve()


def _source_tree_schema(folder: Path) -> Path | None:
    """The schema of the groupsim source tree (a folder with pyproject.toml and
    simulator/schema/) that holds `folder`, if it is inside one."""
    for d in (folder, *folder.parents):
        candidate = d / "simulator" / "schema" / SCHEMA_FILE
        if (d / "pyproject.toml").is_file() and candidate.is_file():
            return candidate
    return None


def schema_reference(folder: Path) -> str | None:
    """How a scenario file in `folder` should name the schema: inside a groupsim source
    tree, a relative path to that tree's schema; anywhere else, the installed schema's
    `file://` URI. None when neither is a file on disk."""
    folder = Path(os.path.abspath(folder))  # as written: editors join paths without following links
    tree = _source_tree_schema(folder)
    if tree is not None:
        try:
            rel = Path(os.path.relpath(tree, folder)).as_posix()
        except ValueError:  # pragma: no cover - another drive, on Windows
            rel = ""
        if _PLAIN_PATH.match(rel):
            return rel
    schema = schema_path()
    return None if schema is None else schema.as_uri()


def header_for(folder: Path) -> str | None:
    """The header line (no line break) for a scenario file in `folder`, or None when
    the schema is not on disk."""
    reference = schema_reference(folder)
    return None if reference is None else PREFIX + reference


def find_header(text: str) -> tuple[int, str] | None:
    """The index and text of the line an editor reads as the header, if there is one."""
    for i, line in enumerate(text.removeprefix("\ufeff").splitlines()):
        stripped = line.lstrip()
        if _MODELINE.match(stripped) and _VALUE.search(stripped):
            return i, line
    return None


def header_target(line: str, folder: Path) -> Path | None:
    """The file a header line points an editor to, for a scenario in `folder`, resolved
    as yaml-language-server does; None if it names no file on this computer (a web
    address, or no `$schema=` at all). The file may or may not exist."""
    found = _VALUE.search(line)
    if found is None:
        return None
    value = found.group(1)
    if value.startswith("file:"):
        parsed = urlparse(value)
        return Path(url2pathname(unquote(parsed.path)))
    if value.startswith("http"):
        return None
    value = value.split("#", 1)[0]
    return Path(os.path.normpath(Path(os.path.abspath(folder)) / value))


def with_header(text: str, header: str) -> str:
    """`text` with `header` in place of the header line it has, or before its first
    line if it has none. Every other character stays as it was."""
    newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    found = find_header(body)
    if found is None:
        return bom + header + newline + body
    index, line = found
    lines = body.splitlines(keepends=True)
    ending = lines[index][len(line) :]
    indent = line[: len(line) - len(line.lstrip())]
    lines[index] = indent + header + ending
    return bom + "".join(lines)
