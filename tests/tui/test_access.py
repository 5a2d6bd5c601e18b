"""Colour and motion: nothing is told by colour alone (every screen read in a monochrome
terminal, NO_COLOR=1), a high-contrast theme whose every text is 7:1 or better on its
background, and `--calm`, which turns off transient flashes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rich.segment import Segment
from textual.filter import Monochrome

_spec = importlib.util.spec_from_file_location("tui_helpers", Path(__file__).with_name("helpers.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)  # type: ignore[union-attr]

RATING_WORDS = ("Recommended", "Acceptable", "Risky", "Harmful")


def _monochrome_rows(app) -> list[list[Segment]]:
    """The screen as a monochrome terminal draws it: Textual's own NO_COLOR filter applied."""
    assert any(isinstance(f, Monochrome) for f in app._filters), "NO_COLOR did not make the app monochrome"
    from textual.color import Color

    mono = Monochrome()
    return [mono.apply(list(strip), Color(0, 0, 0)) for strip in app.screen._compositor.render_strips()]


def _row_text(row: list[Segment]) -> str:
    return "".join(s.text for s in row)


def _attributes(row: list[Segment], text: str) -> set[str]:
    """Text styles (not colours) on the segments of `row` that carry `text`'s characters."""
    out: set[str] = set()
    for seg in row:
        if seg.text.strip() and seg.text.strip() in text and seg.style is not None:
            for attr in ("bold", "italic", "underline", "reverse"):
                if getattr(seg.style, attr):
                    out.add(attr)
    return out


def _grey(row: list[Segment], text: str) -> set[tuple[int, int]]:
    """The (foreground, background) grey levels of `text`'s segments."""
    out = set()
    for seg in row:
        if seg.text.strip() and seg.text.strip() in text and seg.style is not None:
            fg = seg.style.color.get_truecolor().red if seg.style.color else -1
            bg = seg.style.bgcolor.get_truecolor().red if seg.style.bgcolor else -1
            out.add((fg, bg))
    return out


@h.asynctest
async def test_every_screen_reads_in_a_monochrome_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = h.make(h.ROOT / "scenarios", tmp_path, author_view=True)
    async with app.run_test(size=(100, 30)) as pilot:
        # The library: the highlighted scenario stands out by more than hue.
        await pilot.pause()
        rows = _monochrome_rows(app)
        assert any("When a Secret Leaves the Room" in _row_text(r) for r in rows) or any(
            "scenarios" in _row_text(r) for r in rows
        )
        # Open the breach scenario's briefing and start a practice run.
        app.open_briefing(h.resolve_one(h.BREACH))
        await pilot.pause()
        text = h.visible(app)
        assert "Practice" in text and "Assessment" in text
        # The selected mode is marked by a symbol, not by colour.
        assert "●" in text or "◉" in text or "(•)" in text or "▐" in text
        await pilot.press("enter")
        await pilot.pause()

        # The session: the highlighted choice differs from the rest in grey level and style,
        # both of which a monochrome terminal keeps.
        rows = _monochrome_rows(app)
        first = next(r for r in rows if _row_text(r).lstrip("│ ").startswith("1. "))
        second = next(r for r in rows if _row_text(r).lstrip("│ ").startswith("2. "))
        hi, lo = _row_text(first), _row_text(second)
        assert _grey(first, hi) != _grey(second, lo) or _attributes(first, hi) != _attributes(second, lo)
        assert "bold" in _attributes(first, hi)
        # Meters carry their numbers; members are named before they speak.
        text = h.visible(app)
        assert "Trust" in text and any(ch.isdigit() for ch in text.split("Trust", 1)[1][:30])

        # Feedback: the rating is a word, and each change is a signed number.
        await pilot.press("1")
        await pilot.pause()
        feedback = h.screen_text(app)
        assert any(word in feedback for word in RATING_WORDS), feedback
        # Every change is written with its sign (the bars beside the room colour them too).
        assert any(f"{sign}{n}" in feedback for sign in "+−-" for n in range(1, 40)), feedback
        await pilot.press("enter")
        await pilot.pause()

        # The map (author's view): every rating is written in words beside its colour.
        await pilot.press("m")
        await pilot.pause()
        from textual.widgets import Tree

        tree = app.screen.query_one(Tree)
        labels: list[str] = []

        def walk(node):
            labels.append(str(node.label))
            for child in node.children:
                walk(child)

        walk(tree.root)
        rated = [label for label in labels if any(w.lower() in label.lower() for w in RATING_WORDS)]
        assert len(rated) >= 6, labels[:20]
        await pilot.press("escape")
        await pilot.pause()

        # Play on to the ending; the debrief names every rating in words.
        for _ in range(30):
            if app.screen.query("#debrief-body"):
                break
            if app.screen.query("#feedback"):
                await pilot.press("enter")
            elif app.screen.query("#said") and app.focused is app.screen.query_one("#said"):
                await pilot.press(*"I would ask the group", "enter")
            elif app.current is not None and app.current.on_offer():
                await pilot.press("1")
            else:
                await pilot.press("enter")
            await pilot.pause()
        assert app.screen.query("#debrief-body"), h.visible(app)
        debrief = h.screen_text(app)
        made = len(app.current.session.history)
        assert made >= 1
        assert sum(debrief.count(w) for w in RATING_WORDS) >= made, debrief

        # Help lists keys as words.
        await pilot.press("f1")
        await pilot.pause()
        assert "Esc" in h.visible(app) or "Escape" in h.visible(app)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _low_contrast_text(app, within: str | None = None) -> list[tuple[str, float]]:
    """Every run of visible text on screen whose colour is under 7:1 against its background
    (only inside the widget `within`, when a dialog dims what lies behind it)."""
    region = app.screen.query_one(within).region if within else None
    low = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for seg in strip:
            start, x = x, x + seg.cell_length
            if region is not None and not (region.y <= y < region.bottom and region.x <= start < region.right):
                continue
            if not seg.text.strip() or seg.style is None or seg.style.color is None or seg.style.bgcolor is None:
                continue
            if all(ch in "─│╭╮╰╯┌┐└┘━┃▁▂▃▄▅▆▇█░▏▕▐▌▔▁ ·" for ch in seg.text):
                continue  # borders, bars and scrollbars are drawing, not text
            fg, bg = seg.style.color.get_truecolor(), seg.style.bgcolor.get_truecolor()
            if seg.style.reverse:
                fg, bg = bg, fg
            ratio = _contrast(tuple(fg), tuple(bg))
            if ratio < 7:
                low.append((seg.text.strip(), round(ratio, 2)))
    return low


@h.asynctest
async def test_the_high_contrast_theme_keeps_every_text_at_seven_to_one(tmp_path):
    app = h.make(h.BREACH, tmp_path, high_contrast=True)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "groupsim-high-contrast"
        await pilot.pause()
        assert _low_contrast_text(app) == []  # the briefing
        await pilot.press("enter")
        await pilot.pause()
        assert _low_contrast_text(app) == []  # a decision
        await pilot.press("1")
        await pilot.pause()
        assert _low_contrast_text(app) == []  # feedback
        await pilot.press("enter")
        await pilot.pause()
        assert _low_contrast_text(app) == []  # the next decision, changes beside the bars
        await pilot.press("f1")
        await pilot.pause()
        assert _low_contrast_text(app, within="#help") == []  # help


@h.asynctest
async def test_the_default_theme_has_low_contrast_text_that_the_check_finds(tmp_path):
    # The contrast check above can fail: the default theme's muted narration is under 7:1.
    app = h.make(h.BREACH, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert _low_contrast_text(app) != []


@h.asynctest
async def test_calm_turns_off_animation_blinking_and_fading_messages(tmp_path):
    app = h.make(h.BREACH, tmp_path, calm=True, cursor_blink=True)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.animation_level == "none"
        assert app.cursor_blink is False
        app.notify("A message to read at your own pace.", timeout=3)
        await pilot.pause()
        notes = list(app._notifications)
        assert notes and all(n.timeout >= 600 for n in notes)
    plain = h.make(h.BREACH, tmp_path)
    async with plain.run_test(size=(100, 30)) as pilot:
        plain.notify("Gone in three seconds.", timeout=3)
        await pilot.pause()
        assert [n.timeout for n in plain._notifications] == [3]
        assert plain.animation_level != "none"
