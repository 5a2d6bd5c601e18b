"""A small text line chart: values across decisions, with a labelled y axis and x axis.

Pure Python so it can be tested without a terminal. `plot` returns rows of cells,
each cell a character and the index of the series it belongs to (or None for axes
and blanks), so the widget can colour series while the markers alone still tell
them apart (colour is never the only cue).
"""

from __future__ import annotations

from dataclasses import dataclass

MARKERS = "●■▲◆★✚✖▼"


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: tuple[int, ...]


Cell = tuple[str, "int | None"]
Row = list[Cell]


def marker(index: int) -> str:
    return MARKERS[index % len(MARKERS)]


def plot(series: list[Series], lo: int, hi: int, *, height: int = 11, step: int = 5) -> list[Row]:
    """Draw `series` (all the same length) between `lo` and `hi`.

    Each series is drawn a column to the right of the one before it ("dodged"),
    so two series at the same value never hide each other.

    Args:
        series: the lines to draw; value `i` of each is drawn at decision `i` (0 = start).
        lo: the bottom of the y axis.
        hi: the top of the y axis.
        height: rows for the plotting area (the axes add rows).
        step: columns between two decisions (widened to fit every series).

    Returns:
        Rows of (char, series index or None): the plot with its y axis, then the x axis,
        then the x labels, then the x axis title.
    """
    height = max(3, height)
    n = max(1, len(series))
    step = max(step, n + 2)
    hi = max(hi, lo + 1)
    points = max((len(s.values) for s in series), default=1)
    width = (points - 1) * step + n
    grid: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]

    def row_of(v: float) -> int:
        frac = (min(max(v, lo), hi) - lo) / (hi - lo)
        return height - 1 - round(frac * (height - 1))

    # Connecting dots first, markers over them.
    for si, s in enumerate(series):
        for i in range(len(s.values) - 1):
            a, b = s.values[i], s.values[i + 1]
            for dx in range(1, step):
                r = row_of(a + (b - a) * dx / step)
                c = i * step + si + dx
                if grid[r][c][1] is None and grid[r][c][0] == " ":
                    grid[r][c] = ("·", si)
    for si, s in enumerate(series):
        for i, v in enumerate(s.values):
            grid[row_of(v)][i * step + si] = (marker(si), si)

    label_w = max(len(str(lo)), len(str(hi)))
    rows: list[Row] = []
    for r in range(height):
        # Label the top, the bottom and (when they fall on a row) the quarters.
        value = hi - (hi - lo) * r / (height - 1)
        labelled = r in (0, height - 1) or (r * 4) % (height - 1) == 0
        label = str(round(value)).rjust(label_w) if labelled else " " * label_w
        rows.append([(label + (" ┤" if labelled else " │"), None), *grid[r]])
    centre = (n - 1) // 2
    axis = "".join("┬" if c % step == centre and c // step < points else "─" for c in range(width))
    rows.append([(" " * label_w + " └", None), (axis, None)])
    ticks = [" "] * (width + step)
    for i in range(points):
        text = "S" if i == 0 else str(i)
        for j, ch in enumerate(text):
            ticks[i * step + centre + j] = ch
    rows.append([(" " * (label_w + 2) + "".join(ticks).rstrip(), None)])
    rows.append([(" " * (label_w + 2) + "decision (S = start)", None)])
    return rows


def legend(series: list[Series]) -> list[Cell]:
    """`● Trust  ■ Cohesion` as cells."""
    out: list[Cell] = []
    for i, s in enumerate(series):
        if out:
            out.append(("   ", None))
        out.append((f"{marker(i)} {s.label} {s.values[-1] if s.values else ''}".rstrip(), i))
    return out


def to_text(rows: list[Row]) -> str:
    """The rows as plain lines (for tests and exports)."""
    return "\n".join("".join(ch for ch, _ in row).rstrip() for row in rows)
