"""`groupsim serve`: the trainee's app in web browsers, through textual-serve.

textual-serve runs one command per browser connection and bridges its terminal to
the page over a websocket; here that command is `python -m simulator.serve --db DB`,
which opens the same app `groupsim play` opens and records into the shared database.

Module-level imports stay light: every browser tab starts a Python process running
`session()` below, which needs neither aiohttp nor textual-serve.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Hosts that mean "every interface of this machine".
WILDCARDS = ("0.0.0.0", "::")

TEMPLATES = Path(__file__).with_name("serve_templates")
"""The page's template folder: textual-serve's page, fetching nothing from other sites (its font comes from this server, not Google Fonts)."""


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


def start_up_message(host: str, port: int, db: Path, what: str, public_url: str | None = None) -> str:
    """What `groupsim serve` says before it starts listening."""
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
    lines.append("  Press Ctrl+C to stop.")
    return "\n".join(lines)


def session_command(db: Path, target: str | None) -> str:
    """The shell command textual-serve runs for each browser tab."""
    argv = [sys.executable, "-m", "simulator.serve", "--db", str(db)]
    if target is not None:
        argv.append(target)
    if sys.platform == "win32":  # pragma: no cover - textual-serve runs it through cmd.exe there
        return subprocess.list2cmdline(argv)
    # `exec`: the shell becomes the app, so stopping the process textual-serve started stops the app.
    return "exec " + shlex.join(argv)


def serve(command: str, host: str, port: int, *, public_url: str | None = None) -> None:
    """Serve until Ctrl+C or SIGTERM. Raises OSError when the address cannot be bound."""
    make_server(command, host, port, public_url=public_url).serve()


def make_server(command: str, host: str, port: int, *, public_url: str | None = None) -> Any:
    """A textual-serve `Server` that runs `command` per tab and refuses cross-site websockets.

    Unlike textual-serve's default, the page points its websocket at the address the
    browser used (or `public_url`), so it works however the server is reached, and
    it fetches nothing from other sites (see `TEMPLATES`), so it works offline.
    """
    import asyncio

    import aiohttp_jinja2
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    loopback = is_loopback(host)
    fixed = public_url.rstrip("/") if public_url else None

    class GroupsimServer(Server):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.tabs: set[web.WebSocketResponse] = set()

        async def on_startup(self, app: web.Application) -> None:
            pass  # `groupsim serve` has printed its own start-up message

        async def on_shutdown(self, app: web.Application) -> None:
            # Close every open tab, so each handler below ends its app and waits for it
            # before the event loop closes (else stopping the server leaves processes behind).
            for ws in list(self.tabs):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"groupsim serve stopped")

        def _base(self, request: web.Request) -> str:
            return fixed or f"{request.scheme}://{request.host}"

        def _refusal(self, request: web.Request) -> str | None:
            """Why a request is refused: a foreign Host on loopback (DNS rebinding), a foreign Origin."""
            allowed = {urlsplit(fixed).netloc.lower()} if fixed else set()
            name = urlsplit(f"//{request.host}").hostname or ""
            if loopback and request.host.lower() not in allowed and not is_loopback(name):
                return f"this server answers only to this computer's own addresses, not {request.host!r}"
            origin = request.headers.get("Origin")
            if origin is not None:  # browsers always send it on websockets; other clients need no guarding
                netloc = urlsplit(origin).netloc.lower()
                if netloc != request.host.lower() and netloc not in allowed:
                    return f"a page from {origin} may not open a session here"
            return None

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            if reason := self._refusal(request):
                raise web.HTTPForbidden(text=reason)
            router = request.app.router
            base = self._base(request)
            websocket = base + str(router["websocket"].url_for())
            websocket = ("wss:" if base.startswith("https:") else "ws:") + websocket.split(":", 1)[1]
            try:
                font_size = int(request.query.get("fontsize", "16"))
            except ValueError:
                font_size = 16
            return {
                "font_size": font_size,
                "app_websocket_url": websocket,
                "config": {"static": {"url": base + str(router["static"].url_for(filename="/")).rstrip("/") + "/"}},
                "application": {"name": self.title},
            }

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler, plus the refusals above, and the tab's process
            waited for (killed after a grace period) rather than left to exit on its own."""
            if reason := self._refusal(request):
                raise web.HTTPForbidden(text=reason)
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            self.tabs.add(websocket)

            async def close() -> None:
                await websocket.close()

            service = AppService(
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
                try:
                    await self._process_messages(websocket, service)
                finally:
                    await service.stop()  # asks the app to quit
            finally:
                self.tabs.discard(websocket)
                await _reap(getattr(service, "_process", None))
                await websocket.close()
            return websocket

    async def _reap(process: Any, grace: float = 5.0) -> None:
        if process is None or process.returncode is not None:
            return
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()

    return GroupsimServer(command, host=host, port=port, title="groupsim", public_url=fixed, templates_path=TEMPLATES)


def session(argv: list[str] | None = None) -> int:
    """One browser tab's app: `groupsim play` without the terminal checks and the resume prompt.

    A tab has no terminal for `input()`, and in a shared database the unfinished runs
    on offer would be other trainees' — so a tab always starts afresh.
    """
    p = argparse.ArgumentParser(prog="python -m simulator.serve")
    p.add_argument("target", nargs="?")
    p.add_argument("--db", required=True)
    args = p.parse_args(argv)

    from simulator.authoring.library import resolve
    from simulator.records import Recorder, RunRecorder
    from simulator.tui.app import make_app

    found = resolve(args.target)
    with Recorder(args.db) as recorder:
        app = make_app(found, observe=RunRecorder.factory(recorder))
        app.run()
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(session())
