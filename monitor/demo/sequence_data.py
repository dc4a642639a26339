"""Real sequence data shipped inside an installed package, as event tables (issue 28).

Both come from ``statsmodels.datasets`` (statsmodels is a dependency of the test extra and of
the demo), read from the package's own files, nothing downloaded:

- :func:`fertility_panel`: World Bank total fertility rate (births per woman) of 219 countries
  and regions, one event per country and year 1960-2013 (statsmodels' ``fertility``, melted);
  entity ``country``, time ``year`` (a number), numeric ``fertility`` (real missing values kept as
  NaN) and categorical ``stage``: the demographic band the year's rate falls in (below
  replacement < 2.1, 2.1-3, 3-4, 4-5, 5+; missing where the rate is). Strong carry-over (lag-1
  r about 0.9 within a country) and persistent stages: the panel for autocorrelation and
  transitions.
- :func:`co2_weekly`: weekly CO2 concentration at Mauna Loa, March 1958 - December 2001
  (statsmodels' ``co2``; Keeling et al., NOAA), with its real timestamps and missing weeks;
  entity ``quarter`` (each calendar quarter a sequence of about 13 weekly readings), time
  ``week`` (a timestamp), numeric ``co2`` (ppm; missing readings kept as NaN) and categorical
  ``trend``: whether the reading rose from the one before (``up``/``down``; missing when either is).
  The panel with timestamps: gaps in seconds and a calendar rhythm (every reading a Saturday).

Other statsmodels series (macrodata, sunspots, nile, elnino) are single series; grunfeld has 11
firms, too few entities for healthy levels. No small package ships a real event log with an hour
of day; the rhythm figures are tested on these timestamps and on constructed logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SequenceData", "co2_weekly", "fertility_panel"]

_STAGES = (0.0, 2.1, 3.0, 4.0, 5.0, np.inf)
_STAGE_LABELS = ("below replacement", "2.1-3", "3-4", "4-5", "5+")


@dataclass(frozen=True)
class SequenceData:
    """An event table and the roles of its columns."""

    frame: pd.DataFrame
    entity: str
    time: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    source: str


def _datasets() -> Any:
    """``statsmodels.datasets``, or an error that says how to install it."""
    try:
        from statsmodels import datasets  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError(
            "the real sequence panels ship inside statsmodels, which is not installed: "
            "pip install 'tailwatch[sequences]' (statsmodels; also in the test and bench extras)"
        ) from error
    return datasets


def fertility_panel() -> SequenceData:
    """World Bank fertility by country and year (see the module docstring)."""
    wide = _datasets().fertility.load_pandas().data
    years = [c for c in wide.columns if str(c).isdigit()]
    frame = wide.melt(
        id_vars=["Country Code"], value_vars=years, var_name="year", value_name="fertility"
    ).rename(columns={"Country Code": "country"})
    frame["year"] = frame["year"].astype(np.int64)
    frame["fertility"] = frame["fertility"].astype(np.float64)
    stage = pd.cut(frame["fertility"], _STAGES, labels=_STAGE_LABELS, right=False)
    frame["stage"] = stage.astype(object).where(stage.notna(), None)
    frame = frame.sort_values(["country", "year"], kind="stable").reset_index(drop=True)
    return SequenceData(
        frame, "country", "year", ("fertility",), ("stage",), "statsmodels.datasets.fertility"
    )


def co2_weekly() -> SequenceData:
    """Mauna Loa weekly CO2, one sequence per calendar quarter (see the module docstring)."""
    series = _datasets().co2.load_pandas().data["co2"].astype(np.float64)
    frame = pd.DataFrame({"week": pd.DatetimeIndex(series.index), "co2": series.to_numpy()})
    frame["quarter"] = frame["week"].dt.to_period("Q").astype(str)
    rise = frame.groupby("quarter")["co2"].diff()
    frame["trend"] = np.where(rise > 0, "up", "down").astype(object)
    frame.loc[rise.isna(), "trend"] = None
    return SequenceData(
        frame[["quarter", "week", "co2", "trend"]],
        "quarter",
        "week",
        ("co2",),
        ("trend",),
        "statsmodels.datasets.co2",
    )
