"""The engine is pure: importing it (and playing) must not pull in yaml, networkx or textual."""

import subprocess
import sys
from pathlib import Path

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "tiny.yaml"

HEAVY = ("yaml", "networkx", "textual", "sqlite3")


def _loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_engine_imports_nothing_heavy():
    assert _loaded_after("import simulator.engine, simulator.engine.transcript") == []


def test_cli_help_does_not_import_textual_or_networkx():
    code = "from simulator.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    loaded = _loaded_after(code)
    assert "textual" not in loaded and "networkx" not in loaded, loaded


def test_run_command_does_not_import_textual_or_networkx(tmp_path):
    code = f"from simulator.cli import main\nmain(['run', {str(TINY)!r}, '--choose', '1,1'])"
    loaded = _loaded_after(code)
    assert "textual" not in loaded and "networkx" not in loaded, loaded


def test_validate_does_not_import_textual(tmp_path):
    code = f"from simulator.cli import main\nmain(['validate', {str(TINY)!r}])"
    assert "textual" not in _loaded_after(code)
