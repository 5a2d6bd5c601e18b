"""Finding interrupted runs again, with the scenario file each was played on.

What `groupsim play` uses to offer a run that a closed terminal or a killed process
left unfinished. The scenario is looked for where the run loaded it from, then in
the shipped library by id; a file whose content is the exact version played is
preferred. Loading files needs the authoring package (YAML), imported here lazily.

Only the runs this trainee left are offered: those started on this computer by this
account (see `Recorder.unfinished_runs`); on a database a cohort shares, nobody is
shown, or can continue, anyone else's. Names and titles are printed with their
control characters made visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.engine.model import Scenario
from simulator.engine.session import Session
from simulator.play.text import visible
from simulator.records.recorder import Recorder, RunInfo, RunRecorder


@dataclass(frozen=True, slots=True)
class Interrupted:
    """An unfinished run and what it would take to resume it."""

    info: RunInfo
    scenario: Scenario | None
    """The scenario file found for it (None when none can be found or loaded)."""
    problem: str | None = None
    """Why it cannot be resumed (no scenario found), else None."""
    state: str = ""
    """The state the run stands at."""

    @property
    def changed(self) -> bool:
        """The file found is not the version the run was played on."""
        return self.scenario is not None and self.scenario.digest != self.info.scenario_digest

    def describe(self) -> str:
        """One line for a person: which scenario, whose, where it stands, when (local time)."""
        i = self.info
        who = f" by {i.trainee}" if i.trainee else ""
        title = i.scenario_title or i.scenario_id
        n = i.decisions
        if i.ending:
            where = f"ended '{i.ending_title}', debrief not yet seen"
        else:
            at = f" ({self.decision_title})" if self.decision_title else ""
            where = f"at decision {n + 1}{at}, {n} made"
        source = ""
        if i.scenario_source and not _in_library(i.scenario_source):
            source = f" (from {_shown_path(i.scenario_source)})"
        return visible(f"'{title}'{source}{who}, {where}, {i.mode}, last played {local_time(i.updated_at)}")

    @property
    def decision_title(self) -> str:
        """The title of the decision the run stands at, if the scenario file is here and has one."""
        if self.scenario is None:
            return ""
        st = self.scenario.states.get(self.state)
        return " ".join(st.title.split()) if st is not None and st.title else ""


def _in_library(source: str) -> bool:
    """Whether a run's scenario file is one of the shipped library's."""
    from simulator.authoring.library import library_dir

    try:
        return Path(source).resolve().parent == library_dir().resolve()
    except OSError:
        return False


def _shown_path(source: str) -> str:
    """A file's path as short as it can be said: from the current folder when it is below it."""
    try:
        return str(Path(source).resolve().relative_to(Path.cwd().resolve()))
    except (OSError, ValueError):
        return source


def local_time(stamp: str) -> str:
    """A records time (UTC, ISO 8601) as this computer's local date and time, e.g. 'Fri 5 Dec 14:03'."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return stamp
    return f"{when:%a} {when.day} {when:%b %H:%M}"


def locate(info: RunInfo, search: list[Path] | None = None) -> tuple[Scenario | None, str | None]:
    """The scenario to resume `info` on, preferring the exact version played; or why there is none."""
    from simulator.authoring.library import SUFFIXES, library_dir, load_file

    candidates: list[Path] = []
    if info.scenario_source:
        candidates.append(Path(info.scenario_source))
    for folder in [*(search or []), library_dir()]:
        candidates += [folder / f"{info.scenario_id}{s}" for s in SUFFIXES]
    found: list[Scenario] = []
    for path in candidates:
        if not path.is_file():
            continue
        loaded = load_file(path).scenario
        if loaded is None or loaded.id != info.scenario_id:
            continue
        if loaded.digest == info.scenario_digest:
            return loaded, None
        found.append(loaded)
    if found:
        return found[0], None
    return (
        None,
        f"the scenario '{info.scenario_id}' cannot be found any more (it was played from {info.scenario_source or 'the library'})",
    )


def _same_file(info: RunInfo, file: Path, digest: str) -> bool:
    """Whether `info` was played from `file` (or from a copy with the same bytes)."""
    if info.scenario_digest == digest:
        return True
    if not info.scenario_source:
        return False
    try:
        return Path(info.scenario_source).resolve() == file.resolve()
    except OSError:
        return False


def interrupted(
    recorder: Recorder,
    scenario_id: str | None = None,
    search: list[Path] | None = None,
    *,
    file: Scenario | None = None,
) -> list[Interrupted]:
    """The unfinished runs this computer's account left in the records, most recent first:
    of one scenario id, if given; of one file, if `file` (a scenario loaded from it) is given:
    then another draft with the same id, elsewhere, does not offer its runs."""
    out = []
    for info in recorder.unfinished_runs(scenario_id=scenario_id):
        if file is not None and file.source and not _same_file(info, Path(file.source), file.digest):
            continue
        scenario, problem = locate(info, search)
        state = str(recorder.saved_state(info.id).get("state", ""))
        out.append(Interrupted(info, scenario, problem, state))
    return out


def resume(recorder: Recorder, item: Interrupted, *, accept_changed: bool = False) -> tuple[Session, RunRecorder]:
    """The restored session and the recorder that goes on writing its run.

    Raises:
        ScenarioChanged: the file found is another version and `accept_changed` is false.
        RecordsError: it cannot be resumed (see `item.problem`).
    """
    from simulator.records.store import RecordsError

    if item.scenario is None:
        raise RecordsError(item.problem or f"run {item.info.id} cannot be resumed")
    session = recorder.resume(item.info.id, item.scenario, accept_changed=accept_changed)
    return session, RunRecorder(recorder, item.info.id)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the trainee answered when offered their unfinished runs."""

    action: str
    """'resume', 'new' (leave them unfinished) or 'abandon' (stop offering them)."""
    item: Interrupted | None = None
    accept_changed: bool = False


OFFER_LIMIT = 9


def offer(items: list[Interrupted], ask: Callable[[str], str], say: Callable[[str], None]) -> Decision:
    """Offer unfinished runs at a plain prompt (before the full-screen app starts).

    `ask(prompt)` returns a line typed by the trainee (EOF counts as Enter); `say(text)`
    prints. Enter starts afresh and keeps the runs unfinished; a number resumes that
    run (asking again when its scenario file has changed); 'x' marks them abandoned.
    """
    shown = items[:OFFER_LIMIT]
    if not shown:
        return Decision("new")
    say("You have unfinished runs:" if len(shown) > 1 else "You have an unfinished run:")
    for n, item in enumerate(shown, 1):
        note = ""
        if item.scenario is None:
            note = "  (its scenario file cannot be found, so it cannot be resumed)"
        elif item.changed:
            note = "  (its scenario file has changed since)"
        say(f"  {n}. {item.describe()}{note}")
    numbers = "1" if len(shown) == 1 else f"1-{len(shown)}"
    while True:
        answer = ask(
            f"Resume one? Type {numbers}; Enter starts afresh; x stops offering {'them' if len(shown) > 1 else 'it'}: "
        )
        word = answer.strip().lower()
        if word in ("", "n", "no"):
            return Decision("new")
        if word in ("x", "abandon"):
            return Decision("abandon")
        if word in ("y", "yes") and len(shown) == 1:
            word = "1"
        if word.isdigit() and 1 <= int(word) <= len(shown):
            item = shown[int(word) - 1]
            if item.scenario is None:
                say(visible(f"  Run {item.info.id} cannot be resumed: {item.problem}."))
                continue
            if item.changed:
                sure = (
                    ask(
                        "  The scenario file changed after this run began, so it would go on in a different version "
                        "(the records will say so). Resume anyway? [y/N] "
                    )
                    .strip()
                    .lower()
                )
                if sure not in ("y", "yes"):
                    continue
                return Decision("resume", item, accept_changed=True)
            return Decision("resume", item)
        say(f"  Please type {numbers}, x, or just Enter.")
