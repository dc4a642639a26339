"""numeric_tail_frequency's real shares beyond the thresholds, counted in the sorted columns'
ends (issue 26), equal the previous comparisons of every real row bit for bit, on real tables
(digits: heavy ties, wine, breast cancer), with and without a prepared ``real_sorted``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.metrics.tails import _INDEX_SLACK, numeric_tail_frequency


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_expected_shares_equal_every_row_compared(loader) -> None:
    data = loader(return_X_y=True)[0].astype(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(data.shape[0])
    real, synthetic = data[order[: 2 * len(order) // 3]], data[order[2 * len(order) // 3 :]]
    n = real.shape[0]
    for prepared in (None, np.sort(real, axis=0)):
        results = numeric_tail_frequency(
            real, synthetic, quantiles=(0.05, 0.01, 0.001), real_sorted=prepared
        )
        for result in results:
            j = int(result.feature)
            k = min(math.floor(n * result.q + _INDEX_SLACK), n - 1)
            column = np.sort(real[:, j])
            lower, upper = column[k], column[n - 1 - k]
            assert result.lower_threshold == lower and result.upper_threshold == upper
            # the previous computation: every real row compared, the boolean mean
            assert result.expected_lower_share == float((real[:, j] < lower).mean())
            assert result.expected_upper_share == float((real[:, j] > upper).mean())
            assert result.lower_share == float((synthetic[:, j] < lower).mean())
            assert result.upper_share == float((synthetic[:, j] > upper).mean())
