"""The text chart the debrief draws."""

from __future__ import annotations

# -- plot ---------------------------------------------------------------------------------


def test_plot_has_labelled_axes_and_every_point():
    from simulator.tui.plot import Series, legend, plot, to_text

    series = [Series("Trust", (50, 60, 40)), Series("Cohesion", (50, 50, 100))]
    rows = plot(series, 0, 100, height=11, step=4)
    text = to_text(rows)
    lines = text.splitlines()
    assert lines[0].startswith("100 ┤") and lines[10].startswith("  0 ┤") and lines[5].startswith(" 50 ┤")
    assert "└" in lines[11] and lines[11].count("┬") == 3
    assert lines[12].split() == ["S", "1", "2"]
    assert lines[13].strip() == "decision (S = start)"
    # Both series start at 50: drawn side by side ("dodged"), neither hides the other.
    assert "●■" in lines[5]
    assert text.count("●") == 3 and text.count("■") == 3
    assert lines[0].count("■") == 1  # cohesion reaches 100
    cells = [c for row in rows for c in row]
    assert {i for _, i in cells if i is not None} == {0, 1}
    assert "".join(t for t, _ in legend(series)) == "● Trust 40   ■ Cohesion 100"


def test_plot_clamps_and_copes_with_one_point():
    from simulator.tui.plot import Series, plot, to_text

    text = to_text(plot([Series("X", (150,))], 0, 100, height=5))
    assert text.splitlines()[0] == "100 ┤●"
    assert to_text(plot([], 0, 100))  # no series: just the axes
