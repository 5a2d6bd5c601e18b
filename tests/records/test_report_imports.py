"""`groupsim report` and the records' read models load no UI; the review's package loads Textual only in its app."""

import subprocess
import sys
from pathlib import Path

from simulator.play.settings import Settings

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml"
WATCHED = ("textual", "simulator.tui", "yaml", "networkx")


def _loaded(code: str) -> list[str]:
    """Which of WATCHED a fresh interpreter has imported after running `code`."""
    probe = f"{code}\nimport sys\nprint('loaded:' + ','.join(m for m in {WATCHED!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("loaded:"))
    return [m for m in line.removeprefix("loaded:").split(",") if m]


def test_the_report_and_the_queries_import_no_ui():
    assert _loaded("import simulator.records.queries, simulator.records.report") == []


def test_groupsim_report_runs_without_textual(tmp_path):
    from simulator.authoring.loader import load
    from simulator.engine import Session
    from simulator.records import Recorder

    db = tmp_path / "r.db"
    tiny = load(TINY)
    with Recorder(db) as rec:  # recorded here: loading the scenario needs yaml
        s = Session(tiny, 1)
        rid = rec.start_run(tiny, Settings("practice", "Ann"), 1)
        rec.record_step(rid, s, s.choose(1), 100)
    code = (
        "import contextlib, io\nfrom simulator.cli import main\nbuf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    assert main(['report', '--db', {str(db)!r}, '--format', 'md', '--outcome', 'unfinished']) == 0\n"
        "assert '| Ann |' in buf.getvalue()"
    )
    assert "textual" not in _loaded(code)


def test_the_review_package_loads_textual_only_in_its_app():
    assert _loaded("import simulator.tui.review") == ["simulator.tui"]
    assert "textual" in _loaded("import simulator.tui.review.app")
