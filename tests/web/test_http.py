"""The web page over plain HTTP, forms only (no JavaScript): what each page says, and what the records keep.

Every server here is `groupsim serve`'s own application (its Guard included), on
127.0.0.1 at a free port, inside the test's event loop; clocks are moved by hand.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("web_tools", Path(__file__).with_name("webtools.py"))
assert _spec is not None and _spec.loader is not None
tools = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = tools  # (its dataclasses look their module up)
_spec.loader.exec_module(tools)
BREACH, ESCAPING, TINY, Clock, play_to_debrief, serving_web = (
    tools.BREACH,
    tools.ESCAPING,
    tools.TINY,
    tools.Clock,
    tools.play_to_debrief,
    tools.serving_web,
)
DEADLINE = 60.0


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def check_frame(page) -> None:  # type: ignore[no-untyped-def]
    """What every page has: English, one h1, the landmarks, a skip link to main, a title naming groupsim."""
    html = page.html
    assert '<html lang="en">' in html
    assert len(page.h1) == 1, (page.url, page.h1)
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert html.count(landmark) == 1, (page.url, landmark)
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert page.title.endswith("— groupsim"), page.title
    # Every control has a label: each input (but hidden ones) and textarea and select is named by a <label for>.
    for tag, attrs in zip(page.reader.tags, page.reader.attrs):
        if tag in ("input", "textarea", "select") and attrs.get("type") != "hidden":
            assert attrs.get("id") in page.reader.labels, (page.url, tag, attrs)
    # Nothing is fetched from elsewhere.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), (page.url, url)
    assert len(set(page.reader.ids)) == len(page.reader.ids), f"repeated ids on {page.url}"


async def begin(browser, scenario: str = "tiny", **values: str):  # type: ignore[no-untyped-def]
    briefing = await browser.get(f"/web/scenario/{scenario}")
    assert briefing.status == 200
    return await browser.submit(briefing.form("Begin"), **values)


# -- the first pages ------------------------------------------------------------------------
def test_the_first_page_offers_both_and_the_library_lists_every_scenario(tmp_path):
    async def go() -> None:
        async with serving_web(tmp_path, TINY, BREACH) as site:
            b = site.browser()
            first = await b.get("/")
            check_frame(first)
            assert first.h1 == ["Rehearse facilitating a group"]
            assert first.link("The web page").href == "/web/"
            assert first.link("The full-screen app").href == "/terminal"
            assert "a screen reader cannot read it" in first.text
            assert "Continue where you left off" not in first.text
            library = await b.follow(first.link("The web page"))
            check_frame(library)
            assert library.title == "Scenario library — groupsim"
            assert "A Tiny Test Group" in library.text and "Two members, one awkward moment." in library.text
            assert "about 2 minutes, 2 to 3 decisions" in library.text
            assert "When a Secret Leaves the Room" in library.text
            briefing = await b.follow(library.link("A Tiny Test Group"))
            check_frame(briefing)
            assert briefing.h1 == ["Briefing: A Tiny Test Group"]
            assert "Bø [b]bold[/b]" in briefing.text  # member names as written
            form = briefing.form("Begin")
            assert set(form.radios["mode"][0][:2]) == {"practice", True}
            assert {"timed", "say_first"} <= set(form.checkboxes)
            assert form.selects == {"accommodation": "none"}
            # The full-screen app is still served, at its own address.
            terminal = await b.get("/terminal")
            assert terminal.status == 200 and "data-session-websocket-url" in terminal.html

    run(go())


def test_page_web_sends_the_first_page_to_the_library_and_terminal_keeps_the_app(tmp_path):
    async def go() -> None:
        async with serving_web(tmp_path, TINY, page="web") as site:
            b = site.browser()
            to = await b.get("/", follow=False)
            assert to.status == 303 and to.headers["Location"] == "/web/"
        async with serving_web(tmp_path, TINY, page="terminal") as site:
            b = site.browser()
            app = await b.get("/")
            assert app.status == 200 and "data-session-websocket-url" in app.html
            assert (await b.get("/web/")).h1 == ["Scenario library"]

    run(go())


# -- a whole run ----------------------------------------------------------------------------
def test_a_whole_practice_run_through_forms_alone_is_told_and_recorded(tmp_path):
    db = tmp_path / "cohort.db"

    async def go() -> tuple[str, dict]:
        async with serving_web(tmp_path, TINY, db=db) as site:
            b = site.browser()
            page = await begin(b, trainee="Ada Web")
            # Decision 1: the opening passage in reading order, then the question as a fieldset.
            check_frame(page)
            assert re.fullmatch(r"/web/run/[A-Za-z0-9_-]{24}/decision/1", page.path)
            assert page.title == "Decision 1 of about 2 — A Tiny Test Group — groupsim"
            assert page.h1 == ["Decision 1 of about 2"]
            text = page.text
            order = [
                "The opening",
                "Ana looks at you.",
                "Ana: Shall we start?",
                "Bø [b]bold[/b]: yes",
                "What do you say?",
            ]
            assert [text.index(t) for t in order] == sorted(text.index(t) for t in order), text
            assert "<legend>What do you say?</legend>" in page.html
            assert "A Tiny Test Group · Practice · Ada Web" in text
            assert "Trust: 50 (on a scale of 0 to 100)" in text  # practice shows the meters
            form = page.form("Send my choice")
            shown = [v for v, _, _ in form.radios["choice"]]
            assert sorted(shown) == ["1", "2", "3"]
            labels = [page.reader.labels[i] for _, _, i in form.radios["choice"]]
            assert set(labels) == {
                "Name what is happening in the room.",
                "Change the subject.",
                "Ask Bo directly, a second time.",
            }
            # The options come in the run's own order (the play layer's), the same on every reload.
            again = await b.get(page.path)
            assert [v for v, _, _ in again.form("Send my choice").radios["choice"]] == shown
            # Choose "Name what is happening": feedback, its heading first.
            feedback = await b.submit(form, choice="1")
            check_frame(feedback)
            assert feedback.path.endswith("/feedback/1")
            assert feedback.h1 == ["Feedback on decision 1: Recommended"]
            assert feedback.title.startswith("Feedback on decision 1: Recommended — A Tiny Test Group")
            assert feedback.html.index("<h1") < feedback.html.index("You chose:")
            assert "You chose: Name what is happening in the room." in feedback.text
            assert "Naming it helps." in feedback.text and "See: NASW Code of Ethics 1.07(f)" in feedback.text
            assert "Trust rose from 50 to 60." in feedback.text
            assert "Cohesion rose from 40 to 70." in feedback.text  # "%+50": half the way to its top
            assert "Bø [b]bold[/b]'s trust rose from 30 to 35." in feedback.text
            # Continue, then play to the end choosing the first option shown each time.
            page = await b.follow(feedback.link("Continue to decision 2"))
            assert page.h1 == ["Decision 2 of about 2"] and "You: Name what is happening in the room." in page.text
            seen: list = []
            debrief = await play_to_debrief(b, page, seen=seen)
            for p in seen:
                check_frame(p)
            ended = [p for p in seen if p.path.endswith("/ended")]
            assert ended and ended[0].h1 == ["The session has ended"] and "The end:" in ended[0].text
            check_frame(debrief)
            assert debrief.title == "Debrief — A Tiny Test Group — groupsim"
            text = debrief.text
            for part in ("How it ended", "Your decisions", "The meters across your decisions", "Plus and delta",
                         "The objectives", "Questions to reflect on", "Decision 1: The opening", "Rating: Recommended."):  # fmt: skip
                assert part in text, part
            # The charts: inline SVG named as images, each with a table of the same numbers.
            assert debrief.html.count('<svg role="img"') == 2
            assert "The group: chart" in debrief.html and "Members&#39; trust: chart" in debrief.html
            assert debrief.html.count("<table>") == 2 and '<th scope="row">Trust</th>' in debrief.html
            # Reflections: saved through the form, shown again, and in the exports.
            form = debrief.form("Save my reflections")
            saved = await b.submit(
                form, reaction="Tense at first.", plus="I named it.", delta="", **{"question-1": "The silence."}
            )
            assert saved.path.endswith("/debrief") and "Your reflections are saved." in saved.text
            assert saved.form("Save my reflections").texts["reaction"] == "Tense at first."
            status, headers, md = await b.raw(saved.link("Download as Markdown").href)
            assert status == 200 and headers["Content-Type"].startswith("text/markdown")
            assert re.fullmatch(r'attachment; filename="tiny-\d{8}-\d{6}\.md"', headers["Content-Disposition"])
            assert md.decode().startswith("# A Tiny Test Group\n") and "Tense at first." in md.decode()
            status, headers, js = await b.raw(saved.link("Download as JSON").href)
            assert status == 200 and headers["Content-Type"].startswith("application/json")
            # The library marks the scenario done, for this browser only.
            assert "A Tiny Test Group (done)" in (await b.get("/web/")).text
            assert "(done)" not in (await site.browser().get("/web/")).text
            return page.path.split("/")[3], json.loads(js)

    token, data = run(go())
    assert data["trainee"] == "Ada Web" and data["mode"] == "practice" and data["ending"] is not None
    assert data["reflections"] == {"reaction": "Tense at first.", "plus": "I named it.", "question-1": "The silence."}
    # The records: one finished run, its decisions, its reflections; the token never written down.
    ((run_id, status, trainee, account, decisions),) = rows(
        db, "SELECT id, status, trainee, account, (SELECT COUNT(*) FROM steps WHERE run_id = runs.id) FROM runs"
    )
    assert (status, trainee) == ("finished", "Ada Web") and decisions == len(data["decisions"])
    assert account.startswith("groupsim-serve:") and ":web:" in account and token not in account
    assert dict(rows(db, "SELECT prompt, text FROM reflections WHERE run_id = ?", run_id)) == data["reflections"]
    assert token not in db.read_bytes().decode("latin-1")


def test_an_assessment_run_holds_feedback_and_meters_for_the_debrief(tmp_path):
    async def go() -> None:
        async with serving_web(tmp_path, TINY) as site:
            b = site.browser()
            page = await begin(b, mode="assessment", timed="", say_first="")
            assert page.h1 == ["Decision 1 of about 2"]
            assert "Trust: 50" not in page.text and "The group now" not in page.text
            assert "You have 30 seconds for this decision" in page.text  # assessment has time limits
            assert "Go back to decision" not in page.text
            nxt = await b.submit(page.form("Send my choice"), choice="2")
            assert "/decision/2" in nxt.path and "Feedback" not in nxt.text
            assert "You: Change the subject." in nxt.text
            # No going back in assessment, even by a forged form.
            hidden = nxt.form("Send my choice").hidden
            refused = await b.post(nxt.path.rsplit("/decision", 1)[0] + "/rewind", hidden)
            assert refused.status == 409 and "every choice stands" in refused.text
            debrief = await play_to_debrief(b, nxt)
            assert "Rating: Harmful." in debrief.text and "Where this run turned" in debrief.text

    run(go())


# -- what scenario text can hold -------------------------------------------------------------
def test_markup_in_a_scenario_is_shown_as_text_on_every_page_and_never_run(tmp_path):
    async def go() -> list:
        async with serving_web(tmp_path, ESCAPING) as site:
            b = site.browser()
            pages = [await b.get("/web/"), await b.get("/web/scenario/escaping")]
            page = await begin(b, "escaping")
            seen: list = []
            debrief = await play_to_debrief(b, page, lambda p: {"choice": "1"}, seen=seen)
            return pages + seen + [debrief]

    pages = run(go())
    shown = "\n".join(p.text for p in pages)
    for text in (
        "<script>alert('title')</script> & <b>friends</b>",
        "<img src=x onerror=alert(1)> and {{ 7 * 7 }}",
        "Ana writes <script>alert('narration')</script> on the board.",
        "<script>Ana</script>: Is <marquee>this</marquee> safe?",
        "Read out <script>alert('option')</script> as written.",
        "Feedback with <script>alert('feedback')</script>.",
        "<a href='javascript:alert(1)'>a reference</a>",
        "Did </textarea><script>alert('q')</script> show as text?",
        "The end: <script>alert('ending')</script>.",
    ):
        assert text in shown, text
    for p in pages:
        check_frame(p)
        assert "<script>alert" not in p.html and "<script>Ana" not in p.html  # never markup
        assert "<script" not in p.html.split("</head>")[1]  # no script in any body
        assert "&lt;script&gt;" in p.html or p.path == "/web/"
    assert "49" not in shown  # the {{ 7 * 7 }} was not evaluated


# -- continuing, and refusals ----------------------------------------------------------------------
def test_a_browser_continues_its_run_by_its_cookie_after_the_server_restarts(tmp_path):
    db = tmp_path / "cohort.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db) as site:
            b = site.browser()
            page = await begin(b, trainee="Bea")
            cookie = next(c for c in b.client.cookie_jar if c.key == "groupsim_web")
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
            token = page.path.split("/")[3]
            assert cookie.value == token
            await b.submit(page.form("Send my choice"), choice="3")
            # Another browser has no cookie: nothing to continue.
            other = site.browser()
            assert "Continue where you left off" not in (await other.get("/")).text
            # This one is offered its run (in memory: a link).
            first = await b.get("/")
            assert "Continue where you left off" in first.text and "at decision 1" not in first.text
            cookies = {c.key: c.value for c in b.client.cookie_jar}
        async with serving_web(tmp_path, TINY, db=db) as site:  # the server restarted: memory is empty
            b = site.browser()
            b.client.cookie_jar.update_cookies(cookies)
            first = await b.get("/")
            assert "Your run of “A Tiny Test Group” is waiting at decision 2." in first.text
            page = await b.submit(first.form("Continue"))
            assert page.status == 200 and page.path == f"/web/run/{token}/decision/2", page.url
            assert "You: Ask Bo directly, a second time." in page.text
            # The page at the run's address offers the same, for a browser holding only the address.
            other = site.browser()
            lost = await other.get(f"/web/run/{'x' * 24}/decision/1")
            assert lost.status == 404 and "This run is not here" in lost.text
            await play_to_debrief(b, page)
        ((status, decisions),) = rows(db, "SELECT status, (SELECT COUNT(*) FROM steps) FROM runs")
        assert status == "finished" and decisions >= 2
        assert [k for (k,) in rows(db, "SELECT kind FROM events")] == ["resumed"]

    run(go())


def test_a_form_with_a_wrong_token_or_from_another_site_changes_nothing(tmp_path):
    db = tmp_path / "web.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db) as site:
            b = site.browser()
            page = await begin(b)
            form = page.form("Send my choice")
            forged = await b.submit(form, csrf="0" * 32, choice="1")
            assert forged.status == 403 and forged.h1 == ["This form has expired"]
            check_frame(forged)
            # Another site's page posting to it: the server's Guard refuses it before the page sees it.
            foreign = await b.post(form.action, {**form.hidden, "choice": "1"}, origin="http://evil.example")
            assert foreign.status == 403
            # Another run's token does not answer for this one.
            other = site.browser()
            theirs = await begin(other)
            crossed = await b.post(form.action, {**theirs.form("Send my choice").hidden, "choice": "1"})
            assert crossed.status == 403
            assert rows(db, "SELECT COUNT(*) FROM steps") == [(0,)]
            # A Host that is not this computer's is refused too.
            async with b.client.get("/web/", headers={"Host": "rebound.example"}) as response:
                assert response.status == 403

    run(go())


def test_a_form_left_open_from_an_earlier_run_answers_nothing_in_the_next(tmp_path):
    """Two tabs of one browser share its run: beginning another run in one leaves the other's page stale."""
    db = tmp_path / "web.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db) as site:
            b = site.browser()
            old_tab = await begin(b)
            new_tab = await begin(b)  # the same browser (its cookie) begins again: the first run ends
            assert new_tab.path == old_tab.path  # the same address: one browser, one run at a time
            stale = await b.submit(old_tab.form("Send my choice"), choice="1")
            assert stale.status == 409 and stale.h1 == ["This form is from another run"]
            assert rows(db, "SELECT status FROM runs ORDER BY id") == [("abandoned",), ("active",)]
            assert rows(db, "SELECT COUNT(*) FROM steps") == [(0,)]
            ok = await b.submit(new_tab.form("Send my choice"), choice="1")
            assert ok.h1 == ["Feedback on decision 1: Recommended"]

    run(go())


def test_mistakes_and_strange_addresses_get_pages_that_say_what_to_do(tmp_path):
    async def go() -> None:
        async with serving_web(tmp_path, TINY) as site:
            b = site.browser()
            page = await begin(b)
            form = page.form("Send my choice")
            nothing = await b.post(form.action, dict(form.hidden))
            assert nothing.status == 422
            assert nothing.title.startswith("Error: Decision 1")
            assert "Please choose one of the options" in nothing.text and 'role="alert"' in nothing.html
            assert 'aria-describedby="choice-error"' in nothing.html
            check_frame(nothing)
            made = await b.submit(form, choice="2")
            stale = await b.submit(form, choice="1")  # the same decision again (another tab, the Back button)
            assert stale.status == 409 and "already made" in stale.text
            assert (await b.get(made.path)).status == 200
            for path, status in (
                ("/web/nowhere", 404),
                ("/web/scenario/no-such-scenario", 404),
                ("/web/run/short/decision/1", 404),
                (f"/web/run/{'A' * 24}/", 404),
                ("/web/static/../server.py", 404),
            ):
                got = await b.get(path)
                assert got.status == status, (path, got.status)
                assert "Traceback" not in got.text and got.h1, path
                check_frame(got)
            wrong = await b.post("/web/", {})
            assert wrong.status == 405 and wrong.h1 == ["That cannot be done here"]

    run(go())


def test_a_full_room_says_try_again_in_a_minute_until_a_place_frees(tmp_path):
    clock = Clock()

    async def go() -> None:
        async with serving_web(tmp_path, TINY, capacity=1, clock=clock) as site:
            first = site.browser()
            await begin(first)
            second = site.browser()
            full = await begin(second)
            assert full.status == 503 and full.headers["Retry-After"] == "60"
            assert full.h1 == ["The room is full"] and "Please try again in a minute" in full.text
            check_frame(full)
            clock.advance(15 * 60)  # the first browser has been idle long enough to be put away
            page = await begin(second)
            assert page.status == 200 and page.h1 == ["Decision 1 of about 2"]
            # The first browser's run went nowhere: its cookie picks it up from the records (the room allowing).
            clock.advance(15 * 60)
            back = await first.get("/")
            assert "Continue where you left off" in back.text
            page = await first.submit(back.form("Continue"))
            assert page.h1 == ["Decision 1 of about 2"]

    run(go())


# -- time, rewinding, and one's own words -----------------------------------------------------
def test_an_answer_after_the_time_is_up_counts_as_letting_it_run_out(tmp_path):
    clock = Clock()
    db = tmp_path / "web.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db, clock=clock, accommodation="1.5x") as site:
            b = site.browser()
            page = await begin(b, timed="on", accommodation="2x")
            assert "You have 60 seconds for this decision" in page.text  # 30 s, twice as long
            assert 'data-countdown data-seconds="60"' in page.html and 'aria-live="polite"' in page.html
            assert "/web/static/web.js" in page.html  # the countdown script, from this server
            clock.advance(45)
            reloaded = await b.get(page.path)  # a reload does not restart the clock
            assert "about 15 left" in reloaded.text
            clock.advance(16)
            late = await b.submit(page.form("Send my choice"), choice="1")
            assert late.h1 == ["Feedback on decision 1: Time ran out"]
            assert "The time ran out before you answered." in late.text and "You let the time run out." in late.text
        ((choice, ms),) = rows(db, "SELECT choice, response_ms FROM steps")
        assert choice is None and ms == 61_000
        # In assessment the supervisor's accommodation applies, not the trainee's.
        async with serving_web(tmp_path, TINY, clock=clock, accommodation="1.5x") as site:
            b = site.browser()
            page = await begin(b, mode="assessment", accommodation="off")
            assert "You have 45 seconds for this decision" in page.text

    run(go())


def test_practice_can_go_back_and_choose_again(tmp_path):
    db = tmp_path / "web.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db) as site:
            b = site.browser()
            page = await begin(b)
            feedback = await b.submit(page.form("Send my choice"), choice="2")
            back = await b.submit(feedback.form("Go back and choose again"))
            assert back.h1 == ["Decision 1 of about 2"] and "You went back to decision 1" in back.text
            feedback = await b.submit(back.form("Send my choice"), choice="1")
            nxt = await b.follow(feedback.link("Continue"))
            again = await b.submit(nxt.form("Go back to decision 1"))
            assert again.h1 == ["Decision 1 of about 2"]

    run(go())
    undone = rows(db, "SELECT choice, undone_by IS NOT NULL FROM steps ORDER BY seq")
    assert undone == [(2, 1), (1, 1)]


def test_say_it_first_asks_for_words_then_preselects_the_closest_option(tmp_path):
    from simulator.play.matcher import Match

    asked: list[str] = []

    def matcher(words, offered):  # type: ignore[no-untyped-def]
        asked.append(words)
        closest = next((c for c in offered if c.number == 1), None)
        return Match((), closest if "name" in words else None, "" if "name" in words else "too vague")

    db = tmp_path / "web.db"

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db, matcher=matcher) as site:
            b = site.browser()
            page = await begin(b, say_first="on")
            assert "Send my choice" not in page.html
            form = page.form("Show the options")
            empty = await b.submit(form, words="   ")
            assert empty.status == 422 and "Please write a few words first" in empty.text
            options = await b.submit(form, words="I would name it")
            assert "You wrote: “I would name it”." in options.text
            checked = [v for v, on, _ in options.form("Send my choice").radios["choice"] if on]
            assert checked == ["1"]
            feedback = await b.submit(options.form("Send my choice"))
            assert feedback.h1 == ["Feedback on decision 1: Recommended"]
            page = await b.follow(feedback.link("Continue"))
            vague = await b.submit(page.form("Show the options"), words="hmm")
            assert "Nothing is chosen for you: too vague." in vague.text
            assert not [v for v, on, _ in vague.form("Send my choice").radios["choice"] if on]

    run(go())
    assert asked == ["I would name it", "hmm"]
    assert rows(db, "SELECT said FROM steps ORDER BY seq") == [("I would name it",)]


# -- the command line ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "both"], "invalid choice: 'both'"),
        (["--web-runs", "0"], "not a number of runs (1 or more): '0'"),
        (["--time-accommodation", "3x"], "invalid choice: '3x'"),
    ],
)
def test_bad_web_options_are_usage_errors(capsys, args, message):
    from simulator.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["serve", *args])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_the_supervisors_options_reach_the_web_runs_and_the_app_tabs(tmp_path, monkeypatch):
    """--say-first and --time-accommodation go to the web page's runs and into each tab's command."""
    from simulator.cli import main

    seen: dict = {}

    def fake_serve(command, host, port, **kw):  # type: ignore[no-untyped-def]
        seen.update(kw, command=command)

    monkeypatch.setattr("simulator.serve.serve", fake_serve)
    monkeypatch.setattr("simulator.serve.port_problem", lambda host, port: None)
    code = main(["serve", str(TINY), "--db", str(tmp_path / "c.db"), "--page", "choose", "--web-runs", "7",
                 "--say-first", "--time-accommodation", "2x"])  # fmt: skip
    assert code == 0
    options = seen["web_options"]
    assert (options.page, options.capacity, options.say_first_required, options.accommodation) == (
        "choose",
        7,
        True,
        "2x",
    )
    assert "--say-first" in seen["command"] and "--time-accommodation 2x" in seen["command"]


def test_records_that_cannot_be_opened_get_a_page_saying_so(tmp_path):
    folder = tmp_path / "a-folder.db"
    folder.mkdir()

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=folder) as site:
            b = site.browser()
            page = await begin(b)
            assert page.status == 503 and page.h1 == ["The records cannot be reached"]
            assert "is a folder" in page.text and page.headers["Retry-After"] == "60"
            check_frame(page)

    run(go())


def test_a_time_accommodation_granted_in_the_records_reaches_that_trainees_web_runs(tmp_path):
    from simulator.cli import main

    db = tmp_path / "cohort.db"
    assert main(["records", "accommodate", "--trainee", "Ada Lovelace", "--time", "2x", "--db", str(db)]) == 0

    async def go() -> None:
        async with serving_web(tmp_path, TINY, db=db) as site:
            granted = await begin(site.browser(), trainee="ada  lovelace", mode="assessment", timed="", say_first="")
            assert "You have 60 seconds for this decision" in granted.text  # twice the 30 written
            other = await begin(site.browser(), trainee="Bo", mode="assessment", timed="", say_first="")
            assert "You have 30 seconds for this decision" in other.text

    run(go())
    assert rows(db, "SELECT trainee, accommodation FROM runs ORDER BY id") == [("ada lovelace", "2x"), ("Bo", "none")]
