"""A sequence generator through the daemon's path (issue 28): ``tailwatch check --config`` scans
configured versions of the Mauna Loa CO2 panel (statsmodels; one sequence per calendar quarter of
weekly readings, real timestamps) into a DuckDB store, sampling whole quarters, and ``tailwatch
report`` shows the sequence section (autocorrelation by lag, length and gap histograms,
transitions). Two versions with their readings shuffled within each quarter page
``temporal_structure_loss`` after a fresh real baseline."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import numpy as np

from collectors.sequences.generators import shuffle_within
from monitor.demo.sequence_data import co2_weekly


def test_configured_sequence_generator_scans_pages_and_reports(tmp_path: Path) -> None:
    frame = co2_weekly().frame
    keys = np.array(sorted(frame["quarter"].unique()))
    np.random.default_rng(5).shuffle(keys)
    real, fresh = keys[:110], keys[110:]
    (tmp_path / "versions").mkdir()
    frame[frame["quarter"].isin(real)].to_parquet(tmp_path / "real.parquet", index=False)
    part = frame[frame["quarter"].isin(fresh)]
    part.to_parquet(tmp_path / "versions" / "v1.parquet", index=False)
    for i in (2, 3):
        shuffled = shuffle_within(part, "quarter", "week", seed=i)
        shuffled.to_parquet(tmp_path / "versions" / f"v{i}.parquet", index=False)
    (tmp_path / "tailwatch.toml").write_text(
        """
[storage]
path = "tailwatch.duckdb"
[[generators]]
name = "co2"
reference = "real.parquet"
versions = "versions/*.parquet"
entity_column = "quarter"
time_column = "week"
sample_size = 40
regions = 4
""",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--config", "tailwatch.toml",
         "--junit", "junit.xml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "co2 v3: collapse suspected -> FAIL" in done.stdout
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    assert cases["temporal_structure_loss"].find("failure") is not None
    # Sampled whole: 40 quarters per version, every one with all of its readings.
    with duckdb.connect(str(tmp_path / "tailwatch.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT sample_rows FROM runs ORDER BY version_index").fetchall()
    sizes = part.groupby("quarter").size()
    assert all(r[0] <= sizes.nlargest(40).sum() and r[0] >= sizes.nsmallest(40).sum() for r in rows)
    out = tmp_path / "reports"
    report = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "report", "--config", "tailwatch.toml",
         "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    folder = next(out.rglob("report.html")).parent  # the timestamped report
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-plot="sequences"' in html and "Autocorrelation by lag" in html
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "Autocorrelation by lag, reference → latest (latest version):" in markdown
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert "co2" in json.dumps(document)
