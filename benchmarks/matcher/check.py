"""Check the matcher evaluation files (tuning.json, heldout.json) and print their counts.

    .venv/bin/python benchmarks/matcher/check.py              # rules and counts
    .venv/bin/python benchmarks/matcher/check.py --scenarios  # also report drift from scenarios/*.yaml

Checks, per file: every paraphrase names an authored choice of its decision; no paraphrase
shares a run of 4 or more words with its own choice's text (words are lowercased runs of
letters and digits, apostrophes dropped, so "time-out" is two words and "don't" is "dont");
every decision has paraphrases for all of its choices and some off-topic replies; and no
decision is in both files. With --scenarios, also says where a decision's prompt or choices
no longer match the scenario files (the data files stay valid on their own; this is only a
note that the scenario has moved on since the data was written).

This only reads the data. It does not run or import any matcher.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("tuning.json", "heldout.json")
RUN = 4


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))


def runs(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def check_file(path: Path) -> tuple[list[str], dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    counts = {"decisions": 0, "choices": 0, "paraphrases": 0, "off_topic": 0}
    for d in data["decisions"]:
        where = f"{path.name}: {d['scenario']}/{d['state']}"
        counts["decisions"] += 1
        counts["choices"] += len(d["choices"])
        counts["off_topic"] += len(d["off_topic"])
        texts = {c["number"]: c["text"] for c in d["choices"]}
        seen = set()
        for p in d["paraphrases"]:
            counts["paraphrases"] += 1
            if p["choice"] not in texts:
                problems.append(f"{where}: paraphrase names choice {p['choice']}, which does not exist")
                continue
            seen.add(p["choice"])
            shared = runs(p["text"]) & runs(texts[p["choice"]])
            if shared:
                problems.append(
                    f"{where}: paraphrase of choice {p['choice']} shares "
                    f"{sorted(' '.join(s) for s in shared)}: {p['text']!r}"
                )
        missing = sorted(set(texts) - seen)
        if missing:
            problems.append(f"{where}: no paraphrase for choice(s) {missing}")
        if not d["off_topic"]:
            problems.append(f"{where}: no off-topic replies")
    return problems, {"data": data, **counts}


def drift(decisions: list[dict]) -> list[str]:
    import yaml  # only needed for --scenarios

    states = {}
    for f in sorted((HERE.parent.parent / "scenarios").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for sid, st in doc["states"].items():
            states[(doc["id"], sid)] = st
    notes = []
    for d in decisions:
        key = (d["scenario"], d["state"])
        st = states.get(key)
        if st is None or "choices" not in st:
            notes.append(f"{key[0]}/{key[1]}: no longer a decision in the scenarios")
            continue
        prompt = (st.get("prompt") or "What do you do?").strip()
        if prompt != d["prompt"]:
            notes.append(f"{key[0]}/{key[1]}: prompt changed")
        now = [(c["text"].strip(), c["rating"]) for c in st["choices"]]
        then = [(c["text"], c["rating"]) for c in d["choices"]]
        if now != then:
            notes.append(f"{key[0]}/{key[1]}: choices changed (texts, ratings or order)")
    return notes


def main(argv: list[str]) -> int:
    all_problems: list[str] = []
    keys: dict[str, set] = {}
    decisions: list[dict] = []
    print(f"{'file':<14}{'seed':>7}{'decisions':>11}{'choices':>9}{'paraphrases':>13}{'off_topic':>11}")
    for name in FILES:
        problems, c = check_file(HERE / name)
        all_problems += problems
        keys[name] = {(d["scenario"], d["state"]) for d in c["data"]["decisions"]}
        decisions += c["data"]["decisions"]
        seed = c["data"]["seed"]
        print(f"{name:<14}{seed:>7}{c['decisions']:>11}{c['choices']:>9}{c['paraphrases']:>13}{c['off_topic']:>11}")
    both = keys[FILES[0]] & keys[FILES[1]]
    if both:
        all_problems.append(f"decisions in both files: {sorted(both)}")
    for p in all_problems:
        print("PROBLEM", p)
    if "--scenarios" in argv:
        notes = drift(decisions)
        for n in notes:
            print("DRIFT", n)
        if not notes:
            print("no drift: every decision still matches scenarios/*.yaml")
    print("ok" if not all_problems else f"{len(all_problems)} problem(s)")
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
