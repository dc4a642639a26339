"""Real data sets that ship inside installed packages (nothing is downloaded at run time).

Each data set is one table: numeric columns, nominal categorical columns and a class column
(categorical too), with fixed train / holdout / test splits. Numeric columns that take few
values (pixels 0..16, ages coded 17.5/22/27, counts) carry their *grid*: the generators snap
their output to it, as a pipeline that knows its schema would, so the versions have the ties real
tables have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DATASETS", "GRID_DATASETS", "Dataset", "load"]

GRID_MAX_VALUES = 20  # a numeric column with at most this many distinct values is snapped


@dataclass(frozen=True)
class Dataset:
    """One real table split into train (the reference), holdout and test."""

    name: str
    source: str
    train: pd.DataFrame
    holdout: pd.DataFrame
    test: pd.DataFrame
    numeric: list[str]
    categorical: list[str]  # nominal columns, the class column excluded
    target: str
    grids: dict[str, np.ndarray] = field(default_factory=dict)
    # Real rows in none of the splits (other real data a pipeline may fit later versions on).
    pool: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def columns(self) -> list[str]:
        """Every column Tailwatch measures."""
        return [*self.numeric, *self.categorical, self.target]

    @property
    def all_categorical(self) -> list[str]:
        """The nominal columns and the class column."""
        return [*self.categorical, self.target]


def _split(
    name: str,
    source: str,
    frame: pd.DataFrame,
    sizes: tuple[int, int, int],
    numeric: list[str],
    categorical: list[str],
    target: str,
) -> Dataset:
    """Shuffle once (fixed seed) and cut into train, holdout and test."""
    shuffled = frame.sample(frac=1.0, random_state=20_261_124).reset_index(drop=True)
    n_train, n_holdout, n_test = sizes
    if n_train + n_holdout + n_test > len(shuffled):
        raise ValueError(f"{name}: {len(shuffled)} rows, asked for {sizes}")
    train = shuffled.iloc[:n_train].reset_index(drop=True)
    holdout = shuffled.iloc[n_train : n_train + n_holdout].reset_index(drop=True)
    test = shuffled.iloc[n_train + n_holdout : n_train + n_holdout + n_test].reset_index(drop=True)
    pool = shuffled.iloc[n_train + n_holdout + n_test :].reset_index(drop=True)
    grids = {
        column: np.sort(frame[column].unique()).astype(float)
        for column in numeric
        if frame[column].nunique() <= GRID_MAX_VALUES
    }
    return Dataset(name, source, train, holdout, test, numeric, categorical, target, grids, pool)


def digits() -> Dataset:
    """scikit-learn's 8x8 digits: 64 pixel columns (0..16) and the digit as its class."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    numeric = [f"px{i:02d}" for i in range(bunch.data.shape[1])]
    frame = pd.DataFrame(bunch.data.astype(float), columns=numeric)
    frame["digit"] = pd.Series(bunch.target).map(lambda d: f"d{d}")
    return _split(
        "digits", "sklearn.datasets.load_digits", frame, (1000, 300, 497), numeric, [], "digit"
    )


def breast_cancer() -> Dataset:
    """scikit-learn's Wisconsin breast cancer: 30 continuous columns and the diagnosis."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    numeric = [f"c{i:02d}" for i in range(bunch.data.shape[1])]
    frame = pd.DataFrame(bunch.data, columns=numeric)
    frame["diagnosis"] = pd.Series(bunch.target).map({0: "malignant", 1: "benign"})
    return _split(
        "breast_cancer",
        "sklearn.datasets.load_breast_cancer",
        frame,
        (320, 100, 149),
        numeric,
        [],
        "diagnosis",
    )


def fair() -> Dataset:
    """statsmodels' Fair (1978) affairs survey: 6 coded numeric columns, 2 occupations, a class.

    The class is whether any affair was reported (the ``affairs`` count itself is dropped: the
    class is derived from it). Occupation 1 (0.6 %) and 6 (1.7 %) are rare categories.
    """
    from statsmodels.datasets import fair as fair_data

    raw = fair_data.load_pandas().data
    numeric = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
    frame = raw[numeric].astype(float).copy()
    for column in ("occupation", "occupation_husb"):
        frame[column] = raw[column].map(lambda v: f"o{int(v)}")
    frame["affair"] = np.where(raw["affairs"] > 0, "yes", "no")
    return _split(
        "fair",
        "statsmodels.datasets.fair",
        frame,
        (1500, 500, 1500),
        numeric,
        ["occupation", "occupation_husb"],
        "affair",
    )


def randhie() -> Dataset:
    """statsmodels' RAND Health Insurance Experiment (Deb and Trivedi 2002): heavy-tailed counts.

    Outpatient visits ``mdvis`` (skewness 4.8, excess kurtosis 42: 0 in 31 % of rows, 21 at the
    99th percentile, 77 at most) and the disease count ``disea`` (skewness 1.2, up to 58.6) beside
    the plan's log coinsurance, log participation incentive and log maximum expenditure, and the
    number of limitations; the self-rated health (one-hot ``hlthg``/``hlthf``/``hlthp`` in the
    source, "excellent" where all three are 0; poor is 1.5 %) is the nominal column, the
    individual deductible plan ``idp`` the class. 2,000 of the 20,190 person-years are the
    reference: at q = 1 % the tails then hold 20 rows, enough for the tail checks to judge them.
    """
    from statsmodels.datasets import randhie as randhie_data

    raw = randhie_data.load_pandas().data
    numeric = ["mdvis", "lncoins", "lpi", "fmde", "physlm", "disea"]
    frame = raw[numeric].astype(float).copy()
    worst_first = [raw["hlthp"] > 0, raw["hlthf"] > 0, raw["hlthg"] > 0]
    health = np.select(worst_first, ["poor", "fair", "good"], "excellent")
    frame["health"] = health.astype(object)
    frame["idp"] = np.where(raw["idp"] > 0, "yes", "no").astype(object)
    return _split(
        "randhie",
        "statsmodels.datasets.randhie",
        frame,
        (2000, 500, 1500),
        numeric,
        ["health"],
        "idp",
    )


DATASETS = {"digits": digits, "breast_cancer": breast_cancer, "fair": fair, "randhie": randhie}
GRID_DATASETS = ("digits", "breast_cancer", "fair")  # the grid's; randhie serves a control


def load(name: str) -> Dataset:
    """The named data set, split."""
    return DATASETS[name]()
