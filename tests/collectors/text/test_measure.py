"""TextReference on real text: healthy levels with a spread for every text figure, a sample that
lost its rare words scored below them, determinism, pluggable embedders (module:function and an
installed entry point), and errors that name the data."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.metrics.catalog import BY_NAME
from collectors.text import TextReference, load_embedder
from tests.support.real_text import paragraphs
from tests.support.text import lose_rare_words

TEXT_FIGURES = [
    "text_vocabulary_retention",
    "text_rare_mass_ratio",
    "text_ngram_novelty",
    "text_self_repetition",
    "text_distinct_1",
    "text_distinct_2",
    "text_distinct_3",
    "text_distinct_4",
    "text_type_token_ratio",
    "text_length_short_share",
    "text_length_long_share",
    "text_zipf_slope",
    "text_tokens_mean",
    "text_semantic_diversity",
]


def hashing_embedder(reference: Sequence[str]) -> Callable[[Sequence[str]], np.ndarray]:
    """A team's own embedder: scikit-learn's hashing of word counts, 32 dimensions."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=32, alternate_sign=False)
    return lambda texts: vectorizer.transform(list(texts)).toarray()


@pytest.fixture(scope="module")
def split() -> tuple[list[str], list[str], list[str]]:
    texts = list(paragraphs())
    order = np.random.default_rng(0).permutation(len(texts))
    shuffled = [texts[i] for i in order]
    return shuffled[:1500], shuffled[1500:2500], shuffled[2500:]


@pytest.fixture(scope="module")
def fitted(split: tuple[list[str], list[str], list[str]]) -> TextReference:
    reference, holdout, _ = split
    return TextReference(
        pd.DataFrame({"text": reference}), holdout=pd.DataFrame({"text": holdout}), seed=3
    )


def test_every_text_figure_is_measured_has_a_catalog_entry_and_a_healthy_spread(
    fitted: TextReference, split: tuple[list[str], list[str], list[str]]
) -> None:
    fresh = split[2][:400]
    measured = fitted.measure(pd.DataFrame({"text": fresh}))
    healthy = fitted.healthy_at(400)
    assert healthy is not None and healthy.sample_rows == 400 and not healthy.replacement
    for name in [*TEXT_FIGURES, "precision", "recall", "coverage", "density", "authenticity"]:
        assert name in measured.figures, name
        assert name in BY_NAME, name
        assert name in healthy.figures and name in healthy.spread, name
    for name in ("text_vocabulary_retention", "text_rare_mass_ratio", "text_distinct_1"):
        # fresh real text is within 4 healthy standard deviations of the level
        gap = abs(measured.figures[name] - healthy.figures[name])
        assert gap <= 4 * healthy.spread[name] + 1e-9, (name, measured.figures[name], healthy)
    assert measured.details["text"]["reference_curve"][0][0] == 1


def test_a_sample_that_lost_its_rare_words_is_far_below_the_healthy_level(
    fitted: TextReference, split: tuple[list[str], list[str], list[str]]
) -> None:
    fresh = split[2][:400]
    collapsed = fitted.measure(lose_rare_words(fresh, keep=300))
    healthy = fitted.healthy_at(400)
    assert healthy is not None
    for name in ("text_vocabulary_retention", "text_rare_mass_ratio", "text_distinct_1"):
        limit = healthy.figures[name] - 5 * healthy.spread[name]
        assert collapsed.figures[name] < limit, (name, collapsed.figures[name], limit)
    # the rare words left are the few that are frequent in this sample
    assert collapsed.figures["text_rare_mass_ratio"] < 0.3 * healthy.figures["text_rare_mass_ratio"]
    vanished = collapsed.details["text"]["vanished_rare"]
    cut = fitted.lexical.counts[fitted.lexical.rare].max()
    assert vanished and all(count <= cut for _, count in vanished)


def test_measurement_is_deterministic(split: tuple[list[str], list[str], list[str]]) -> None:
    reference, holdout, rest = split
    a = TextReference(reference[:600], holdout=holdout[:300], seed=1)
    b = TextReference(reference[:600], holdout=holdout[:300], seed=1)
    assert a.measure(rest[:200]).figures == b.measure(rest[:200]).figures
    assert a.healthy_at(150).figures == b.healthy_at(150).figures  # type: ignore[union-attr]


def test_a_plugged_embedder_by_module_function_and_by_entry_point(
    split: tuple[list[str], list[str], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, _, rest = split
    name = f"{__name__}:hashing_embedder"
    assert load_embedder(name) is hashing_embedder
    plugged = TextReference(reference[:500], embedder=name)
    assert plugged.model.dim == 32 and plugged.describe()["embedder"] == name
    figures = plugged.measure(rest[:100]).figures
    assert 0 <= figures["precision"] <= 1
    # An installed distribution that registers the embedder under tailwatch.embedders.
    info = tmp_path / "team_embedders-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: team-embedders\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
        [tailwatch.embedders]
        team-hashing = {name}
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_embedder("team-hashing") is hashing_embedder
    with pytest.raises(
        ValueError, match=r"no entry point .* \(known: (minilm, )?team-hashing, tfidf-svd\)"
    ):
        load_embedder("no-such-embedder")
    with pytest.raises(ValueError, match="cannot import"):
        load_embedder("no_such_package.module:function")


def test_cells_that_are_not_text_are_named(fitted: TextReference) -> None:
    with pytest.raises(ValueError, match=r"v3: column 'text' holds 2 cells that are not text"):
        fitted.measure(pd.DataFrame({"text": ["a b c", None, 3.0, "d e"]}), source="v3")
    with pytest.raises(ValueError, match="missing text column 'text'"):
        fitted.measure(pd.DataFrame({"body": ["a"]}), source="v3")
