"""Session behaviour. Every test runs twice: directly, and with the session sent through
JSON and restored after every action (ink's runtime tests do the same)."""

from __future__ import annotations

import json

import pytest

from simulator.engine import Session, SessionError
from simulator.engine.model import Effect
from simulator.engine.transcript import transcript


class Player:
    """Drives a session, optionally through a JSON round trip after each action."""

    def __init__(self, scenario, seed: int, roundtrip: bool) -> None:
        self.scenario = scenario
        self.roundtrip = roundtrip
        self.s = Session(scenario, seed)
        self._trip()

    def _trip(self) -> None:
        if self.roundtrip:
            data = json.loads(json.dumps(self.s.to_json()))
            self.s = Session.from_json(self.scenario, data)
            assert self.s.to_json() == data

    def choose(self, n):
        step = self.s.choose(n)
        self._trip()
        return step

    def timeout(self):
        step = self.s.timeout()
        self._trip()
        return step

    def rewind(self, turn):
        self.s.rewind(turn)
        self._trip()


@pytest.fixture(params=[False, True], ids=["direct", "json-roundtrip"])
def play(request, tiny):
    return lambda seed=0: Player(tiny, seed, request.param)


def test_start_offers_choices_whose_condition_holds(play):
    p = play()
    assert p.s.state.id == "opening"
    # choice 3 ("when: not named") is on offer at the start; authored numbers are kept
    assert [c.number for c in p.s.choices()] == [1, 2, 3]
    assert p.s.meters() == {"trust": 50, "cohesion": 40}
    assert p.s.members() == {"ana": 60, "bo": 30}


def test_choose_applies_effects_flags_and_reports_the_step(play):
    p = play()
    step = p.choose(1)
    assert step.turn == 1 and step.state == "opening" and step.choice == 1
    assert step.rating == "recommended" and step.refs == ("nasw-107f",)
    assert step.before["trust"] == 50 and step.after["trust"] == 60
    # fair change: %+50 of the way from 40 to 100 is +30
    assert step.after["cohesion"] == 70
    assert step.changes == {"trust": 10, "cohesion": 30, "bo": 5}
    assert step.flags_set == ("named",)
    assert p.s.flags == {"named"}
    assert step.route == ("middle",)
    # 'not named' now hides choice 3 at... the next state has its own conditions:
    assert [c.number for c in p.s.choices()] == [1, 2, 3]


def test_condition_hides_a_choice_and_choosing_it_is_refused(play):
    p = play()
    p.choose(2)  # harmful, does not set 'named'
    assert [c.number for c in p.s.choices()] == [2, 3]
    with pytest.raises(SessionError, match="choice 1 is not on offer at 'middle'; choose one of 2, 3"):
        p.s.choose(1)


def test_clamping_keeps_values_in_bounds(play):
    p = play()
    step = p.choose(2)  # bo -40 from 30
    assert step.after["bo"] == 0
    assert step.changes["bo"] == -30


def test_routing_on_a_condition(play):
    p = play()
    p.choose(2)
    step = p.choose(2)  # cohesion 40 - 15 = 25 < 30 -> poor-end
    assert step.route == ("route", "poor-end")
    assert p.s.finished and p.s.ending.outcome == "poor"
    with pytest.raises(SessionError, match="has ended"):
        p.s.choose(1)


def test_timeout_goes_to_on_timeout_and_routes_on(play):
    p = play()
    step = p.timeout()
    assert step.timed_out and step.choice is None and step.rating is None
    assert step.route == ("silence", "middle")
    assert step.before == step.after
    assert p.s.turn == 1


def test_timeout_refused_where_there_is_no_time_limit(play):
    p = play()
    p.choose(1)
    with pytest.raises(SessionError, match="no time limit"):
        p.s.timeout()


def test_chance_is_fixed_by_the_seed(play):
    outcomes = {}
    for seed in range(40):
        p = play(seed)
        p.choose(1)
        p.choose(1)
        outcomes[seed] = p.s.state.id
        again = play(seed)
        again.choose(1)
        again.choose(1)
        assert again.s.state.id == outcomes[seed]
    # a 50% branch over 40 seeds goes both ways
    assert set(outcomes.values()) == {"lucky", "good-end"}


def test_rewind_restores_the_earlier_session_exactly(play):
    p = play(3)
    p.choose(1)
    snapshot = p.s.to_json()
    p.choose(2)
    assert p.s.turn == 2
    p.rewind(1)
    assert p.s.to_json() == snapshot
    p.rewind(0)
    assert p.s.turn == 0 and p.s.state.id == "opening" and p.s.flags == frozenset()
    with pytest.raises(SessionError, match="cannot rewind to decision 5"):
        p.s.rewind(5)


def test_transcript_tells_the_story_in_order(play):
    p = play()
    p.choose(1)
    p.choose(1)
    kinds = [(e.kind, e.text) for e in transcript(p.s)]
    assert kinds[:4] == [
        ("title", "The opening"),
        ("narration", "Ana looks at you. Bo looks at the floor."),
        ("line", "Shall we start?"),
        ("line", "yes"),  # 'yes' stays a word, not a boolean
    ]
    assert ("choice", "Name what is happening in the room.") in kinds
    assert kinds[-1][0] == "ending"


def test_from_json_refuses_another_scenarios_session(tiny):
    from dataclasses import replace

    data = Session(tiny).to_json()
    other = replace(tiny, id="other")
    with pytest.raises(SessionError, match="is of scenario 'tiny'"):
        Session.from_json(other, data)
    with pytest.raises(SessionError, match="damaged"):
        Session.from_json(tiny, {"version": 1, "scenario": "tiny", "state": "opening"})


@pytest.mark.parametrize(
    "value, amount, expected",
    [
        (50, 20, 60),  # 20% of the 50 left to 100
        (50, -20, 40),
        (95, 50, 98),  # 2.5 rounds away from zero to 3
        (5, -50, 2),  # -2.5 rounds to -3
        (99, 10, 99),  # 0.1 rounds to 0: a fair change never pins at the bound
        (0, 100, 100),
    ],
)
def test_fair_changes_round_half_away_from_zero(value, amount, expected):
    assert Effect("trust", amount, fair=True).apply(value, 0, 100) == expected
