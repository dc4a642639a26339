"""The chi-square quantile of the dispersion test, kept per degree of freedom, is scipy's."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from monitor.checks.noise import DISPERSION_LEVEL, chi_square_dispersion


def test_dispersion_switches_at_scipys_quantile() -> None:
    for df in (1, 2, 3, 7, 40, 300):
        critical = float(chi2.isf(DISPERSION_LEVEL, df))
        assert chi_square_dispersion(critical, df) == 1.0  # at the quantile: the model's noise
        above = float(np.nextafter(critical, np.inf))
        assert chi_square_dispersion(above, df) == above / df  # just past it: the dispersion
        assert chi_square_dispersion(critical, df) == 1.0  # asked again: the kept quantile
    assert chi_square_dispersion(5.0, 0) == 1.0
