"""The line-by-line front end: library, briefing, session and debrief as plain questions.

Everything is said in reading order, one line after another, with nothing drawn over
what was said before, so a screen reader reads it as a conversation and a plain
terminal (or a pipe) shows it whole. The rules come from the play layer (`Settings`,
`Run`); this module only asks and tells.

Timed decisions are announced ("You have 60 seconds") rather than counted down on
screen: an answer that comes after the time is up counts as letting the time run out,
and the trainee is told so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simulator.authoring.library import Found
from simulator.engine.model import Choice, Scenario
from simulator.engine.session import Step
from simulator.engine.transcript import Entry, state_entries, step_entries
from simulator.play.debrief import REFLECTION_PROMPTS, debrief_items, question_key, turning_points
from simulator.play.run import ObserverFactory, Run, Stopwatch
from simulator.play.settings import GRANTED_WORDS, Accommodation, GrantLookup, Settings, more_generous, no_grant
from simulator.play.text import moved_in_words as moving
from simulator.play.text import visible

Ask = Callable[[str], "str | None"]
"""Asks a question, returns the line typed (without its end), or None when input has ended."""
Say = Callable[[str], None]
"""Says one line (or several, joined by newlines)."""

RATING_WORDS = {"recommended": "Recommended", "acceptable": "Acceptable", "risky": "Risky", "harmful": "Harmful"}
OUTCOME_WORDS = {"strong": "a strong outcome", "mixed": "a mixed outcome", "poor": "a poor outcome"}
TIME_WORDS: dict[Accommodation, str] = {
    "none": "as written",
    "1.5x": "one and a half times as long",
    "2x": "twice as long",
    "off": "no time limits",
}
HELP = (
    "At a decision: type the number of an option and press Enter. Other answers: "
    "r rewinds to the previous decision (practice only), ? shows this help, q stops here "
    "(your decisions are kept, and the next 'groupsim play --plain' offers to continue)."
)


class InputEnded(Exception):
    """Standard input has ended (a closed pipe, Ctrl+D): stop where we are."""


@dataclass
class Plain:
    """A trainee's sitting in the plain front end. `run()` returns the exit status."""

    found: list[Found]
    ask: Ask
    say: Say
    observe: ObserverFactory | None = None
    seed: int | None = None
    export_dir: Path = field(default_factory=lambda: Path.cwd() / "groupsim-exports")
    say_first_required: bool = False
    accommodation: Accommodation = "none"
    finished: set[str] = field(default_factory=set)
    resume: Run | None = None
    clock: Callable[[], float] = time.monotonic
    granted: GrantLookup = no_grant
    """The time accommodation the records grant a trainee by name (`groupsim records accommodate`)."""
    _stopped: bool = False

    # -- the sitting -------------------------------------------------------------
    def run(self) -> int:
        try:
            if self.resume is not None:
                self.play(self.resume)
                return 0
            playable = [f for f in self.found if f.scenario is not None]
            if len(self.found) == 1 and playable:
                scenario: Scenario | None = playable[0].scenario
            else:
                scenario = self.library()
            while scenario is not None:
                settings = self.briefing(scenario)
                if settings is None:
                    scenario = self.library() if len(self.found) > 1 else None
                    continue
                run, problem = Run.start(scenario, settings, seed=self.seed, observe=self.observe)
                if problem:
                    self.say(f"Note: records are off for this run ({visible(problem)}).")
                self.play(run)
                scenario = self.library() if len(self.found) > 1 and self.yes("Choose another scenario?") else None
        except InputEnded:
            self.say("")
            self.say("Input has ended. Any decisions you made are saved.")
        return 0

    def line(self, question: str) -> str:
        answer = self.ask(question)
        if answer is None:
            raise InputEnded
        return answer.strip()

    def yes(self, question: str, default: bool = False) -> bool:
        hint = "Y/n" if default else "y/N"
        answer = self.line(f"{question} ({hint}): ").lower()
        return default if not answer else answer in ("y", "yes")

    # -- library and briefing ---------------------------------------------------------
    def library(self) -> Scenario | None:
        playable = [f.scenario for f in self.found if f.scenario is not None]
        if not playable:
            self.say("There are no scenarios that can be played here.")
            return None
        self.say("")
        self.say(f"Scenario library: {len(playable)} scenarios.")
        for n, sc in enumerate(playable, 1):
            facts = [sc.group.stage] + ([f"{sc.minutes} minutes"] if sc.minutes else [])
            done = ", done" if sc.id in self.finished else ""
            self.say(visible(f"{n}. {sc.title} ({', '.join(facts)}{done})"))
        broken = [f for f in self.found if f.scenario is None]
        if broken:
            self.say(
                f"{len(broken)} more cannot be played until their errors are fixed ('groupsim validate' lists them)."
            )
        while True:
            answer = self.line(f"Type a number from 1 to {len(playable)} to read its briefing, or q to quit: ").lower()
            if answer in ("q", "quit"):
                return None
            if answer.isdigit() and 1 <= int(answer) <= len(playable):
                return playable[int(answer) - 1]
            self.say(f"Please type a number from 1 to {len(playable)}, or q.")

    def briefing(self, sc: Scenario) -> Settings | None:
        g = sc.group
        self.say("")
        self.say(visible(f"Briefing: {sc.title}"))
        for label, value in (("Group", g.kind), ("Session", g.session), ("Stage", g.stage), ("Setting", g.setting)):
            if value:
                self.say(visible(f"{label}: {value}"))
        self.say(visible(" ".join(sc.summary.split())))
        if sc.content_notes:
            self.say("Content notes: " + visible("; ".join(sc.content_notes)) + ".")
        self.say("Objectives:")
        for o in sc.objectives:
            self.say(visible(f"- {' '.join(o.split())}"))
        if sc.members:
            self.say("In the room:")
            for m in sc.members.values():
                self.say(visible(f"- {m.name}" + (f": {' '.join(m.about.split())}" if m.about else "")))
        self.say(
            "What is recorded: each choice and how long it took, rewinds, your own words (with say it first) "
            "and what you write in the debrief, with your name if you give one, in groupsim's records on this "
            "computer or the shared records file your course uses, where your supervisor can read them."
        )
        if not self.yes("Begin this scenario?", default=True):
            return None
        trainee = self.line("Your name (optional; press Enter to skip): ")
        # What the supervisor granted this trainee by name: at least that much time, either mode.
        granted: Accommodation = more_generous("none", self.granted(trainee)) if trainee else "none"
        if granted != "none":
            self.say(GRANTED_WORDS[granted])
        mode = self.line("Practice or assessment? Type p or a (Enter: practice): ").lower()
        if mode.startswith("a"):
            say_first = self.say_first_required or sc.say_first
            self.say(
                "Assessment: feedback waits for the debrief, no rewinding, the meters stay hidden, time limits are on."
            )
            if say_first:
                self.say("This assessment asks for your own words first at every decision.")
            allowed = more_generous(self.accommodation, granted)
            if allowed not in ("none", granted):  # the grant was said already
                self.say(f"Time for timed decisions: {TIME_WORDS[allowed]} (set for you).")
            return Settings("assessment", trainee, say_first=say_first, accommodation=allowed)
        timed = granted != "off" and self.yes("Use time limits?")
        accommodation: Accommodation = "none"
        if timed and granted != "2x":
            more = self.line("Time: Enter for as written, 1 for one and a half times as long, 2 for twice as long: ")
            accommodation = "1.5x" if more == "1" else "2x" if more == "2" else "none"
        say_first = self.yes("Say it first (write your own answer before you see the options)?")
        return Settings(
            "practice", trainee, timed=timed, say_first=say_first, accommodation=more_generous(accommodation, granted)
        )

    # -- the session -----------------------------------------------------------------
    def tell(self, entries: list[Entry], sc: Scenario) -> None:
        """The story's entries in reading order: who speaks, then what they say."""
        for e in entries:
            text = visible(" ".join(e.text.split()))
            if e.kind == "title":
                self.say("")
                self.say(f"{text}.")
            elif e.kind == "narration":
                self.say(text)
            elif e.kind == "line":
                self.say(f"{visible(sc.speaker_name(e.speaker))} says: {text}")
            elif e.kind == "choice":
                self.say(f"You: {text}")
            elif e.kind == "timeout":
                self.say(text)
            elif e.kind == "ending":
                self.say(f"The end: {text}.")

    def play(self, run: Run) -> None:
        s = run.session
        sc = s.scenario
        if s.turn == 0:
            for sid in s.opening:
                self.tell(state_entries(sc, sid, s.context), sc)
        else:
            self.say(f"Continuing '{visible(sc.title)}' at decision {s.turn + 1}. The last thing that happened:")
            self.tell(step_entries(sc, s.history[-1], s.context), sc)
        stopwatch = Stopwatch(self.clock)
        self._stopped = False
        while not s.finished:
            step = self.decide(run, stopwatch)
            if self._stopped:  # the trainee stopped, or the scenario cannot go on
                return
            if step is not None:  # None: rewound, so the same loop shows the earlier decision
                self.after(run, step)
        self.say("")
        self.say("The session has ended.")
        self.debrief(run)

    def decide(self, run: Run, stopwatch: Stopwatch) -> Step | None:
        s = run.session
        settings = run.settings
        offered = run.on_offer()
        self.say("")
        prompt = visible(" ".join(s.state.shown("prompt", s.context).split()))
        limit = settings.time_limit(s.state.time_limit) if s.state.on_timeout else None
        if limit is not None and run.clock_left is not None:
            limit = max(1, min(limit, run.clock_left))
        run.clock_left = None
        if not offered:
            self.say(f"Decision {s.turn + 1}. {prompt} Nothing can be done here; the scenario cannot go on.")
            self._stopped = True
            return None
        timing = f" You have {limit} seconds." if limit is not None else ""
        self.say(f"Decision {s.turn + 1}. {prompt}{timing}")
        stopwatch.restart()
        said = ""
        selected: Choice | None = None
        if settings.say_first:
            said = self.line("In your own words, what would you say or do? ")
            while not said:
                said = self.line("Please write a few words first: what would you say or do? ")
            from simulator.play.matcher import match

            found = match(said, offered)
            selected = found.selected if found.selected in offered else None
            if selected is None:
                self.say(f"Nothing is pre-selected: {found.reason or 'none of the options is clearly closest'}.")
        self.say(f"The options ({len(offered)}):")
        for n, c in enumerate(offered, 1):
            self.say(visible(f"{n}. {' '.join(c.text.split())}"))
        if selected is not None:
            self.say(f"Closest to your words: option {offered.index(selected) + 1}.")
        while True:
            if selected is not None:
                question = f"Press Enter to take option {offered.index(selected) + 1}, or type another number: "
            else:
                question = f"Your choice, 1 to {len(offered)} (or ? for help): "
            answer = self.line(question).lower()
            late = limit is not None and stopwatch.elapsed_ms() > limit * 1000
            if late:
                self.say("The time ran out before you answered.")
                step = s.timeout(said=said)
                self._warn(run.stepped(step, stopwatch.elapsed_ms()))
                return step
            if answer == "" and selected is not None:
                pick: Choice = selected
            elif answer.isdigit() and 1 <= int(answer) <= len(offered):
                pick = offered[int(answer) - 1]
            elif answer in ("?", "h", "help"):
                self.say(HELP)
                continue
            elif answer in ("r", "rewind"):
                if self.rewind(run):
                    return None
                continue
            elif answer in ("q", "quit", "stop"):
                if self.yes("Stop here? Your decisions are kept, and you can continue later"):
                    self._stopped = True
                    return None
                continue
            else:
                self.say(f"Please type a number from 1 to {len(offered)} (or ? for help).")
                continue
            step = s.choose(pick.number, said=said)
            self._warn(run.stepped(step, stopwatch.elapsed_ms()))
            return step

    def rewind(self, run: Run) -> bool:
        s = run.session
        if not run.settings.rewind_allowed:
            self.say("Rewinding is for practice; in assessment every choice stands.")
            return False
        if s.turn == 0:
            self.say("This is the first decision: there is nothing to rewind.")
            return False
        s.rewind(s.turn - 1)
        self._warn(run.rewound())
        self.say(f"Rewound to decision {s.turn + 1}.")
        return True

    def after(self, run: Run, step: Step) -> None:
        s = run.session
        sc = s.scenario
        entries = step_entries(sc, step, s.context)
        self.tell(entries[:1], sc)  # what the trainee did
        if run.settings.feedback_now:
            rating = RATING_WORDS.get(step.rating or "", "Time ran out")
            self.say(visible(f"Feedback: {rating}. {' '.join(step.feedback.split())}".rstrip()))
            for key in step.refs:
                self.say(visible(f"See: {sc.references.get(key, key)}"))
        if run.settings.meters_shown:
            self.say(changes_in_words(sc, step))
        self.tell(entries[1:], sc)
        if run.settings.feedback_now and not s.finished:
            answer = self.line("Press Enter to go on (r to rewind this decision): ").lower()
            if answer in ("r", "rewind"):
                self.rewind(run)

    def _warn(self, problem: str | None) -> None:
        if problem:
            self.say(f"Note: this could not be recorded ({visible(problem)}).")

    # -- the debrief -------------------------------------------------------------------
    def debrief(self, run: Run) -> None:
        s = run.session
        sc = s.scenario
        ending = s.ending
        assert ending is not None
        self.finished.add(sc.id)
        self._warn(run.finished())
        self.say("")
        self.say(visible(f"Debrief: {sc.title}."))
        self.say(
            visible(
                f"It ended with {OUTCOME_WORDS.get(ending.outcome, ending.outcome)}: {ending.shown('title', s.context)}."
            )
        )
        if text := ending.shown("debrief", s.context):
            self.say(visible(" ".join(text.split())))
        items = debrief_items(s)
        costly = turning_points(items)
        if costly:
            self.say("Where this run turned:")
            for r in costly:
                did = "you let the time run out" if r.timed_out else f"you chose: {' '.join(r.chosen.split())}"
                rating = RATING_WORDS.get(r.rating or "", "time ran out")
                self.say(visible(f"- Decision {r.turn}, {r.where}: {rating}; {did}"))
        texts: dict[str, str] = {}
        texts["reaction"] = self.line(REFLECTION_PROMPTS["reaction"] + " (a line, or Enter to skip): ")
        self._save(run, texts)
        self.say("Your decisions:")
        for r in items:
            self.say("")
            self.say(visible(f"Decision {r.turn}: {r.where}."))
            if r.said:
                self.say(visible(f"You wrote first: {' '.join(r.said.split())}"))
            self.say(
                visible("You let the time run out." if r.timed_out else f"You chose: {' '.join(r.chosen.split())}")
            )
            if r.rating:
                self.say(f"Rating: {RATING_WORDS.get(r.rating, r.rating)}.")
            if r.recommended and not r.took_recommended:
                for text in r.recommended:
                    self.say(visible(f"Recommended here: {' '.join(text.split())}"))
            if r.changes:
                self.say("Changes: " + ", ".join(f"{label} {d:+d}" for label, d in r.changes) + ".")
            if r.feedback:
                self.say(visible(f"Why: {' '.join(r.feedback.split())}"))
        self.say("")
        self.say("How the group moved over the run:")
        first = sc.initial_values()
        for key, now in s.values.items():
            self.say(moved_in_words(sc, key, first[key], now) + ".")
        texts["plus"] = self.line(REFLECTION_PROMPTS["plus"] + " (a line, or Enter to skip): ")
        texts["delta"] = self.line(REFLECTION_PROMPTS["delta"] + " (a line, or Enter to skip): ")
        self._save(run, texts)
        self.say("The objectives were:")
        for o in sc.objectives:
            self.say(visible(f"- {' '.join(o.split())}"))
        for i, q in enumerate(sc.reflection):
            texts[question_key(i)] = self.line(visible(" ".join(q.split())) + " (a line, or Enter to skip): ")
        self._save(run, texts)
        if self.yes("Save the transcript and debrief as Markdown and JSON files?"):
            from simulator.play.export import write_exports

            try:
                md, js = write_exports(s, self.export_dir, run.settings, reflections=_written(texts))
            except OSError as exc:
                self.say(f"Could not save them in {self.export_dir}: {exc.strerror or exc}.")
            else:
                self._warn(run.exported((md, js)))
                self.say(f"Saved {md} and {js}.")

    def _save(self, run: Run, texts: dict[str, str]) -> None:
        self._warn(run.reflections(_written(texts)))


def _written(texts: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in texts.items() if v.strip()}


def moved_in_words(sc: Scenario, key: str, before: int, after: int) -> str:
    """'Trust rose from 56 to 62', shown safely in a terminal."""
    return visible(moving(sc, key, before, after))


def changes_in_words(sc: Scenario, step: Step) -> str:
    """What a decision changed, as a sentence a screen reader reads naturally."""
    moved = [moved_in_words(sc, key, step.before[key], step.after[key]) for key in step.changes]
    return ("Changes: " + "; ".join(moved) + ".") if moved else "Nothing on the meters moved."
