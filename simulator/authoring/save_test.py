"""Save a playthrough as one of a scenario's own tests (`tests:` in its file).

An author plays a path (`groupsim run FILE --choose 1,3,2`, or in `groupsim play FILE
--watch`) and keeps it as a check that `groupsim test` runs from then on: the choices,
the seed, and what the path reached: the ending and its outcome, and every meter and
member within a tolerance the author can change.

The test is added to the file as text: the new lines go after the last test (or a
`tests:` section is added at the end), and every other byte of the file stays as it was,
comments and layout included. (A round-trip YAML library was tried for this and
rewrote the rest of the file: it re-wrapped long texts and dropped the `+` of `+8`.)
Before anything is written the result is loaded again, its earlier tests must be
unchanged and the new one must pass; the file is then replaced in one step.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from simulator.authoring.emit import scalar
from simulator.authoring.files import replace_file
from simulator.authoring.loader import load_text
from simulator.authoring.scenario_tests import run_test
from simulator.engine.model import NOWHERE, Scenario, ScenarioTest
from simulator.engine.session import Session

DEFAULT_TOLERANCE = 4
"""How far a meter or member may move from the value a saved path reached before its
test fails, unless the author says otherwise."""

_EMPTY_TESTS = re.compile(r"^tests[ \t]*:[ \t]*\[[ \t]*\](?P<rest>[ \t]*(?:#.*)?)$")
_TESTS_KEY = re.compile(r"^tests[ \t]*:")


class SaveTestError(Exception):
    """Why a test was not saved, in words for the author. Nothing was written."""


@dataclass(frozen=True, slots=True)
class SavedTest:
    """A test that `save_test` added."""

    path: Path
    name: str
    line: int
    """The line of the file on which the new test starts (from 1)."""
    text: str
    """The lines added to the file, as written."""


def save_test(
    path: str | Path,
    name: str,
    choices: Sequence[int | str],
    seed: int,
    session: Session,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    digest: str | None = None,
) -> SavedTest:
    """Add to the scenario file at `path` a test named `name` that plays `choices`
    (authored choice numbers, or "timeout" where the time ran out) with `seed`, and
    expects what `session` reached by them.

    The test has `choose`, `seed` (when it is not 0) and `expect`: `ending` (`none` if
    the session has not ended) and `outcome`, and each meter and member within
    `tolerance` of its value, on the side it moved from its start (">= 62" for a value
    that rose or held at 66, "<= 70" for one that fell to 66), with a comment saying so.
    The file's other bytes stay as they were.

    `digest` is the SHA-256 of the file as it was when `session`'s scenario was loaded;
    by default the scenario's own (`Scenario.digest`, set by the loader).

    Returns:
        What was added, and where.

    Raises:
        SaveTestError: nothing was written, and the message says why: the name is empty
            or already used; the file changed on disk since it was loaded, or cannot be
            read or written; the choices do not lead where `session` is; or the file would
            not load, or the test would not pass, with the test added.
    """
    path = Path(path)
    name = name.strip()
    if not name:
        raise SaveTestError("give the test a name, for example 'Naming the breach ends strong'")
    if "\n" in name or "\r" in name:
        raise SaveTestError("a test's name must fit on one line")
    picks = _picks(choices)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SaveTestError(f"the seed should be a whole number, 0 or more, not {seed!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise SaveTestError(f"the tolerance should be a whole number, 0 or more, not {tolerance!r}")
    expected = digest if digest is not None else session.scenario.digest
    if not expected:
        raise SaveTestError(
            "this playthrough's scenario was not loaded from a file, so there is no telling whether "
            f"'{path}' is the same scenario; nothing was written"
        )

    data = _read(path)
    if hashlib.sha256(data).hexdigest() != expected:
        raise _changed(path)
    before, errors = load_text(data, str(path))
    if before is None:
        raise SaveTestError(f"'{path}' does not load ({errors[0]}); fix it first, then save the test")
    text = data.decode("utf-8")  # it loaded, so it is UTF-8
    for t in before.tests:
        if t.name == name:
            raise SaveTestError(
                f"'{path}' already has a test named '{name}' (line {t.pos.line}); choose another name, "
                "or delete that test first"
            )

    newline = "\r\n" if "\r\n" in text else "\n"
    new_text, line, added = _insert(text, before, name, picks, seed, session, tolerance, newline)

    after, errors = load_text(new_text.encode("utf-8"), str(path))
    if after is None:  # pragma: no cover - a fault of ours, checked for all the same
        raise SaveTestError(
            f"adding the test would break '{path}' ({errors[0]}); nothing was written. "
            "Please report this, with the file"
        )
    if (
        len(after.tests) != len(before.tests) + 1
        or after.tests[-1].name != name
        or [_bare(t) for t in after.tests[:-1]] != [_bare(t) for t in before.tests]
    ):  # pragma: no cover - as above
        raise SaveTestError(
            f"adding the test would change the tests already in '{path}'; nothing was written. "
            "Please report this, with the file"
        )
    result = run_test(after, after.tests[-1], len(after.tests))
    if not result.passed:
        steps = ",".join(str(p) for p in picks) or "no choices"
        raise SaveTestError(
            f"the path {steps} (seed {seed}) does not lead where this playthrough is, so the test would fail: "
            + "; ".join(result.problems)
            + "; nothing was written"
        )

    if hashlib.sha256(_read(path)).hexdigest() != expected:  # changed while we worked
        raise _changed(path)
    try:
        replace_file(path, new_text.encode("utf-8"))
    except OSError as exc:
        raise SaveTestError(f"cannot write '{path}': {exc.strerror or exc}; the file is unchanged") from None
    return SavedTest(path, name, line, added)


def _picks(choices: Sequence[int | str]) -> list[int | str]:
    out: list[int | str] = []
    for c in choices:
        if isinstance(c, str) and c.strip().lower() == "timeout":
            out.append("timeout")
        elif isinstance(c, int) and not isinstance(c, bool) and c >= 1:
            out.append(c)
        elif isinstance(c, str) and c.strip().isdigit() and int(c) >= 1:
            out.append(int(c))
        else:
            raise SaveTestError(f"each choice should be a choice number (1 or more) or 'timeout', not {c!r}")
    return out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SaveTestError(f"cannot read '{path}': {exc.strerror or exc}") from None


def _changed(path: Path) -> SaveTestError:
    return SaveTestError(
        f"'{path}' has changed since this playthrough loaded it, so the test was not saved (nothing was "
        "written); play the path again on the file as it is now, then save the test"
    )


def _bare(t: ScenarioTest) -> ScenarioTest:
    return replace(t, pos=NOWHERE)


def _bound(value: int, start: int, low: int, high: int, tolerance: int) -> int | str:
    """The check for a value a path reached: `tolerance` points of slack on the side the
    value moved from its start (">=" if it rose or held, "<=" if it fell); the other side
    when the first could never fail (past the meter's range) and the other could; the
    exact value when the tolerance is 0."""
    if tolerance == 0:
        return value
    rose = value >= start
    first, other = (">=", value - tolerance), ("<=", value + tolerance)
    if not rose:
        first, other = other, first

    def says_something(op: str, bound: int) -> bool:
        return bound > low if op == ">=" else bound < high

    if not says_something(*first) and says_something(*other):
        first = other
    op, bound = first
    return f"{op} {max(bound, low) if op == '>=' else min(bound, high)}"


def _expect_lines(s: Scenario, session: Session, tolerance: int, indent: str) -> list[str]:
    """`expect:`'s lines (without `expect:` itself), indented by `indent`."""
    out: list[str] = []
    if session.finished:
        assert session.ending is not None
        out.append(f"{indent}ending: {scalar(session.state.id)}")
        out.append(f"{indent}outcome: {session.ending.outcome}")
    else:
        out.append(f"{indent}ending: none                # the path stops at '{session.state.id}', before any ending")
    groups = (
        ("meters", [(k, v, s.meters[k].start, *s.bounds(k)) for k, v in session.meters().items()]),
        ("members", [(k, v, s.members[k].trust, *s.bounds(k)) for k, v in session.members().items()]),
    )
    if tolerance:
        out.append(f"{indent}# Saved from a playthrough: each value may move {tolerance} from where the path left it,")
        out.append(f"{indent}# on the side it moved from its start. Change the numbers to loosen or tighten the test.")
    rows = [(key, k, v, start, low, high) for key, group in groups for k, v, start, low, high in group]
    width = max((len(f"{k}: {scalar(_bound(v, st, lo, hi, tolerance))}") for _, k, v, st, lo, hi in rows), default=0)
    for key, group in groups:
        if not group:
            continue
        out.append(f"{indent}{key}:")
        for k, v, start, low, high in group:
            cell = f"{k}: {scalar(_bound(v, start, low, high, tolerance))}"
            moved = f"held at {v}" if v == start else f"{'rose' if v > start else 'fell'} from {start} to {v}"
            out.append(f"{indent}  {cell.ljust(width)}   # {moved}")
    return out


def _test_lines(
    name: str, picks: list[int | str], seed: int, s: Scenario, session: Session, tolerance: int, dash: int, key: int
) -> list[str]:
    first = " " * dash + "-" + " " * (key - dash - 1)
    pad = " " * key
    lines = [f"{first}name: {scalar(name)}", f"{pad}choose: [{', '.join(str(p) for p in picks)}]"]
    if seed:
        lines.append(f"{pad}seed: {seed}")
    lines.append(f"{pad}expect:")
    lines += _expect_lines(s, session, tolerance, pad + "  ")
    return lines


def _insert(
    text: str,
    before: Scenario,
    name: str,
    picks: list[int | str],
    seed: int,
    session: Session,
    tolerance: int,
    newline: str,
) -> tuple[str, int, str]:
    """`text` with the new test in it; the line it starts on; the lines added."""
    lines = text.splitlines(keepends=True)
    s = session.scenario

    def block(dash: int, key: int) -> str:
        return "".join(line + newline for line in _test_lines(name, picks, seed, s, session, tolerance, dash, key))

    if before.tests:
        last = before.tests[-1].pos
        row, col = last.line - 1, last.col - 1
        prefix = lines[row][:col]
        if prefix.strip() == "-":
            dash = prefix.index("-")
        elif prefix.strip() == "" and row > 0 and lines[row - 1].strip() == "-":
            dash = lines[row - 1].index("-")
        else:
            raise SaveTestError(
                "the tests in this file are written as one [...] list; write them as '- name: ...' lines "
                "(one test after another, each starting with '- ') to save tests into it"
            )
        end = row
        for i in range(row + 1, len(lines)):
            stripped = lines[i].strip()
            depth = len(lines[i]) - len(lines[i].lstrip())
            if not stripped:
                continue
            if depth <= dash and not stripped.startswith("#"):
                break
            if depth > dash:
                end = i
        key = max(col, dash + 2)
        if not lines[end].endswith(("\n", "\r")):
            lines[end] += newline
        added = block(dash, key)
        return "".join(lines[: end + 1]) + added + "".join(lines[end + 1 :]), end + 2, added

    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        empty = _EMPTY_TESTS.match(body)
        if empty:
            added = block(2, 4)
            head = "tests:" + empty.group("rest") + newline
            return "".join(lines[:i]) + head + added + "".join(lines[i + 1 :]), i + 2, added
        if _TESTS_KEY.match(body):
            raise SaveTestError(
                "this file's 'tests:' is written in a way the test cannot be added to; write it as "
                "'tests:' followed by '- name: ...' lines, or remove it, and save the test again"
            )
    if text and not text.endswith(("\n", "\r")):
        text += newline
    added = block(2, 4)
    head = newline + "tests:                            # checks that 'groupsim test' runs" + newline
    return text + head + added, text.count("\n") + 3, added
