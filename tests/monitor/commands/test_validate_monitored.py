"""``monitored_columns`` (the per-feature gauges' columns) is checked before work starts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from monitor.commands.validate import validate_settings
from monitor.settings import ConfigError, load_settings


def _config(tmp_path: Path, extra: str) -> Path:
    frame = pd.DataFrame({"amount": [float(i) for i in range(40)], "region": ["a", "b"] * 20})
    frame.to_parquet(tmp_path / "real.parquet", index=False)
    (tmp_path / "versions").mkdir(exist_ok=True)
    frame.to_parquet(tmp_path / "versions" / "v1.parquet", index=False)
    path = tmp_path / "tailwatch.toml"
    path.write_text(
        '[[generators]]\nname = "gan"\nreference = "real.parquet"\nversions = "versions/*"\n'
        + extra,
        encoding="utf-8",
    )
    return path


def test_a_monitored_column_that_does_not_exist_is_named(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, 'monitored_columns = ["amount", "regoin"]\n'))
    problems = validate_settings(settings, exporter=False)
    named = [p for p in problems if p.key.endswith(".monitored_columns")]
    key = "generators[0] (gan).monitored_columns"
    assert [(p.key, p.column) for p in named] == [(key, "regoin")]
    assert "column 'regoin' does not exist" in named[0].message


def test_existing_monitored_columns_pass(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, 'monitored_columns = ["region", "amount"]\n'))
    assert settings.generators[0].monitored_columns == ["region", "amount"]
    assert settings.generators[0].top_drifting_columns == 10
    problems = validate_settings(settings, exporter=False)
    assert not [p for p in problems if "monitored" in p.key]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ('monitored_columns = ["amount", "amount"]\n', "duplicate monitored column 'amount'"),
        ('columns = ["amount"]\nmonitored_columns = ["region"]\n', "not in 'columns'"),
        ("monitored_columns = []\n", "monitored_columns"),
        ("top_drifting_columns = 1000\n", "top_drifting_columns"),
    ],
)
def test_settings_refuse_a_bad_selection(tmp_path: Path, extra: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        load_settings(_config(tmp_path, extra))
