"""Rows without a sequence key (issue 28): real panels with blanked entity and time values are
left out and counted, never refused, the same way in the reference, the holdout and the versions;
checked against pandas' own dropna on statsmodels' fertility and Mauna Loa CO2 panels."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.recipe import ReferenceRecipe
from collectors.sources.entities import (
    MISSING_KEY_SHARE,
    drop_missing_keys,
    entity_count,
    sample_entities,
    split_entities,
)
from monitor.demo.sequence_data import co2_weekly, fertility_panel
from monitor.measure import measure_versions


def _blank(frame: pd.DataFrame, column: str, rows: int, seed: int) -> pd.DataFrame:
    """``frame`` with ``column`` missing in ``rows`` seeded rows."""
    out = frame.copy()
    where = np.random.default_rng(seed).choice(len(out), size=rows, replace=False)
    out.loc[out.index[where], column] = None
    return out


def test_rows_without_entity_or_time_are_dropped_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = fertility_panel()
    frame = _blank(_blank(data.frame, "country", 40, 1), "year", 25, 2)
    expected = frame.dropna(subset=["country", "year"]).reset_index(drop=True)
    no_entity = int(frame["country"].isna().sum())
    no_time = int((frame["year"].isna() & frame["country"].notna()).sum())
    with caplog.at_level(logging.WARNING, logger="tailwatch.sequences"):
        kept, missing = drop_missing_keys(frame, "country", "year", "version 'v3'")
    pd.testing.assert_frame_equal(kept, expected)
    assert (missing.entity, missing.time, missing.rows) == (no_entity, no_time, len(frame))
    assert missing.entity == 40 and missing.dropped == len(frame) - len(expected)
    assert missing.share == pytest.approx((len(frame) - len(expected)) / len(frame))
    assert "version 'v3'" in missing.note() and "'country' (entity_column)" in missing.note()
    assert "'year' (time_column)" in missing.note()
    (record,) = [r for r in caplog.records if r.name == "tailwatch.sequences"]
    assert record.__dict__["entity_missing_rows"] == no_entity
    assert record.__dict__["time_missing_rows"] == no_time
    assert record.__dict__["source"] == "version 'v3'"
    clean, none = drop_missing_keys(data.frame, "country", "year", "reference")
    assert none.dropped == 0 and none.note() == "" and clean is data.frame


def test_a_missing_key_is_never_drawn_as_an_entity() -> None:
    frame = _blank(fertility_panel().frame, "country", 30, 3)
    keyed = frame["country"].notna()
    assert entity_count(frame, "country") == 219
    whole = sample_entities(frame, "country", None, 0)
    assert len(whole) == int(keyed.sum()) and whole["country"].notna().all()
    drawn = sample_entities(frame, "country", 250, 0)  # more than there are: all keyed rows
    assert len(drawn) == int(keyed.sum())
    reference, holdout = split_entities(frame, "country", 40, 0)
    assert len(reference) + len(holdout) == int(keyed.sum())
    assert entity_count(holdout, "country") == 40


def test_reference_and_holdout_leave_out_and_name_rows_without_a_key() -> None:
    data = co2_weekly()
    frame = data.frame
    keys = np.array(sorted(frame["quarter"].unique()))
    reference = frame[frame["quarter"].isin(keys[:120])]
    holdout = frame[frame["quarter"].isin(keys[120:])]
    reference = _blank(_blank(reference, "quarter", 9, 4), "week", 6, 5)
    holdout = _blank(holdout, "week", 4, 6)
    recipe = ReferenceRecipe(
        entity_column="quarter", time_column="week", structure=None, mixing=None, gates=False
    )
    fitted = recipe.fit(reference, holdout=holdout, label="reference (co2)")
    assert len(fitted.reference) == len(reference.dropna(subset=["quarter", "week"]))
    assert len(fitted.holdout) == len(holdout) - 4
    assert fitted.reference[["quarter", "week"]].notna().all().all()
    assert len(fitted.notes) == 2
    assert fitted.notes[0].startswith("reference (co2): 15 of")
    assert fitted.notes[1].startswith("holdout of reference (co2): 4 of")
    # Without a configured holdout the split takes whole keyed entities.
    split = recipe.fit(reference, label="reference (co2)")
    assert len(split.reference) + len(split.holdout) == len(fitted.reference)
    assert len(split.notes) == 1


def test_versions_with_blanked_keys_measure_as_their_keyed_rows() -> None:
    data = co2_weekly()
    frame = data.frame
    keys = np.array(sorted(frame["quarter"].unique()))
    np.random.default_rng(7).shuffle(keys)
    real = frame[frame["quarter"].isin(keys[:120])].reset_index(drop=True)
    fresh = frame[frame["quarter"].isin(keys[120:])].reset_index(drop=True)
    blanked = _blank(_blank(fresh, "quarter", 12, 8), "week", 8, 9)
    kept = blanked.dropna(subset=["quarter", "week"]).reset_index(drop=True)
    share = 1 - len(kept) / len(blanked)
    real_blanked = _blank(real, "week", 5, 10)
    measured, clean = (
        measure_versions(
            real_blanked, {"v1": v}, entity_column="quarter", time_column="week", cache=False
        )
        for v in (blanked, kept)
    )
    figures = measured.versions[0].figures
    assert figures[MISSING_KEY_SHARE] == pytest.approx(share)
    assert share > 0.0 and clean.versions[0].figures[MISSING_KEY_SHARE] == 0.0
    for name in ("sequence_length_ks", "gap_ks", "autocorr_diff_max", "transition_tv_max"):
        assert figures[name] == pytest.approx(clean.versions[0].figures[name]), name
    assert any(note.startswith("version 'v1': 20 of") for note in measured.notes)
    assert any("'week' (time_column)" in note and "real" not in note for note in measured.notes)


def test_check_reads_a_version_without_its_keyless_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.commands.check import _read

    frame = _blank(_blank(co2_weekly().frame, "quarter", 10, 11), "week", 7, 12)
    frame.to_parquet(tmp_path / "v2.parquet", index=False)
    shares: dict[str, float] = {}
    rows = _read(str(tmp_path / "v2.parquet"), "version", None, 0, "quarter", "week", shares)
    kept = frame.dropna(subset=["quarter", "week"])
    assert len(rows) == len(kept) and rows[["quarter", "week"]].notna().all().all()
    assert shares == {"version": pytest.approx(1 - len(kept) / len(frame))}
    assert f"note: version ({tmp_path / 'v2.parquet'}): {len(frame) - len(kept)} of" in (
        capsys.readouterr().err
    )
