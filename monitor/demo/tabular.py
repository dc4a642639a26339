"""The built-in demo scenario: a self-consuming generator that slowly loses the tails.

A real reference is a mixture of ten well-separated Gaussian modes of unequal weight (the rare
modes are the "tails"). Generation 0 is fitted on real data; each later generation is a Gaussian
mixture fitted on samples of the previous generation only, drawn with a sampling bias (samples
beyond the previous generation's central 98 % are rejected, like sampling at a low temperature).
That is the self-consuming loop of Shumailov et al. 2024 and Alemohammad et al. 2023: precision
holds, while recall and coverage fall and density rises, generation after generation.

A training corpus grows beside it, one snapshot per generation: human rows plus rows of every
generation so far labelled synthetic. In the collapse scenario the loop also leaks: from the
second snapshot on, rows of the previous generation enter the corpus labelled human, and the
labelled synthetic share outgrows the corpus's 30 % budget. In the healthy scenario the corpus
stays well within budget and nothing leaks. A second, human-only evaluation corpus gets a clean
snapshot per generation.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

from monitor.demo.layout import ScenarioFolders, daemon_config, write_parquet_atomic

__all__ = ["CORPUS_BUDGET", "FEATURES", "DemoScenario", "real_sample"]

DIM = 8
MODES = 10
CORPUS_BUDGET = 0.3  # the demo corpus's max_synthetic_fraction
_HUMAN_ROWS = 1500  # human rows of the first snapshot; each later one adds _HUMAN_GROWTH
_HUMAN_GROWTH = 100
_LEAKED_ROWS = 50  # rows of the previous generation leaked per snapshot (collapse scenario)
_WEIGHTS = np.array([0.2, 0.18, 0.15, 0.12, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02])


FEATURES: tuple[str, ...] = tuple(f"f{i}" for i in range(DIM))  # the numeric columns


def _columns() -> list[str]:
    return list(FEATURES)


def _centres() -> np.ndarray:
    centres = np.zeros((MODES, DIM))
    centres[np.arange(MODES), np.arange(MODES) % DIM] = 8.0 * (1 + np.arange(MODES) // DIM)
    return centres


def _segments(values: np.ndarray) -> list[str]:
    """The ``segment`` label of each row: its nearest mode centre."""
    gaps = ((values[:, None, :] - _centres()[None, :, :]) ** 2).sum(axis=2)
    return [f"s{label}" for label in gaps.argmin(axis=1)]


def real_sample(rows: int, seed: int) -> pd.DataFrame:
    """Rows of the real distribution, with a categorical ``segment`` column (the mode)."""
    rng = np.random.default_rng(seed)
    centres = _centres()
    labels = rng.choice(MODES, rows, p=_WEIGHTS)
    values = centres[labels] + rng.standard_normal((rows, DIM))
    frame = pd.DataFrame(values, columns=_columns())
    frame["segment"] = _segments(values)
    return frame


@dataclass
class DemoScenario(ScenarioFolders):
    """Writes the reference, a holdout and one Parquet file per generator version."""

    rows: int = 3000
    train_rows: int = 600
    seed: int = 0
    healthy: bool = False  # True: every generation is a fresh draw of the real distribution

    def config(self, workdir: Path, port: int, interval: float, sample_size: int) -> str:
        """The demo's configuration (TOML): the generator, two corpora and their registry."""
        features = json.dumps(list(FEATURES))
        return f"""# Written by 'tailwatch demo': the built-in scenario, measured by the daemon.
{daemon_config(port)}
[[generators]]
name = "demo-gan"
reference = "{self.reference_path.relative_to(workdir)}"
holdout = "{self.holdout_path.relative_to(workdir)}"
versions = "{self.versions_dir.relative_to(workdir)}/*.parquet"
categorical = ["segment"]
sample_size = {sample_size}
k = 5
regions = 10
interval_seconds = {interval}

# A training corpus fed by the generator: one snapshot per generation.
[[corpora]]
name = "demo-corpus"
snapshots = "{self.corpus_dir.relative_to(workdir)}/*"
content_columns = {features}
provenance_column = "provenance"
generator_column = "generator"
version_column = "generator_version"
tail_columns = {features}
max_synthetic_fraction = {CORPUS_BUDGET}
interval_seconds = {interval}

# A held-out evaluation set that must stay human-only.
[[corpora]]
name = "demo-eval"
snapshots = "{self.eval_dir.relative_to(workdir)}/*.parquet"
content_columns = {features}
provenance_column = "provenance"
tail_columns = {features}
human_only = true
interval_seconds = {interval}

# Every version file is known synthetic output (the daemon also registers the rows it samples).
[[synthetic_dumps]]
name = "demo-gan-output"
path = "{self.versions_dir.relative_to(workdir)}/*.parquet"
content_columns = {features}
generator = "demo-gan"

# The real data is known human: a generated row that reproduces it is no leak.
[[known_human]]
name = "demo-real"
path = "{self.reference_path.parent.relative_to(workdir)}/*.parquet"
content_columns = {features}
"""

    def write_reference(self) -> None:
        """Write the real reference and holdout (idempotent)."""
        for path, seed in ((self.reference_path, self.seed), (self.holdout_path, self.seed + 1)):
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                write_parquet_atomic(real_sample(self.rows, seed), path)

    def generations(self) -> Iterator[pd.DataFrame]:
        """Endless generations (deterministic for a seed): self-consuming, or fresh real draws."""
        if self.healthy:
            generation = 0
            while True:
                yield real_sample(self.rows, self.seed + 1000 + generation)
                generation += 1
        rng = np.random.default_rng(self.seed + 2)
        training = real_sample(self.train_rows, self.seed + 3)[_columns()].to_numpy()
        generation = 0
        while True:
            model = GaussianMixture(MODES, random_state=int(rng.integers(2**31))).fit(training)
            values, _ = model.sample(self.rows * 2)
            if generation > 0:
                low, high = np.quantile(training, [0.01, 0.99], axis=0)
                values = values[((values >= low) & (values <= high)).all(axis=1)]
            values = values[rng.permutation(values.shape[0])[: self.rows]]
            frame = pd.DataFrame(values, columns=_columns())
            frame["segment"] = _segments(values)
            yield frame
            training = values[: self.train_rows]
            generation += 1

    def write_version(self, index: int, frame: pd.DataFrame) -> Path:
        """Publish generation ``index`` atomically (write a temp file, then rename)."""
        path = self.versions_dir / f"gen-{index:03d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet_atomic(frame, path)
        return path

    def corpus_snapshot(self, generations: list[pd.DataFrame]) -> pd.DataFrame:
        """The corpus after ``len(generations)`` generations (see the module docstring)."""
        index = len(generations) - 1
        pool = real_sample(_HUMAN_ROWS + _HUMAN_GROWTH * 64, self.seed + 500)
        parts = [
            pool.iloc[: _HUMAN_ROWS + _HUMAN_GROWTH * index].assign(
                provenance="human", generator=None, generator_version=None
            )
        ]
        labelled = 60 if self.healthy else 150
        for number, frame in enumerate(generations):
            lineage = {"generator": "demo-gan", "generator_version": f"gen-{number:03d}"}
            parts.append(frame.iloc[:labelled].assign(provenance="synthetic", **lineage))
            if not self.healthy and number < index:  # leaked: unlabelled, among human rows
                leak = frame.iloc[labelled : labelled + _LEAKED_ROWS]
                unlabelled = {"provenance": "human", "generator": None, "generator_version": None}
                parts.append(leak.assign(**unlabelled))
        return pd.concat(parts, ignore_index=True)

    def write_snapshot(self, generations: list[pd.DataFrame]) -> Path:
        """Publish the corpus snapshot after these generations atomically, as one folder."""
        index = len(generations) - 1
        folder = self.corpus_dir / f"snapshot-{index:03d}"
        # written beside it under a hidden name, then renamed: discovery never sees the folder
        # without its file (an empty snapshot would be a failed run)
        hidden = self.corpus_dir / f".snapshot-{index:03d}.tmp"
        if hidden.exists():
            shutil.rmtree(hidden)
        hidden.mkdir(parents=True)
        self.corpus_snapshot(generations).to_parquet(hidden / "part-0.parquet", index=False)
        if folder.exists():
            shutil.rmtree(folder)
        hidden.rename(folder)
        evaluation = real_sample(400 + 20 * 64, self.seed + 700).iloc[: 400 + 20 * index]
        evaluation = evaluation.assign(provenance="human")
        write_parquet_atomic(evaluation, self.eval_dir / f"eval-{index:03d}.parquet")
        return folder
