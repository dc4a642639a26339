"""Tests of monitor.settings: real TOML files in tmp_path, real environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.settings import ConfigError, Settings, load_settings

EXAMPLE = """
[storage]
path = "tailwatch.duckdb"
duckdb_memory_limit = "2GB"
[exporter]
host = "127.0.0.1"
port = 9108
[scheduler]
misfire_grace_seconds = 300
retry_initial_seconds = 60
retry_max_seconds = 3600
retry_max_attempts = 5
[[generators]]
name = "claims-gan"
reference = "data/real/*.parquet"
holdout = "data/holdout/*.parquet"
versions = "data/versions/*"
sampler = "package.module:function"
sampler_timeout_seconds = 600
columns = ["age", "amount", "region"]
categorical = ["region"]
sample_size = 5000
reference_size = 20000
k = 5
regions = 20
seed = 0
interval_seconds = 60
[[corpora]]
name = "pretrain-mix"
snapshots = "data/corpus/*"
content_columns = ["text"]
provenance_column = "provenance"
generator_column = "generator"
provenance_labels = { human = "human", synthetic = "synthetic" }
max_synthetic_fraction = 0.30
human_only = false
interval_seconds = 300
[[synthetic_dumps]]
name = "chatbot-v3-dump"
path = "data/synthetic/*.parquet"
content_columns = ["text"]
generator = "chatbot"
[reports]
interval_seconds = 604800
out_dir = "reports"
keep = 10
"""

GENERATOR = """
[[generators]]
name = "{name}"
reference = "real/*.parquet"
versions = "versions/*"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TAILWATCH_ variable of the developer's shell leaks in; cwd is an empty folder."""
    for key in list(os.environ):
        if key.upper().startswith("TAILWATCH_"):
            monkeypatch.delenv(key)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)


def write(tmp_path: Path, text: str, folder: str = "conf") -> Path:
    """Write ``text`` as ``<tmp>/<folder>/tailwatch.toml``."""
    path = tmp_path / folder / "tailwatch.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def test_example_loads(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    settings = load_settings(write(tmp_path, EXAMPLE))
    assert isinstance(settings, Settings)
    assert settings.config_dir == conf.resolve()
    assert settings.config_file == (conf / "tailwatch.toml").resolve()
    assert settings.storage.path == str(conf / "tailwatch.duckdb")
    assert settings.storage.duckdb_memory_limit == "2GB"
    assert (settings.exporter.host, settings.exporter.port) == ("127.0.0.1", 9108)
    assert settings.scheduler.retry_max_attempts == 5
    (gen,) = settings.generators
    assert gen.name == "claims-gan"
    assert gen.reference == str(conf / "data/real/*.parquet")
    assert gen.holdout == str(conf / "data/holdout/*.parquet")
    assert gen.versions == str(conf / "data/versions/*")
    assert gen.sampler == "package.module:function"
    assert gen.columns == ["age", "amount", "region"]
    assert gen.categorical == ["region"]
    assert (gen.sample_size, gen.reference_size, gen.k, gen.regions) == (5000, 20000, 5, 20)
    (corpus,) = settings.corpora
    assert corpus.snapshots == str(conf / "data/corpus/*")
    assert corpus.provenance_labels == {"human": "human", "synthetic": "synthetic"}
    assert corpus.max_synthetic_fraction == pytest.approx(0.3)
    (dump,) = settings.synthetic_dumps
    assert dump.path == str(conf / "data/synthetic/*.parquet")
    assert dump.generator == "chatbot"
    assert settings.reports.interval_seconds == 604800
    assert settings.reports.out_dir == str(conf / "reports")


def test_defaults_without_file(tmp_path: Path) -> None:
    settings = load_settings(None)
    cwd = tmp_path / "cwd"
    assert settings.config_file is None
    assert settings.config_dir == cwd.resolve()
    assert settings.exporter.host == "127.0.0.1"
    assert settings.storage.path == str(cwd.resolve() / "tailwatch.duckdb")
    assert settings.generators == [] and settings.reports.interval_seconds is None


def test_default_file_in_cwd_is_read(tmp_path: Path) -> None:
    (tmp_path / "cwd" / "tailwatch.toml").write_text("[exporter]\nport = 9300\n")
    assert load_settings(None).exporter.port == 9300


def test_missing_explicit_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    assert str(missing) in config_error(missing)


def test_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, EXAMPLE)
    monkeypatch.setenv("TAILWATCH_EXPORTER__PORT", "9200")
    settings = load_settings(path)
    assert settings.exporter.port == 9200
    assert settings.exporter.host == "127.0.0.1"  # the rest of [exporter] still from the file
    assert settings.generators[0].name == "claims-gan"


def test_env_override_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAILWATCH_EXPORTER__PORT", "70000")
    assert "exporter.port" in config_error(write(tmp_path, EXAMPLE))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("bogus = 1\n", "bogus"),
        ("[exporter]\nprot = 9108\n", "exporter.prot"),
        (EXAMPLE.replace("seed = 0", "seed = 0\nsead = 1"), "generators[0] (claims-gan).sead"),
    ],
)
def test_unknown_key_fails_naming_it(tmp_path: Path, text: str, key: str) -> None:
    message = config_error(write(tmp_path, text))
    assert f"{key}: unknown key" in message  # the notation of tailwatch validate


def test_wrong_type_fails_naming_it(tmp_path: Path) -> None:
    text = EXAMPLE.replace("sample_size = 5000", 'sample_size = "many"')
    message = config_error(write(tmp_path, text))
    assert "generators[0] (claims-gan).sample_size: Input should be a valid integer" in message


def test_relative_paths_resolve_against_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    text = (
        '[storage]\npath = "../state/tw.duckdb"\n'
        '[reports]\nout_dir = "~/reports"\n' + GENERATOR.format(name="g")
    )
    settings = load_settings(write(tmp_path, text, folder="etc/tailwatch"))
    conf = tmp_path / "etc" / "tailwatch"
    assert settings.storage.path == str(tmp_path / "etc" / "state" / "tw.duckdb")
    assert settings.reports.out_dir == str(home / "reports")
    assert settings.generators[0].reference == str(conf / "real/*.parquet")
    assert settings.generators[0].versions == str(conf / "versions/*")
    assert not settings.generators[0].reference.startswith(str(tmp_path / "cwd"))


@pytest.mark.parametrize("section", ["generators", "corpora"])
def test_duplicate_names_rejected(tmp_path: Path, section: str) -> None:
    if section == "generators":
        text = GENERATOR.format(name="same") + GENERATOR.format(name="same")
    else:
        text = '[[corpora]]\nname = "same"\nsnapshots = "a/*"\n' * 2
    message = config_error(write(tmp_path, text))
    assert f"{section}: duplicate name 'same'" in message


@pytest.mark.parametrize("name", ["bad name", "-leading-dash", "x" * 65, 'quote"', "ünïcode"])
def test_bad_name_rejected(tmp_path: Path, name: str) -> None:
    text = GENERATOR.format(name=name.replace('"', '\\"'))
    message = config_error(write(tmp_path, text))
    assert ").name: String should match pattern" in message and "generators[0] (" in message


def test_good_names_accepted(tmp_path: Path) -> None:
    text = GENERATOR.format(name="Claims_GAN-v2.1") + GENERATOR.format(name="x" * 64)
    assert len(load_settings(write(tmp_path, text)).generators) == 2


def test_tls_half_configured_rejected(tmp_path: Path) -> None:
    cert = tmp_path / "conf" / "cert.pem"
    cert.parent.mkdir(parents=True)
    cert.write_text("cert")
    message = config_error(write(tmp_path, '[exporter]\ntls_certfile = "cert.pem"\n'))
    assert "exporter: tls_certfile and tls_keyfile must be given together" in message


def test_tls_files_must_exist(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "cert.pem").write_text("cert")
    text = '[exporter]\ntls_certfile = "cert.pem"\ntls_keyfile = "key.pem"\n'
    message = config_error(write(tmp_path, text))
    assert f"exporter.tls_keyfile: file {conf / 'key.pem'} does not exist" in message
    (conf / "key.pem").write_text("key")
    exporter = load_settings(conf / "tailwatch.toml").exporter
    assert exporter.tls_certfile == str(conf / "cert.pem")
    assert exporter.tls_keyfile == str(conf / "key.pem")


def test_basic_auth_takes_a_hash_never_a_password(tmp_path: Path) -> None:
    digest = "AB" * 32
    text = f'[exporter]\nbasic_auth_username = "prom"\nbasic_auth_password_sha256 = "{digest}"\n'
    exporter = load_settings(write(tmp_path, text)).exporter
    assert exporter.basic_auth_password_sha256 == digest.lower()
    assert digest.lower() not in repr(exporter)
    plain = '[exporter]\nbasic_auth_username = "prom"\nbasic_auth_password = "hunter2"\n'
    assert "never a plain password" in config_error(write(tmp_path, plain, folder="b"))
    half = '[exporter]\nbasic_auth_username = "prom"\n'
    assert "must be given together" in config_error(write(tmp_path, half, folder="c"))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "k = 5",
            "k = 0",
            "(claims-gan).k: Input should be greater than or equal to 1",
        ),
        ("sample_size = 5000", "sample_size = 5", "sample_size (5) must be > k (5)"),
        ("port = 9108", "port = 0", "exporter.port: Input should be greater than or equal to 1"),
        ("port = 9108", "port = 65536", "exporter.port: Input should be less than or equal to"),
        (
            "interval_seconds = 60\n",
            "interval_seconds = 0\n",
            "generators[0] (claims-gan).interval_",
        ),
        (
            "interval_seconds = 300",
            "interval_seconds = -1",
            "corpora[0] (pretrain-mix).interval_",
        ),
        (
            "max_synthetic_fraction = 0.30",
            "max_synthetic_fraction = 1.5",
            "(pretrain-mix).max_synth",
        ),
        ('categorical = ["region"]', 'categorical = ["zip"]', "not in 'columns'"),
        (
            'sampler = "package.module:function"',
            'sampler = "no colon"',
            "(claims-gan).sampler",
        ),
        ('duckdb_memory_limit = "2GB"', 'duckdb_memory_limit = "lots"', "storage.duckdb_memory"),
        ("retry_max_seconds = 3600", "retry_max_seconds = 1", "retry_max_seconds must be >="),
    ],
)
def test_invalid_values_rejected(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert EXAMPLE.count(old) == 1
    assert expected in config_error(write(tmp_path, EXAMPLE.replace(old, new)))


def test_generator_without_sampler_needs_versions(tmp_path: Path) -> None:
    text = '[[generators]]\nname = "g"\nreference = "real/*.parquet"\n'
    message = config_error(write(tmp_path, text))
    assert "generators[0] (g): a generator without 'sampler' must have 'versions'" in message
    with_sampler = text + 'sampler = "pkg.mod:sample"\n'
    assert load_settings(write(tmp_path, with_sampler, folder="b")).generators[0].versions is None


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[exporter\nport = 1\n")
    assert str(path) in config_error(path)
