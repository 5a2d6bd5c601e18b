"""Helpers for the web page's tests (imported by path: tests run with --import-mode=importlib).

`serving_web` builds `groupsim serve`'s own application (`make_server`, with its Guard)
around the web page and serves it on 127.0.0.1 at a free port with aiohttp's
TestServer, inside the test's event loop; `Browser` is a form-filling client that
keeps cookies and reads each page as a person would: its title, its headings, its
text, its forms and links. No JavaScript runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"
ESCAPING = Path(__file__).resolve().parent / "fixtures" / "escaping.yaml"
BREACH = ROOT / "scenarios" / "confidentiality-breach.yaml"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- reading a page ---------------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    id: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[tuple[str, bool, str]]] = field(default_factory=dict)
    """name -> [(value, checked, id)]"""
    checkboxes: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    selects: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


@dataclass
class Link:
    href: str
    text: str


class _Reader(HTMLParser):
    SKIP = {"script", "style", "title"}
    BLOCK = {"p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "legend", "label", "caption", "tr", "div", "figcaption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.headings: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.forms: list[Form] = []
        self.orphans: list[dict[str, str]] = []  # controls outside any form (form="id")
        self.links: list[Link] = []
        self.labels: dict[str, str] = {}
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[dict[str, str]] = []
        self._stack: list[str] = []
        self._form: Form | None = None
        self._heading: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None
        self._label: tuple[str, list[str]] | None = None
        self._textarea: tuple[str, str, list[str]] | None = None
        self._button: list[str] | None = None
        self._select: str | None = None
        self._skip = 0
        self._in_title = False

    def _target(self, a: dict[str, str]) -> Form | None:
        if "form" in a:
            return next((f for f in self.forms if f.id == a["form"]), None)
        return self._form

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self.attrs.append(a)
        if "id" in a:
            self.ids.append(a["id"])
        if tag in self.SKIP:
            self._skip += 1
            self._in_title = tag == "title" and "body" not in self.tags  # (an SVG's title is its own)
        if tag in self.BLOCK:
            self.text.append("\n")
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(), a.get("id", ""))
            self.forms.append(self._form)
        elif tag in ("h1", "h2", "h3"):
            self._heading = [tag]
        elif tag == "a":
            self._link = (a.get("href", ""), [])
        elif tag == "label":
            self._label = (a.get("for", ""), [])
        elif tag == "input":
            form = self._target(a)
            kind = a.get("type", "text")
            name = a.get("name", "")
            if form is None:
                self.orphans.append(a)
            elif kind == "hidden":
                form.hidden[name] = a.get("value", "")
            elif kind == "radio":
                form.radios.setdefault(name, []).append((a.get("value", ""), "checked" in a, a.get("id", "")))
            elif kind == "checkbox":
                form.checkboxes[name] = a.get("value", "on")
            else:
                form.texts[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = (a.get("name", ""), a.get("form", ""), [])
        elif tag == "select":
            self._select = a.get("name", "")
            if self._form is not None:
                self._form.selects[self._select] = ""
        elif tag == "option" and self._select is not None and self._form is not None:
            if "selected" in a or not self._form.selects[self._select]:
                self._form.selects[self._select] = a.get("value", "")
        elif tag == "button":
            self._button = []
            self._button_form = a.get("form", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip -= 1
            self._in_title = False
        if tag == "form":
            self._form = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append((self._heading[0], " ".join("".join(self._heading[1:]).split())))
            self._heading = None
        elif tag == "a" and self._link is not None:
            self.links.append(Link(self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None
        elif tag == "label" and self._label is not None:
            self.labels[self._label[0]] = " ".join("".join(self._label[1]).split())
            self._label = None
        elif tag == "textarea" and self._textarea is not None:
            name, form_id, text = self._textarea
            form = self._target({"form": form_id} if form_id else {})
            if form is not None:
                form.texts[name] = "".join(text)
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "button" and self._button is not None:
            form = self._target({"form": self._button_form} if self._button_form else {})
            if form is not None:
                form.buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._skip:
            return
        self.text.append(data)
        for part in (self._heading, self._link and self._link[1], self._label and self._label[1], self._button):
            if part is not None and part is not False:
                part.append(data)
        if self._textarea is not None:
            self._textarea[2].append(data)


@dataclass
class Page:
    status: int
    url: str
    html: str
    headers: Any
    reader: _Reader

    @property
    def title(self) -> str:
        return " ".join(self.reader.title.split())

    @property
    def h1(self) -> list[str]:
        return [t for tag, t in self.reader.headings if tag == "h1"]

    @property
    def text(self) -> str:
        return re.sub(r"[ \t]*\n\s*", "\n", re.sub(r"[ \t]+", " ", "".join(self.reader.text))).strip()

    @property
    def forms(self) -> list[Form]:
        return self.reader.forms

    @property
    def links(self) -> list[Link]:
        return self.reader.links

    def link(self, text: str) -> Link:
        found = [ln for ln in self.links if text in ln.text]
        assert found, f"no link with {text!r} on {self.url}: {[ln.text for ln in self.links]}"
        return found[0]

    def form(self, button: str) -> Form:
        found = [f for f in self.forms if any(button in b for b in f.buttons)]
        assert found, f"no form with a {button!r} button on {self.url}: {[f.buttons for f in self.forms]}"
        return found[0]

    @property
    def path(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.url).path


def read(status: int, url: str, html: str, headers: Any) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Page(status, url, html, headers, reader)


# -- a browser without JavaScript -------------------------------------------------------------
class Browser:
    """Follows links and fills forms, keeping cookies; every request carries this server's Origin."""

    def __init__(self, client: Any, origin: str) -> None:
        self.client = client
        self.origin = origin

    async def get(self, path: str, *, follow: bool = True) -> Page:
        async with self.client.get(path, allow_redirects=follow) as response:
            return read(response.status, str(response.url), await response.text(), response.headers)

    async def raw(self, path: str) -> tuple[int, Any, bytes]:
        async with self.client.get(path) as response:
            return response.status, response.headers, await response.read()

    async def post(self, path: str, data: dict[str, str], *, follow: bool = True, origin: str | None = None) -> Page:
        headers = {"Origin": origin or self.origin}
        async with self.client.post(path, data=data, headers=headers, allow_redirects=follow) as response:
            return read(response.status, str(response.url), await response.text(), response.headers)

    async def submit(self, form: Form, *, follow: bool = True, **values: str) -> Page:
        data = dict(form.hidden)
        for name, options in form.radios.items():
            checked = [v for v, on, _ in options if on]
            if checked:
                data[name] = checked[0]
        data.update(form.selects)
        data.update(form.texts)
        data.update(values)
        return await self.post(form.action, {k: v for k, v in data.items() if v is not None}, follow=follow)

    async def follow(self, link: Link) -> Page:
        return await self.get(link.href)


class Site:
    """A served web page: its address, and browsers to open on it (each with cookies of its own)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sessions: list[Any] = []

    def browser(self) -> Browser:
        import aiohttp

        # unsafe: keep cookies for an IP address host, as browsers do.
        session = aiohttp.ClientSession(base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self._sessions.append(session)
        return Browser(session, self.url)

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()


@asynccontextmanager
async def serving_web(tmp_path: Path, *files: Path, page: str = "choose", db: Path | None = None, **options: Any):
    """`groupsim serve`'s application (with its Guard) and the web page, on 127.0.0.1 at a free port; yields a `Site`.

    `options` go to `WebOptions` (clock, matcher, capacity, say_first_required, accommodation, ...).
    """
    from aiohttp.test_utils import TestServer

    from simulator.authoring.library import load_file
    from simulator.serve import make_server
    from simulator.web import WebOptions

    found = [load_file(p) for p in (files or (TINY,))]
    web_options = WebOptions(db=db or tmp_path / "web.db", found=found, page=page, **options)
    server = make_server("true", "127.0.0.1", 8000, web_options=web_options)
    app = await server._make_app()
    async with TestServer(app, host="127.0.0.1") as test_server:
        site = Site(str(test_server.make_url("")).rstrip("/"))
        try:
            yield site
        finally:
            await site.close()


def choose_first(page: Page) -> dict[str, str]:
    """The first option on a decision page, as form values."""
    form = page.form("Send my choice")
    value = form.radios["choice"][0][0]
    return {"choice": value}


async def play_to_debrief(
    browser: Browser, page: Page, pick: Callable[[Page], dict[str, str]] = choose_first, seen: list[Page] | None = None
) -> Page:
    """From a run's first decision, answer every decision with `pick` and go on until the debrief."""
    for _ in range(50):
        if seen is not None:
            seen.append(page)
        assert page.status == 200, (page.status, page.url, page.text[:500])
        if "/decision/" in page.path:
            page = await browser.submit(page.form("Send my choice"), **pick(page))
        elif "/feedback/" in page.path:
            page = await browser.follow(page.link("Continue"))
        elif page.path.endswith("/ended"):
            page = await browser.follow(page.link("Open the debrief"))
        elif page.path.endswith("/debrief"):
            return page
        else:
            raise AssertionError(f"unexpected page {page.url}")
    raise AssertionError("the run did not end within 50 pages")
