"""The HTML report in a real headless browser (Debian's chromium), observed over DevTools.

A session fixture installs chromium with apt-get when it is missing. A small Chrome DevTools
Protocol client (``websockets``) records console errors, uncaught exceptions, browser log errors
(a blocked load or a CSP violation lands there) and every network request while the page loads;
then the DOM is queried for every section and plot and a full-page screenshot is taken.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from websockets.sync.client import ClientConnection, connect

from collectors.result import RunResult
from monitor.report.write import build_report, write_report
from monitor.store.database import Store
from tests.support.report_histories import corpus_run, measured_versions

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
COLLAPSE_RED = (0xC6, 0x28, 0x28)


def _apt_install() -> str:
    command = ["apt-get", "install", "-y", "chromium"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    return done.stderr[-2000:]


@pytest.fixture(scope="session")
def chromium() -> str:
    """The chromium binary, installed with apt-get when missing."""
    if not os.path.exists(CHROMIUM):
        if shutil.which("apt-get") is None:
            pytest.fail("chromium is missing and apt-get is not available to install it")
        error = _apt_install()
        if not os.path.exists(CHROMIUM):
            pytest.fail(f"could not install chromium with apt-get: {error}")
    return CHROMIUM


class DevTools:
    """A minimal CDP client over one page target: commands in order, events kept."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def _receive(self, timeout: float) -> dict[str, Any]:
        message = json.loads(self.socket.recv(timeout=timeout))
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.socket.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = self._receive(timeout)
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            self._receive(max(0.1, deadline - time.monotonic()))

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors seen so far."""
        out = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "assert",
            ):
                out.append(f"console.{params['type']}: {params.get('args')}")
            elif event["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails']}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                out.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[DevTools]:
    """A headless chromium with one page, driven over the DevTools protocol."""
    profile = tmp_path / "profile"
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
            f"--user-data-dir={profile}", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "about:blank"]  # fmt: skip
    with open(tmp_path / "chromium.log", "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start: {(tmp_path / 'chromium.log').read_text()}")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as socket:
            tools = DevTools(socket)
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=1366, height=768,
                       deviceScaleFactor=1, mobile=False)  # fmt: skip
            yield tools
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _open(tools: DevTools, url: str) -> None:
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")


def _evaluate(tools: DevTools, expression: str) -> Any:
    answer = tools.call("Runtime.evaluate", expression=expression, returnByValue=True)
    assert "exceptionDetails" not in answer, answer
    return answer["result"]["value"]


def _screenshot(tools: DevTools, path: Path) -> Image.Image:
    size = tools.call("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = tools.call("Page.captureScreenshot", format="png", clip=clip,
                      captureBeyondViewport=True)  # fmt: skip
    path.write_bytes(base64.b64decode(shot["data"]))
    return Image.open(path).convert("RGB")


@pytest.fixture(scope="module")
def history() -> list[RunResult]:
    """A collapsing generator, a leaking corpus and a corpus without synthetic rows."""
    runs = measured_versions("gan", versions=6)
    for i, synthetic in enumerate((0.1, 0.2, 0.28, 0.4)):
        figures = {"rows": 2000.0, "synthetic_fraction": synthetic,
                   "synthetic_budget_ratio": 0.3, "budget_exceeded": float(synthetic > 0.3),
                   "unlabeled_synthetic_ratio": 0.002 * i,
                   "near_duplicate_synthetic_ratio": 0.01 * i,
                   "near_duplicate_synthetic_ratio_lower": max(0.0, 0.01 * i - 0.01),
                   "near_duplicate_synthetic_ratio_upper": 0.01 * i + 0.01}  # fmt: skip
        mix = {"human": 2000 * (1 - synthetic) - 40, "synthetic": 2000 * synthetic, "unknown": 40}
        runs.append(corpus_run("pretrain-mix", f"snap-{i}", i, figures, mix))
    for i in range(2):
        figures = {"rows": 900.0 + i, "synthetic_fraction": 0.0, "unlabeled_synthetic_ratio": 0.0}
        runs.append(corpus_run("human-only", f"h-{i}", i, figures, {"human": 900.0 + i}))
    return runs


QUERY = """JSON.stringify({
  sections: [...document.querySelectorAll('section[id], #verdict, #about')].map(e => e.id),
  plots: [...document.querySelectorAll('figure[data-plot]')].map(f => {
    const img = f.querySelector('img');
    return {section: f.closest('section').id, plot: f.dataset.plot,
            loaded: img.complete && img.naturalWidth > 200,
            width: img.getBoundingClientRect().width};
  }),
  missing: [...document.querySelectorAll('[data-plot-missing]')].map(e => e.textContent),
  verdict: document.querySelector('#verdict .level').textContent,
  title: document.title,
  scrollWidth: document.documentElement.scrollWidth,
})"""


def test_report_opens_in_a_browser(
    browser: DevTools, history: list[RunResult], tmp_path: Path
) -> None:
    db = tmp_path / "tw.duckdb"
    with Store(db) as store:
        for run in history:
            store.record_run(run)
    with Store(db, read_only=True) as store:
        report = build_report(store)
    html = write_report(report, tmp_path / "report")[0]
    url = html.resolve().as_uri()
    started = time.monotonic()
    _open(browser, url)
    load_seconds = time.monotonic() - started
    page = json.loads(_evaluate(browser, QUERY))

    assert browser.problems() == []
    assert [u for u in browser.requests() if u != url and not u.startswith("data:")] == []
    assert load_seconds < 10, load_seconds
    assert page["verdict"] == "collapse suspected"
    assert page["sections"] == ["verdict", "generator-gan", "corpus-human-only",
                                "corpus-pretrain-mix", "alerts", "about"]  # fmt: skip
    plots = {(p["section"], p["plot"]) for p in page["plots"]}
    assert plots == {
        *(("generator-gan", name) for name in ("metrics", "regions", "categories", "tails",
                                               "drift", "histograms")),
        *((corpus, name) for corpus in ("corpus-pretrain-mix", "corpus-human-only")
          for name in ("provenance", "leakage")),
    }  # fmt: skip
    assert all(p["loaded"] and p["width"] > 600 for p in page["plots"]), page["plots"]
    assert page["missing"] == []
    assert page["scrollWidth"] <= 1366, "no horizontal scrolling at laptop width"

    image = _screenshot(browser, tmp_path / "report.png")
    assert image.width > 1300 and image.height > 2000
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 200, "a blank screenshot"
    top = image.crop((0, 0, image.width, 400))
    red = sum(n for n, rgb in top.getcolors(maxcolors=1 << 20) or [] if rgb == COLLAPSE_RED)
    assert red > 0.1 * top.width * top.height, "the collapse verdict is plain at the top"


def test_the_harness_sees_console_errors_and_requests(browser: DevTools, tmp_path: Path) -> None:
    """The observation itself can fail: a page that logs an error and fetches is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom')</script></body></html>"
    )
    _open(browser, page.as_uri())
    assert any("boom" in p for p in browser.problems())
    assert "http://127.0.0.1:9/x.png" in browser.requests()
