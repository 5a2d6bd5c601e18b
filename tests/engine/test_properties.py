"""Properties over generated scenarios: bounds hold, seeds replay, JSON round trips are
exact, and neither the loader nor the validator ever raises."""

from __future__ import annotations

import json
import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.authoring.loader import load_text
from simulator.authoring.validate import warnings
from simulator.engine import Session

CONDITIONS = ["trust >= 40", "cohesion < 60", "flag_a", "not flag_b", "m0 > 30", "turn > 2", "trust + cohesion > 90"]
EFFECT_VALUES = st.one_of(
    st.integers(-60, 60).map(lambda n: f"{n:+d}"),
    st.integers(1, 100).map(lambda n: f"%{n:+d}"),
    st.integers(1, 100).map(lambda n: f"%-{n}"),
)


@st.composite
def scenarios(draw):
    n = draw(st.integers(2, 9))
    ids = [f"s{i}" for i in range(n)]
    low = draw(st.integers(-20, 20))
    high = draw(st.integers(low + 1, low + 150))
    meters = {
        "trust": {"label": "Trust", "start": draw(st.integers(low, high)), "min": low, "max": high},
        "cohesion": {"label": "Cohesion", "start": draw(st.integers(0, 100))},
    }
    members = {"m0": {"name": "Zoë [b]", "trust": draw(st.integers(0, 100))}}
    targets = ["trust", "cohesion", "m0"]
    states = {}
    for i, sid in enumerate(ids):
        last = i == n - 1
        kind = "ending" if last else draw(st.sampled_from(["decision", "decision", "route", "ending"]))
        if i == 0 and kind == "ending":
            kind = "decision"
        if kind == "ending":
            states[sid] = {"ending": {"outcome": draw(st.sampled_from(["strong", "mixed", "poor"])), "title": "End"}}
        elif kind == "route":
            later = ids[i + 1 :]  # routing only forward, so routes never loop
            branches = []
            for _ in range(draw(st.integers(0, 2))):
                b = {"goto": draw(st.sampled_from(later))}
                if draw(st.booleans()):
                    b["when"] = draw(st.sampled_from(CONDITIONS))
                else:
                    b["chance"] = draw(st.integers(1, 99))
                branches.append(b)
            branches.append({"goto": draw(st.sampled_from(later))})
            states[sid] = {"next": branches}
        else:
            choices = []
            for _ in range(draw(st.integers(1, 4))):
                c = {
                    "text": "Do something",
                    "rating": draw(st.sampled_from(["recommended", "acceptable", "risky", "harmful"])),
                    "feedback": "Because.",
                    "goto": draw(st.sampled_from(ids)),
                    "effects": {t: draw(EFFECT_VALUES) for t in draw(st.lists(st.sampled_from(targets), unique=True))},
                }
                if draw(st.booleans()):
                    c["set"] = [draw(st.sampled_from(["flag_a", "flag_b"]))]
                if draw(st.integers(0, 3)) == 0:
                    c["when"] = draw(st.sampled_from(CONDITIONS))
                choices.append(c)
            states[sid] = {"choices": choices}
            if draw(st.integers(0, 4)) == 0:
                states[sid]["time_limit"] = 10
                states[sid]["on_timeout"] = draw(st.sampled_from(ids))
    doc = {
        "format": 1,
        "id": "generated",
        "title": "Generated",
        "summary": "A generated scenario.",
        "group": {"kind": "Test", "stage": "forming"},
        "objectives": ["Test"],
        "meters": meters,
        "members": members,
        "flags": ["flag_a", "flag_b"],
        "start": "s0",
        "states": states,
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def play(scenario, seed: int, picks: int, roundtrip: bool = False) -> Session:
    """Play up to `picks` decisions, choosing with an RNG of its own (not the session's)."""
    rng = random.Random(picks * 7919 + seed)
    s = Session(scenario, seed)
    for _ in range(picks):
        if s.finished:
            break
        offered = s.choices()
        if s.state.time_limit and (not offered or rng.random() < 0.2):
            s.timeout()
        elif offered:
            s.choose(rng.choice(offered).number)
        else:
            break
        if roundtrip:
            s = Session.from_json(scenario, json.loads(json.dumps(s.to_json())))
    return s


COMMON = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(scenarios(), st.integers(0, 10_000), st.integers(0, 40))
def test_values_stay_within_bounds(text, seed, picks):
    scenario, errors = load_text(text)
    assert scenario is not None, errors
    s = play(scenario, seed, picks)
    for step in s.history:
        for name, value in step.after.items():
            low, high = scenario.bounds(name)
            assert low <= value <= high


@COMMON
@given(scenarios(), st.integers(0, 10_000), st.integers(0, 40))
def test_each_decision_changes_values_exactly_as_effect_apply_says(text, seed, picks):
    # Effect.apply is the definition of a change; the session writes its plain case out
    # for speed, so hold the two together: each step's `after` is its `before` with the
    # chosen choice's effects applied one by one, and a step's `before` is the last `after`.
    scenario, errors = load_text(text)
    assert scenario is not None, errors
    s = play(scenario, seed, picks)
    previous = scenario.initial_values()
    for step in s.history:
        assert dict(step.before) == previous
        expected = dict(step.before)
        if step.choice is not None:
            for e in scenario.states[step.state].choices[step.choice - 1].effects:
                expected[e.target] = e.apply(expected[e.target], *scenario.bounds(e.target))
        assert dict(step.after) == expected
        previous = expected
    assert dict(s.values) == previous


@COMMON
@given(scenarios(), st.integers(0, 10_000), st.integers(0, 40))
def test_same_seed_replays_the_same_run(text, seed, picks):
    scenario, _ = load_text(text)
    assert play(scenario, seed, picks).to_json() == play(scenario, seed, picks).to_json()


@COMMON
@given(scenarios(), st.integers(0, 10_000), st.integers(0, 40))
def test_json_round_trips_are_exact(text, seed, picks):
    scenario, _ = load_text(text)
    direct = play(scenario, seed, picks)
    tripped = play(scenario, seed, picks, roundtrip=True)
    assert tripped.to_json() == direct.to_json()
    data = json.loads(json.dumps(direct.to_json()))
    assert Session.from_json(scenario, data).to_json() == data


@COMMON
@given(scenarios(), st.integers(0, 10_000), st.integers(1, 30))
def test_rewind_equals_replaying_the_prefix(text, seed, picks):
    scenario, _ = load_text(text)
    s = play(scenario, seed, picks)
    if s.turn == 0:
        return
    k = s.turn // 2
    prefix = Session(scenario, seed)
    for step in s.history[:k]:
        prefix.timeout() if step.timed_out else prefix.choose(step.choice)
    s.rewind(k)
    assert s.to_json() == prefix.to_json()


@COMMON
@given(scenarios())
def test_validator_never_raises(text):
    scenario, errors = load_text(text)
    assert scenario is not None and errors == []
    for d in warnings(scenario):
        assert d.severity == "warning" and d.line >= 1


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_loader_never_raises_on_arbitrary_input(data):
    scenario, diags = load_text(data, "fuzz.yaml")
    assert scenario is None and diags and all(d.severity == "error" for d in diags)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_loader_never_raises_on_damaged_scenarios(text, data):
    # Cut, duplicate or drop a slice of a valid file: the loader answers with diagnostics.
    lines = text.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(i, len(lines)))
    op = data.draw(st.sampled_from(["drop", "dup", "indent"]))
    if op == "drop":
        lines[i:j] = []
    elif op == "dup":
        lines[i:i] = lines[i:j]
    else:
        lines[i:j] = ["  " + ln for ln in lines[i:j]]
    scenario, diags = load_text("".join(lines), "damaged.yaml")
    assert (scenario is None) == bool(diags)
