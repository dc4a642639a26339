"""A corpus budget taken from a generator's safe synthetic share (issue 29), over a real DuckDB
store, a generator on scikit-learn's breast cancer table and real Parquet snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry
from sklearn.datasets import load_breast_cancer

from monitor.exporter.server import StoreCollector
from monitor.settings import ConfigError, load_settings
from monitor.store.database import Store
from monitor.watch.budget import NO_EVIDENCE_BUDGET, resolve_budget
from monitor.watch.corpus import CorpusWatch, scan_settings
from monitor.watch.generator import GeneratorWatch
from tests.support.corpora import corpus, labelled
from tests.support.generators import generator, version_path, write


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tailwatch.toml"
    path.write_text(body, encoding="utf-8")
    return path


GENERATOR = """
[[generators]]
name = "gan"
reference = "ref.parquet"
versions = "v/*"
{target}
[[corpora]]
name = "train"
snapshots = "s/*"
max_synthetic_fraction = "{budget}"
"""


def test_configuration_refuses_unknown_or_targetless_generators(tmp_path: Path) -> None:
    ok = _config(tmp_path, GENERATOR.format(target='target = "y"', budget="from:gan"))
    assert load_settings(ok).corpora[0].max_synthetic_fraction == "from:gan"
    unknown = _config(tmp_path, GENERATOR.format(target='target = "y"', budget="from:vae"))
    with pytest.raises(ConfigError, match=r"'from:vae' names no configured generator.*gan"):
        load_settings(unknown)
    no_target = _config(tmp_path, GENERATOR.format(target="", budget="from:gan"))
    with pytest.raises(ConfigError, match="has no 'target'"):
        load_settings(no_target)
    bad = _config(tmp_path, GENERATOR.format(target='target = "y"', budget="gan"))
    with pytest.raises(ConfigError, match="max_synthetic_fraction"):
        load_settings(bad)


def test_budget_follows_the_generators_latest_safe_share(
    tmp_path: Path, store: Store, cancer: pd.DataFrame
) -> None:
    settings = corpus(tmp_path, "train", content_columns=list(cancer.columns),
                      max_synthetic_fraction="from:gan")  # fmt: skip
    # No evidence yet: the budget is 0, and says why; the module-level copy refuses to guess.
    empty = resolve_budget("from:gan", store)
    assert empty.value == NO_EVIDENCE_BUDGET and "no measured version yet" in empty.note
    with pytest.raises(ValueError, match="resolved from the store"):
        scan_settings(settings)
    gan = generator(tmp_path, "gan", sample_size=150, target="target",
                    structure={"enabled": False}, mixing={"seeds": 2})  # fmt: skip
    write(Path(gan.reference), cancer.iloc[:400])
    rng = np.random.default_rng(0)
    honest = cancer.iloc[400:].reset_index(drop=True)
    write(version_path(gan, "v1"), honest)
    watch = GeneratorWatch(gan, store)
    assert watch.scan().measured == 1
    first = resolve_budget("from:gan", store)
    stored = store.figures_by_version("generator", "gan", "reference")[0]
    assert first.value == stored["safe_synthetic_share"] and first.version == "v1"
    assert first.value is not None and first.value >= 0.5
    shuffled = honest.assign(target=rng.permutation(honest["target"].to_numpy()))
    write(version_path(gan, "v2"), shuffled)
    assert watch.scan().measured == 1
    second = resolve_budget("from:gan", store)
    assert second.version == "v2" and second.value is not None and second.value < first.value
    # Stored and exported: the latest version's sweep as gauges (prometheus-client's registry).
    registry = CollectorRegistry()
    registry.register(StoreCollector(store))
    labels = {"generator": "gan"}
    gauge = registry.get_sample_value("tailwatch_generator_safe_synthetic_share", labels)
    assert gauge == second.value
    stored = store.figures_by_version("generator", "gan", "reference")[1]
    tstr = registry.get_sample_value("tailwatch_generator_mixing_score_share_100", labels)
    assert tstr == stored["tstr_balanced_accuracy"]
    # A snapshot whose synthetic share lies between the two budgets: over the latest one.
    share = (first.value + second.value) / 2
    synthetic = round(share * 200)
    frame = labelled([(cancer.iloc[:200 - synthetic], "human"), (honest.iloc[:synthetic],
                                                                 "synthetic")])  # fmt: skip
    write(tmp_path / "train" / "s1" / "part.parquet", frame)
    assert CorpusWatch(settings, store).scan().measured == 1
    history = store.history("corpus", "train")
    figures = dict(zip(history["metric"], history["value"], strict=True))
    assert figures["synthetic_budget_ratio"] == second.value
    assert figures["budget_exceeded"] == 1.0
    details = store.run_details("corpus", "train", "budget")
    assert json.loads(details["content"].iloc[-1])["version"] == "v2"


def test_generator_without_sweep_gives_budget_zero_with_a_reason(
    tmp_path: Path, store: Store, cancer: pd.DataFrame
) -> None:
    gan = generator(tmp_path, "plain", sample_size=150, target="target",
                    structure={"enabled": False}, mixing={"enabled": False})  # fmt: skip
    write(Path(gan.reference), cancer.iloc[:400])
    write(version_path(gan, "v1"), cancer.iloc[400:])
    assert GeneratorWatch(gan, store).scan().measured == 1
    budget = resolve_budget("from:plain", store)
    assert budget.value == 0.0 and "no safe_synthetic_share yet" in budget.note
    assert resolve_budget(0.25, store).value == 0.25
