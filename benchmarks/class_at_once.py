"""A whole class at once: `groupsim serve` under many real sessions, on 127.0.0.1 only.

Run by hand, never by the test suite:

    .venv/bin/python benchmarks/class_at_once.py                       # 300 web, 40 terminal
    .venv/bin/python benchmarks/class_at_once.py --web 20 --terminal 5 # a quick look

It starts `groupsim serve tests/fixtures/valid/tiny.yaml` on 127.0.0.1 at a free port
with a temporary --db, in a process group of its own, and measures:

1. The web page (/web/): first ONE trainee alone (the baseline), then N at once. Each
   trainee is an aiohttp ClientSession with its own cookie jar: it opens the
   scenario's briefing (the first screen: request sent -> whole body received), begins
   a practice run through the form and answers every decision through the forms
   (always the first option shown) to the debrief. Errors: any status >= 400 or any
   exception. Afterwards the records database is opened read-only and its steps
   counted: decisions lost = decisions made - steps recorded. Memory: the server's
   peak RSS (VmHWM) after the crowd minus its RSS just before it, per session.
2. The full-screen app (/ws, textual-serve): ONE tab alone, then M at once. Each tab
   connects as textual.js does (/ws?width=W&height=H, then ["resize", {...}]) and its
   first screen is the time from starting the connection to the first output whose
   text, escape sequences removed, contains the scenario's title ("A Tiny Test Group").
   The first non-empty output is timed too. Memory: the peak, sampled every 0.2 s,
   of the summed RSS of the server's descendants (one Python process per tab), per tab.

The client runs on the same machine as the server, so on a small machine it competes
with the server for the CPU; the same-run baseline (one session alone) is there to make
the crowd's figures readable. Everything is bounded: --timeout for the whole run, and
the server's process group is ended at the end; the temporary folder is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "fixtures" / "valid" / "tiny.yaml"
SCENARIO_ID = "tiny"
TITLE = "A Tiny Test Group"
GROUPSIM = Path(sys.executable).with_name("groupsim")
WIDTH, HEIGHT = 100, 30
PAGE_TIMEOUT_S = 120.0
"""The longest any one request, or any tab's first screen, may take before it counts as an error."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the server's memory ---------------------------------------------------------------------
def status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# -- the web page ------------------------------------------------------------------------------
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"')
RADIO = re.compile(r'<input type="radio" id="[^"]*" name="([^"]*)" value="([^"]*)"')
LINK = re.compile(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>')


def form_with(page: str, button: str) -> tuple[str, dict[str, str], list[str]]:
    """The form whose button says `button`: its action, hidden fields, and its 'choice' radios' values."""
    for match in re.finditer(r'<form [^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, re.S):
        if button in match.group(2):
            body = match.group(2)
            hidden = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(body)}
            choices = [html.unescape(v) for k, v in RADIO.findall(body) if k == "choice"]
            return html.unescape(match.group(1)), hidden, choices
    raise LookupError(f"no form with a {button!r} button")


def link_with(page: str, text: str) -> str:
    for href, words in LINK.findall(page):
        if words.strip().startswith(text):
            return html.unescape(href)
    raise LookupError(f"no link {text!r}")


@dataclass
class Trainee:
    first_screen: float | None = None
    decisions: int = 0
    errors: list[str] = field(default_factory=list)
    done: bool = False


async def trainee(base: str, n: int, go: asyncio.Event) -> Trainee:
    record = Trainee()
    timeout = aiohttp.ClientTimeout(total=PAGE_TIMEOUT_S)
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for an IP address, as browsers do
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar, timeout=timeout) as client:

        async def get(path: str) -> str:
            async with client.get(path) as response:
                body = await response.text()
                if response.status >= 400:
                    raise RuntimeError(f"GET {path}: {response.status}")
                return body

        async def post(path: str, data: dict[str, str]) -> tuple[str, str]:
            async with client.post(path, data=data, headers={"Origin": base}) as response:
                body = await response.text()
                if response.status >= 400:
                    raise RuntimeError(f"POST {path}: {response.status}")
                return response.url.path, body

        await go.wait()
        try:
            sent = time.perf_counter()
            page = await get(f"/web/scenario/{SCENARIO_ID}")
            record.first_screen = time.perf_counter() - sent
            if TITLE not in page:
                raise RuntimeError("the briefing does not name the scenario")
            action, fields, _ = form_with(page, "Begin")
            fields.update(trainee=f"Trainee {n}", mode="practice", accommodation="none")
            path, page = await post(action, fields)
            for _ in range(50):
                if "/decision/" in path:
                    action, fields, choices = form_with(page, "Send my choice")
                    fields["choice"] = choices[0]
                    path, page = await post(action, fields)
                    record.decisions += 1
                elif "/feedback/" in path:
                    path = link_with(page, "Continue")
                    page = await get(path)
                elif path.endswith("/ended"):
                    path = link_with(page, "Open the debrief")
                    page = await get(path)
                elif path.endswith("/debrief"):
                    record.done = True
                    break
                else:
                    raise RuntimeError(f"unexpected page {path}")
            else:
                raise RuntimeError("no debrief within 50 pages")
        except Exception as exc:  # every failure is an error to count
            record.errors.append(f"{type(exc).__name__}: {exc}")
    return record


async def web_crowd(base: str, n: int) -> list[Trainee]:
    go = asyncio.Event()
    tasks = [asyncio.create_task(trainee(base, i, go)) for i in range(n)]
    await asyncio.sleep(0.2)  # every session created and waiting
    go.set()
    return list(await asyncio.gather(*tasks))


# -- the full-screen app -----------------------------------------------------------------------
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]")


@dataclass
class Tab:
    first_output: float | None = None
    first_screen: float | None = None
    errors: list[str] = field(default_factory=list)


async def tab(base: str, go: asyncio.Event, leave: asyncio.Event, record: Tab) -> Tab:
    url = base.replace("http:", "ws:") + f"/ws?width={WIDTH}&height={HEIGHT}"
    async with aiohttp.ClientSession() as client:
        await go.wait()
        started = time.perf_counter()
        try:
            async with client.ws_connect(url, origin=base, timeout=aiohttp.ClientWSTimeout(ws_close=10)) as ws:
                await ws.send_str(json.dumps(["resize", {"width": WIDTH, "height": HEIGHT}]))
                text = b""
                async with asyncio.timeout(PAGE_TIMEOUT_S):
                    async for message in ws:
                        if message.type == aiohttp.WSMsgType.BINARY and message.data:
                            if record.first_output is None:
                                record.first_output = time.perf_counter() - started
                            text += message.data
                            # The title is drawn in runs of characters between escape sequences.
                            if TITLE.encode() in ESCAPES.sub(b"", text):
                                record.first_screen = time.perf_counter() - started
                                break
                        elif message.type in (
                            aiohttp.WSMsgType.CLOSE,
                            aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR,
                        ):
                            raise RuntimeError(f"closed before the first screen: {ws.close_code} {message.extra}")
                    else:
                        raise RuntimeError(f"closed before the first screen: {ws.close_code}")
                await leave.wait()  # every tab stays open until the whole crowd has its first screen
        except Exception as exc:  # every failure is an error to count
            record.errors.append(f"{type(exc).__name__}: {exc}")
    return record


# -- the whole run -----------------------------------------------------------------------------
def start_server(folder: Path, port: int, sessions: int, web_runs: int, warm: int = 0) -> subprocess.Popen[bytes]:
    log = (folder / "server.log").open("wb")
    argv = [str(GROUPSIM), "serve", str(SCENARIO), "--host", "127.0.0.1", "--port", str(port),
            "--db", str(folder / "records.db"), "--page", "choose",
            "--max-sessions", str(sessions), "--web-runs", str(web_runs)]  # fmt: skip
    if warm:
        argv += ["--warm", str(warm)]
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"groupsim serve ended at start-up ({process.returncode})")
            try:
                async with client.get(base + "/web/") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("groupsim serve did not start within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # The server is gone; anything left in its group (tabs still closing) is ended too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


def recorded_steps(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0])
    finally:
        conn.close()


def median_max(values: list[float]) -> tuple[float | None, float | None]:
    return (statistics.median(values), max(values)) if values else (None, None)


def secs(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.1f}x"


async def tabs_until_drawn(base: str, server: int, m: int) -> tuple[list[Tab], int]:
    """M tabs at once, each held open until every one has drawn or failed; peak RSS of the tabs (kB)."""
    go, leave = asyncio.Event(), asyncio.Event()
    records = [Tab() for _ in range(m)]
    tasks = [asyncio.create_task(tab(base, go, leave, r)) for r in records]
    peak = 0
    await asyncio.sleep(0.2)
    go.set()
    # Each `tab` returns only after `leave`; poll the records it fills as it goes instead.
    deadline = time.monotonic() + PAGE_TIMEOUT_S + 10
    while time.monotonic() < deadline:
        peak = max(peak, sum(status_kb(p, "VmRSS") for p in descendants(server)))
        if all(r.first_screen is not None or r.errors for r in records) or all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.2)
    peak = max(peak, sum(status_kb(p, "VmRSS") for p in descendants(server)))
    leave.set()
    await asyncio.gather(*tasks)
    return records, peak


async def main(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="groupsim-class-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sessions = max(args.terminal + 5, 10)
    server = start_server(folder, port, sessions, max(500, args.web + 10), args.warm)
    rows: list[list[str]] = []
    load_start = Path("/proc/loadavg").read_text().split()[:3]
    began = time.monotonic()
    try:
        await wait_until_up(base, server)
        say(f"groupsim serve (pid {server.pid}) is up at {base}; records in {folder / 'records.db'}")
        await settle(server.pid, args.warm)  # the sessions started ahead are up before anyone arrives

        # 1. The web page.
        made = 0
        alone = (await web_crowd(base, 1))[0]
        made += alone.decisions
        say(f"web, one alone: first screen {secs(alone.first_screen)} s, errors {alone.errors}")
        before = status_kb(server.pid, "VmRSS")
        say(f"web, {args.web} at once ...")
        t0 = time.monotonic()
        crowd = await web_crowd(base, args.web)
        took = time.monotonic() - t0
        peak = status_kb(server.pid, "VmHWM")
        made += sum(t.decisions for t in crowd)
        await asyncio.sleep(0.5)
        lost = made - recorded_steps(folder / "records.db")
        errors = [e for t in crowd for e in t.errors]
        unfinished = sum(1 for t in crowd if not t.done)
        med, top = median_max([t.first_screen for t in crowd if t.first_screen is not None])
        per_mb = (peak - before) / 1024 / max(1, args.web)
        say(f"web crowd: {took:.1f} s for all to reach the debrief; {made} decisions made in all; "
            f"{unfinished} unfinished; server RSS {before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB")  # fmt: skip
        for e in sorted(set(errors))[:5]:
            say(f"  error: {e} (x{errors.count(e)})")
        rows.append(["web page, one alone", "1", secs(alone.first_screen), secs(alone.first_screen), "—",
                     str(len(alone.errors)), "—"])  # fmt: skip
        rows.append([f"web page, all at once ({took:.1f} s to finish)", str(args.web), secs(med), secs(top),
                     f"{per_mb:.2f}", str(len(errors)), str(lost)])  # fmt: skip
        rows.append(["  crowd / alone", "", ratio(med, alone.first_screen), ratio(top, alone.first_screen), "", "", ""])

        # 2. The full-screen app (with --warm, once the sessions started ahead are all up).
        await settle(server.pid, args.warm)
        one, one_peak = await tabs_until_drawn(base, server.pid, 1)
        t1 = one[0]
        say(f"terminal, one alone: first output {secs(t1.first_output)} s, first screen {secs(t1.first_screen)} s, "
            f"errors {t1.errors}, RSS {one_peak / 1024:.0f} MB")  # fmt: skip
        await settle(server.pid, args.warm)
        say(f"terminal, {args.terminal} at once ...")
        tabs, tab_peak = await tabs_until_drawn(base, server.pid, args.terminal)
        terrors = [e for t in tabs for e in t.errors]
        for e in sorted(set(terrors))[:5]:
            say(f"  error: {e} (x{terrors.count(e)})")
        tmed, ttop = median_max([t.first_screen for t in tabs if t.first_screen is not None])
        omed, otop = median_max([t.first_output for t in tabs if t.first_output is not None])
        rows.append(["full-screen app, one alone", "1", secs(t1.first_screen), secs(t1.first_screen),
                     f"{one_peak / 1024:.0f}", str(len(t1.errors)), "—"])  # fmt: skip
        rows.append(["full-screen app, all at once", str(args.terminal), secs(tmed), secs(ttop),
                     f"{tab_peak / 1024 / max(1, args.terminal):.0f}", str(len(terrors)), "—"])  # fmt: skip
        rows.append(["  crowd / alone", "", ratio(tmed, t1.first_screen), ratio(ttop, t1.first_screen), "", "", ""])
        rows.append(["  (first output, any bytes)", str(args.terminal), secs(omed), secs(otop), "", "", ""])
        await settle(server.pid, args.warm)
    finally:
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)

    load_end = Path("/proc/loadavg").read_text().split()[:3]
    print(f"groupsim serve, a whole class at once — {time.strftime('%Y-%m-%d %H:%M')}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {' '.join(load_start)} at the start, "
          f"{' '.join(load_end)} at the end; took {time.monotonic() - began:.0f} s\n")  # fmt: skip
    head = ["front end", "sessions", "first screen median (s)", "max (s)", "memory per session (MB)", "errors",
            "decisions lost"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        "\nWeb: first screen = GET of the briefing, request sent -> whole body received; every trainee then plays "
        "tiny.yaml to its debrief through the forms. Memory = (server's peak RSS after the crowd - its RSS before) "
        "/ sessions. Decisions lost = decisions answered - steps in the records.\n"
        "Full-screen app: first screen = websocket connect started -> output whose text (escape sequences removed) "
        f"holds the title {TITLE!r}; the 'first output' row is the first non-empty output. Memory = peak summed RSS "
        "of the server's child processes (one per tab) / tabs."
    )
    return 0


async def wait_for_no_tabs(server: int, limit: float = 30.0) -> None:
    """Until the server's tab processes have ended (closed tabs end within its grace period)."""
    end = time.monotonic() + limit
    while descendants(server) and time.monotonic() < end:
        await asyncio.sleep(0.2)


def tab_processes(server: int) -> int:
    """How many of the server's descendants run a tab's session (`python -m simulator.serve`)."""
    count = 0
    for pid in descendants(server):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        count += b"simulator.serve" in argv
    return count


def cpu_seconds(server: int) -> float:
    """CPU time used so far by the server's descendants (user + system)."""
    total = 0
    for pid in descendants(server):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


async def settle(server: int, warm: int, limit: float = 180.0) -> None:
    """Until no tab is open: only the `warm` sessions started ahead are running (none without
    --warm), and they have finished starting (together they use under a fifth of a CPU)."""
    end = time.monotonic() + limit
    while tab_processes(server) != warm and time.monotonic() < end:
        await asyncio.sleep(0.2)
    while warm and time.monotonic() < end:
        before = cpu_seconds(server)
        await asyncio.sleep(1.0)
        if cpu_seconds(server) - before < 0.2:
            break


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--web", type=int, default=300, metavar="N", help="trainees on the web page at once (300)")
    p.add_argument("--terminal", type=int, default=40, metavar="M", help="full-screen app tabs at once (40)")
    p.add_argument("--warm", type=int, default=0, metavar="W", help="serve --warm W: sessions started ahead (0)")
    p.add_argument("--timeout", type=float, default=300.0, help="the whole run's limit in seconds (300)")
    a = p.parse_args()
    try:
        raise SystemExit(asyncio.run(asyncio.wait_for(main(a), a.timeout)))
    except TimeoutError:
        say(f"class_at_once: gave up after {a.timeout:.0f} s")
        raise SystemExit(1) from None
