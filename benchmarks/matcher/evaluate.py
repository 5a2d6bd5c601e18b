"""Compare ways of matching a trainee's own words to a decision's choices (say-it-first).

For each candidate in candidates.py, on a data file of decisions (their choices,
trainee-style paraphrases of each choice, and off-topic replies):

- top-1 / top-2: how often the paraphrased choice ranks first / in the first two;
- pre-selects right / wrong, abstains: what the abstention rule does with each
  paraphrase (pre-select the best only when its score >= T and its lead over the
  second >= M);
- off-topic abstained: how often an off-topic reply pre-selects nothing;
- time per match, median and 95th percentile over every case, from the words and
  the choices to the scores (nothing cached between cases but a loaded model), and the
  median's ratio to the baseline's (a plain Python token-overlap loop) in the same run;
- import and load time (fresh interpreters, median of 3) and the installed size of
  what the candidate adds to groupsim's own dependencies.

T and M are tuned per candidate on the tuning file (--tune writes them to
thresholds.json; --tune --thresholds elsewhere.json on a dev file for early tries, never on
held-out), M being at least 0.02 so that a tie never pre-selects: the largest number of right pre-selections minus twice the wrong ones,
with at least 85% of off-topic replies abstained. Any other file is measured with the
thresholds as saved; the shipped matcher always uses its own.

    python benchmarks/matcher/evaluate.py --tune                      # tuning.json
    python benchmarks/matcher/evaluate.py --data heldout              # once, frozen
    python benchmarks/matcher/evaluate.py --data tests/fixtures/matcher/dev.json
    python benchmarks/matcher/evaluate.py --phrasings phrasings.json  # authors' phrasings added
    python benchmarks/matcher/evaluate.py --only use-m3,shipped --no-cost

Candidates whose library is not installed are listed as such; install them to compare.
Progress goes to standard error, the table to standard output.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

from candidates import Candidate, all_candidates  # noqa: E402

from simulator.engine.model import Choice  # noqa: E402

THRESHOLDS = HERE / "thresholds.json"
OFF_TOPIC_FLOOR = 0.85
WRONG_COST = 2
MIN_LEAD_FLOOR_STEPS = 4
"""M is at least 4/200 = 0.02: two choices that score the same must never pre-select either."""


@dataclass
class Decision:
    key: str
    choices: tuple[Choice, ...]
    paraphrases: list[tuple[int, str]]
    off_topic: list[str]


def load(path: Path, phrasings: dict[str, dict[str, list[str]]] | None = None) -> list[Decision]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for d in data["decisions"]:
        key = f"{d['scenario']}/{d['state']}"
        extra = (phrasings or {}).get(key, {})
        choices = tuple(
            Choice(
                number=int(c["number"]),
                text=c["text"],
                rating=c.get("rating", "acceptable"),
                feedback="",
                goto="",
                phrasings=tuple(extra.get(str(c["number"]), ())),
            )
            for c in d["choices"]
        )
        paras = [(int(p["choice"]), p["text"]) for p in d.get("paraphrases", [])]
        out.append(Decision(key, choices, paras, list(d.get("off_topic", []))))
    return out


@dataclass
class Case:
    decision: str
    text: str
    gold: int | None  # the choice's number; None for an off-topic reply
    numbers: list[int]
    scores: list[float]
    seconds: float
    selected: int | None = None  # the shipped matcher's own pre-selection


@dataclass
class Result:
    name: str
    cases: list[Case] = field(default_factory=list)
    error: str = ""


def ranked(case: Case) -> list[int]:
    order = sorted(range(len(case.scores)), key=lambda i: (-case.scores[i], i))
    return [case.numbers[i] for i in order]


def select(case: Case, t: float, m: float) -> int | None:
    order = sorted(case.scores, reverse=True)
    if not order or order[0] < t:
        return None
    if len(order) > 1 and order[0] - order[1] < m:
        return None
    return ranked(case)[0]


def clear_caches() -> None:
    from candidates import EMBEDDERS

    for e in EMBEDDERS.values():
        e.cache.clear()
    if "simulator.play.matcher" in sys.modules:
        sys.modules["simulator.play.matcher"]._forget()


def run(candidate: Candidate, decisions: list[Decision]) -> Result:
    res = Result(candidate.name)
    try:
        # Load the library and model once, outside the timed calls.
        candidate.score("warm up", decisions[0].choices)
    except ImportError as exc:
        res.error = f"not installed ({exc.name or exc})"
        return res
    for d in decisions:
        items = [(n, t) for n, t in d.paraphrases] + [(None, t) for t in d.off_topic]
        for gold, text in items:
            clear_caches()
            start = time.perf_counter()
            scores = candidate.score(text, d.choices)
            seconds = time.perf_counter() - start
            case = Case(d.key, text, gold, [c.number for c in d.choices], scores, seconds)
            if candidate.name == "shipped":
                from simulator.play import matcher

                chosen = matcher.match(text, d.choices).selected
                case.selected = chosen.number if chosen else None
            res.cases.append(case)
    return res


@dataclass
class Metrics:
    top1: float
    top2: float
    right: float
    wrong: float
    abstain: float
    off_abstain: float
    median_ms: float
    p95_ms: float
    n_para: int
    n_off: int


def metrics(res: Result, t: float | None, m: float | None) -> Metrics:
    para = [c for c in res.cases if c.gold is not None]
    off = [c for c in res.cases if c.gold is None]

    def sel(c: Case) -> int | None:
        return c.selected if t is None or m is None else select(c, t, m)

    picks = [sel(c) for c in para]
    ms = sorted(c.seconds * 1000 for c in res.cases)
    return Metrics(
        top1=sum(ranked(c)[0] == c.gold for c in para) / len(para),
        top2=sum(c.gold in ranked(c)[:2] for c in para) / len(para),
        right=sum(p == c.gold for p, c in zip(picks, para)) / len(para),
        wrong=sum(p is not None and p != c.gold for p, c in zip(picks, para)) / len(para),
        abstain=sum(p is None for p in picks) / len(para),
        off_abstain=sum(sel(c) is None for c in off) / len(off) if off else float("nan"),
        median_ms=statistics.median(ms),
        p95_ms=ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
        n_para=len(para),
        n_off=len(off),
    )


def tune(res: Result) -> tuple[float, float]:
    """The (T, M) that maximise right - WRONG_COST x wrong with off-topic abstention of at
    least OFF_TOPIC_FLOOR; ties go to the higher (more cautious) thresholds."""
    para = [c for c in res.cases if c.gold is not None]
    off = [c for c in res.cases if c.gold is None]
    best: tuple[float, float, float, float] | None = None
    for ti in range(96):
        t = ti / 100
        off_ok = [c for c in off if max(c.scores, default=0) < t]  # abstained by T alone
        for mi in range(MIN_LEAD_FLOOR_STEPS, 61):
            m = mi / 200
            off_abst = (len(off_ok) + sum(select(c, t, m) is None for c in off if c not in off_ok)) / max(1, len(off))
            if off_abst < OFF_TOPIC_FLOOR:
                continue
            picks = [select(c, t, m) for c in para]
            gain = sum(p == c.gold for p, c in zip(picks, para)) - WRONG_COST * sum(
                p is not None and p != c.gold for p, c in zip(picks, para)
            )
            key = (gain, t, m)
            if best is None or key > best[:3]:
                best = (gain, t, m, off_abst)
    assert best is not None
    return best[1], best[2]


# -- cost: import and load time, installed size ----------------------------------------------


def import_and_load_ms(candidate: Candidate, runs: int = 3) -> tuple[float, float] | None:
    if candidate.module is None:
        return None
    probe = (
        f"import sys, time; sys.path[:0] = [{str(ROOT)!r}, {str(HERE)!r}]\n"
        f"t0 = time.perf_counter(); import {candidate.module}; t1 = time.perf_counter()\n"
        f"{candidate.load}\n"
        "t2 = time.perf_counter(); print((t1 - t0) * 1000, (t2 - t1) * 1000)"
    )
    got = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
        if out.returncode:
            return None
        a, b = out.stdout.split()
        got.append((float(a), float(b)))
    return statistics.median(a for a, _ in got), statistics.median(b for _, b in got)


def _dist_size(name: str) -> int:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for f in dist.files or ():
        p = Path(str(f.locate()))
        if p.is_file():
            total += p.stat().st_size
    return total


def _closure(name: str, seen: set[str]) -> set[str]:
    from packaging.requirements import Requirement

    key = name.lower().replace("_", "-")
    if key in seen:
        return seen
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return seen
    seen.add(key)
    for r in dist.requires or ():
        req = Requirement(r)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            _closure(req.name, seen)
    return seen


def added_size_mb(packages: tuple[str, ...]) -> tuple[float, list[str]] | None:
    try:
        for package in packages:
            metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    ours: set[str] = set()
    for dep in ("textual", "pyyaml", "networkx", "platformdirs", "textual-serve"):
        _closure(dep, ours)
    needed: set[str] = set()
    for package in packages:
        _closure(package, needed)
    added = sorted(needed - ours)
    return sum(_dist_size(n) for n in added) / 2**20, added


# -- output --------------------------------------------------------------------------------------


def pct(x: float) -> str:
    return "  n/a" if x != x else f"{100 * x:4.0f}%"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="tuning", help="tuning, heldout, or a path (default tuning)")
    ap.add_argument("--tune", action="store_true", help="tune T and M on this file and save them (not on held-out)")
    ap.add_argument(
        "--phrasings",
        help="a JSON file of phrasings for choices, {'scenario/state': {'N': [...]}}: the decisions it names are "
        "measured without them and then with them",
    )
    ap.add_argument("--only", help="comma-separated candidate names")
    ap.add_argument(
        "--thresholds", default=str(THRESHOLDS), help="where T and M are read and --tune saves them (thresholds.json)"
    )
    ap.add_argument("--no-cost", action="store_true", help="skip import time and installed size")
    ap.add_argument("--json", help="write every case's scores to this file")
    args = ap.parse_args()

    path = HERE / f"{args.data}.json" if args.data in ("tuning", "heldout") else Path(args.data)
    if args.tune and args.data == "heldout":
        ap.error("never tune on the held-out file")
    if args.tune and args.phrasings:
        ap.error("tune without --phrasings")
    thresholds_path = Path(args.thresholds)
    saved = json.loads(thresholds_path.read_text()) if thresholds_path.exists() else {}
    cands = all_candidates()
    names = args.only.split(",") if args.only else list(cands)

    runs: list[tuple[str, list[Decision]]] = []
    if args.phrasings:
        phrasings = json.loads(Path(args.phrasings).read_text(encoding="utf-8"))
        keep = [d.key for d in load(path) if d.key in phrasings]
        runs.append(("without phrasings", [d for d in load(path) if d.key in keep]))
        runs.append(
            (f"with the phrasings of {Path(args.phrasings).name}", [d for d in load(path, phrasings) if d.key in keep])
        )
    else:
        runs.append(("", load(path)))
    all_results = {}
    for label, decisions in runs:
        all_results[label] = table(path, label, decisions, names, cands, saved, args)
    if args.tune:
        thresholds_path.write_text(json.dumps(saved, indent=2) + "\n")
        print(f"thresholds saved to {thresholds_path}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    (f"{label}: " if label else "") + n: [
                        {
                            "decision": c.decision,
                            "text": c.text,
                            "gold": c.gold,
                            "numbers": c.numbers,
                            "scores": c.scores,
                        }
                        for c in r.cases
                    ]
                    for label, results in all_results.items()
                    for n, r in results.items()
                },
                indent=1,
            )
        )
    return 0


def table(
    path: Path,
    label: str,
    decisions: list[Decision],
    names: list[str],
    cands: dict[str, Candidate],
    saved: dict[str, list[float]],
    args: argparse.Namespace,
) -> dict[str, Result]:
    n_para = sum(len(d.paraphrases) for d in decisions)
    n_off = sum(len(d.off_topic) for d in decisions)
    title = (
        f"{path.name}{f', {label}' if label else ''}: {len(decisions)} decisions, "
        f"{sum(len(d.choices) for d in decisions)} choices, {n_para} paraphrases, {n_off} off-topic replies"
    )
    print(title, file=sys.stderr)
    results: dict[str, Result] = {}
    for name in names:
        print(f"  {name} ...", file=sys.stderr)
        results[name] = run(cands[name], decisions)

    base = results.get("overlap") or run(cands["overlap"], decisions)
    base_ms = statistics.median(c.seconds * 1000 for c in base.cases)
    header = (
        f"{'candidate':17} {'top-1':>5} {'top-2':>5} | {'T':>4} {'M':>5} {'right':>5} {'wrong':>5} {'abst.':>5} | "
        f"{'off-topic':>9} | {'median':>8} {'p95':>8} {'x base':>7} | {'import':>7} {'load':>7} {'adds':>8}"
    )
    load_avg = f"load average {os.getloadavg()[0]:.1f} at the start, {os.cpu_count()} CPUs"
    print(f"\n{title}; {load_avg}\n")
    print(header)
    print("-" * len(header))
    for name, res in results.items():
        cand = cands[name]
        if res.error:
            print(f"{name:17} {res.error}")
            continue
        if name == "shipped":
            from simulator.play import matcher

            t, m = matcher.MIN_SCORE, matcher.MIN_LEAD
            mt = metrics(res, None, None)
        else:
            if args.tune:
                saved[name] = list(tune(res))
            if name not in saved:
                print(f"{name:17} no thresholds saved: run with --tune on the tuning file first")
                continue
            t, m = saved[name]
            mt = metrics(res, t, m)
        cost = "" if args.no_cost else _cost(cand)
        print(
            f"{name:17} {pct(mt.top1):>5} {pct(mt.top2):>5} | {t:4.2f} {m:5.3f} {pct(mt.right):>5} {pct(mt.wrong):>5} "
            f"{pct(mt.abstain):>5} | {pct(mt.off_abstain):>9} | {mt.median_ms:6.2f}ms {mt.p95_ms:6.2f}ms "
            f"{mt.median_ms / base_ms:6.1f}x | {cost}"
        )
    print(
        f"\nbaseline: overlap, median {base_ms:.3f} ms a match in this run. top-1/top-2 over {n_para} paraphrases; "
        f"right/wrong/abst. = what the pre-selection does with them at T, M; off-topic = share of {n_off} "
        "off-topic replies that pre-select nothing. Times: one match, cold (the decision's texts not cached); "
        f"load average {os.getloadavg()[0]:.1f} at the end."
    )
    return results


_COST_CACHE: dict[str, str] = {}


def _cost(cand: Candidate) -> str:
    key = f"{cand.packages}:{cand.module}"
    if key not in _COST_CACHE:
        il = import_and_load_ms(cand)
        size = added_size_mb(cand.packages)
        _COST_CACHE[key] = (
            (f"{il[0]:5.0f}ms {il[1]:5.0f}ms" if il else f"{'-':>7} {'-':>7}")
            + " "
            + (f"{size[0]:6.0f}MB" if size else f"{'?':>8}")
        )
    return _COST_CACHE[key]


if __name__ == "__main__":
    if importlib.util.find_spec("numpy") is None:
        print("note: numpy is not installed; the embedding and most library candidates will say so", file=sys.stderr)
    raise SystemExit(main())
