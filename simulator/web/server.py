"""The web page's routes on `groupsim serve`'s aiohttp application.

`WebPage` holds the scenarios, the records and the sittings in memory, and answers
every request under /web/ (and the first page, /, when `groupsim serve --page choose`).
It asks the play layer what happens and tells the trainee, one page at a time:

    /                               the first page: the web page or the full-screen app
    /web/                           the library (and "continue where you left off")
    /web/scenario/ID                a scenario's briefing, with the form that begins it
    /web/run/TOKEN/                 where this browser's run stands (a redirect)
    /web/run/TOKEN/decision/N       the passage and decision N (POST: the answer)
    /web/run/TOKEN/feedback/N       feedback on decision N (practice)
    /web/run/TOKEN/ended            how the scenario ended
    /web/run/TOKEN/debrief          the debrief (POST …/reflections saves what is written)
    /web/run/TOKEN/export.md|json   the debrief's exports, as downloads

Every form sends a token tied to the run (an HMAC of the run's token under a secret
this process made), so a page elsewhere cannot answer for the trainee; the server's
`Guard` has checked the request's Host and Origin before any of this runs. Every
answer is a whole page, with a status that fits: nothing here needs JavaScript, which
only adds a countdown to timed decisions.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import jinja2
from aiohttp import web

from simulator.authoring.library import Found
from simulator.engine.model import Choice, Scenario
from simulator.engine.session import SessionError, Step
from simulator.engine.transcript import state_entries, step_entries
from simulator.play.debrief import REFLECTION_PROMPTS, debrief_items, question_key, series, turning_points
from simulator.play.export import to_json, to_markdown
from simulator.play.run import Run
from simulator.play.settings import ACCOMMODATIONS, Accommodation, Settings, more_generous
from simulator.records import Origin, Recorder, RecordsError, RunRecorder, Store
from simulator.web import views
from simulator.web.sittings import Matched, Sitting, Sittings, is_token, new_token, web_origin

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}

PAGES = ("choose", "web", "terminal")
"""What / shows: the first page offering both, the web page's library, or the full-screen app."""
COOKIE = "groupsim_web"
"""The cookie that keeps this browser's token, so the first page can offer to continue."""
COOKIE_DAYS = 30
RETRY_AFTER_S = 60
MATCH_WAIT_S = 20.0
"""How long a say-it-first answer waits for the matcher (its model loads once, slowly) before
the options are shown with nothing pre-selected."""
NAME_MAX = 100
WORDS_MAX = 2000
REFLECTION_MAX = 10_000

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # (Not no-referrer: with it browsers send "Origin: null" on a form, and the Guard would refuse the page its own forms.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
"""Sent with every page: nothing from elsewhere, no framing, no token in a Referer to another site, nothing cached."""


class Matching(Protocol):
    """What say-it-first's matcher answers (`simulator.play.matcher.Match`)."""

    @property
    def selected(self) -> Choice | None: ...

    @property
    def reason(self) -> str: ...


Matcher = Callable[[str, Sequence[Choice]], Matching]


@dataclass(frozen=True)
class WebOptions:
    """How `groupsim serve` runs the web page."""

    db: Path
    found: Sequence[Found]
    page: str = "choose"
    say_first_required: bool = False
    """Assessment runs ask for the trainee's own words first (`--say-first`)."""
    accommodation: Accommodation = "none"
    """The time accommodation the supervisor set: assessment uses it; practice starts from it."""
    capacity: int = 500
    """How many browsers' runs the server holds at once (`--web-runs`)."""
    base: str = ""
    """The path the server is reached under behind a proxy ('' at the root)."""
    secure_cookies: bool = False
    """Mark the cookie Secure (the page is reached over https)."""
    clock: Callable[[], float] = time.monotonic
    """Seconds, for decisions' time limits and idle runs (tests drive it by hand)."""
    matcher: Matcher | None = None
    """Say-it-first's matcher (None: `simulator.play.matcher.match`, loaded in a thread when first needed)."""
    now: Callable[[], datetime] = datetime.now
    """The date and time the exports are stamped with."""

    def __post_init__(self) -> None:
        if self.page not in PAGES:
            raise ValueError(f"--page is one of {', '.join(PAGES)}, not {self.page!r}")


@dataclass(frozen=True)
class Offer:
    """A run this browser can continue: in memory (a link), or in the records (a form that picks it up)."""

    title: str
    where: str
    link: str = ""
    action: str = ""
    csrf: str = ""


class Refused(Exception):
    """A request answered with a page saying why (the handler's way out)."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class _Form:
    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        value = self.fields.get(name, default)
        return value if isinstance(value, str) else default


def _log(text: str) -> None:
    print(f"groupsim serve: web page: {text}", file=sys.stderr, flush=True)


class WebPage:
    """The web front end: its routes, its sittings, and the records it writes through."""

    def __init__(self, options: WebOptions) -> None:
        self.options = options
        self.clock = options.clock
        self.now = options.now
        self.matcher = options.matcher
        self.sittings = Sittings(options.capacity, options.clock)
        self.secret = secrets.token_bytes(32)
        self._store: Store | None = None
        self._served: Origin | None = None
        self._preloading = False
        self._typical: dict[tuple[str, str], int] = {}
        self.scenarios: dict[str, Scenario] = {}
        for f in options.found:
            if f.scenario is not None:
                self.scenarios.setdefault(f.scenario.id, f.scenario)
        self.broken = sum(1 for f in options.found if f.scenario is None)
        self.folders = list(dict.fromkeys(f.path.parent for f in options.found))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,  # every value is escaped: scenario text is plain text, never markup
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["url"] = self.url
        self.version = hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted(STATIC.iterdir()) if p.suffix in STATIC_TYPES)
        ).hexdigest()[:10]

    # -- wiring ------------------------------------------------------------------------
    def routes(self) -> list[web.AbstractRouteDef]:
        """The web page's routes (the first page at / is added by the server when `page` says so)."""
        run = "/web/run/{token}"
        return [
            web.get("/web", self._to_library),
            web.get("/web/", self.library),
            web.get("/web/static/{name}", self.static),
            web.get("/web/scenario/{scenario}", self.briefing),
            web.post(run + "/start", self.start),
            web.get(run, self._to_current),
            web.get(run + "/", self.current),
            web.post(run + "/continue", self.revive),
            web.get(run + "/decision/{n}", self.decision),
            web.post(run + "/decision/{n}", self.answer),
            web.get(run + "/feedback/{n}", self.feedback),
            web.post(run + "/rewind", self.rewind),
            web.get(run + "/ended", self.ended),
            web.get(run + "/debrief", self.debrief),
            web.post(run + "/reflections", self.save_reflections),
            web.get(run + "/export.{kind:md|json}", self.export),
            web.get("/web/{rest:.*}", self.not_here),
        ]

    def ours(self, path: str) -> bool:
        return path == "/web" or path.startswith("/web/") or (path == "/" and self.options.page != "terminal")

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        """Turns what goes wrong under /web/ into a page that says what to do, never a traceback."""

        @web.middleware
        async def pages(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
            if not self.ours(request.path):
                return await handler(request)
            try:
                return await handler(request)
            except Refused as refused:
                return refused.response
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                return self._http_error(request, exc)
            except asyncio.CancelledError:
                raise
            except RecordsError as exc:
                _log(f"the records: {exc}")
                return self.message(
                    request,
                    "The records cannot be reached",
                    [
                        "This page needs groupsim's records, and they cannot be opened or written just now: "
                        f"{views.flat(str(exc))}.",
                        "Please try again in a minute, or tell whoever runs this server.",
                    ],
                    status=503,
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            except Exception as exc:
                _log(f"{request.method} {request.path.split('/run/')[0]}: {type(exc).__name__}: {exc}")
                return self.message(
                    request,
                    "Something went wrong",
                    [
                        "The server could not show this page. Every decision you made before this is kept in the "
                        "records.",
                        "Go back to the library and continue from there, or tell whoever runs this server.",
                    ],
                    status=500,
                )

        return pages

    async def close(self, _app: web.Application | None = None) -> None:
        """Close the records (the server is stopping). Runs under way stay active in the records,
        so each browser's cookie can continue its run when the server is back."""
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- helpers -------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.options.db)
        return self._store

    def recorder(self, token: str) -> Recorder:
        if self._served is None:
            self._served = Origin.served()
        return Recorder(store=self.store, origin=web_origin(self._served, token))

    def url(self, *parts: str | int, query: str = "") -> str:
        """An address on this server: its parts joined under the base path, each part escaped."""
        path = "/".join(quote(str(p), safe="") for p in parts)
        return f"{self.options.base}/{path}" + (f"?{query}" if query else "")

    def run_url(self, token: str, *parts: str | int) -> str:
        return self.url("web", "run", token, *parts) if parts else self.url("web", "run", token) + "/"

    def sign(self, token: str) -> str:
        return hmac.new(self.secret, token.encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def render(
        self,
        request: web.Request,
        template: str,
        title: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> web.Response:
        page = self.env.get_template(template).render(
            title=title,
            version=self.version,
            terminal=True,
            library=self.url("web", ""),
            first_page=self.url(""),
            terminal_page=self.url("terminal"),
            script=context.pop("script", False),
            status_line=context.pop("status_line", ""),
            **context,
        )
        response = web.Response(text=page, content_type="text/html", charset="utf-8", status=status)
        response.headers.update(HEADERS)
        if headers:
            response.headers.update(headers)
        return response

    def message(
        self,
        request: web.Request,
        heading: str,
        text: Sequence[str],
        *,
        status: int,
        links: Sequence[tuple[str, str]] = (),
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """A page that says what happened and what to do, with the HTTP status that fits."""
        if not links:
            links = [(self.url("web", ""), "Go to the scenario library")]
        return self.render(
            request, "message.html", heading, status=status, headers=headers, heading=heading, text=text,
            links=links, form=form,
        )  # fmt: skip

    def _http_error(self, request: web.Request, exc: web.HTTPException) -> web.Response:
        if exc.status == 404:
            return self.not_found(request)
        if exc.status == 405:
            allowed = exc.headers.get("Allow", "")
            return self.message(
                request,
                "That cannot be done here",
                ["This address does not take that kind of request. Use the page's own links and buttons."],
                status=405,
                headers={"Allow": allowed} if allowed else None,
            )
        if exc.status == 413:
            return self.message(
                request,
                "Too much text",
                ["What you sent is longer than this page accepts. Go back, shorten it, and send it again."],
                status=413,
            )
        return self.message(
            request, "That did not work", [f"The server answered {exc.status} {exc.reason}."], status=exc.status
        )

    def not_found(self, request: web.Request) -> web.Response:
        return self.message(
            request,
            "Page not found",
            ["There is no page at this address. It may be mistyped, or from a run this server no longer holds."],
            status=404,
        )

    def room_full(self, request: web.Request, again: str) -> web.Response:
        return self.message(
            request,
            "The room is full",
            [
                "Every place for practice on the web page is taken just now.",
                "Please try again in a minute: nothing you did before is lost.",
            ],
            status=503,
            links=[(again, "Try again"), (self.url("web", ""), "Go to the scenario library")],
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    async def form(self, request: web.Request, token: str) -> _Form:
        """The request's form, once its run token checks out (else a 403 page)."""
        data = await request.post()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        sent = fields.get("csrf", "")
        if not hmac.compare_digest(sent.encode("ascii", "replace"), self.sign(token).encode("ascii")):
            raise Refused(
                self.message(
                    request,
                    "This form has expired",
                    [
                        "The form you sent does not belong to this run: it may come from an old page, or the server "
                        "may have restarted since it was shown. Nothing was changed.",
                        "Go back to where your run stands and answer there.",
                    ],
                    status=403,
                    links=[
                        (self.run_url(token), "Go to where your run stands"),
                        (self.url("web", ""), "Go to the scenario library"),
                    ],
                )
            )
        return _Form(fields)

    def token(self, request: web.Request) -> str:
        token = request.match_info.get("token", "")
        if not is_token(token):
            raise Refused(self.not_found(request))
        return token

    def cookie_token(self, request: web.Request) -> str | None:
        token = request.cookies.get(COOKIE)
        return token if is_token(token) else None

    def set_cookie(self, response: web.StreamResponse, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_DAYS * 24 * 3600,
            path=self.options.base or "/",
            httponly=True,
            samesite="Lax",
            secure=self.options.secure_cookies,
        )

    def see_other(self, location: str, token: str | None = None) -> web.Response:
        """A redirect after a form (303), so reloading the page asks nothing twice."""
        response = web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
        if token is not None:
            self.set_cookie(response, token)
        return response

    def sitting(self, request: web.Request, token: str) -> Sitting:
        """The sitting of `token`; one not in memory sends the browser to /web/run/TOKEN/,
        which offers to pick its run up from the records (or says there is none)."""
        sitting = self.sittings.get(token)
        if sitting is None:
            raise Refused(self.see_other(self.run_url(token)))
        return sitting

    def run_of(self, request: web.Request, token: str) -> tuple[Sitting, Run]:
        sitting = self.sitting(request, token)
        if sitting.run is None:
            raise Refused(self.see_other(self.url("web", "")))
        return sitting, sitting.run

    def typical(self, sc: Scenario) -> int:
        """About how many decisions a run of `sc` takes (worked out once per version of it)."""
        key = (sc.id, sc.digest)
        if key not in self._typical:
            self._typical[key] = views.typical_decisions(sc)
        return self._typical[key]

    def same_run(self, request: web.Request, sitting: Sitting, form: _Form) -> None:
        """Refuse (409) a form from another of this browser's runs (an older tab), which must change nothing here."""
        if not hmac.compare_digest(form.get("run").encode("ascii", "replace"), sitting.nonce.encode("ascii")):
            raise Refused(
                self.message(
                    request,
                    "This form is from another run",
                    [
                        "The page you answered on belongs to a run this browser has since left (perhaps in "
                        "another tab). Nothing was changed.",
                    ],
                    status=409,
                    links=[(self.where(sitting), "Go to where your run stands")],
                )
            )

    def status_line(self, run: Run) -> str:
        settings = run.settings
        parts = [views.flat(run.session.scenario.title), "Practice" if settings.practice else "Assessment"]
        if settings.trainee:
            parts.append(views.flat(settings.trainee))
        return " · ".join(parts)

    def _warn(self, sitting: Sitting, problem: str | None, what: str = "this could not be recorded") -> None:
        if problem:
            sitting.notes.append(f"Note: {what} ({views.flat(problem)}).")

    @staticmethod
    def stuck(run: Run) -> bool:
        """A decision with nothing on offer and no time-out: the scenario cannot go on."""
        s = run.session
        return not s.finished and not run.on_offer() and s.state.on_timeout is None

    def where(self, sitting: Sitting) -> str:
        """The address of the page the sitting's run stands at."""
        run = sitting.run
        token = sitting.token
        if run is None:
            return self.url("web", "")
        if sitting.feedback is not None:
            return self.run_url(token, "feedback", sitting.feedback)
        if run.session.finished or self.stuck(run):
            return self.run_url(token, "debrief") if sitting.debrief_seen else self.run_url(token, "ended")
        return self.run_url(token, "decision", run.session.turn + 1)

    # -- continuing ------------------------------------------------------------------------
    def _unfinished(self, token: str) -> list[Any]:
        try:
            return self.recorder(token).unfinished_runs()
        except RecordsError:
            return []

    def offer(self, request: web.Request) -> Offer | None:
        """What this browser can continue, from its cookie: a run in memory, or one in the records."""
        token = self.cookie_token(request)
        if token is None:
            return None
        sitting = self.sittings.peek(token)
        if sitting is not None:
            run = sitting.run
            if run is None or sitting.debrief_seen:
                return None
            s = run.session
            where = "at its ending" if s.finished else f"at decision {s.turn + 1}"
            return Offer(views.flat(s.scenario.title), where, link=self.run_url(token))
        infos = self._unfinished(token)
        if not infos:
            return None
        info = infos[0]
        where = "at its ending" if info.ending else f"at decision {info.decisions + 1}"
        return Offer(
            views.flat(info.scenario_title or info.scenario_id),
            where,
            action=self.run_url(token, "continue"),
            csrf=self.sign(token),
        )

    async def revive(self, request: web.Request) -> web.StreamResponse:
        """Pick this browser's unfinished run up from the records (after the server restarted, or
        after its sitting was put away)."""
        token = self.token(request)
        await self.form(request, token)
        if self.sittings.peek(token) is not None:
            return self.see_other(self.where(self.sitting(request, token)), token)
        from simulator.records import resume as resuming

        recorder = self.recorder(token)
        infos = self._unfinished(token)
        if not infos:
            return self.message(
                request,
                "Nothing to continue",
                ["There is no unfinished run for this browser in the records. Choose a scenario to begin a new one."],
                status=404,
            )
        info = infos[0]
        scenario, problem = resuming.locate(info, self.folders)
        if scenario is None or scenario.digest != info.scenario_digest:
            why = problem or "its scenario has been changed since it began, so it cannot go on as it was"
            return self.message(
                request,
                "This run cannot be continued",
                [f"Your run of '{views.flat(info.scenario_title)}' cannot be continued: {views.flat(why)}.",
                 "Its decisions are kept in the records. Choose a scenario to begin a new run."],
                status=409,
            )  # fmt: skip
        sitting = self.sittings.admit(token, recorder)
        if sitting is None:
            return self.room_full(request, self.url("web", ""))
        try:
            session, observer = resuming.resume(recorder, resuming.Interrupted(info, scenario))
        except RecordsError as exc:
            self.sittings.put_away(token)
            return self.message(
                request,
                "This run cannot be continued",
                [f"It could not be picked up from the records: {views.flat(str(exc))}."],
                status=409,
            )
        left = info.clock_left if info.clock_turn == session.turn else None
        sitting.begin(Run(session, info.settings, observer, clock_left=left))
        return self.see_other(self.where(sitting), token)

    # -- the first pages ------------------------------------------------------------------------
    async def first_page(self, request: web.Request) -> web.StreamResponse:
        """/ with `--page choose`: the web page or the full-screen app."""
        return self.render(request, "first.html", "Choose how to practice", offer=self.offer(request))

    async def home(self, request: web.Request) -> web.StreamResponse:
        """/ with `--page choose` (the first page) or `--page web` (to the library)."""
        if self.options.page == "web":
            raise web.HTTPSeeOther(self.url("web", ""))
        return await self.first_page(request)

    async def _to_library(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(self.url("web", ""))

    async def _to_current(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(self.run_url(self.token(request)))

    async def not_here(self, request: web.Request) -> web.StreamResponse:
        return self.not_found(request)

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None or "/" in name or name.startswith(".") or not path.is_file():
            return self.not_found(request)
        response = web.Response(body=path.read_bytes(), content_type=kind, charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def library(self, request: web.Request) -> web.StreamResponse:
        token = self.cookie_token(request)
        done: set[str] = set()
        if token is not None:
            try:
                done = self.recorder(token).finished_scenarios()
            except RecordsError:
                done = set()
        items = []
        for sc in self.scenarios.values():
            facts = [f"Stage: {views.flat(sc.group.stage)}", views.length_words(sc)]
            items.append(
                {
                    "title": views.flat(sc.title),
                    "summary": views.paragraphs(sc.summary),
                    "facts": facts,
                    "done": sc.id in done,
                    "url": self.url("web", "scenario", sc.id),
                    "id": sc.id,
                }
            )
        return self.render(
            request, "library.html", "Scenario library", offer=self.offer(request), items=items, broken=self.broken
        )

    async def briefing(self, request: web.Request) -> web.StreamResponse:
        sc = self.scenarios.get(request.match_info["scenario"])
        if sc is None:
            return self.not_found(request)
        token = self.cookie_token(request) or new_token()
        leaving = None
        sitting = self.sittings.peek(token)
        if sitting is not None and sitting.run is not None and not sitting.run.finished_told:
            leaving = views.flat(sitting.run.session.scenario.title)
        elif sitting is None and (infos := self._unfinished(token)):
            leaving = views.flat(infos[0].scenario_title)
        g = sc.group
        facts = [(k, views.flat(v)) for k, v in (("Group", g.kind), ("Session", g.session), ("Stage", g.stage), ("Setting", g.setting)) if v]  # fmt: skip
        required = self.options.say_first_required or sc.say_first
        given = "" if self.options.accommodation == "none" else dict(views.TIME_CHOICES)[self.options.accommodation]
        return self.render(
            request,
            "briefing.html",
            f"Briefing — {views.flat(sc.title)}",
            sc_title=views.flat(sc.title),
            facts=facts,
            summary=views.paragraphs(sc.summary),
            notes=[views.flat(n) for n in sc.content_notes],
            objectives=[views.flat(o) for o in sc.objectives],
            members=[(views.flat(m.name), views.flat(m.about)) for m in sc.members.values()],
            recorded=views.RECORDED,
            action=self.run_url(token, "start"),
            csrf=self.sign(token),
            scenario_id=sc.id,
            mode_help=views.MODE_HELP,
            time_choices=views.TIME_CHOICES,
            accommodation=self.options.accommodation,
            given_time=given,
            say_first_required=required,
            leaving=leaving,
            name_max=NAME_MAX,
        )

    async def start(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        form = await self.form(request, token)
        sc = self.scenarios.get(form.get("scenario"))
        if sc is None:
            return self.not_found(request)
        assessment = form.get("mode") == "assessment"
        chosen = form.get("accommodation", "none")
        accommodation: Accommodation = next((a for a in ACCOMMODATIONS if a == chosen), "none")
        trainee = " ".join(form.get("trainee").split())[:NAME_MAX]
        recorder = self.recorder(token)
        # What the records grant this trainee (`groupsim records accommodate`) counts in
        # practice and assessment alike: the more generous of it and what is set here.
        granted = recorder.accommodation_for(trainee) if trainee else "none"
        settings = Settings(
            mode="assessment" if assessment else "practice",
            trainee=trainee,
            timed=form.get("timed") == "on",
            # In assessment only what the supervisor (or the scenario) sets; in practice the trainee's own choices.
            say_first=(self.options.say_first_required or sc.say_first)
            if assessment
            else form.get("say_first") == "on",
            accommodation=more_generous(self.options.accommodation if assessment else accommodation, granted),
        )
        sitting = self.sittings.admit(token, recorder)
        if sitting is None:
            return self.room_full(request, self.url("web", "scenario", sc.id))
        # One run at a time per browser: beginning another ends the one left unfinished, as the
        # full-screen app does when a trainee leaves a run for the library.
        if sitting.run is not None:
            self._warn(sitting, sitting.run.abandoned(), "your earlier run could not be closed in the records")
        else:
            for info in self._unfinished(token):
                try:
                    recorder.abandon_run(info.id)
                except RecordsError as exc:
                    self._warn(sitting, str(exc), "your earlier run could not be closed in the records")
        run, problem = Run.start(sc, settings, observe=RunRecorder.factory(recorder))
        sitting.begin(run)
        self._warn(sitting, problem, "records are off for this run")
        if settings.say_first:
            self._preload()
        return self.see_other(self.where(sitting), token)

    async def current(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        sitting = self.sittings.get(token)
        if sitting is not None:
            return self.see_other(self.where(sitting))
        infos = self._unfinished(token)
        if not infos:
            return self.message(
                request,
                "This run is not here",
                [
                    "This server holds no run at this address. It may have ended, or been begun on another server.",
                    "Choose a scenario in the library to begin a new run.",
                ],
                status=404,
            )
        info = infos[0]
        return self.message(
            request,
            "Continue where you left off",
            [
                f"Your run of '{views.flat(info.scenario_title)}' is kept in the records, "
                f"{'at its ending' if info.ending else f'at decision {info.decisions + 1}'}.",
            ],
            status=200,
            form={"action": self.run_url(token, "continue"), "csrf": self.sign(token), "label": "Continue this run"},
        )

    # -- a decision ---------------------------------------------------------------------------
    def _number(self, request: web.Request) -> int:
        text = request.match_info.get("n", "")
        if not text.isdigit() or len(text) > 6:
            raise Refused(self.not_found(request))
        return int(text)

    async def decision(self, request: web.Request, *, error: str = "", status: int = 200) -> web.StreamResponse:
        token = self.token(request)
        sitting, run = self.run_of(request, token)
        s = run.session
        n = self._number(request)
        if sitting.feedback is not None and sitting.feedback + 1 == n:
            sitting.feedback = None  # "Continue" on the feedback page: the next decision is under way
        if s.finished or self.stuck(run) or n != s.turn + 1 or sitting.feedback is not None:
            return self.see_other(self.where(sitting))
        now = self.clock()
        sitting.start_decision(now)
        left = sitting.seconds_left(now)
        if left is not None:
            self._warn(sitting, run.clock(left))  # so a run picked up after a restart keeps the time it had
        sc = s.scenario
        if s.turn == 0:
            entries = [e for sid in s.opening for e in state_entries(sc, sid, s.context)]
        else:
            entries = step_entries(sc, s.history[-1], s.context)
        offered = run.on_offer()
        settings = run.settings
        if not offered:
            phase = "wait"
        elif settings.say_first and not sitting.said:
            phase = "say"
        else:
            phase = "choose"
        heading = views.decision_heading(n, self.typical(sc))
        matched = sitting.matched
        selected = matched.selected if matched is not None else None
        notes, sitting.notes = sitting.notes, []
        return self.render(
            request,
            "decision.html",
            ("Error: " if error else "") + f"{heading} — {views.flat(sc.title)}",
            status=status,
            script=left is not None,
            status_line=self.status_line(run),
            heading=heading,
            passage=views.passage(sc, entries),
            prompt=views.flat(s.state.shown("prompt", s.context)),
            phase=phase,
            options=[(c.number, views.flat(c.text)) for c in offered],
            selected=selected,
            said=views.flat(sitting.said),
            match_reason=views.flat(matched.reason) if matched is not None else "",
            limit=sitting.limit,
            left=left,
            late=sitting.late(now),
            error=error,
            action=self.run_url(token, "decision", n),
            csrf=self.sign(token),
            nonce=sitting.nonce,
            rewind=self.run_url(token, "rewind") if settings.rewind_allowed and s.turn > 0 else "",
            previous=s.turn,
            readings=views.readings(s) if settings.meters_shown else [],
            notes=notes,
            words_max=WORDS_MAX,
        )

    async def answer(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        form = await self.form(request, token)
        sitting, run = self.run_of(request, token)
        self.same_run(request, sitting, form)
        s = run.session
        n = self._number(request)
        if s.finished or self.stuck(run) or n != s.turn + 1:
            return self.message(
                request,
                "This decision was already made",
                [
                    f"Decision {n} is not the one your run stands at now: it may have been answered already, "
                    "in another tab or before you went back a page. Nothing was changed.",
                ],
                status=409,
                links=[(self.where(sitting), "Go to where your run stands")],
            )
        sitting.feedback = None
        now = self.clock()
        sitting.start_decision(now)  # (a form sent before its page was ever shown starts its clock now)
        offered = run.on_offer()
        kind = form.get("step", "choose")
        if sitting.late(now):
            step = s.timeout(said=sitting.said)
            sitting.notes.append("The time ran out before you answered.")
            return self._made(sitting, run, step, now)
        if not offered and s.state.on_timeout is not None:
            if sitting.limit is not None:
                return self.see_other(self.where(sitting))  # nothing to do but wait: the page shows the time left
            return self._made(sitting, run, s.timeout(said=sitting.said), now)  # no time limits: waiting is the move
        if kind == "say" and run.settings.say_first:
            words = form.get("words").strip()
            if not words:
                return await self.decision(request, error="Please write a few words first: what would you say or do?", status=422)  # fmt: skip
            if len(words) > WORDS_MAX:
                return await self.decision(request, error=f"Please keep it under {WORDS_MAX} characters.", status=422)
            matched = await self._match(words, offered)
            if sitting.run is run and s.turn + 1 == n and sitting.clock_turn == s.turn:
                sitting.said, sitting.matched = words, matched  # (unless the run moved on meanwhile)
            return self.see_other(self.where(sitting))
        if run.settings.say_first and not sitting.said:
            return self.see_other(self.where(sitting))
        picked = form.get("choice")
        choice = next((c for c in offered if str(c.number) == picked), None)
        if choice is None:
            return await self.decision(request, error="Please choose one of the options, then send your choice.", status=422)  # fmt: skip
        step = s.choose(choice.number, said=sitting.said)
        return self._made(sitting, run, step, now)

    def _made(self, sitting: Sitting, run: Run, step: Step, now: float) -> web.StreamResponse:
        self._warn(sitting, run.stepped(step, sitting.elapsed_ms(now)))
        sitting.forget_decision()
        if run.settings.feedback_now:
            sitting.feedback = step.turn
        return self.see_other(self.where(sitting))

    async def _match(self, words: str, offered: Sequence[Choice]) -> Matched:
        """Say-it-first's match, in a worker thread (the model is slow to load); never waits past
        `MATCH_WAIT_S`, and never fails: at worst nothing is pre-selected, and the page says why."""
        matcher = self.matcher
        if matcher is None:
            from simulator.play.matcher import match

            matcher = match
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(None, matcher, words, tuple(offered))
        try:
            found = await asyncio.wait_for(asyncio.shield(job), MATCH_WAIT_S)
        except TimeoutError:
            return Matched(None, "the matcher is still getting ready")
        except Exception as exc:
            _log(f"say it first: the options could not be matched: {type(exc).__name__}: {exc}")
            return Matched(None, "the options could not be matched to your words")
        selected = found.selected
        if selected is not None and selected in offered:
            return Matched(selected.number)
        return Matched(None, found.reason or "none of the options is clearly closest")

    def _preload(self) -> None:
        """Start loading the matcher's model in a thread, once, while the trainee reads."""
        if self.matcher is not None or self._preloading:
            return
        self._preloading = True
        from simulator.play.matcher import preload

        asyncio.get_running_loop().run_in_executor(None, preload)

    async def rewind(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        form = await self.form(request, token)
        sitting, run = self.run_of(request, token)
        self.same_run(request, sitting, form)
        s = run.session
        if not run.settings.rewind_allowed:
            return self.message(
                request,
                "Going back is for practice",
                ["In assessment every choice stands."],
                status=409,
                links=[(self.where(sitting), "Go to where your run stands")],
            )
        if s.turn == 0 or sitting.debrief_seen:
            return self.see_other(self.where(sitting))
        try:
            s.rewind(s.turn - 1)
        except SessionError as exc:
            self._warn(sitting, str(exc), "the run could not go back")
            return self.see_other(self.where(sitting))
        self._warn(sitting, run.rewound())
        sitting.feedback = None
        sitting.forget_decision()
        sitting.notes.append(f"You went back to decision {s.turn + 1}. Choose again.")
        return self.see_other(self.where(sitting))

    # -- after a decision ------------------------------------------------------------------
    async def feedback(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        sitting, run = self.run_of(request, token)
        n = self._number(request)
        s = run.session
        if sitting.feedback != n or not 1 <= n <= len(s.history):
            return self.see_other(self.where(sitting))
        sc = s.scenario
        step = s.history[n - 1]
        if s.finished:
            onward, onward_label = self.run_url(token, "ended"), "Continue: see how it ends"
        else:
            onward, onward_label = self.run_url(token, "decision", n + 1), f"Continue to decision {n + 1}"
        rating = views.rating_words(step.rating)
        notes, sitting.notes = sitting.notes, []
        heading = f"Feedback on decision {n}: {rating}"
        return self.render(
            request,
            "feedback.html",
            f"{heading} — {views.flat(sc.title)}",
            status_line=self.status_line(run),
            heading=heading,
            chosen="" if step.timed_out else views.flat(step.text),
            why=views.paragraphs(step.feedback),
            refs=[views.flat(sc.references.get(k, k)) for k in step.refs],
            changes=views.changes_in_words(sc, step) if run.settings.meters_shown else None,
            onward=onward,
            onward_label=onward_label,
            rewind=self.run_url(token, "rewind") if run.settings.rewind_allowed else "",
            csrf=self.sign(token),
            nonce=sitting.nonce,
            n=n,
            notes=notes,
        )

    async def ended(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        sitting, run = self.run_of(request, token)
        s = run.session
        stuck = self.stuck(run)
        if sitting.feedback is not None and sitting.feedback == s.turn and (s.finished or stuck):
            sitting.feedback = None  # "Continue" from the last feedback
        if not (s.finished or stuck) or sitting.feedback is not None:
            return self.see_other(self.where(sitting))
        sc = s.scenario
        if s.history:
            entries = step_entries(sc, s.history[-1], s.context)
        else:
            entries = [e for sid in s.opening for e in state_entries(sc, sid, s.context)]
        notes, sitting.notes = sitting.notes, []
        heading = "This scenario cannot go on" if stuck else "The session has ended"
        return self.render(
            request,
            "ended.html",
            f"{heading} — {views.flat(sc.title)}",
            status_line=self.status_line(run),
            heading=heading,
            stuck=stuck,
            passage=views.passage(sc, entries),
            debrief=self.run_url(token, "debrief"),
            notes=notes,
        )

    # -- the debrief -----------------------------------------------------------------------
    async def debrief(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        sitting, run = self.run_of(request, token)
        s = run.session
        if not (s.finished or self.stuck(run)):
            return self.see_other(self.where(sitting))
        if not sitting.debrief_seen:
            sitting.feedback = None
            sitting.debrief_seen = True
            if s.finished:
                self._warn(sitting, run.finished(), "the ending could not be recorded")
            else:  # it cannot go on: closed as the trainee leaves it
                self._warn(sitting, run.abandoned())
        sc = s.scenario
        ending = s.ending
        items = debrief_items(s)
        data = series(s)
        charts = []
        if sc.meters:
            low = min(m.min for m in sc.meters.values())
            high = max(m.max for m in sc.meters.values())
            charts.append(
                views.chart("meters", "The group", [(m.label, data[k]) for k, m in sc.meters.items()], low, high)
            )
        if sc.members:
            charts.append(
                views.chart("members", "Members' trust", [(m.name, data[k]) for k, m in sc.members.items()], 0, 100)
            )
        texts = sitting.reflections
        prompts = [
            ("reaction", REFLECTION_PROMPTS["reaction"]),
            ("plus", REFLECTION_PROMPTS["plus"]),
            ("delta", REFLECTION_PROMPTS["delta"]),
        ]
        questions = [(question_key(i), views.flat(q)) for i, q in enumerate(sc.reflection)]
        first = sc.initial_values()
        notes, sitting.notes = sitting.notes, []
        return self.render(
            request,
            "debrief.html",
            f"Debrief — {views.flat(sc.title)}",
            status_line=self.status_line(run),
            heading=f"Debrief: {views.flat(sc.title)}",
            ending=None
            if ending is None
            else {
                "outcome": views.OUTCOME_WORDS.get(ending.outcome, views.flat(ending.outcome)),
                "title": views.flat(ending.shown("title", s.context)),
                "text": views.paragraphs(ending.shown("debrief", s.context)),
            },
            turning=[views.turning_words(r) for r in turning_points(items)],
            items=[
                {
                    "turn": r.turn,
                    "where": views.flat(r.where),
                    "said": views.flat(r.said),
                    "chosen": views.flat(r.chosen),
                    "timed_out": r.timed_out,
                    "rating": views.rating_words(r.rating),
                    "recommended": [] if r.took_recommended else [views.flat(t) for t in r.recommended],
                    "changes": [views.signed_words(label, d) for label, d in r.changes],
                    "why": views.paragraphs(r.feedback),
                    "refs": [views.flat(t) for _k, t in r.refs],
                }
                for r in items
            ],
            charts=charts,
            moved=[views.moved_in_words(sc, k, first[k], v) + "." for k, v in s.values.items()],
            prompts=prompts,
            questions=questions,
            texts=texts,
            objectives=[views.flat(o) for o in sc.objectives],
            action=self.run_url(token, "reflections"),
            csrf=self.sign(token),
            nonce=sitting.nonce,
            saved=request.query.get("saved") == "1",
            exports=(self.run_url(token, "export.md"), self.run_url(token, "export.json")),
            again=self.url("web", "scenario", sc.id),
            reflection_max=REFLECTION_MAX,
            notes=notes,
        )

    async def save_reflections(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        form = await self.form(request, token)
        sitting, run = self.run_of(request, token)
        self.same_run(request, sitting, form)
        if not sitting.debrief_seen:
            return self.see_other(self.where(sitting))
        sc = run.session.scenario
        keys = ["reaction", "plus", "delta", *(question_key(i) for i in range(len(sc.reflection)))]
        texts = dict(sitting.reflections)
        for key in keys:
            text = form.get(key).replace("\r\n", "\n")
            if len(text) > REFLECTION_MAX:
                return self.message(
                    request,
                    "Too much text",
                    [f"Each answer may be up to {REFLECTION_MAX} characters. Go back, shorten it, and save again."],
                    status=422,
                    links=[(self.run_url(token, "debrief"), "Back to the debrief")],
                )
            # A box emptied after it was saved is sent as '', so the deleted words leave the records too.
            if text.strip() or texts.get(key):
                texts[key] = text if text.strip() else ""
        problem = run.reflections(texts)
        sitting.reflections = {k: v for k, v in texts.items() if v}
        self._warn(sitting, problem, "your reflections could not be saved in the records; export them to keep a copy")
        return self.see_other(self.run_url(token, "debrief") + "?saved=1#saved")

    async def export(self, request: web.Request) -> web.StreamResponse:
        token = self.token(request)
        sitting, run = self.run_of(request, token)
        if not sitting.debrief_seen:
            return self.see_other(self.where(sitting))
        s = run.session
        kind = request.match_info["kind"]
        now = self.now()
        texts = {k: v for k, v in sitting.reflections.items() if v.strip()}
        slug = re.sub(r"[^a-z0-9]+", "-", s.scenario.id.lower()).strip("-") or "run"
        name = f"{slug}-{now:%Y%m%d-%H%M%S}.{kind}"
        if kind == "md":
            body = to_markdown(s, run.settings, reflections=texts, now=now)
            content_type = "text/markdown"
        else:
            body = json.dumps(to_json(s, run.settings, reflections=texts, now=now), ensure_ascii=False, indent=2) + "\n"
            content_type = "application/json"
        response = web.Response(text=body, content_type=content_type, charset="utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
