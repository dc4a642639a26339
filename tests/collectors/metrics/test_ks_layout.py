"""KS statistics do not depend on the arrays' memory layout and never sort the caller's array in
place (issue 26, session 10: the reference's sorted columns kept in Fortran order, the sample's
transposed copy sorted in place): bit for bit scipy's statistic's computation on every layout."""

from __future__ import annotations

import numpy as np
from scipy.stats import ks_2samp
from sklearn.datasets import load_digits, load_wine

from collectors.metrics.drift import ks_statistics


def test_layouts_give_the_same_statistics_and_leave_the_inputs_alone() -> None:
    for data in (load_digits(return_X_y=True)[0], load_wine(return_X_y=True)[0]):
        data = data.astype(np.float64)
        real, synthetic = data[::2], data[1::2][::-1].copy()
        expected = ks_statistics(real, synthetic)
        for j in range(data.shape[1]):  # scipy's arithmetic may differ in the last bit
            assert abs(expected[j] - ks_2samp(real[:, j], synthetic[:, j]).statistic) <= 1e-15
        real_sorted = np.sort(real, axis=0)
        for sorted_layout in (real_sorted, np.asfortranarray(real_sorted)):
            for sample in (synthetic, np.asfortranarray(synthetic)):
                before = sample.copy()
                got = ks_statistics(real, sample, real_sorted=sorted_layout)
                assert got.tobytes() == expected.tobytes()
                assert np.array_equal(sample, before)  # not sorted in place
        column = synthetic[:, 3:4].copy()  # one column: C and F contiguous, its .T a view
        before = column.copy()
        assert ks_statistics(real[:, 3:4], column)[0] == expected[3]
        assert np.array_equal(column, before)
