"""Playing a scenario: `Session` offers choices, takes one, and returns a `Step`.

All mutable state of a play-through lives in `Session` and round-trips through
JSON (`to_json` / `from_json`), so a run can be stored, resumed and replayed.
Chance branches are rolled from the seed and a count of rolls made, never from
a global random generator, so the same seed and choices always give the same run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from simulator.engine.conditions import Context
from simulator.engine.model import Choice, Ending, Scenario, State, Timeout

JSON_VERSION = 2
"""The saved-session format this engine writes (`to_json`'s "version").

2: each step has "said", the trainee's own words before choosing (say-it-first)."""
JSON_MIN_VERSION = 1
"""The oldest reader that can read what this engine writes (`to_json`'s "min_version").

Raise `JSON_VERSION` for any change to the format. A change that older readers can
still read as before (a new key they may ignore) leaves `JSON_MIN_VERSION` alone; a
change they would misread raises it to the new version. Either way, add to
`MIGRATIONS` how a session saved in the previous version becomes one of this version,
so unfinished runs saved before the change resume after it."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v2(data: dict[str, Any]) -> dict[str, Any]:
    # Steps before say-it-first had no words of the trainee's own.
    return {**data, "history": [{"said": "", **step} for step in data.get("history", [])]}


MIGRATIONS: dict[int, Migration] = {2: _v2}
"""Version -> the function that turns a saved session of the version before into this one."""


def upgrade(data: Mapping[str, Any]) -> dict[str, Any]:
    """A saved session brought to this engine's format version.

    Older versions are migrated step by step; a newer one is read as it is when its
    "min_version" says this engine can read it.

    Raises:
        SessionError: it was saved by a newer groupsim that this one cannot read, or
            its version is missing or not a number.
    """
    version = data.get("version")
    least = data.get("min_version", version)
    if not isinstance(version, int) or not isinstance(least, int) or isinstance(version, bool):
        raise SessionError(f"saved session has no readable format version ({version!r})")
    if least > JSON_VERSION:
        raise SessionError(
            f"saved session is in format {version}, which needs groupsim's session format {least} or newer "
            f"(this groupsim reads up to {JSON_VERSION}); upgrade groupsim to continue it"
        )
    out = dict(data)
    while version < JSON_VERSION:
        version += 1
        if version not in MIGRATIONS:
            raise SessionError(
                f"saved session is in format {version - 1}, and this groupsim cannot bring it up to date"
            )
        out = MIGRATIONS[version](out)
        out["version"] = version
    return out


MAX_ROUTE = 1000  # `next` hops without a decision; the loader rejects loops, this guards code-built scenarios


class SessionError(Exception):
    """A request the session cannot honour; the message says why, for a person."""


class Step(NamedTuple):
    """What one decision did (immutable; a NamedTuple because it is made on every decision).

    `choice` is the authored number of the choice taken (None when the time ran
    out); `before`/`after` hold every meter's and member's value; `route` lists
    the states entered after the decision, the last being where the session now is.
    """

    turn: int
    state: str
    choice: int | None
    rating: str | None
    text: str
    feedback: str
    refs: tuple[str, ...]
    before: Mapping[str, int]
    after: Mapping[str, int]
    flags_set: tuple[str, ...]
    flags_unset: tuple[str, ...]
    route: tuple[str, ...]
    said: str = ""
    """What the trainee typed before choosing (say-it-first), else ''."""

    @property
    def timed_out(self) -> bool:
        return self.choice is None

    @property
    def changes(self) -> dict[str, int]:
        """Every value that moved, as after minus before."""
        return {k: self.after[k] - v for k, v in self.before.items() if self.after[k] != v}

    def to_json(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "state": self.state,
            "choice": self.choice,
            "rating": self.rating,
            "text": self.text,
            "feedback": self.feedback,
            "refs": list(self.refs),
            "before": dict(self.before),
            "after": dict(self.after),
            "flags_set": list(self.flags_set),
            "flags_unset": list(self.flags_unset),
            "route": list(self.route),
            "said": self.said,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            turn=int(data["turn"]),
            state=str(data["state"]),
            choice=None if data["choice"] is None else int(data["choice"]),
            rating=data["rating"],
            text=str(data["text"]),
            feedback=str(data["feedback"]),
            refs=tuple(data["refs"]),
            before=MappingProxyType({str(k): int(v) for k, v in data["before"].items()}),
            after=MappingProxyType({str(k): int(v) for k, v in data["after"].items()}),
            flags_set=tuple(data["flags_set"]),
            flags_unset=tuple(data["flags_unset"]),
            route=tuple(data["route"]),
            said=str(data.get("said", "")),
        )


_new_step = tuple.__new__


class Session:
    """One play-through of a scenario.

    Use `choices()` for what is on offer, `choose(n)` with an authored choice
    number (or `timeout()` at a timed state), and read `state`, `values`,
    `ending` and `history`. `rewind(turn)` goes back to before decision `turn + 1`.
    """

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self._reset()
        self.opening: tuple[str, ...] = self._enter(scenario.start)
        """The states entered at the start: `start`, then any it routes through."""

    def _reset(self) -> None:
        self._values: dict[str, int] = self.scenario.initial_values()
        self._flags: set[str] = set()
        self._visited: set[str] = set()
        self._chosen: set[tuple[str, int]] = set()
        self._history: list[Step] = []
        self._rolls = 0
        self._current = self.scenario.start
        self._snapshot = MappingProxyType(dict(self._values))
        self._ctx = _Ctx(self)

    # -- the condition context (read by conditions.Condition.holds) -------------
    @property
    def values(self) -> Mapping[str, int]:
        """Every meter's and member's current value, by id."""
        return MappingProxyType(self._values)

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(self._flags)

    @property
    def visited(self) -> frozenset[str]:
        return frozenset(self._visited)

    @property
    def chosen(self) -> frozenset[tuple[str, int]]:
        return frozenset(self._chosen)

    @property
    def turn(self) -> int:
        """Decisions made so far."""
        return len(self._history)

    @property
    def context(self) -> Context:
        """What a condition sees now (for text that follows what happened)."""
        self._ctx.turn = len(self._history)
        return self._ctx

    # -- reading ---------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.scenario.states[self._current]

    @property
    def history(self) -> tuple[Step, ...]:
        return tuple(self._history)

    @property
    def ending(self) -> Ending | None:
        return self.state.ending

    @property
    def finished(self) -> bool:
        return self.scenario.states[self._current].ending is not None

    def meters(self) -> dict[str, int]:
        """The group meters' current values."""
        return {k: self._values[k] for k in self.scenario.meters}

    def members(self) -> dict[str, int]:
        """Each member's current trust."""
        return {k: self._values[k] for k in self.scenario.members}

    def choices(self) -> tuple[Choice, ...]:
        """The choices on offer now, in authored order (empty unless at a decision)."""
        state = self.scenario.states[self._current]
        if not state.guarded:
            return state.choices
        ctx = self._ctx
        ctx.turn = len(self._history)
        return tuple([c for c in state.choices if c.when is None or c.when.holds(ctx)])

    # -- acting ----------------------------------------------------------------
    def choose(self, number: int, *, said: str = "") -> Step:
        """Take the choice with authored number `number`; it must be on offer.

        `said`: what the trainee typed before choosing (say-it-first), kept with the step.
        """
        state = self.scenario.states[self._current]
        if state.ending is not None:
            raise SessionError("the scenario has ended; there are no more choices")
        # Choice numbers are positions in the authored list, so look it up directly and
        # evaluate only its own condition; the full list is built only for the error message.
        choice = state.choices[number - 1] if 1 <= number <= len(state.choices) else None
        if choice is not None and choice.when is not None:
            ctx = self._ctx
            ctx.turn = len(self._history)
            if not choice.when.holds(ctx):
                choice = None
        if choice is None:
            offered = self.choices()
            if not offered:
                raise SessionError(f"state '{self._current}' offers no choices right now")
            nums = ", ".join(str(c.number) for c in offered)
            raise SessionError(f"choice {number} is not on offer at '{self._current}'; choose one of {nums}")
        return self._decide(choice, said)

    def timeout(self, *, said: str = "") -> Step:
        """Let the time run out at a timed state: the session goes to `on_timeout`."""
        state = self.state
        if state.time_limit is None or state.on_timeout is None:
            raise SessionError(f"state '{self._current}' has no time limit, so it cannot time out")
        return self._decide(None, said)

    def _decide(self, choice: Choice | None, said: str = "") -> Step:
        # The one place values change, so the snapshot taken after the previous
        # decision is this decision's `before`: one copy per decision, not two.
        state = self.scenario.states[self._current]
        before = self._snapshot
        # A choice, or what running out of time does: both carry effects and flags.
        what: Choice | Timeout = state.timeout if choice is None else choice
        values = self._values
        limits = self.scenario.limits
        for eff in what.effects:
            t = eff.target
            low, high = limits[t]
            if eff.fair:
                values[t] = eff.apply(values[t], low, high)
            else:
                # Effect.apply's plain case, written out because most changes are plain: it
                # protects the "engine decisions" row of benchmarks/run_all.py (a property test
                # in tests/engine/test_properties.py holds it to Effect.apply).
                v = values[t] + eff.amount
                values[t] = low if v < low else high if v > high else v
        flags_set: tuple[str, ...] = ()
        flags_unset: tuple[str, ...] = ()
        if what.set:
            flags_set = tuple(f for f in what.set if f not in self._flags)
            self._flags.update(what.set)
        if what.unset:
            flags_unset = tuple(f for f in what.unset if f in self._flags)
            self._flags.difference_update(what.unset)
        if choice is None:
            assert state.on_timeout is not None
            target = state.on_timeout
        else:
            self._chosen.add((state.id, choice.number))
            target = choice.goto
        turn = len(self._history) + 1
        # `turn` in a `next` condition already counts this decision.
        route = self._enter(target, turn)
        self._snapshot = after = MappingProxyType(dict(self._values))
        # Built with tuple.__new__, in field order: a NamedTuple's own constructor is a
        # Python-level function that costs about 0.14 µs more per decision (of some 4.5 µs);
        # this protects the "engine decisions" row of benchmarks/run_all.py.
        number = None if choice is None else choice.number
        text = "" if choice is None else choice.text
        step = _new_step(
            Step,
            (
                turn,
                state.id,
                number,
                what.rating,
                text,
                what.feedback,
                what.refs,
                before,
                after,
                flags_set,
                flags_unset,
                route,
                said,
            ),
        )
        self._history.append(step)
        return step

    def _enter(self, target: str, turn: int = 0) -> tuple[str, ...]:
        """Move to `target` and follow `next` routing; return the states entered."""
        self._current = target
        self._visited.add(target)
        states = self.scenario.states
        if not states[target].next:  # the common case: a decision or an ending
            return (target,)
        route = [target]
        ctx = self._ctx
        ctx.turn = turn
        while True:
            state = states[self._current]
            if not state.next:
                return tuple(route)
            if len(route) > MAX_ROUTE:
                raise SessionError(f"routing from '{route[0]}' does not reach a decision or an ending")
            for branch in state.next:
                if branch.when is not None:
                    if branch.when.holds(ctx):
                        break
                elif branch.chance is not None:
                    if self._roll() < branch.chance:
                        break
                else:
                    break
            else:  # no default branch: the loader forbids this, a code-built scenario may not
                raise SessionError(f"no branch of 'next' in state '{state.id}' could be taken")
            self._current = branch.goto
            self._visited.add(branch.goto)
            route.append(branch.goto)

    def _roll(self) -> int:
        """A number 0..99 fixed by the seed and how many rolls came before."""
        rng = random.Random(f"{self.seed}:{self._rolls}")
        self._rolls += 1
        return rng.randrange(100)

    def rewind(self, turn: int) -> None:
        """Go back to just before decision `turn + 1` (0 is the very start).

        Replays the first `turn` decisions from the start with the same seed, so
        the result is exactly the session as it stood then.
        """
        if not 0 <= turn <= len(self._history):
            raise SessionError(f"cannot rewind to decision {turn}; {len(self._history)} made so far")
        kept = [(s.choice, s.said) for s in self._history[:turn]]
        self._reset()
        self.opening = self._enter(self.scenario.start)
        for number, said in kept:
            if number is None:
                self.timeout(said=said)
            else:
                self.choose(number, said=said)

    # -- serialisation ----------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The whole session as JSON-ready data."""
        return {
            "version": JSON_VERSION,
            "min_version": JSON_MIN_VERSION,
            "scenario": self.scenario.id,
            "digest": self.scenario.digest,
            "seed": self.seed,
            "state": self._current,
            "values": dict(self._values),
            "flags": sorted(self._flags),
            "visited": sorted(self._visited),
            "chosen": sorted([s, n] for s, n in self._chosen),
            "rolls": self._rolls,
            "opening": list(self.opening),
            "history": [s.to_json() for s in self._history],
        }

    @classmethod
    def from_json(cls, scenario: Scenario, data: Mapping[str, Any]) -> Session:
        """Restore a session saved by `to_json` onto `scenario`.

        Raises:
            SessionError: the data is not a session of this scenario.
        """
        try:
            data = upgrade(data)
            if data["scenario"] != scenario.id:
                raise SessionError(f"saved session is of scenario '{data['scenario']}', not '{scenario.id}'")
            if data["state"] not in scenario.states:
                raise SessionError(
                    f"saved session stands at state '{data['state']}', which this scenario does not have"
                )
            values = {str(k): int(v) for k, v in data["values"].items()}
            if set(values) != set(scenario.initial_values()):
                raise SessionError("saved session's meters and members do not match this scenario")
            self = cls.__new__(cls)
            self.scenario = scenario
            self.seed = int(data["seed"])
            self._values = values
            self._flags = {str(f) for f in data["flags"]}
            self._visited = {str(s) for s in data["visited"]}
            self._chosen = {(str(s), int(n)) for s, n in data["chosen"]}
            self._rolls = int(data["rolls"])
            self._current = str(data["state"])
            self.opening = tuple(data["opening"])
            self._history = [Step.from_json(s) for s in data["history"]]
            self._snapshot = MappingProxyType(dict(values))
            self._ctx = _Ctx(self)
            return self
        except SessionError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SessionError(f"saved session is damaged ({type(exc).__name__}: {exc})") from None


class _Ctx:
    """The view a condition gets: the session's live sets, without copies.

    A session keeps one (remade when its sets are) and sets `turn` before each use.
    """

    __slots__ = ("chosen", "flags", "turn", "values", "visited")

    def __init__(self, s: Session) -> None:
        self.values = s._values
        self.flags = s._flags
        self.visited = s._visited
        self.chosen = s._chosen
        self.turn = 0
