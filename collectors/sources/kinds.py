"""What a reference column holds and how its values become numbers.

Helpers of :mod:`collectors.sources.features`: datetimes as epoch seconds (with their time zone),
identifier and free-text columns recognised (they carry no distribution to compare), and a
scaling that survives a few extreme finite values (Tailwatch issue 25, item 4).
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "CLIP",
    "EXTREME_RATIO",
    "clip_scaled",
    "epoch_seconds",
    "excluded_reason",
    "id_name",
    "is_datetime",
    "scale",
    "time_zone",
]

EXTREME_RATIO = 1e4  # std above this many robust spreads: a few extreme values dominate it
CLIP = 1e6  # scaled values beyond +-CLIP are clipped (|z| <= sqrt(N) under standard scaling)
ID_MIN_ROWS = 20  # fewer rows than this: never call a column an identifier
ID_UNIQUE_SHARE = 0.5  # strings with more distinct values than this share of rows: identifiers
TEXT_MIN_CHARS = 40  # strings whose median length reaches this ...
TEXT_MIN_WORDS = 5  # ... or whose median word count reaches this: free text
_ID_NAME = re.compile(r"(^|[_\-\s.])(id|uuid|guid|key)$|^(id|uuid)([_\-\s.]|$)|[a-z](Id|ID)$")
_NORMAL_90 = 3.289707253902945  # width of the central 90 % of a standard normal


def is_datetime(series: pd.Series) -> bool:
    """Datetime dtypes (naive or time-zone aware, numpy or Arrow) and object columns of dates."""
    dtype = series.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        return True
    if isinstance(dtype, pd.ArrowDtype) and "timestamp" in str(dtype.pyarrow_dtype):
        return True
    if isinstance(dtype, pd.ArrowDtype) and "date" in str(dtype.pyarrow_dtype):
        return True
    if ptypes.is_object_dtype(dtype):
        present = series.dropna()
        return bool(len(present)) and all(
            isinstance(v, dt.date | np.datetime64) for v in present.iloc[:50]
        )
    return False


def time_zone(series: pd.Series) -> str:
    """The column's time zone name, "" for naive datetimes (and date columns)."""
    tz = getattr(series.dtype, "tz", None)
    if tz is None and isinstance(series.dtype, pd.ArrowDtype):
        tz = getattr(series.dtype.pyarrow_dtype, "tz", None)
    if tz is None and ptypes.is_object_dtype(series.dtype):
        present = series.dropna()
        first = present.iloc[0] if len(present) else None
        tz = getattr(first, "tzinfo", None)
    return "" if tz is None else str(tz)


def epoch_seconds(series: pd.Series, where: str, reference_zone: str | None) -> np.ndarray:
    """Seconds since 1970-01-01 UTC as float64, NaN where missing (NaT/None).

    Aware datetimes are converted to UTC; naive ones are read as they are. ``reference_zone`` (the
    reference's zone, "" for naive; None while fitting) must agree in awareness: a naive version
    of an aware reference (or the reverse) is ambiguous and raises ``ValueError`` naming both.
    """
    zone = time_zone(series)
    if reference_zone is not None and bool(zone) != bool(reference_zone):
        now = f"time-zone aware ({zone})" if zone else "naive"
        then = f"aware ({reference_zone})" if reference_zone else "naive"
        raise ValueError(
            f"{where} holds {now} datetimes but the reference's are {then}: a time zone "
            "mismatch; convert both to one zone (or both to naive UTC)"
        )
    try:
        values = pd.to_datetime(series, utc=bool(zone))
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{where} cannot be read as datetimes ({error})") from error
    if zone:
        values = values.dt.tz_localize(None)
    array = values.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(array)
    seconds = array.astype(np.int64).astype(np.float64) / 1e6
    seconds[missing] = np.nan
    return seconds


def id_name(name: str) -> bool:
    """Whether a column name says identifier (``id``, ``user_id``, ``userId``, ``key``)."""
    return bool(_ID_NAME.search(name) or _ID_NAME.search(name.lower()))


def excluded_reason(series: pd.Series, name: str) -> str | None:
    """Why an unconfigured column should not be measured: an identifier or free text, else None.

    Identifiers: strings unique per row or with more distinct values than ``ID_UNIQUE_SHARE`` of
    the rows, or integers unique per row whose name says id/key. Free text: strings whose median
    length reaches ``TEXT_MIN_CHARS`` or median word count ``TEXT_MIN_WORDS``.
    """
    present = series.dropna()
    rows = len(present)
    if rows < ID_MIN_ROWS:
        return None
    dtype = series.dtype
    if ptypes.is_integer_dtype(dtype) and not ptypes.is_bool_dtype(dtype):
        if id_name(name) and present.nunique() == rows:
            return f"identifier: an integer unique in each of the {rows} rows"
        return None
    is_text = ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype)
    if not is_text or not all(isinstance(v, str) for v in present.iloc[:200]):
        return None
    text = present.astype(str)
    if text.str.len().median() >= TEXT_MIN_CHARS or (
        text.str.split().str.len().median() >= TEXT_MIN_WORDS
    ):
        return "free text; measure it as a text generator with text_column"
    distinct = text.nunique()
    if distinct == rows or distinct > ID_UNIQUE_SHARE * rows:
        return f"identifier: {distinct} distinct strings in {rows} rows"
    return None


def scale(values: np.ndarray) -> tuple[float, float, bool]:
    """(centre, spread, robust) of a column's observed finite values.

    The standard scaling (mean, std; std 1 for a constant column) unless a few extreme values
    dominate it: when the mean or std overflows, or the std exceeds ``EXTREME_RATIO`` robust
    spreads, the centre is the median and the spread the central 90 % range over its normal width
    (3.29; Huber and Ronchetti 2009, sec. 5.1, quantile-based scale), so the bulk of the rows keeps
    its geometry and the extremes are clipped at ``CLIP`` spreads.
    """
    if values.size == 0:
        return 0.0, 1.0, False
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(values.mean()), float(values.std())
        low, high = np.quantile(values, [0.05, 0.95])
        robust = float(high - low) / _NORMAL_90
    fine = math.isfinite(mean) and math.isfinite(std)
    if fine and not (robust > 0 and math.isfinite(robust) and std > EXTREME_RATIO * robust):
        return mean, std if std > 0 else 1.0, False
    centre = float(np.median(values))
    spread = robust if robust > 0 and math.isfinite(robust) else 1.0
    return centre, spread, True


def clip_scaled(values: np.ndarray, centre: float, spread: float) -> np.ndarray:
    """``(values - centre) / spread`` clipped at +-``CLIP``, without overflow warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (values - centre) / spread
    return np.clip(scaled, -CLIP, CLIP)
