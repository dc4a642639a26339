"""Every view that picks metrics by name (status columns, report tables, the CLI's table) names
metrics the catalog defines: one list of names, so a rename cannot leave a view showing nothing."""

from __future__ import annotations

from collectors.metrics import CORPUS_METRICS, GENERATOR_METRICS, RELATIVE_METRICS
from monitor.exporter.series import CORPUS_CONFIG_FIGURES, CORPUS_FIGURES
from monitor.report import markdown
from monitor.status import _SHOWN, CORPUS_KEY_METRICS, KEY_METRICS

GENERATOR_NAMES = {spec.name for spec in GENERATOR_METRICS}
CORPUS_NAMES = {spec.name for spec in CORPUS_METRICS} | set(CORPUS_CONFIG_FIGURES)
DERIVED = {"level"}  # the verdict: computed by the checks, not a stored metric


def unknown(names: object, known: set[str]) -> list[str]:
    return sorted(set(names) - known - DERIVED)  # type: ignore[arg-type]


def test_the_name_check_catches_a_misspelt_metric() -> None:
    assert unknown(("coverage", "coverag"), GENERATOR_NAMES) == ["coverag"]


def test_generator_views_name_catalog_metrics() -> None:
    assert unknown(KEY_METRICS, GENERATOR_NAMES) == []
    assert unknown(markdown.KEY_METRICS, GENERATOR_NAMES) == []
    assert unknown(RELATIVE_METRICS, GENERATOR_NAMES) == []
    assert unknown((name for name, _ in _SHOWN["generator"]), GENERATOR_NAMES) == []


def test_corpus_views_name_catalog_metrics() -> None:
    assert unknown(CORPUS_KEY_METRICS, CORPUS_NAMES) == []
    assert unknown((name for name, _ in _SHOWN["corpus"]), CORPUS_NAMES) == []
    assert set(CORPUS_FIGURES) == CORPUS_NAMES
