"""What the app needs to know of a screen that shows a run, without importing its module."""

from __future__ import annotations

from textual.screen import Screen

from simulator.play.run import Run


class RunScreen(Screen[None]):
    """A screen showing a run: its session (`SessionScreen`) or its debrief (`DebriefScreen`)."""

    run: Run

    def action_export(self) -> None:
        """Save the run as Markdown and JSON."""
        raise NotImplementedError
