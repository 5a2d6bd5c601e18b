"""Radio buttons and check boxes whose mark says on or off without colour.

Textual draws the same mark (● or X) in both states and tells them apart by colour
alone; a trainee who cannot tell the colours apart, or reads the screen through a
screen reader or a plain-text capture, would see every option as chosen. Here the
mark is drawn only when the option is on.
"""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton


class Radio(RadioButton):
    """A radio button: ● when chosen, blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual reads it per render
        return "●" if self.value else " "


class Check(Checkbox):
    """A check box: ✓ when ticked, blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "✓" if self.value else " "
