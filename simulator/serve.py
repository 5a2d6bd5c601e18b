"""`groupsim serve`: the trainee's app in web browsers, through textual-serve.

textual-serve runs one command per browser connection and bridges its terminal to
the page over a websocket; here that command is `python -m simulator.serve --db DB`,
which opens the same app `groupsim play` opens and records into the shared database.

The parts, each in one place:

- `Guard`: who may use the server (the Host and Origin checks every request passes).
- `Capacity` and `Room`: how many sessions run at once, and whether another fits.
- `make_server`: the routes, and each tab's process started, watched and ended; beside
  them, the web page's (`simulator.web`), whose runs live in this process.
- `session`: what runs in a tab's process: the app, then the run closed in the
  records however the tab ends, and the process ending with its server.

Module-level imports stay light: every browser tab starts a Python process running
`session()` below, which needs neither aiohttp nor textual-serve.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from simulator.play.run import Run
    from simulator.tui.app import GroupSimApp
    from simulator.web import WebOptions

# Hosts that mean "every interface of this machine".
WILDCARDS = ("0.0.0.0", "::")

TEMPLATES = Path(__file__).with_name("serve_templates")
"""The page's template folder: textual-serve's page, fetching nothing from other sites (its font comes from this server, not Google Fonts)."""

GRACE_S = 5.0
"""How long a tab's process is given to end on its own (after being asked to quit, or told to stop) before it is made to."""


# -- addresses ---------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """True when `host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]")
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:  # a name: loopback only if every address it resolves to is
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def url_for(host: str, port: int) -> str:
    """The address to give people for a server bound to `host`."""
    if host in WILDCARDS:
        host = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, in words, or None when it can.

    Binds and releases the address as aiohttp will (SO_REUSEADDR on, so a port
    still in TIME_WAIT from a previous run is not "in use").
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot use host {host!r}: {exc.strerror}"
    for family, kind, proto, _, address in infos:
        try:
            with socket.socket(family, kind, proto) as s:
                if sys.platform != "win32":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind(address)
        except OSError as exc:
            return describe_bind_error(exc, host, port)
    return None


def describe_bind_error(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another server, or another 'groupsim serve'?); choose another with --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need special permission); choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this computer; use 127.0.0.1 for this computer only, or 0.0.0.0 for every interface"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


# -- who may use it ----------------------------------------------------------------
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]
"""A web origin as browsers compare them: scheme, host name, port."""


def origin_of(url: str) -> Origin | None:
    """`url`'s origin (the scheme's default port filled in), or None for anything but an http(s) address."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


class Guard:
    """Who may use the server: every request, to every route, passes `refusal` first.

    - Bound to a loopback address, the server answers only to names of this computer
      (loopback addresses, `localhost`, the `--host` given, the public URL's host),
      and never looks a name up: a page whose name an attacker has pointed at
      127.0.0.1 (DNS rebinding) resolves to loopback by design, so resolving proves nothing.
    - A request that carries an Origin (browsers send one on every websocket) must
      come from this server's own origin — scheme, host and port, as the browser
      addressed it — or from the public URL's; one addressed by the public URL's
      host name only from the public URL's (a TLS proxy speaks plain http to us).
    """

    def __init__(self, host: str, public_url: str | None = None) -> None:
        self.loopback = is_loopback(host)
        self.public = origin_of(public_url) if public_url else None
        self.names = {host.strip("[]").lower()}
        if self.public is not None:
            self.names.add(self.public[1])

    def _names_this_computer(self, name: str) -> bool:
        if name == "localhost" or name.endswith(".localhost") or name in self.names:
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    def refusal(self, scheme: str, host: str, origin: str | None) -> str | None:
        """Why a request is refused, in words, or None when it may go on.

        Args:
            scheme: how the request reached this server ("http", or "https" behind TLS).
            host: its Host header.
            origin: its Origin header, if it has one.
        """
        own = origin_of(f"{scheme}://{host}")
        if own is None:
            return f"{host!r} is not an address this server answers to"
        if self.loopback and not self._names_this_computer(own[1]):
            return f"this server answers only to this computer's own addresses, not {host!r}"
        if origin is None:
            return None
        # Addressed by the public URL's name, the request came through the proxy: its
        # scheme as seen here says nothing, and only the public origin is the page's.
        allowed = {self.public} if self.public is not None and own[1] == self.public[1] else {own, self.public}
        if origin_of(origin) not in allowed - {None}:
            return f"a page from {origin} may not open a session here"
        return None


# -- how many at once --------------------------------------------------------------
SESSION_MB = 60
"""Memory to allow for one tab's process (about 43 MB measured), with room to spare."""
MEMORY_SHARE = 0.75
"""The share of the memory free at start-up that sessions may take; the rest is headroom."""
FILES_PER_SESSION = 6
"""Open files the server holds for one tab: its websocket, the three pipes to its
process, and a couple for the page's own downloads."""
FILES_RESERVED = 64
"""Open files kept for the server itself (its listening sockets, static files being sent)."""
FALLBACK_SESSIONS = 20
"""The cap when this computer's free memory cannot be read."""
RETRY_AFTER_S = 60
"""What a full room tells a browser (Retry-After): try again in a minute."""


def available_memory(root: Path = Path("/")) -> int | None:
    """Bytes of memory free for new programs now, or None when this computer does not say.

    Linux's MemAvailable, or less when a container's memory limit (cgroup v2 or v1)
    leaves less; elsewhere the free pages the system reports.
    """
    free: int | None = None
    try:
        for line in (root / "proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    cgroup = root / "sys/fs/cgroup"
    for limit, used in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        try:
            cap, now = int((cgroup / limit).read_text()), int((cgroup / used).read_text())
        except (OSError, ValueError):  # no such file, or "max": no limit here
            continue
        if cap < 2**60:  # cgroup v1 writes "no limit" as a huge number
            free = max(0, cap - now) if free is None else min(free, max(0, cap - now))
        break
    if free is not None or root != Path("/"):
        return free
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def open_file_limit() -> int | None:
    """How many files this process may have open at once, or None when there is no limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


@dataclass(frozen=True)
class Capacity:
    """How many sessions at once this computer has room for, and why."""

    memory: int | None
    """Bytes free at start-up (None: unknown)."""
    file_limit: int | None
    """Open files this process may hold (None: unlimited)."""

    @classmethod
    def of_this_computer(cls) -> Capacity:
        return cls(available_memory(), open_file_limit())

    @property
    def by_memory(self) -> int | None:
        if self.memory is None:
            return None
        return max(1, int(self.memory * MEMORY_SHARE) // (SESSION_MB * 2**20))

    @property
    def by_files(self) -> int | None:
        if self.file_limit is None:
            return None
        return max(1, (self.file_limit - FILES_RESERVED) // FILES_PER_SESSION)

    def default(self) -> int:
        known = [n for n in (self.by_memory, self.by_files) if n is not None]
        return min(known) if known else FALLBACK_SESSIONS

    def describe_default(self) -> str:
        """Where `default()` comes from, in words."""
        memory, files = self.by_memory, self.by_files
        if files is not None and (memory is None or files < memory):
            return f"for this computer's limit of {self.file_limit} open files"
        if memory is not None and self.memory is not None:
            return f"for this computer's free memory ({_size(self.memory)} at {SESSION_MB} MB a session)"
        return "as this computer's free memory could not be read"

    def choose(self, requested: int | None) -> tuple[int, list[str]]:
        """The session cap for `--max-sessions` (None: the default) and the start-up message's lines about it.

        Raises:
            ValueError: `requested` is more than the open-file limit leaves room for, in words.
        """
        past = "A tab opened past that is asked to try again in a minute."
        if requested is None:
            n = self.default()
            return n, [
                f"At most {n} sessions (browser tabs) at once, {self.describe_default()};",
                f"--max-sessions changes it. {past}",
            ]
        files = self.by_files
        if files is not None and requested > files:
            raise ValueError(
                f"--max-sessions {requested} is more than this computer allows: each session needs about "
                f"{FILES_PER_SESSION} open files and the limit is {self.file_limit}, room for {files}; "
                f"choose at most {files}, or raise the limit first (ulimit -n)"
            )
        said = [
            f"At most {requested} session{'s' if requested != 1 else ''} (browser tabs) at once (--max-sessions).",
            past,
        ]
        memory = self.by_memory
        if memory is not None and self.memory is not None and requested > memory:
            said.append(
                f"Note: {requested} sessions may need more memory than is free now ({_size(self.memory)}, "
                f"room for about {memory})."
            )
        return requested, said


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n // 2**20} MB"


class Room:
    """How many sessions are open, against the cap: the one place the cap is kept.

    A session holds its place from the moment it is let in until its process has
    ended, so the count is of processes, not of open pages.
    """

    FULL_TITLE = "The room is full"
    FULL_TEXT = "Every place for practice is taken just now. Please try again in a minute."
    """What a trainee is told when there is no place: on the page a full room sends, on the
    app's page when its websocket is turned away, and as that websocket's close reason."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a room needs at least one place")
        self.capacity = capacity
        self.open = 0

    @property
    def full(self) -> bool:
        return self.open >= self.capacity

    def enter(self) -> bool:
        """Take a place; False (and nothing taken) when the room is full."""
        if self.full:
            return False
        self.open += 1
        return True

    def leave(self) -> None:
        """Give a place back."""
        self.open = max(0, self.open - 1)


# -- what it says ------------------------------------------------------------------
def start_up_message(
    host: str, port: int, db: Path, what: str, public_url: str | None = None, room: list[str] | None = None
) -> str:
    """What `groupsim serve` says before it starts listening (`room`: its lines about the session cap)."""
    url = public_url or url_for(host, port)
    lines = [f"groupsim serve: {what} at {url}"]
    if is_loopback(host):
        lines.append(
            f"  Only this computer can open it: bound to the loopback address {host}. To serve a network, pass --host."
        )
    else:
        where = "every network interface of this computer" if host in WILDCARDS else host
        lines.append(
            f"  WARNING: bound to {where}. Anyone who can reach this computer on the network can open the app,\n"
            "  with no sign-in, and what they do is recorded. Use it only on a network you trust, or put a proxy\n"
            "  with sign-in in front of it (then pass --public-url)."
        )
    lines.append(f"  Each browser tab is its own session; every run is recorded in {db}")
    lines.extend(f"  {line}" for line in room or ())
    lines.append("  Press Ctrl+C to stop.")
    return "\n".join(lines)


# -- the server --------------------------------------------------------------------
def session_command(db: Path, target: str | None, parent: int | None = None, options: tuple[str, ...] = ()) -> str:
    """The shell command textual-serve runs for each browser tab.

    `parent` is the server's process id (default: this process): the tab's process
    ends when that process does. `options` are the supervisor's for every run
    (`--say-first`, `--time-accommodation X`).
    """
    argv = [sys.executable, "-m", "simulator.serve", "--db", str(db), *options]
    if sys.platform == "win32":  # pragma: no cover - textual-serve runs it through cmd.exe, the tab's parent there
        return subprocess.list2cmdline(argv if target is None else [*argv, "--", target])
    # `exec`: the shell becomes the app, so the process textual-serve started is the
    # app itself, a direct child of the server (stopping it stops the app, and the
    # server's end is its parent's end).
    argv += ["--parent", str(parent or os.getpid())]
    if target is not None:
        argv += ["--", target]  # (a file named like an option is still a file)
    return "exec " + shlex.join(argv)


def serve(
    command: str,
    host: str,
    port: int,
    *,
    public_url: str | None = None,
    max_sessions: int | None = None,
    web_options: WebOptions | None = None,
    warm: int = 0,
) -> None:
    """Serve until Ctrl+C, SIGTERM or SIGHUP. Raises OSError when the address cannot be bound."""
    make_server(
        command, host, port, public_url=public_url, max_sessions=max_sessions, web_options=web_options, warm=warm
    ).serve()


def make_server(
    command: str,
    host: str,
    port: int,
    *,
    public_url: str | None = None,
    max_sessions: int | None = None,
    web_options: WebOptions | None = None,
    warm: int = 0,
) -> Any:
    """A textual-serve `Server` that runs `command` per tab, within `Room(max_sessions)`, behind a `Guard`.

    With `warm`, that many tab processes are kept started ahead (`Warm`), so a class
    opening the link at once does not wait for each to start.

    Unlike textual-serve's default, the page points its websocket at the address the
    browser used (or `public_url`), so it works however the server is reached; it
    fetches nothing from other sites (see `TEMPLATES`), so it works offline; no
    folder is listed; and when the room is full a new tab is told so in words.

    With `web_options`, the web page (`simulator.web`) is served beside it under /web/,
    behind the same guard, and the app's page is also at /terminal; `web_options.page`
    says what / shows ("terminal": the app's page, as without `web_options`).
    """
    import asyncio

    import aiohttp_jinja2
    import jinja2
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.download_manager import DownloadManager
    from textual_serve.server import Server, to_int

    fixed = public_url.rstrip("/") if public_url else None
    full_words = {"title": Room.FULL_TITLE, "text": Room.FULL_TEXT}
    guard = Guard(host, fixed)
    room = Room(max_sessions if max_sessions is not None else Capacity.of_this_computer().default())

    class Warm:
        """Tab processes started ahead of need, at 80x24, kept `size` strong in the background.

        A tab takes one if one is ready (and tells it its real size); each taken is replaced.
        Starting a process is what a tab waits for (about half a CPU-second); a warm one has
        already drawn its first screen into its pipe."""

        def __init__(self, size: int) -> None:
            self.size = size
            self.ready: list[Any] = []
            self.starting = 0
            self.closed = False
            self.tasks: set[asyncio.Task[None]] = set()

        def fill(self) -> None:
            while not self.closed and len(self.ready) + self.starting < self.size:
                self.starting += 1
                task = asyncio.get_running_loop().create_task(self._start_one())
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

        async def _start_one(self) -> None:
            try:
                # textual-serve's own way of starting a tab's process (its environment included).
                starter = AppService(
                    command, write_bytes=_ignore, write_str=_ignore, close=_nothing, download_manager=DownloadManager()
                )
                process = await starter._open_app_process(80, 24)
            except OSError as exc:
                print(f"groupsim serve: could not start a session ahead: {exc.strerror or exc}", flush=True)
                return
            finally:
                self.starting -= 1
            if self.closed:
                await _stop(process)
            else:
                self.ready.append(process)

        def take(self) -> Any | None:
            """A started process still running, or None."""
            while self.ready:
                process = self.ready.pop(0)
                if process.returncode is None:
                    self.fill()
                    return process
            self.fill()
            return None

        async def close(self) -> None:
            self.closed = True
            for task in list(self.tasks):
                task.cancel()
            for process in self.ready:
                await _stop(process)
            self.ready.clear()

    pool = Warm(warm) if warm > 0 else None

    class TabService(AppService):
        """textual-serve's service for a tab, taking a warm process when one is ready."""

        async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
            process = pool.take() if pool is not None else None
            if process is None:
                return await super()._open_app_process(width, height)
            self._process = process
            self._stdin = process.stdin
            if (width, height) != (80, 24):
                await self.set_terminal_size(width, height)
            return process

    page = None
    if web_options is not None:
        from simulator.web import WebPage

        page = WebPage(web_options)

    @web.middleware
    async def guarded(request: web.Request, handler: Any) -> web.StreamResponse:
        if reason := guard.refusal(request.scheme, request.host, request.headers.get("Origin")):
            raise web.HTTPForbidden(text=reason)
        response: web.StreamResponse = await handler(request)
        return response

    class GroupsimServer(Server):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.tabs: set[web.WebSocketResponse] = set()
            self.room = room
            self.guard = guard

        async def _make_app(self) -> web.Application:
            # textual-serve's routes, every one behind the guard, and no folder listed.
            app = web.Application(middlewares=[guarded] + ([page.middleware()] if page is not None else []))
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            first = self.handle_index if page is None or page.options.page == "terminal" else page.home
            app.add_routes(
                [
                    web.get("/", first, name="index"),
                    web.get("/ws", self.handle_websocket, name="websocket"),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, show_index=False, name="static"),
                ]
            )
            if page is not None:  # the web page, and the app's page at an address of its own
                app.add_routes([web.get("/terminal", self.handle_index, name="terminal"), *page.routes()])
                app.on_cleanup.append(page.close)
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def on_startup(self, app: web.Application) -> None:
            # `groupsim serve` has printed its own start-up message. Closing the terminal
            # stops the server as Ctrl+C does (textual-serve handles SIGINT and SIGTERM).
            if hasattr(signal, "SIGHUP"):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.request_exit)
            if pool is not None:
                pool.fill()

        async def on_shutdown(self, app: web.Application) -> None:
            # Close every open tab, so each handler below ends its app and waits for it
            # before the event loop closes (else stopping the server leaves processes behind).
            for ws in list(self.tabs):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"groupsim serve stopped")
            if pool is not None:
                await pool.close()

        def _base(self, request: web.Request) -> str:
            return fixed or f"{request.scheme}://{request.host}"

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if self.room.full:
                response = aiohttp_jinja2.render_template(
                    "room_full.html", request, {"full": full_words, "again": "?" + request.query_string}, status=503
                )
                response.headers["Retry-After"] = str(RETRY_AFTER_S)
                response.headers["Cache-Control"] = "no-store"
                return response
            router = request.app.router
            base = self._base(request)
            websocket = base + str(router["websocket"].url_for())
            websocket = ("wss:" if base.startswith("https:") else "ws:") + websocket.split(":", 1)[1]
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": websocket,
                "config": {"static": {"url": base + str(router["static"].url_for(filename="/")).rstrip("/") + "/"}},
                "application": {"name": self.title},
                "full": full_words,
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler, within the room's places, with the tab's process
            ended for certain (asked, then told, then made to) rather than left to exit on its own."""
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            if not self.room.enter():
                # Accept, then close with "try again later": a browser's page can read a
                # close code and reason, but not the status of a refused handshake.
                reason = f"{Room.FULL_TITLE}. {Room.FULL_TEXT}"
                await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=reason.encode())
                return websocket
            self.tabs.add(websocket)

            async def close() -> None:
                await websocket.close()

            service = TabService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            try:
                await service.start(
                    to_int(request.query.get("width", "80"), 80), to_int(request.query.get("height", "24"), 24)
                )
                await self._process_messages(websocket, service)
            except OSError as exc:  # the process could not be started
                print(f"groupsim serve: could not start a session: {exc.strerror or exc}", flush=True)
            except (ValueError, TypeError, LookupError, AssertionError):  # not what textual.js sends
                print(
                    "groupsim serve: a tab sent something that is not textual.js's; its session was closed", flush=True
                )
            finally:
                self.tabs.discard(websocket)
                try:
                    await _end_tab(service)
                finally:
                    self.room.leave()
                    await websocket.close()
            return websocket

    async def _ignore(data: Any) -> None:
        return None

    async def _nothing() -> None:
        return None

    async def _stop(process: Any) -> None:
        """End a warm process no tab took: told, then made to."""
        for stop in (process.terminate, process.kill):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), GRACE_S)

    async def _end_tab(service: Any) -> None:
        """Ask the tab's app to quit; past the grace period, SIGTERM (its run is closed in the
        records on that too); past another, SIGKILL."""
        process = getattr(service, "_process", None)
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(service.stop(), GRACE_S)  # asks the app to quit, reads its last output
        if process is None:
            return
        for stop in (process.terminate, process.kill):
            if process.returncode is not None:
                break
            try:
                await asyncio.wait_for(process.wait(), GRACE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    stop()
        await process.wait()

    return GroupsimServer(command, host=host, port=port, title="groupsim", public_url=fixed, templates_path=TEMPLATES)


# -- one tab's process -------------------------------------------------------------
PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal this process gets when its parent ends."""
WATCH_EVERY_S = 0.5
"""How often a tab's watchdog looks for its server."""


def end_with_parent(parent: int) -> bool:
    """Ask Linux to send this process SIGTERM when its parent ends; False when `parent` is already gone.

    Elsewhere (or if the call fails) `Watchdog` notices on its own, a little later.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    # Checked after the request: the parent may have ended before it was made.
    return os.getppid() == parent


def hung_up(fd: int) -> bool:
    """True when nothing will ever come on `fd` again (a pipe whose writer has closed it). Reads nothing."""
    import select

    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        return False
    poller = select.poll()
    try:
        poller.register(fd, 0)  # no events asked: hang-ups and errors are always reported
        return any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return True


class Watchdog:
    """Ends a tab's process whose server is gone, without the parent-death signal Linux alone has.

    `check()` looks once: if the server process has ended (this process has another
    parent now) or its pipe to us is closed, it calls `end` (which asks the app to
    stop: SIGTERM to this process); if the process is still there `grace` seconds
    later, `give_up`. A thread calls `check()` every `WATCH_EVERY_S` seconds once
    `start()`ed; tests call it by hand with their own clock.
    """

    def __init__(
        self,
        parent: int,
        *,
        stdin: int | None,
        end: Callable[[], None],
        give_up: Callable[[], None],
        grace: float = GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parent = parent
        self.stdin = stdin
        self.end = end
        self.give_up = give_up
        self.grace = grace
        self.clock = clock
        self.ended_at: float | None = None
        """When `end` was called (by `clock`), or None."""
        self._stop = threading.Event()

    def gone(self) -> str | None:
        """Why this tab's server is gone, in words, or None while it is there."""
        if os.getppid() != self.parent:
            return "the server has stopped"
        if self.stdin is not None and hung_up(self.stdin):
            return "the server closed its connection to this session"
        return None

    def check(self) -> None:
        if self.ended_at is None:
            if self.gone() is not None:
                self.ended_at = self.clock()
                self.end()
        elif self.clock() - self.ended_at >= self.grace:
            self.give_up()

    def start(self) -> None:
        def watch() -> None:
            while not self._stop.wait(WATCH_EVERY_S):
                self.check()

        threading.Thread(target=watch, name="groupsim-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def close_run(run: Run | None) -> str | None:
    """Tell the records what a closed tab leaves of `run`; returns why that failed, or None.

    `groupsim serve` never offers a run to resume, so a run its tab left unfinished
    would stay active for ever: it is abandoned, its decisions kept as they were
    recorded. A run that reached its ending, its debrief not yet opened, is finished
    with that ending, as the debrief would have recorded it.
    """
    return None if run is None else run.closed()


def _say(text: str) -> None:
    """A line for the server's log (the tab's stderr); nothing if the server is gone."""
    with contextlib.suppress(OSError, ValueError):
        print(f"groupsim serve: {text}", file=sys.stderr, flush=True)


def _close_run_apart(run: Run | None, db: str) -> None:
    """`close_run` from another thread, on a connection of its own (the app's may be stuck)."""
    from simulator.play.run import Run
    from simulator.records import Recorder, RunRecorder

    if run is None or not isinstance(run.observer, RunRecorder):
        return
    try:
        with Recorder(db) as recorder:
            alone = Run(run.session, run.settings, RunRecorder(recorder, run.observer.run_id), run.finished_told)
            problem = close_run(alone)
    except Exception as exc:  # the process is ending regardless: say why the record is not closed
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        _say(f"could not close run {run.observer.run_id} in the records: {problem}")


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


async def _run_app(app: GroupSimApp) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    # SIGTERM (the server, or its death) and SIGHUP (the terminal closing) end the app as
    # its Quit does, so `session` can close the run. (Textual's web driver sets SIGTERM's
    # handler to the same end once it starts.)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
                loop.add_signal_handler(getattr(signal, name), app.exit)
    await app.run_async()


def session(argv: list[str] | None = None) -> int:
    """One browser tab's app: `groupsim play` without the terminal checks and the resume prompt.

    A tab has no terminal for `input()`, and in a shared database the unfinished runs
    on offer would be other trainees' — so a tab always starts afresh. When the app
    ends — the tab closed, the server stopped or killed, SIGTERM or SIGHUP — the
    run it leaves is closed in the records (`close_run`), and the process ends.
    """
    p = argparse.ArgumentParser(prog="python -m simulator.serve")
    p.add_argument("target", nargs="?")
    p.add_argument("--db", required=True)
    p.add_argument("--parent", type=int, help="the server's process id: this session ends when it does")
    p.add_argument("--say-first", action="store_true")
    p.add_argument("--time-accommodation", choices=("none", "1.5x", "2x", "off"), default="none")
    args = p.parse_args(argv)
    parent = args.parent if args.parent is not None else os.getppid()
    if not end_with_parent(parent):
        return 1  # the server stopped before this session started

    import asyncio

    from simulator.authoring.library import resolve
    from simulator.records import Origin, Recorder, RecordsError, RunRecorder
    from simulator.tui.app import make_app

    found = resolve(args.target)
    try:
        # Runs played in a browser are never offered to resume, by anyone (see Origin.served).
        recorder = Recorder(args.db, origin=Origin.served())
    except RecordsError as exc:
        _say(f"cannot open a session: {exc}")
        return 1
    with recorder:
        app = make_app(
            found,
            observe=RunRecorder.factory(recorder),
            say_first=args.say_first,
            accommodation=args.time_accommodation,
            granted=recorder.accommodation_for,  # a trainee's grant in the records counts here too
        )

        def give_up() -> None:
            _say("the server is gone and the session did not end; ending it")
            _close_run_apart(app.current, args.db)
            os._exit(1)

        watchdog = Watchdog(
            parent,
            stdin=_fileno(sys.stdin),
            end=lambda: os.kill(os.getpid(), signal.SIGTERM),
            give_up=give_up,
        )
        watchdog.start()
        try:
            asyncio.run(_run_app(app))
        finally:
            # The session is ending: a second stop signal must not cut the closing short.
            for name in ("SIGTERM", "SIGHUP", "SIGINT"):
                if hasattr(signal, name):
                    signal.signal(getattr(signal, name), signal.SIG_IGN)
            if problem := close_run(app.current):
                _say(f"could not close the run in the records: {problem}")
            watchdog.stop()
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(session())
