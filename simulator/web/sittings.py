"""The web page's runs in the server's memory: one `Sitting` per browser, a bounded number at once.

A browser is known by a random token, in the address of every page of its run and in
a cookie (so the first page can offer to continue). The token never reaches the
records: a run played from the web page is recorded with this computer's name and an
account that names the server's own account and a digest of the token (`web_origin`),
so `Recorder.unfinished_runs` finds that browser's runs, and only that browser's, again
after the server restarts — the way `groupsim play` finds a terminal's.

Memory holds at most `capacity` sittings. When it is full, the one unused longest
makes room if it has been idle `AWAY_AFTER_S` or more: it is put away, which loses
nothing the records do not hold (its run stays active there, and its cookie brings it
back). Otherwise the newcomer is told the room is full.

Nothing here reads a clock of its own: every time comes from the `clock` given, so
tests drive it by hand.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.play.run import Run
from simulator.records import Origin, Recorder

TOKEN_BYTES = 18
"""Random bytes in a token (144 bits): 24 characters in the address."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")

AWAY_AFTER_S = 15 * 60.0
"""How long a sitting must have been idle before a full room puts it away for a newcomer."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str | None) -> bool:
    """Whether `text` has a token's shape (24 characters of the URL-safe alphabet)."""
    return text is not None and _TOKEN.fullmatch(text) is not None


def web_origin(served: Origin, token: str) -> Origin:
    """Where the runs of the browser holding `token` are recorded as played from.

    `served` is `Origin.served()` (this computer, and the server's account marked as
    serving browsers, so no terminal's `groupsim play` offers these runs); the account
    gets a digest of the token, never the token itself, which is the browser's key.
    """
    digest = hashlib.sha256(token.encode("ascii")).hexdigest()[:24]
    return Origin(served.host, f"{served.account}:web:{digest}")


@dataclass(frozen=True, slots=True)
class Matched:
    """What say-it-first's matcher made of the trainee's words at the decision under way."""

    selected: int | None
    """The authored number of the choice pre-selected, or None."""
    reason: str = ""
    """Why nothing was pre-selected ('' when something was)."""


@dataclass
class Sitting:
    """One browser's place: its run (if one is under way) and where the page stands in it."""

    token: str
    recorder: Recorder
    """Records this browser's runs (its origin is `web_origin`; the store is shared)."""
    last_seen: float
    run: Run | None = None
    nonce: str = ""
    """Names the run under way in its forms, so a form from an earlier run (another tab) answers nothing in this one."""
    feedback: int | None = None
    """The decision (1-based) whose feedback page is yet to be left, or None."""
    debrief_seen: bool = False
    reflections: dict[str, str] = field(default_factory=dict)
    """What the trainee wrote in the debrief, by prompt key (as last sent)."""
    notes: list[str] = field(default_factory=list)
    """Things to tell the trainee on the next page (a record that could not be written)."""
    # The decision under way: its clock, and say-it-first's words and match.
    clock_turn: int | None = None
    """The decisions made before the one whose clock runs, or None when no clock runs."""
    clock_start: float = 0.0
    limit: int | None = None
    """Seconds given for the decision under way, or None when it is untimed."""
    said: str = ""
    matched: Matched | None = None

    def begin(self, run: Run) -> None:
        """Make `run` this sitting's run, from its first page."""
        self.run = run
        self.nonce = secrets.token_hex(8)
        self.feedback = None
        self.debrief_seen = False
        self.reflections = {}
        self.forget_decision()

    def forget_decision(self) -> None:
        """The decision under way is over (made, rewound past, or never started)."""
        self.clock_turn = None
        self.limit = None
        self.said = ""
        self.matched = None

    def start_decision(self, now: float) -> None:
        """Start the decision the run stands at, unless it is started already: its clock
        runs from the first time its page is shown, through reloads, until it is made."""
        run = self.run
        assert run is not None
        s = run.session
        if self.clock_turn == s.turn:
            return
        self.forget_decision()
        self.clock_turn = s.turn
        self.clock_start = now
        state = s.state
        limit = run.settings.time_limit(state.time_limit) if state.on_timeout is not None else None
        if limit is not None and run.clock_left is not None:
            # A run picked up again mid-decision gives back the time that was left, not the whole limit.
            limit = max(1, min(limit, run.clock_left))
        run.clock_left = None
        self.limit = limit

    def elapsed_ms(self, now: float) -> int:
        return max(0, round((now - self.clock_start) * 1000))

    def seconds_left(self, now: float) -> int | None:
        """Whole seconds left at the decision under way (None: untimed), never below 0."""
        if self.limit is None:
            return None
        return max(0, int(self.limit - (now - self.clock_start)))

    def late(self, now: float) -> bool:
        """Whether an answer now comes after the time is up (it then counts as letting it run out)."""
        return self.limit is not None and self.elapsed_ms(now) > self.limit * 1000


class Sittings:
    """The sittings in memory, by token, least recently used first; at most `capacity`."""

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        if capacity < 1:
            raise ValueError("the web page needs room for at least one run")
        self.capacity = capacity
        self.clock = clock
        self._by_token: OrderedDict[str, Sitting] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_token)

    def __contains__(self, token: object) -> bool:
        return token in self._by_token

    def get(self, token: str) -> Sitting | None:
        """The sitting of `token`, marked as just used; None when it is not in memory."""
        sitting = self._by_token.get(token)
        if sitting is not None:
            sitting.last_seen = self.clock()
            self._by_token.move_to_end(token)
        return sitting

    def peek(self, token: str) -> Sitting | None:
        """The sitting of `token` without marking it used."""
        return self._by_token.get(token)

    @property
    def full(self) -> bool:
        """Whether a newcomer would be turned away now."""
        if len(self._by_token) < self.capacity:
            return False
        oldest = next(iter(self._by_token.values()))
        return self.clock() - oldest.last_seen < AWAY_AFTER_S

    def admit(self, token: str, recorder: Recorder) -> Sitting | None:
        """A new sitting for `token` (the one there already, if any); None when the room is full.

        To make room, the sitting unused longest is put away if it has been idle long enough.
        """
        if (there := self.get(token)) is not None:
            return there
        if self.full:
            return None
        if len(self._by_token) >= self.capacity:
            self._by_token.popitem(last=False)  # put away: its run stays in the records
        sitting = Sitting(token, recorder, last_seen=self.clock())
        self._by_token[token] = sitting
        return sitting

    def put_away(self, token: str) -> None:
        self._by_token.pop(token, None)
