"""The real sequence panels shipped in statsmodels, as event tables (monitor/demo/sequence_data)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from monitor.demo.sequence_data import co2_weekly, fertility_panel


def test_fertility_panel_is_the_melted_world_bank_table() -> None:
    data = fertility_panel()
    frame = data.frame
    assert (data.entity, data.time, data.numeric, data.categorical) == (
        "country",
        "year",
        ("fertility",),
        ("stage",),
    )
    assert frame["country"].nunique() == 219 and (frame.groupby("country").size() == 54).all()
    assert frame["fertility"].isna().sum() > 0  # real gaps kept, never dropped
    assert frame.loc[frame["fertility"].isna(), "stage"].isna().all()
    usa = frame[(frame["country"] == "USA") & (frame["year"] == 1960)]
    assert usa["fertility"].iloc[0] == pytest.approx(3.654)
    below = frame[frame["fertility"] < 2.1]["stage"].unique()
    assert list(below) == ["below replacement"]


def test_co2_quarters_keep_the_real_timestamps_and_missing_readings() -> None:
    data = co2_weekly()
    frame = data.frame
    assert pd.api.types.is_datetime64_any_dtype(frame["week"])
    assert frame["quarter"].nunique() == 176
    assert frame["co2"].isna().sum() > 0
    assert (frame["week"].dt.dayofweek == 5).all()  # every reading a Saturday
    rose = frame.groupby("quarter")["co2"].diff()
    assert (frame.loc[rose > 0, "trend"] == "up").all()
    assert (frame.loc[rose <= 0, "trend"] == "down").all()
    assert frame.loc[rose.isna(), "trend"].isna().all()
    assert np.all(frame.groupby("quarter")["week"].diff().dropna() == pd.Timedelta(days=7))


def test_without_statsmodels_the_error_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['statsmodels'] = None\n"
        "from monitor.demo.sequence_data import fertility_panel\n"
        "fertility_panel()\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "pip install 'tailwatch[sequences]'" in run.stderr
