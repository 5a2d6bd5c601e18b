"""The records know the engine, not the TUI: importing them loads neither Textual nor YAML."""

import subprocess
import sys


def test_records_import_no_ui_and_no_yaml():
    code = (
        "import sys, simulator.records, simulator.records.queries, simulator.records.report, simulator.records.resume;"
        "bad = [m for m in ('textual', 'simulator.tui', 'yaml', 'networkx') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_help_does_not_import_textual_for_the_records_commands():
    code = (
        "import sys; from simulator.cli import build_parser; build_parser();"
        "import simulator.commands.review, simulator.commands.report, simulator.commands.records;"
        "sys.exit(1 if 'textual' in sys.modules or 'sqlite3' in sys.modules else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
