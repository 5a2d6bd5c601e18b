"""The order a run shows a decision's choices in.

Each run draws its own order for each decision from its seed, so the place of an option
says nothing about its quality; the order is the same every time that decision is shown
in that run (after a rewind, on resuming, when `--watch` replays). A decision marked
`order: fixed` keeps the authored order. Nothing else depends on the order: records,
exports and reports name a choice by its authored number and text.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from simulator.engine.model import Choice, State


def shown_order(seed: int, state: State, offered: Sequence[Choice]) -> tuple[Choice, ...]:
    """`offered` (choices of `state`) in the order the run with `seed` shows them."""
    if state.order == "fixed" or len(offered) < 2:
        return tuple(offered)
    # Shuffle every authored number, then keep those on offer: a choice that a condition
    # hides or shows does not reorder the others. A string seed is hashed with SHA-512 by
    # `random`, so the order is the same on every machine and Python version 3.2 onwards.
    numbers = [c.number for c in state.choices]
    random.Random(f"order:{seed}:{state.id}").shuffle(numbers)
    place = {n: i for i, n in enumerate(numbers)}
    return tuple(sorted(offered, key=lambda c: place[c.number]))
