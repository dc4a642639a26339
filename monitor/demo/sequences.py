"""The sequence demo scenario (``tailwatch demo --scenario sequences``): a sequence generator
forgets how its readings follow each other.

Real sequences that are always here: the weekly CO2 readings at Mauna Loa shipped in statsmodels
(:func:`monitor.demo.sequence_data.co2_weekly`; one sequence per calendar quarter, real
timestamps and missing weeks). The quarters are split into a reference, a holdout and the
generator's training quarters. Two generators publish side by side, both a fitted
:class:`collectors.sequences.generators.SequenceModel` (lengths and gaps resampled, an AR(1) per
numeric column, a Markov chain per categorical one):

- ``demo-seq``, a self-consuming loop (Shumailov et al. 2024): generation 0 fitted on the real
  training quarters, each later one only on the previous generation's output. The within-quarter
  carry-over is estimated low on every round (Kendall 1954) and decays, so
  ``temporal_structure_loss`` pages after a few versions;
- ``demo-seq-control``, the healthy control: each generation fitted on a fresh bootstrap of the
  real training quarters, which stays quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from collectors.sequences.generators import SequenceModel
from collectors.sources.entities import sample_entities, split_entities
from monitor.demo.layout import ScenarioFolders, daemon_config, write_parquet_atomic
from monitor.demo.sequence_data import co2_weekly

__all__ = ["CONTROL_GENERATOR", "SEQUENCE_GENERATOR", "SEQUENCE_SHOWN", "SequenceDemoScenario"]

SEQUENCE_GENERATOR = "demo-seq"
CONTROL_GENERATOR = "demo-seq-control"
SEQUENCE_SHOWN = (
    "autocorr_diff_max",
    "transition_tv_max",
    "sequence_length_ks",
    "predictive_mae_ratio",
    "coverage",
)
TRAINING_QUARTERS = 70  # of the 176 quarters; the rest are the reference and its holdout


@dataclass
class SequenceDemoScenario(ScenarioFolders):
    """Writes the real quarters and, per generation, one version of each generator."""

    entities: int = 60  # quarters per version
    seed: int = 0

    @property
    def training_path(self) -> Path:
        return self.root / "training" / "training.parquet"

    @property
    def control_dir(self) -> Path:
        return self.root / "control"

    def write_reference(self) -> None:
        """Split the quarters into reference and training (idempotent); the daemon holds out
        whole quarters of the reference for the healthy levels."""
        if self.reference_path.exists() and self.training_path.exists():
            return
        data = co2_weekly()
        reference, training = split_entities(data.frame, data.entity, TRAINING_QUARTERS, self.seed)
        write_parquet_atomic(reference, self.reference_path)
        write_parquet_atomic(training, self.training_path)

    def generations(self) -> Iterator[dict[str, pd.DataFrame]]:
        """Endless generations of both generators (deterministic for a seed)."""
        data = co2_weekly()
        training = pd.read_parquet(self.training_path)
        roles = (data.entity, data.time, data.numeric, data.categorical)
        model = SequenceModel.fit(training, *roles)
        generation = 0
        while True:
            seed = self.seed * 1000 + generation
            looped = model.sample(self.entities, seed=seed)
            fresh = sample_entities(training, data.entity, None, seed, replacement=True)
            control = SequenceModel.fit(fresh, *roles).sample(self.entities, seed=seed)
            yield {SEQUENCE_GENERATOR: looped, CONTROL_GENERATOR: control}
            model = SequenceModel.fit(looped, *roles)  # the loop: its own output only
            generation += 1

    def write_version(self, index: int, frames: dict[str, pd.DataFrame]) -> Path:
        path = self.versions_dir / f"gen-{index:03d}.parquet"
        write_parquet_atomic(frames[CONTROL_GENERATOR], self.control_dir / path.name)
        write_parquet_atomic(frames[SEQUENCE_GENERATOR], path)
        return path

    def write_snapshot(self, generations: list[dict[str, pd.DataFrame]]) -> None:
        """The sequence demo has no corpora."""

    def config(self, workdir: Path, port: int, interval: float) -> str:
        """The demo's configuration (TOML): the loop and its healthy control."""
        data = co2_weekly()
        blocks = []
        for name, folder in (
            (SEQUENCE_GENERATOR, self.versions_dir),
            (CONTROL_GENERATOR, self.control_dir),
        ):
            blocks.append(
                f"""[[generators]]
name = "{name}"
reference = "{self.reference_path.relative_to(workdir)}"
versions = "{folder.relative_to(workdir)}/*.parquet"
entity_column = "{data.entity}"
time_column = "{data.time}"
categorical = {list(data.categorical)!r}
sample_size = {self.entities}
regions = 8
interval_seconds = {interval}
""".replace("'", '"')
            )
        return (
            "# Written by 'tailwatch demo --scenario sequences': a self-consuming sequence "
            f"generator and its healthy control.\n{daemon_config(port)}\n" + "\n".join(blocks)
        )
