"""Shared helpers for the TUI tests (imported by path: tests run with --import-mode=importlib)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

ROOT = Path(__file__).resolve().parents[2]
BREACH = ROOT / "scenarios" / "confidentiality-breach.yaml"
TINY = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"
INVALID = ROOT / "tests" / "fixtures" / "invalid"

# The all-recommended path through confidentiality-breach, in authored choice numbers
# (the scenario's own first test), and where it ends.
BREACH_BEST = (2, 3, 2, 2, 2, 2, 2, 3, 2, 2, 2)


def make(target: Path | str, tmp_path: Path | None = None, **kw):
    from simulator.authoring.library import resolve
    from simulator.tui.app import make_app
    from simulator.tui.clock import ManualClock

    kw.setdefault("seed", 0)
    kw.setdefault("cursor_blink", False)
    # Time moves only when a test says so (`app.clock.advance(seconds)`): no test may
    # depend on how fast the machine is.
    kw.setdefault("clock", ManualClock())
    if tmp_path is not None:
        kw.setdefault("export_dir", tmp_path / "exports")
    return make_app(resolve(str(target)), **kw)


def shown_key(app, authored: int) -> str:
    """The key (1-9) that takes authored choice `authored` where the session stands now
    (choices are shown in an order drawn for each run)."""
    offered = [c.number for c in app.current.on_offer()]
    return str(offered.index(authored) + 1)


def screen_text(app) -> str:
    """Every Static's text on the current screen, joined (what is on screen, scrolled or not)."""
    return "\n".join(str(w.visual) for w in app.screen.query(Static) if w.visual is not None)


def asynctest(fn):
    """Run an async test body in its own event loop (no async pytest plugin is needed)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def visible_lines(app) -> list[str]:
    """The screen as a person sees it now, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def visible(app) -> str:
    return "\n".join(visible_lines(app))


async def choose(app, pilot, *authored: int) -> None:
    """Take the choices with these authored numbers, one decision after another, by their
    keys on screen, continuing past each feedback (practice) as a trainee would."""
    for n in authored:
        await pilot.press(shown_key(app, n))
        if app.screen.query("#feedback"):
            await pilot.press("enter")


def resolve_one(path: Path):
    """The scenario in the file at `path`."""
    from simulator.authoring.loader import load

    return load(path)
