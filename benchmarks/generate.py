"""Generate large, valid scenarios for benchmarks: `python benchmarks/generate.py 10000 > big.yaml`.

The graph is a layered maze of decisions with a few conditions, fair changes,
`next` routing and chance, so that every part of the loader and engine is exercised.
"""

from __future__ import annotations

import random
import sys


def generate(n_states: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    n_end = max(3, n_states // 20)
    n_mid = n_states - n_end
    out = [
        "format: 1",
        f"id: generated-{n_states}",
        f"title: Generated scenario of {n_states} states",
        "summary: A generated maze for benchmarks.",
        "group: {kind: Benchmark group, stage: norming}",
        "objectives: [Measure]",
        "meters:",
        "  trust: {label: Trust, start: 50}",
        "  cohesion: {label: Cohesion, start: 50}",
        "members:",
        "  ana: {name: Ana, trust: 50}",
        "  ben: {name: Ben, trust: 40}",
        "flags: [named]",
        "start: s0",
        "states:",
    ]
    outcomes = ["strong", "mixed", "poor"]
    for i in range(n_mid):
        later = lambda: (
            f"s{rng.randrange(i + 1, n_mid)}" if i + 1 < n_mid and rng.random() < 0.85 else f"e{rng.randrange(n_end)}"
        )
        # The first way out of every state leads to the next one, so every state is reachable.
        following = f"s{i + 1}" if i + 1 < n_mid else "e0"
        if i % 10 == 9:
            out += [
                f"  s{i}:",
                "    next:",
                "      - when: trust < 30",
                f"        goto: {later()}",
                "      - chance: 40",
                f"        goto: {following}",
                f"      - goto: {later()}",
            ]
            continue
        out += [
            f"  s{i}:",
            f"    title: Moment {i}",
            "    narration: The group waits for you to respond.",
            "    lines:",
            "      - ana: What now?",
            "    choices:",
        ]
        for k, rating in enumerate(("recommended", "acceptable", "harmful")):
            d = rng.randint(1, 9)
            effects = (
                f'{{trust: +{d}, cohesion: "%+{d * 3}", ana: -{d}}}'
                if rating != "harmful"
                else f"{{trust: -{d}, cohesion: -{d}, ben: -{d}}}"
            )
            out += [
                f"      - text: Option {k + 1} at moment {i}.",
                f"        rating: {rating}",
                f"        effects: {effects}",
                "        feedback: Why this helps or harms the group.",
                f"        goto: {following if k == 0 else later()}",
            ]
            if k == 1 and i % 7 == 0:
                out.append("        when: trust >= 40 or named")
            if k == 0 and i % 5 == 0:
                out.append("        set: [named]")
    for j in range(n_end):
        out += [
            f"  e{j}:",
            f"    ending: {{outcome: {outcomes[j % 3]}, title: Ending {j}, debrief: What made the difference.}}",
        ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
