"""Tests for collectors.corpus.near_duplicates: planted edits found, shared boilerplate left
alone."""

from __future__ import annotations

import numpy as np
import pytest

from collectors.corpus.near_duplicates import (
    TextNearDuplicates,
    VectorNearDuplicates,
    conformal_threshold,
    shingles,
    wilson_interval,
)
from tests.support.near_duplicates import WORDS, edit, make_text

WORDS += ["the", "of", "and", "to", "in", "is", "that", "for", "with", "as", "on", "was"]


def test_wilson_interval_matches_published_values() -> None:
    # Brown, Cai & DasGupta (2001), and the closed form at count = 0: (0, z^2 / (n + z^2)).
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(1.959964**2 / (10 + 1.959964**2), rel=1e-6)
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_conformal_threshold_bounds_the_null_false_positive_rate() -> None:
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(200):
        null = rng.normal(size=199)
        threshold = conformal_threshold(null, 0.05)
        rates.append(np.mean(rng.normal(size=2000) > threshold))
    assert np.mean(rates) <= 0.05 + 0.005
    assert np.mean(rates) >= 0.03  # not absurdly conservative either
    with pytest.raises(ValueError, match="empty"):
        conformal_threshold(np.array([]), 0.1)


def test_shingles_ignore_case_whitespace_and_punctuation() -> None:
    assert np.array_equal(shingles("Hello,  World!"), shingles("hello world"))
    assert shingles("").size == 0
    assert shingles("abc").size == 1
    assert not np.array_equal(shingles("hello world"), shingles("hello word"))


def test_text_planted_edits_found_and_boilerplate_not_flagged() -> None:
    rng = np.random.default_rng(1)
    registry = [make_text(rng, template=i % 3 == 0) for i in range(600)]
    human = [make_text(rng, template=i % 3 == 0) for i in range(1000)]
    planted = [edit(registry[i], rng) for i in range(0, 600, 12)]  # 50 edited copies
    negatives = [make_text(rng, template=i % 2 == 0) for i in range(950)]  # half boilerplate
    detector = TextNearDuplicates(registry, human)
    result = detector.measure(planted + negatives)
    truth = np.arange(len(planted) + len(negatives)) < len(planted)
    hits = int((result.flagged & truth).sum())
    false = int((result.flagged & ~truth).sum())
    assert hits / truth.sum() >= 0.95
    assert hits / max(hits + false, 1) >= 0.99
    assert result.ratio_lower <= truth.mean() <= result.ratio_upper
    # boilerplate rows are close to the registry, but as close to human text: rule (2)
    boiler = result.score[len(planted) :][0::2]
    assert np.median(boiler) >= 0.5
    assert result.expected_false_positives < 5
    assert detector.null_flagged <= 2
    exact = detector.measure([registry[3]])
    assert exact.score[0] == 1.0 and exact.flagged[0] and exact.nearest[0] == 3


def test_without_the_relative_rule_boilerplate_would_be_flagged() -> None:
    rng = np.random.default_rng(2)
    registry = [make_text(rng, template=True) for _ in range(200)]
    human = [make_text(rng) for _ in range(200)]  # no boilerplate among known-human text
    negatives = [make_text(rng, template=True) for _ in range(100)]
    loose = TextNearDuplicates(registry, human, alpha=0.01).measure(negatives)
    assert loose.count > 50  # the test can fail: shared templates look like near-duplicates


def test_vectors_with_small_noise_are_found() -> None:
    rng = np.random.default_rng(3)
    registry = rng.normal(size=(800, 16))
    human = rng.normal(size=(1200, 16))
    planted = registry[:40] + rng.normal(scale=0.01, size=(40, 16))
    negatives = rng.normal(size=(960, 16))
    result = VectorNearDuplicates(registry, human).measure(np.vstack([planted, negatives]))
    truth = np.arange(1000) < 40
    assert (result.flagged & truth).sum() >= 38
    assert (result.flagged & ~truth).sum() == 0
    assert result.ratio_lower <= 0.04 <= result.ratio_upper
    assert result.threshold > 0  # no human row passes rule (2) here: no absolute bound needed


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="registry"):
        TextNearDuplicates([], ["a"])
    with pytest.raises(ValueError, match="human"):
        TextNearDuplicates(["a"], [])
    with pytest.raises(ValueError, match=r"texts: row 1 is NoneType"):
        TextNearDuplicates(["a b c d e f"], ["x y z w v"]).measure(["a", None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="dimension mismatch"):
        VectorNearDuplicates(np.zeros((3, 2)), np.ones((3, 3)))
