"""Shared test helpers: Debian's Prometheus tools (installed when missing) and real servers.

Used by tests/rules, tests/grafana and tests/e2e. A missing tool is installed with
``apt-get install -y <package>``; when that is impossible the test fails with the reason, it is
never skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.checks.stubs import checks_selected as stub_checks_selected


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


REPO = Path(__file__).resolve().parents[2]
RULES_FILE = REPO / "rules" / "tailwatch.rules.yml"
RULE_TESTS = REPO / "rules" / "tests"
RUNBOOKS = REPO / "docs" / "runbooks.md"
DASHBOARDS = REPO / "grafana" / "dashboards"
DEPLOY = REPO / "deploy"
RUNBOOK_BASE = "http://127.0.0.1:9108/runbooks/"

# binary -> Debian package that provides it
PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def _apt(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, timeout=900, env=env, check=False
    )


def ensure_tool(binary: str) -> str:
    """Path of ``binary``; installs its Debian package first when it is missing."""
    found = shutil.which(binary)
    if found:
        return found
    package = PACKAGES[binary]
    if shutil.which("apt-get") is None:
        pytest.fail(f"{binary} is missing and apt-get is not available to install {package}")
    attempt = _apt(["install", "-y", "--no-install-recommends", package])
    if attempt.returncode != 0:  # stale package lists: update once and retry
        _apt(["update"])
        attempt = _apt(["install", "-y", "--no-install-recommends", package])
    found = shutil.which(binary)
    if not found:
        pytest.fail(
            f"{binary} is missing and `apt-get install -y {package}` did not provide it "
            f"(exit {attempt.returncode}):\n{(attempt.stdout + attempt.stderr)[-2000:]}"
        )
    return found


def run_tool(*args: str | Path, timeout: float = 120, cwd: Path | None = None):
    """Run a command; returns the CompletedProcess (stdout and stderr as text)."""
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def load_rules() -> list[dict[str, Any]]:
    """Every rule of the rules file, each with its group name under ``_group``."""
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return [
        {**rule, "_group": group["name"]} for group in document["groups"] for rule in group["rules"]
    ]


def alert_names() -> set[str]:
    return {rule["alert"] for rule in load_rules() if "alert" in rule}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(url: str, params: dict[str, str] | None = None, timeout: float = 10) -> Any:
    """GET ``url`` and decode its JSON, also for 4xx answers (Prometheus's bad_data)."""
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return json.loads(body)
        except ValueError:
            return {"status": "error", "error": f"HTTP {error.code}: {body[:200]!r}"}


def wait_until(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError) as error:
            last_error = error
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})")


@contextmanager
def server(args: list[str], log: Path, ready_url: str, timeout: float = 60) -> Iterator[None]:
    """Start a server process, wait until ``ready_url`` answers 200, stop it on exit."""
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"{args[0]} exited with {process.returncode}:\n"
                    + log.read_text(errors="replace")[-3000:]
                )
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                return response.status == 200

        wait_until(ready, timeout, what=f"{args[0]} at {ready_url}")
        yield
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@contextmanager
def prometheus(workdir: Path, config: dict[str, Any], port: int | None = None) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 with ``config``; yields its base URL."""
    binary = ensure_tool("prometheus")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    args = [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
    ]
    with server(args, workdir / "prometheus.log", f"{url}/-/ready"):
        yield url


@contextmanager
def alertmanager(workdir: Path, config: dict[str, Any], port: int | None = None) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 with ``config``; yields its base URL."""
    binary = ensure_tool("prometheus-alertmanager")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    args = [
        binary,
        f"--config.file={config_file}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with server(args, workdir / "alertmanager.log", f"{url}/-/ready"):
        yield url


def instant_query(base_url: str, expr: str) -> dict[str, Any]:
    """Prometheus's answer to an instant query (``status`` success or error)."""
    return http_json(f"{base_url}/api/v1/query", {"query": expr})


def runbook_anchors() -> set[str]:
    text = RUNBOOKS.read_text(encoding="utf-8")
    return {github_anchor(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def checks_selected(expr: str) -> set[str]:
    """The checks (change checks and gaps) an alert expression's ``check`` matchers select."""
    return stub_checks_selected(expr)
