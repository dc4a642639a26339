"""A text generator in the daemon's scan (issue 17): `text_column` set, versions as Parquet and
CSV files, figures and details stored in a real DuckDB store, the text checks over the stored
history, and the tabular checks whose figures a text generator lacks left unjudged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.checks import CheckThresholds, evaluate_checks, generator_verdict
from monitor.report.data import generator_section
from monitor.report.html import _vanished
from monitor.report.plots import text_plot
from monitor.settings import GeneratorSettings
from monitor.store.database import Store
from monitor.store.history import version_figures
from monitor.watch.generator import GeneratorWatch
from tests.support.real_text import paragraphs
from tests.support.text import lose_rare_words


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> GeneratorSettings:
    root = tmp_path_factory.mktemp("text")
    texts = list(paragraphs())
    order = np.random.default_rng(1).permutation(len(texts))
    texts = [texts[i] for i in order]
    reference, holdout, fresh = texts[:1400], texts[1400:2200], texts[2200:]
    pd.DataFrame({"text": reference, "id": range(1400)}).to_parquet(root / "real.parquet")
    pd.DataFrame({"text": holdout}).to_parquet(root / "holdout.parquet")
    (root / "versions").mkdir()
    a, b = fresh[:400], fresh[400:800]
    pd.DataFrame({"text": a, "prompt": "p"}).to_parquet(root / "versions" / "v0.parquet")
    pd.DataFrame({"text": b}).to_csv(root / "versions" / "v1.csv", index=False)
    pd.DataFrame({"text": lose_rare_words(a, 250)}).to_parquet(root / "versions" / "v2.parquet")
    # A language model's output as it is often written: JSON Lines, one record a line.
    pd.DataFrame({"text": lose_rare_words(b, 250)}).to_json(
        root / "versions" / "v3.jsonl", orient="records", lines=True
    )
    return GeneratorSettings(
        name="docs-lm",
        reference=str(root / "real.parquet"),
        holdout=str(root / "holdout.parquet"),
        versions=str(root / "versions" / "*"),
        text_column="text",
        sample_size=400,
        regions=5,
    )


def test_text_versions_are_measured_stored_and_judged(world, tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as store:
        outcome = GeneratorWatch(world, store).scan()
        assert outcome.measured == 4 and outcome.failed == 0
        history, healthy = version_figures(store.history("generator", "docs-lm"))
        details = store.run_details("generator", "docs-lm", "text")
        section = generator_section(store, "docs-lm", None, CheckThresholds())
    assert [v.version for v in history] == ["v0", "v1", "v2", "v3"]
    for name in ("text_vocabulary_retention", "text_rare_mass_ratio", "text_distinct_4"):
        assert name in healthy and healthy.spread[name] > 0
        assert all(name in v.figures for v in history)
    results = {r.check: r for r in evaluate_checks(history, healthy)}
    assert results["vocabulary_loss"].breached == (False, False, True, True)
    assert results["rare_mass_loss"].breached == (False, False, True, True)
    assert results["diversity_decline"].breached[:2] == (False, False)
    assert results["diversity_decline"].breached[2:] == (True, True)
    assert "text_distinct_1" in results["diversity_decline"].detail
    # Tabular checks whose figures a text generator lacks are not judged.
    for check in ("tail_thinning", "category_lost", "rare_category_shift", "class_lost"):
        assert results[check].breached == (None, None, None, None), check
    assert generator_verdict(list(results.values())).level == "collapse suspected"
    latest = json.loads(details.sort_values("version_index")["content"].iloc[-1])
    assert latest["vanished_types"] > 0 and latest["vanished_rare"]
    assert latest["sample_curve"][0][0] == 1 and latest["reference_curve"][-1][0] > 1000
    # The report: rank-frequency curves and distinct-n plotted, vanished rare words listed.
    assert section.text == latest
    assert "<svg" in (text_plot(section) or "")
    listed = _vanished(section.text)
    word, count = latest["vanished_rare"][0]
    assert f'<tr><td>{word}</td><td class="num">{count}</td></tr>' in listed


def test_a_missing_text_column_fails_that_version_only(world, tmp_path: Path) -> None:
    settings = world.model_copy(update={"text_column": "body"})
    with Store(tmp_path / "tw.duckdb") as store:
        outcome = GeneratorWatch(settings, store).scan()
        runs = store.runs("generator", "docs-lm")
    assert outcome.measured == 0 and outcome.failed == 4
    assert runs["error"].str.contains("body").all()


def test_text_settings_are_checked() -> None:
    base = {"name": "g", "reference": "r.parquet", "versions": "v/*", "text_column": "text"}
    with pytest.raises(ValueError, match="takes no 'categorical' or 'target'"):
        GeneratorSettings(**base, categorical=["x"])
    with pytest.raises(ValueError, match="'embedder' needs a 'text_column'"):
        GeneratorSettings(**{**base, "text_column": None}, embedder="tfidf-svd")
