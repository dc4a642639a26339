"""The ``tailwatch`` command line.

This first cut offers ``demo``: the built-in self-consuming scenario measured version by version
into a DuckDB file, with a progress bar and a table of the collapse signature. The daemon
(``run``, ``scan --once``, ``status``, the ``/metrics`` exporter) comes with the daemon issue.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from collectors.generator import GeneratorReference, Measurement
from collectors.result import MetricValue, RegionValue, RunResult
from collectors.sources import discover_versions, read_table
from monitor.demo import DemoScenario
from monitor.store import Store

SHOWN = (
    "precision",
    "recall",
    "density",
    "coverage",
    "worst_region_coverage",
    "tail_frequency_ratio",
)


def _run_result(
    subject: str, version: str, fingerprint: str, index: int, started: datetime,
    measurement: Measurement, healthy: Measurement | None, rows: tuple[int, int],
) -> RunResult:  # fmt: skip
    metrics = [MetricValue(name, "reference", value) for name, value in measurement.figures.items()]
    if healthy is not None:
        metrics += [MetricValue(name, "healthy", v) for name, v in healthy.figures.items()]
    for feature, figures in measurement.per_feature.items():
        metrics += [MetricValue(name, f"feature:{feature}", v) for name, v in figures.items()]
    regions = measurement.regions
    return RunResult(
        subject_kind="generator",
        subject=subject,
        version=version,
        fingerprint=fingerprint,
        version_index=index,
        started_at=started,
        finished_at=datetime.now(UTC),
        status="ok",
        reference_rows=rows[0],
        sample_rows=rows[1],
        metrics=metrics,
        regions=[
            RegionValue(
                i, int(regions.sizes[i]), float(regions.coverage[i]), float(regions.density[i])
            )
            for i in range(regions.sizes.shape[0])
        ],
    )


def demo(workdir: Path, generations: int, sample_size: int) -> int:
    """Write the demo scenario, measure every generation, store and print the figures."""
    scenario = DemoScenario(workdir, rows=sample_size)
    scenario.write_reference()
    print(f"Demo scenario in {workdir}: a generator retrained on its own output.", flush=True)
    reference = read_table([scenario.reference_path], source="reference")
    holdout = read_table([scenario.holdout_path], source="holdout")
    fitted = GeneratorReference(reference, holdout=holdout, n_regions=10)
    for index, frame in zip(range(generations), scenario.generations(), strict=False):
        scenario.write_version(index, frame)
    versions = discover_versions(str(scenario.versions_dir / "*.parquet"))
    header = f"{'version':<10}" + "".join(f"{name[:12]:>13}" for name in SHOWN)
    rows: list[str] = []
    with Store(workdir / "tailwatch.duckdb") as store:
        done = store.measured("generator", "demo-gan")
        for index, version in enumerate(tqdm(versions, desc="measuring", unit="version")):
            started = datetime.now(UTC)
            sample = read_table(version.paths, sample_size=sample_size, source=version.name)
            if done.get(version.name) != version.fingerprint:
                measurement = fitted.measure(sample, source=version.name)
                result = _run_result(
                    "demo-gan", version.name, version.fingerprint, index, started, measurement,
                    fitted.healthy, (len(reference), len(sample)),
                )  # fmt: skip
                store.record_run(result)
        latest = store.history("generator", "demo-gan")
    table = latest[latest["scope"] == "reference"].pivot_table(
        index=["version_index", "version"], columns="metric", values="value"
    )
    for (_, version), row in table.iterrows():
        rows.append(
            f"{version:<10}" + "".join(f"{row.get(name, float('nan')):>13.3f}" for name in SHOWN)
        )
    healthy = fitted.healthy.figures if fitted.healthy else {}
    print(header)
    print(
        f"{'healthy':<10}" + "".join(f"{healthy.get(name, float('nan')):>13.3f}" for name in SHOWN)
    )
    print("\n".join(rows))
    print(
        "\nCollapse signature: recall and coverage fall while precision holds and density climbs;"
        f"\nthe worst region empties and the tails vanish. History: {workdir / 'tailwatch.duckdb'}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tailwatch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="measure the built-in collapsing scenario")
    demo_parser.add_argument("--workdir", type=Path, default=Path("tailwatch-demo"))
    demo_parser.add_argument("--generations", type=int, default=8)
    demo_parser.add_argument("--sample-size", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.workdir.resolve(), args.generations, args.sample_size)
    return 2


if __name__ == "__main__":
    sys.exit(main())
