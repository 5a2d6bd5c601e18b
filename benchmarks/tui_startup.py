"""Start-up time of `groupsim play FILE` against a minimal Textual app, in the same run.

Each command is started in a pseudo-terminal (100x30) and timed from the spawn to
the moment its first screen's text appears in the output: for groupsim the
briefing's title, for the baseline a one-widget app's text. The two alternate, so
a busy machine slows both alike; the medians and their ratio are printed. The
target (issue 13) is a ratio within 1.45.

Both load their code from cached bytecode: Textual's .pyc files were written when it
was installed, and groupsim's are compiled once before the warm-up (as pip does on
install), so that a PYTHONDONTWRITEBYTECODE environment does not time the compiling
of groupsim's sources on every run.

    python benchmarks/tui_startup.py [FILE] [--runs 9]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "confidentiality-breach.yaml"

MINIMAL = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("Minimal-ready")

Minimal().run()
"""


SAME_WIDGETS = """
from textual.app import App
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, RadioButton, RadioSet, Static

class SameWidgets(App):
    # The widget tree of groupsim's briefing (screens/briefing.py), with no groupsim code,
    # stylesheet or scenario: what Textual itself takes to put those widgets on screen.
    def compose(self):
        yield Static("Widgets-ready")
        with Horizontal():
            with VerticalScroll():
                yield Static("Group: a support group " * 12)
                yield Static("Content notes " * 10)
                yield Static("Objectives " * 40)
            with VerticalScroll():
                yield Static("Your name (optional, kept with your records)")
                yield Input(placeholder="optional")
                yield Static("Mode")
                with RadioSet():
                    yield RadioButton("Practice", value=True)
                    yield RadioButton("Assessment")
                yield Static("Feedback after every choice; you can rewind.")
                yield Checkbox("Use time limits")
                with Horizontal():
                    yield Button("Begin", variant="primary")
                    yield Button("Back")
        yield Footer()

SameWidgets().run()
"""
"""A Textual app with the briefing's widgets and nothing of groupsim's: it separates what
Textual costs for that screen from what groupsim adds (its imports, the scenario, records)."""


def first_frame(argv: list[str], marker: bytes, *, timeout: float = 30.0) -> float:
    """Seconds from spawning `argv` in a 100x30 pty until `marker` is printed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the program
        try:
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"})
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    start = time.perf_counter()
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                elapsed = time.perf_counter() - start
                break
            # Terminal queries (cursor position, colours) go unanswered; Textual copes.
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 3
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                if select.select([fd], [], [], 0.05)[0]:
                    os.read(fd, 65536)  # keep draining, so the child is never blocked writing
            except OSError:
                pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if elapsed is None:
        tail = seen[-400:].decode("utf-8", "replace")
        raise SystemExit(f"{' '.join(argv)}: no {marker!r} within {timeout}s; last output: {tail!r}")
    return elapsed


def cache_bytecode() -> None:
    """Compile groupsim's modules to bytecode once, as an installed package's already are."""
    import compileall

    compileall.compile_dir(ROOT / "simulator", quiet=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "file", nargs="?", default=str(DEFAULT), help="the scenario to open (default: confidentiality-breach)"
    )
    parser.add_argument("--runs", type=int, default=9, help="runs of each (default 9)")
    args = parser.parse_args()

    # A fresh records database, so no interrupted run is offered before the app starts
    # (opening and writing the records is part of what is timed).
    db = Path(tempfile.mkdtemp()) / "records.sqlite3"
    groupsim = [sys.executable, "-m", "simulator", "play", args.file, "--db", str(db)]
    minimal = [sys.executable, "-c", MINIMAL]
    widgets = [sys.executable, "-c", SAME_WIDGETS]
    cache_bytecode()
    # One warm-up of each, so all start with the same files in the OS cache.
    first_frame(groupsim, b"Briefing")
    first_frame(minimal, b"Minimal-ready")
    first_frame(widgets, b"Widgets-ready")
    ours: list[float] = []
    base: list[float] = []
    same: list[float] = []
    for _ in range(args.runs):
        ours.append(first_frame(groupsim, b"Briefing"))
        base.append(first_frame(minimal, b"Minimal-ready"))
        same.append(first_frame(widgets, b"Widgets-ready"))
    o, b, w = statistics.median(ours), statistics.median(base), statistics.median(same)
    print(f"groupsim play {Path(args.file).name}: median {o * 1000:.0f} ms (min {min(ours) * 1000:.0f})")
    print(f"minimal Textual app:     median {b * 1000:.0f} ms (min {min(base) * 1000:.0f})")
    print(f"the briefing's widgets alone, no groupsim: median {w * 1000:.0f} ms ({w / b:.2f}x the minimal app)")
    ratio = o / b
    print(
        f"ratio: {ratio:.2f}x (target <= 1.45x) {'OK' if ratio <= 1.45 else 'OVER'}; "
        f"groupsim's own share: {(o - w) * 1000:.0f} ms ({o / w:.2f}x the same widgets without it)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
