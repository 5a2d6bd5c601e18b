"""A real program on a pseudo-terminal, for tests that need what a person's terminal does:
keys arriving together, a full-screen app drawing, a process killed mid-run.

Imported by path (tests run with --import-mode=importlib):

    spec = importlib.util.spec_from_file_location("terminal", ROOT / "tests" / "terminal.py")
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")


def groupsim_argv(*args: str) -> list[str]:
    """The installed `groupsim` command with `args` (or `python -m simulator` without one)."""
    exe = Path(sys.executable).with_name("groupsim")
    return [*([str(exe)] if exe.exists() else [sys.executable, "-m", "simulator"]), *args]


class Terminal:
    """`argv` on a `rows`x`cols` pseudo-terminal: type into it, read what it printed."""

    def __init__(self, argv: list[str], *, rows: int = 30, cols: int = 100, env: dict[str, str] | None = None) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        base = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), "GROUPSIM_DB": ""}
        base.pop("TEXTUAL", None)
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**base, **(env or {})},
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self._out += data

    @property
    def raw(self) -> str:
        return self._out.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def type(self, keys: str) -> None:
        """Write `keys` in one write: they arrive together, as from a fast typist or key rollover."""
        os.write(self.master, keys.encode())

    def wait_for(self, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while what not in self.text:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never saw {what!r}; the terminal showed:\n{self.text[-3000:]}")
            time.sleep(0.05)

    def wait_exit(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)  # the last bytes
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


def wait_until(check, timeout: float = 30, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
