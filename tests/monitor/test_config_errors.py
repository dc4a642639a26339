"""Config errors (issue 27): one key notation (``tailwatch validate``'s), the TOML line, and
"did you mean" for an unknown key, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config_errors import key_notation, toml_line

CONFIG = """\
[storage]
path = "tw.duckdb"

[[generators]]
name = "claims-gan"
reference = "real/*.parquet"
versions = "versions/*"
sampel_size = 5000

[generators.checks]
persistance = 3

[[generators]]
name = "other"
reference = "real/*.parquet"
sample_size = "many"

[exporter]
prot = 9108

[storag]
path = "x"
"""


def test_errors_name_line_key_and_near_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tailwatch.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    lines = set(capsys.readouterr().err.splitlines()[1:])
    assert lines == {
        "  line 8: generators[0] (claims-gan).sampel_size: unknown key; "
        "did you mean 'sample_size'?",
        "  line 11: generators[0] (claims-gan).checks.persistance: unknown key; "
        "did you mean 'persistence'?",
        "  line 16: generators[1] (other).sample_size: Input should be a valid integer, "
        "unable to parse string as an integer",
        "  line 19: exporter.prot: unknown key; did you mean 'port'?",
        "  line 21: storag: unknown key; did you mean 'storage'?",
    }


def test_a_key_far_from_every_known_one_gets_no_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tailwatch.toml"
    config.write_text('[exporter]\nport = 9108\nzzz = 1\n[[generators]]\nname = "g"\n')
    assert main(["status", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "  line 3: exporter.zzz: unknown key\n" in err
    # a missing key: the line of its table
    assert "  line 4: generators[0] (g).reference: Field required" in err


def test_validate_and_settings_share_the_notation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key ``validate`` reports after loading reads as the loader's own errors do."""
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        '[storage]\npath = "tw.duckdb"\n[[generators]]\nname = "claims-gan"\n'
        'reference = "nothing/*.parquet"\nversions = "versions/*"\n',
        encoding="utf-8",
    )
    assert main(["validate", "--config", str(config), "--no-port"]) != 0
    assert "generators[0] (claims-gan).reference:" in capsys.readouterr().out
    assert key_notation(
        ["generators", 0, "reference"], {"generators": [{"name": "claims-gan"}]}
    ) == ("generators[0] (claims-gan).reference")


def test_toml_line_follows_tables_and_arrays() -> None:
    text = '[a]\nx = 1\n[[b]]\ny = 2\n[[b]]\n"y" = 3\n[b.c]\nz.w = 4\n'
    assert toml_line(["a", "x"], text) == 2
    assert toml_line(["b", 0, "y"], text) == 4
    assert toml_line(["b", 1, "y"], text) == 6
    assert toml_line(["b", 1, "c", "z", "w"], text) == 8
    assert toml_line(["b", 1, "missing"], text) == 5  # its table
    assert toml_line(["nowhere", "x"], text) is None
