"""Faults, measured: kill -9 of the daemon mid-work, and object-storage outages (issue 25).

Run from the repository root::

    python -m benchmarks.bench_faults kill9 --kills 5
    python -m benchmarks.bench_faults outage --seconds 5 20 45

``kill9``: the real ``tailwatch run`` in a subprocess over the demo scenario (a collapsing
generator and a corpus fed by it, 800-row samples, every subject scanned each second). Each
round publishes two more versions and snapshots, starts the daemon, waits until ``/-/healthy``
answers and the first of the two is exported, then 0-2 s more and kills it with SIGKILL while it
measures the second (or scans a snapshot); a last start must then finish the work. Afterwards
the store is read: every version must have exactly one successful run and every snapshot one
(nothing lost, nothing measured twice). Printed: kills, versions, lost, duplicated, failed runs,
seconds from start to healthy (median over the starts) and from the last start to the last
version and snapshot exported.

``outage``: a real S3 server (moto) behind the tests' fault proxy (``503 SlowDown`` while an
outage lasts), the real daemon reading a corpus from it. For each duration an outage starts, a
new snapshot is uploaded behind it, ``/-/ready`` is polled every 0.5 s, and the store heals after
the duration, polling on until the new snapshot is measured. Printed per outage: failed runs
(must be 0: an outage is not bad data), ``tailwatch_scan_errors_total`` added, the ``/-/ready``
polls answered 503 (and when the first came), and the seconds from the heal to the new snapshot
exported. A scan retries each read with backoff (:data:`collectors.sources.storage_errors.RETRY`,
on top of the S3 client's own attempts), so a short outage is absorbed inside one scan.

Both write ``benchmarks/results/faults_<mode>.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
GENERATOR, CORPUS = "demo-gan", "demo-corpus"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def _scrape(port: int) -> Samples:
    status, body = _get(f"http://127.0.0.1:{port}/metrics")
    if status != 200:
        return {}
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def _until(condition: Callable[[], bool], timeout: float, step: float = 0.25) -> float | None:
    """Seconds until ``condition()`` holds, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(step)
    return None


def _daemon(config: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
            stdout=out, stderr=out, cwd=config.parent, env=env,
        )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _exported(port: int, version: str) -> bool:
    return any(
        name == "tailwatch_generator_version_info" and dict(labels).get("version") == version
        for name, labels in _scrape(port)
    )


def _healthy(port: int) -> Callable[[], bool]:
    return lambda: _get(f"http://127.0.0.1:{port}/-/healthy")[0] == 200


def kill9(args: argparse.Namespace) -> dict[str, object]:
    """Kill the daemon ``args.kills`` times mid-work; count lost and duplicated runs."""
    from monitor.demo.tabular import FEATURES, DemoScenario
    from monitor.store.database import Store
    from tests.support.net import free_port

    root = Path(tempfile.mkdtemp(prefix="tailwatch-kill9-"))
    scenario = DemoScenario(root / "data", rows=800)
    scenario.write_reference()
    scenario.versions_dir.mkdir(parents=True)
    scenario.corpus_dir.mkdir(parents=True)
    port = free_port()
    config = root / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "tailwatch.duckdb"\n[exporter]\nport = {port}\n'
        "[scheduler]\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
        f'[[generators]]\nname = "{GENERATOR}"\nreference = "{scenario.reference_path}"\n'
        f'holdout = "{scenario.holdout_path}"\nversions = "{scenario.versions_dir}/*.parquet"\n'
        'categorical = ["segment"]\nsample_size = 800\nregions = 8\ninterval_seconds = 1\n'
        f'[[corpora]]\nname = "{CORPUS}"\nsnapshots = "{scenario.corpus_dir}/*"\n'
        f"content_columns = {json.dumps([*FEATURES, 'segment'])}\n"
        'generator_column = "generator"\nmax_synthetic_fraction = 0.3\ninterval_seconds = 1\n',
        encoding="utf-8",
    )
    rng = random.Random(args.seed)
    generations = scenario.generations()
    frames: list[object] = []
    to_healthy: list[float] = []
    log = root / "daemon.log"

    def publish() -> int:
        frames.append(next(generations))
        scenario.write_version(len(frames) - 1, frames[-1])
        scenario.write_snapshot(frames)
        return len(frames) - 1

    for kill in range(args.kills):
        # Two new versions (and snapshots) each round: once the first is exported the daemon
        # is measuring the second (or scanning a snapshot) when it is killed.
        first = publish()
        publish()
        process = _daemon(config, log)
        seconds = _until(_healthy(port), 300)
        if seconds is None:
            process.kill()
            raise SystemExit(f"the daemon did not start; see {log}")
        to_healthy.append(seconds)
        version = f"gen-{first:03d}"
        if _until(functools.partial(_exported, port, version), 900, 0.5) is None:
            process.kill()
            raise SystemExit(f"gen-{first:03d} was not measured; see {log}")
        time.sleep(rng.uniform(0.0, 2.0))
        process.kill()  # SIGKILL, with gen-{first + 1} waiting or being measured
        process.wait(30)
        print(f"kill {kill + 1}: healthy after {seconds:.2f} s, killed after gen-{first:03d}")
    last = len(frames) - 1
    process = _daemon(config, log)
    started = time.monotonic()
    version_key = ("tailwatch_generator_version_info", (("generator", GENERATOR),))
    snapshot = ("tailwatch_corpus_snapshot_info", (("corpus", CORPUS),))

    def finished() -> bool:
        samples = _scrape(port)
        versions = {dict(k[1]).get("version") for k in samples if k[0] == version_key[0]}
        snapshots = {dict(k[1]).get("snapshot") for k in samples if k[0] == snapshot[0]}
        return f"gen-{last:03d}" in versions and f"snapshot-{last:03d}" in snapshots

    caught_up = _until(finished, 600, 0.5)
    catch_up = None if caught_up is None else time.monotonic() - started
    _stop(process)
    with Store(root / "tailwatch.duckdb", read_only=True) as store:
        runs = store.runs(kind="generator", subject=GENERATOR, limit=10_000)
        corpus = store.runs(kind="corpus", subject=CORPUS, limit=10_000)
    ok = runs[runs["status"] == "ok"]["version"].value_counts()
    ok_snapshots = corpus[corpus["status"] == "ok"]["version"].value_counts()
    expected = [f"gen-{i:03d}" for i in range(len(frames))]
    expected_snapshots = [f"snapshot-{i:03d}" for i in range(len(frames))]
    return {
        "command": " ".join(["python -m benchmarks.bench_faults", *sys.argv[1:]]),
        "kills": args.kills,
        "versions": len(expected),
        "lost_versions": [v for v in expected if v not in ok.index],
        "duplicated_versions": [v for v in ok.index if ok[v] > 1],
        "lost_snapshots": [s for s in expected_snapshots if s not in ok_snapshots.index],
        "duplicated_snapshots": [s for s in ok_snapshots.index if ok_snapshots[s] > 1],
        "failed_runs": int((runs["status"] != "ok").sum() + (corpus["status"] != "ok").sum()),
        "seconds_to_healthy": {
            "median": statistics.median(to_healthy),
            "max": max(to_healthy),
            "starts": len(to_healthy),
        },
        "seconds_last_start_to_all_exported": catch_up,
        "workdir": str(root),
    }


def outage(args: argparse.Namespace) -> dict[str, object]:
    """Outages of ``args.seconds`` against the real daemon reading object storage."""
    import boto3  # type: ignore[import-untyped]
    import pandas as pd

    from tests.support.corpora import labelled, texts
    from tests.support.generators import write
    from tests.support.net import free_port
    from tests.support.s3_faults import fault_proxy, moto_server

    root = Path(tempfile.mkdtemp(prefix="tailwatch-outage-"))
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="bench-key", AWS_SECRET_ACCESS_KEY="bench-secret",
        AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
    )  # fmt: skip
    env.pop("AWS_ENDPOINT_URL", None)
    os.environ.update({k: env[k] for k in env if k.startswith("AWS_")})
    human, synthetic = texts(400, 1), texts(100, 2)

    def snapshot(index: int) -> bytes:
        frame = labelled(
            [
                (pd.DataFrame({"text": human[index * 20 : index * 20 + 60]}), "human"),
                (pd.DataFrame({"text": synthetic[index * 5 : index * 5 + 10]}), "synthetic"),
            ]
        )
        return write(root / "data" / f"s{index}.parquet", frame).read_bytes()

    results = []
    with moto_server() as endpoint, fault_proxy(endpoint) as proxy:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="corpora")
        client.put_object(Bucket="corpora", Key="snapshots/s000.parquet", Body=snapshot(0))
        port = free_port()
        config = root / "tailwatch.toml"
        config.write_text(
            f'[storage]\npath = "tw.duckdb"\n[exporter]\nport = {port}\n'
            "[scheduler]\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
            '[[corpora]]\nname = "texts"\nsnapshots = "s3://corpora/snapshots/*"\n'
            'content_columns = ["text"]\ninterval_seconds = 1\n'
            f'[storage_options."s3://corpora"]\nendpoint_url = "{proxy.url}"\n',
            encoding="utf-8",
        )
        log = root / "daemon.log"
        process = _daemon(config, log, env)
        errors = ("tailwatch_scan_errors_total", (("kind", "corpus"), ("subject", "texts")))
        labels = (("kind", "corpus"), ("status", "failed"), ("subject", "texts"))
        failed = ("tailwatch_runs_total", labels)

        def exported(name: str) -> Callable[[], bool]:
            key = ("tailwatch_corpus_snapshot_info", (("corpus", "texts"), ("snapshot", name)))
            return lambda: key in _scrape(port)

        try:
            if _until(exported("s000"), 180) is None:
                raise SystemExit(f"the first snapshot was not measured; see {log}")
            for index, seconds in enumerate(args.seconds, start=1):
                before = _scrape(port)
                proxy.fail()  # every request answers 503 SlowDown
                name = f"s{index:03d}"
                key, body = f"snapshots/{name}.parquet", snapshot(index)
                client.put_object(Bucket="corpora", Key=key, Body=body)
                started = time.monotonic()
                polls = refused = 0
                first_503: float | None = None
                healed: float | None = None
                measured = exported(name)
                # /-/ready polled through the outage and the recovery, until the new snapshot
                # is measured (a scan may give up just as the outage ends)
                while time.monotonic() - started < seconds + 300:
                    now = time.monotonic() - started
                    if healed is None and now >= seconds:
                        proxy.heal()
                        healed = now
                    polls += 1
                    if _get(f"http://127.0.0.1:{port}/-/ready")[0] == 503:
                        refused += 1
                        first_503 = now if first_503 is None else first_503
                    if healed is not None and measured():
                        break
                    time.sleep(0.5)
                to_measured = time.monotonic() - started - seconds
                to_ready = _until(lambda: _get(f"http://127.0.0.1:{port}/-/ready")[0] == 200, 120)
                after = _scrape(port)
                row = {
                    "outage_seconds": seconds,
                    "requests_refused": proxy.refused,
                    "failed_runs_added": after.get(failed, 0) - before.get(failed, 0),
                    "scan_errors_added": after.get(errors, 0) - before.get(errors, 0),
                    "ready_503_polls": f"{refused} of {polls}",
                    "seconds_to_first_503": first_503,
                    "seconds_heal_to_measured": round(to_measured, 2),
                    "seconds_heal_to_ready_after_measured": to_ready,
                }
                proxy.refused = 0
                results.append(row)
                print(row, flush=True)
        finally:
            _stop(process)
    from monitor.store.database import Store

    with Store(root / "tw.duckdb", read_only=True) as store:
        runs = store.runs(kind="corpus", subject="texts", limit=10_000)
    counts = runs[runs["status"] == "ok"]["version"].value_counts()
    return {
        "command": " ".join(["python -m benchmarks.bench_faults", *sys.argv[1:]]),
        "outages": results,
        "snapshots_measured_once": bool((counts == 1).all()) and len(counts) == len(results) + 1,
        "failed_runs": int((runs["status"] != "ok").sum()),
        "workdir": str(root),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    one = modes.add_parser("kill9", help="kill -9 the daemon mid-work, count lost/duplicated")
    one.add_argument("--kills", type=int, default=5)
    one.add_argument("--seed", type=int, default=0)
    two = modes.add_parser("outage", help="object-storage outages against the real daemon")
    two.add_argument("--seconds", type=float, nargs="+", default=[5.0, 20.0, 45.0])
    args = parser.parse_args()
    result = kill9(args) if args.mode == "kill9" else outage(args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"faults_{args.mode}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "outages"}, indent=2, default=str))


if __name__ == "__main__":
    main()
