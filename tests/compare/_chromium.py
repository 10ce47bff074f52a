"""Load a page in headless Chromium over the DevTools pipe (stdlib only) and inspect it.

Chromium speaks the DevTools protocol on fds 3 (in) and 4 (out) with ``--remote-debugging-pipe``:
NUL-terminated JSON messages, no websocket client or network port needed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

_BLANK_CHECK = """
(async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let nonWhite = 0; const colors = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) nonWhite++;
    if (colors.size < 5000) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return {width: c.width, height: c.height, nonWhite: nonWhite / (c.width * c.height),
          colors: colors.size};
})
"""


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    plots: int = 0
    png: bytes = b""
    pixels: dict = field(default_factory=dict)
    probed: object = None


class _Pipe:
    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.events: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                self.events.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                self.events.put(json.loads(message))

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0, sink: list | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            item = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if item is None:
                raise RuntimeError("chromium closed the DevTools pipe")
            if item.get("id") == self.next_id:
                if "error" in item:
                    raise RuntimeError(f"{method}: {item['error']}")
                return item.get("result", {})
            if sink is not None:
                sink.append(item)

    def wait_event(self, name: str, sink: list, timeout: float = 30.0) -> None:
        if any(e.get("method") == name for e in sink):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                raise RuntimeError("chromium closed the DevTools pipe")
            sink.append(item)
            if item.get("method") == name:
                return
        raise TimeoutError(name)


def _high_fd(fd: int) -> int:
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


def inspect_page(path: Path, *, width: int = 1280, height: int = 2400,
                 settle_s: float = 1.0, probe: str | None = None,
                 wait_for: str | None = None) -> PageReport:
    """Open ``path`` (a local file), return console errors, network requests, plots, screenshot.

    ``probe``: a JavaScript expression evaluated in the loaded page (its JSON value is returned
    as ``PageReport.probed``), for layout measurements. ``wait_for``: a JavaScript boolean
    expression polled (up to 60 s) after the load event, before anything is inspected.
    """
    to_chrome_r, to_chrome_w = (_high_fd(fd) for fd in os.pipe())
    from_chrome_r, from_chrome_w = (_high_fd(fd) for fd in os.pipe())

    def _child_fds() -> None:
        os.dup2(to_chrome_r, 3)
        os.dup2(from_chrome_w, 4)

    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=_child_fds,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
        try:
            return _inspect(pipe, path, width, height, settle_s, probe, wait_for)
        finally:
            try:
                pipe.call("Browser.close", timeout=5)
            except Exception:  # noqa: BLE001 - best effort, the process is killed below
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_chrome_w)


def _inspect(pipe: _Pipe, path: Path, width: int, height: int, settle_s: float,
             probe: str | None, wait_for: str | None) -> PageReport:
    events: list = []
    target = pipe.call("Target.createTarget", {"url": "about:blank"}, sink=events)["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                        sink=events)["sessionId"]
    for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
        pipe.call(method, session=session, sink=events)
    pipe.call("Emulation.setDeviceMetricsOverride",
              {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
              session=session, sink=events)
    events.clear()
    pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session,
              sink=events)
    pipe.wait_event("Page.loadEventFired", events, timeout=60)
    if wait_for is not None:
        poll = ("new Promise((ok) => { const t0 = Date.now(); const tick = () => "
                f"(({wait_for}) || Date.now() - t0 > 60000) ? ok(true) : setTimeout(tick, 50); "
                "tick(); })")
        pipe.call("Runtime.evaluate", {"expression": poll, "awaitPromise": True},
                  session=session, sink=events, timeout=90)
    time.sleep(settle_s)
    plots = pipe.call("Runtime.evaluate", {
        "expression": "document.querySelectorAll('.js-plotly-plot .main-svg').length",
        "returnByValue": True}, session=session, sink=events)["result"]["value"]
    shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session, sink=events)
    pixels = pipe.call("Runtime.evaluate", {
        "expression": f"({_BLANK_CHECK})({json.dumps(shot['data'])})", "awaitPromise": True,
        "returnByValue": True}, session=session, sink=events, timeout=60)["result"]["value"]
    report = PageReport(plots=int(plots), png=base64.b64decode(shot["data"]), pixels=pixels)
    if probe is not None:
        report.probed = pipe.call("Runtime.evaluate", {
            "expression": probe, "returnByValue": True}, session=session,
            sink=events)["result"].get("value")
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            report.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.errors.append(json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            report.errors.append(params["entry"].get("text", "")[:500])
        elif method == "Network.requestWillBeSent":
            report.requests.append(params.get("request", {}).get("url", ""))
    return report
