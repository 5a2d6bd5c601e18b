"""The web page in a real browser (headless Chromium over the DevTools Protocol): axe-core finds no
WCAG 2.0/2.1 A or AA violation on any page of a whole run, in the light and the dark colour
scheme, and a trainee with a keyboard alone plays a scenario to its debrief.

They skip when Chromium is missing (they fail instead where CI installed it:
GROUPSIM_REQUIRE_TOOLS, see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path


def _load(name: str, file: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(file))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


tools = _load("web_tools", "webtools.py")
cdp = _load("web_chrome", "chrome.py")
BREACH, TINY, serving_web = tools.BREACH, tools.TINY, tools.serving_web
DEADLINE = 120.0


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


def nearest(words, offered):  # type: ignore[no-untyped-def]
    """A stand-in for say-it-first's matcher (its model is slow to load): the first option offered."""
    from simulator.play.matcher import Match

    return Match((), offered[0] if offered else None, "")


async def check(chrome, seen: dict[str, list], label: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core on the page as it stands, in the light scheme and then the dark; violations are kept by page."""
    for scheme in ("light", "dark"):
        await chrome.scheme(scheme)
        seen[f"{label} ({scheme})"] = await chrome.axe()
    await chrome.scheme("light")


async def submit(chrome, selector: str, script: str = "") -> str:  # type: ignore[no-untyped-def]
    """Run `script` on the page, then submit the form holding `selector`'s element as its button would; the new page's path."""
    count = chrome.loads()
    await chrome.js(f"{script}; document.querySelector({selector!r}).form.requestSubmit()")
    await chrome.loaded_after(count)
    return await chrome.js("location.pathname")


async def click(chrome, text: str) -> str:  # type: ignore[no-untyped-def]
    count = chrome.loads()
    found = await chrome.js(
        f"(() => {{ const a = [...document.querySelectorAll('a')].find(a => a.textContent.includes({text!r}));"
        " if (a) { a.click(); return true; } return false; })()"
    )
    assert found, f"no link {text!r}"
    await chrome.loaded_after(count)
    return await chrome.js("location.pathname")


def test_axe_finds_nothing_on_any_page_of_a_run_in_light_and_dark(tmp_path, chromium):
    async def go() -> dict[str, list]:
        seen: dict[str, list] = {}
        async with (
            serving_web(tmp_path, TINY, BREACH, matcher=nearest, accommodation="2x") as site,
            cdp.chromium(chromium, tmp_path) as chrome,
        ):
            base = site.url
            for path, label in (("/", "first page"), ("/web/", "library"), ("/web/scenario/tiny", "briefing")):
                await chrome.goto(base + path)
                await check(chrome, seen, label)
            # A practice run with time limits (so the countdown shows), through every kind of page.
            path = await submit(chrome, "#timed", "document.querySelector('#timed').checked = true")
            assert path.endswith("/decision/1"), (path, await chrome.js("document.body.innerText"))
            await asyncio.sleep(1.6)  # the countdown's first announcement has been made
            assert await chrome.js("document.querySelector('[data-countdown]').hidden") is False
            assert "left" in await chrome.js("document.querySelector('[data-countdown-text]').textContent")
            assert "left for this decision" in await chrome.js(
                "document.querySelector('[data-countdown-say]').textContent"
            )
            await check(chrome, seen, "decision 1, timed")
            await submit(chrome, "#answer")  # nothing chosen: the error page
            assert await chrome.js("document.title.startsWith('Error:')")
            await check(chrome, seen, "decision 1, nothing chosen")
            n = 0
            while not path.endswith("/debrief"):
                n += 1
                assert n < 20, path
                if "/decision/" in path:
                    path = await submit(
                        chrome, "#answer", "document.querySelector('input[name=choice]').checked = true"
                    )
                elif "/feedback/" in path:
                    await check(chrome, seen, f"feedback {path.rsplit('/', 1)[1]}")
                    path = await click(chrome, "Continue")
                    if "/decision/" in path:
                        await check(chrome, seen, f"decision {path.rsplit('/', 1)[1]}")
                elif path.endswith("/ended"):
                    await check(chrome, seen, "ended")
                    path = await click(chrome, "Open the debrief")
            await check(chrome, seen, "debrief")
            path = await submit(chrome, "#reaction", "document.querySelector('#reaction').value = 'Calm.'")
            await check(chrome, seen, "debrief, saved")
            # Say it first: the words, then the options with one chosen for the trainee.
            await chrome.goto(base + "/web/scenario/tiny")
            await submit(chrome, "#say-first", "document.querySelector('#say-first').checked = true")
            await check(chrome, seen, "say it first, the words")
            await submit(chrome, "#answer", "document.querySelector('#answer').value = 'I would name it'")
            await check(chrome, seen, "say it first, the options")
            # Pages that say what went wrong.
            await chrome.goto(base + "/web/no-such-page")
            await check(chrome, seen, "not found")
            # A shipped scenario's first pages.
            await chrome.goto(base + "/web/scenario/confidentiality-breach")
            await check(chrome, seen, "shipped briefing")
            path = await submit(chrome, "#trainee")
            await check(chrome, seen, "shipped decision 1")
            path = await submit(chrome, "#answer", "document.querySelector('input[name=choice]').checked = true")
            assert "/feedback/1" in path
            await check(chrome, seen, "shipped feedback 1")
            # The check itself: on a page made to fail, axe-core does find the faults.
            await chrome.goto("data:text/html,<title>t</title><img src=x><p style='color:%23bbb'>faint</p>")
            found = {v["id"] for v in await chrome.axe()}
            assert {"html-has-lang", "image-alt", "color-contrast"} <= found, found
        return seen

    seen = run(go())
    assert len(seen) >= 30
    problems = {page: found for page, found in seen.items() if found}
    assert not problems, "\n".join(f"{page}: {v['id']} ({v['impact']}): {v['help']} — {v['nodes'][:3]}" for page, found in problems.items() for v in found)  # fmt: skip


def test_a_keyboard_alone_plays_a_scenario_to_its_debrief(tmp_path, chromium):
    """Tab, Space and Enter only: from the first page to a saved reflection. After each answer the
    new page's heading has the focus (it is read first), and every stop on the way shows its focus."""

    async def go() -> list[str]:
        async with serving_web(tmp_path, TINY) as site, cdp.chromium(chromium, tmp_path) as chrome:
            stops: list[str] = []

            async def tab_to(expression: str, what: str, most: int = 40) -> None:
                for _ in range(most):
                    await chrome.key("Tab")
                    here = await chrome.js(
                        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
                        " return [e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40),"
                        " s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; })()"
                    )
                    stops.append(here[0])
                    assert here[1], f"no visible focus on {here[0]}"
                    if await chrome.js(expression):
                        return
                raise AssertionError(f"Tab never reached {what}; it went: {stops[-most:]}")

            async def press(name: str) -> None:
                count = chrome.loads()
                await chrome.key(name)
                await chrome.loaded_after(count)

            async def heading_has_focus() -> bool:
                return bool(await chrome.js("document.activeElement === document.querySelector('h1')"))

            await chrome.goto(site.url + "/")
            await tab_to("document.activeElement.textContent === 'The web page'", "the web page link")
            await press("Enter")
            await tab_to("document.activeElement.textContent === 'A Tiny Test Group'", "the scenario")
            await press("Enter")
            await tab_to("document.activeElement.tagName === 'BUTTON'", "Begin")
            await press("Enter")
            for _ in range(20):
                path = await chrome.js("location.pathname")
                assert await heading_has_focus(), f"the heading does not have the focus on {path}"
                if "/decision/" in path:
                    await tab_to("document.activeElement.name === 'choice'", "the options")
                    await chrome.key("Space")
                    assert await chrome.js("document.activeElement.checked")
                    await tab_to("document.activeElement.textContent === 'Send my choice'", "Send my choice")
                    await press("Enter")
                elif "/feedback/" in path:
                    await tab_to("document.activeElement.textContent.startsWith('Continue')", "Continue")
                    await press("Enter")
                elif path.endswith("/ended"):
                    await tab_to("document.activeElement.textContent === 'Open the debrief'", "the debrief")
                    await press("Enter")
                else:
                    break
            assert path.endswith("/debrief"), path
            await tab_to("document.activeElement.id === 'reaction'", "How did that feel?")
            await chrome.type("Steadier than I expected.")
            await tab_to("document.activeElement.textContent === 'Save my reflections'", "Save")
            await press("Enter")
            assert "Your reflections are saved." in await chrome.js("document.body.innerText")
            assert await chrome.js("document.querySelector('#reaction').value") == "Steadier than I expected."
            return stops

    stops = run(go())
    assert stops and stops[0].startswith("A") and "Skip to main content" in stops[0]  # the skip link comes first
