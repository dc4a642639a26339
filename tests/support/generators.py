"""Builders shared by the tests (moved from tests/monitor/watch/test_generator.py); no test module
imports another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from monitor.demo.tabular import real_sample
from monitor.settings import GeneratorSettings
from monitor.store.database import Store

KIND = "generator"


COLUMNS = ["f0", "f1", "f2", "segment"]


REFERENCE_ROWS = 600  # a version's rows (200 = SAMPLE_SIZE) are held out for the healthy levels


VERSION_ROWS = 300


SAMPLE_SIZE = 200


T0 = datetime(2026, 3, 1, tzinfo=UTC)


def real(rows: int, seed: int) -> pd.DataFrame:
    """Rows of the demo's real distribution: three numeric columns and a categorical one."""
    return real_sample(rows, seed)[COLUMNS]


def collapsed(rows: int, seed: int, spread: float) -> pd.DataFrame:
    """A generator losing its tails: every row pulled towards the centre of its mode."""
    frame = real(rows, seed)
    numeric = COLUMNS[:3]
    centres = frame.groupby("segment")[numeric].transform("mean")
    frame[numeric] = centres + spread * (frame[numeric] - centres)
    return frame


def write(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def generator(root: Path, name: str, **overrides: object) -> GeneratorSettings:
    """Settings of a generator under ``root/name`` with its reference written there."""
    folder = root / name
    reference = folder / "real" / "reference.parquet"
    if not reference.exists():
        write(reference, real(REFERENCE_ROWS, seed=len(name)))
    values: dict[str, object] = {
        "name": name,
        "reference": str(reference),
        "versions": str(folder / "versions" / "*"),
        "sample_size": SAMPLE_SIZE,
        "k": 5,
        "regions": 4,
    }
    values.update(overrides)
    return GeneratorSettings(**values)  # type: ignore[arg-type]


def version_path(settings: GeneratorSettings, name: str, suffix: str = ".parquet") -> Path:
    assert settings.versions is not None
    return Path(settings.versions).parent / f"{name}{suffix}"


def runs(store: Store, subject: str) -> pd.DataFrame:
    """Every run of ``subject``, oldest first."""
    frame = store.runs(KIND, subject, limit=1000)
    return frame.sort_values("id").reset_index(drop=True)


class Clock:
    """A settable clock for the backoff tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
