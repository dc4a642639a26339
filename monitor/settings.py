"""Tailwatch configuration: a TOML file with ``TAILWATCH_`` environment overrides.

Environment variables win over the file and nest with ``__``
(``TAILWATCH_EXPORTER__PORT=9200``). Every relative path or glob, from the file or the
environment, is resolved against the config file's folder (the cwd when there is no file),
``~`` expanded, and kept as an absolute string. Unknown keys and wrong values fail at start-up
with a :class:`ConfigError` that names each bad key.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from collectors.constraints import check_sample_size
from monitor.checks import CheckThresholds, on_change, threshold_table
from monitor.config_errors import format_errors

DEFAULT_CONFIG_NAME = "tailwatch.toml"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ConfigError(ValueError):
    """The configuration cannot be used; the message names each bad key."""


@dataclass(frozen=True)
class _LoadContext:
    config_file: Path | None
    config_dir: Path


_CONTEXT: ContextVar[_LoadContext | None] = ContextVar("tailwatch_settings_load", default=None)


def _context() -> _LoadContext:
    return _CONTEXT.get() or _LoadContext(None, Path.cwd().resolve())


def _resolve_path(value: str) -> str:
    """Expand ``~`` and anchor a relative path or glob at the config folder; a URL
    (``s3://bucket/corpus/*``, :mod:`collectors.sources.storage`) is kept as it is."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", value):
        if "@" in value.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError("credentials in a URL are not accepted; use the environment")
        return value
    expanded = os.path.expanduser(value)
    return os.path.normpath(os.path.join(_context().config_dir, expanded))


# A path or glob; stored absolute. A name becomes a Prometheus label value and a folder name.
ConfigPath = Annotated[str, StringConstraints(min_length=1), AfterValidator(_resolve_path)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Seconds = Annotated[float, Field(gt=0)]
BudgetFrom = Annotated[str, StringConstraints(pattern=r"^from:" + NAME_PATTERN.lstrip("^"))]
ColumnList = Annotated[list[Annotated[str, StringConstraints(min_length=1)]], Field(min_length=1)]


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
    return values


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, frozen=True)


class StorageSettings(_Model):
    """Where the DuckDB history lives, who may read what the daemon writes, and how often the
    read copy is refreshed."""

    path: ConfigPath = "tailwatch.duckdb"
    duckdb_memory_limit: (
        Annotated[
            str,
            StringConstraints(pattern=r"(?i)^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"),
        ]
        | None
    ) = None
    # Octal umask for every file the daemon and CLI create (store, read copy, corpus state,
    # reports): "0077" gives 0600 files and 0700 folders.
    umask: Annotated[str, StringConstraints(pattern=r"^0?[0-7]{3}$")] = "0077"
    # The read copy (<store>.snapshot) is published at most once per this many seconds.
    read_copy_interval_seconds: Annotated[float, Field(ge=0)] = 60
    # History retention (monitor.store.retention): versions beyond the latest keep_versions and
    # older
    # than keep_days lose their figures, regions, run details and corpus fingerprint files (the
    # first measured version is always kept); the daemon prunes every prune_interval_seconds.
    keep_versions: Annotated[int, Field(ge=2)] | None = None
    keep_days: Annotated[float, Field(gt=0)] | None = None
    prune_interval_seconds: Seconds = 3600

    @property
    def umask_bits(self) -> int:
        """:attr:`umask` as an integer for :func:`os.umask`."""
        return int(self.umask, 8)


class ExporterSettings(_Model):
    """The Prometheus endpoint: loopback by default, optional TLS and basic auth."""

    host: Annotated[str, StringConstraints(min_length=1)] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 9108
    tls_certfile: ConfigPath | None = None
    tls_keyfile: ConfigPath | None = None
    basic_auth_username: Annotated[str, StringConstraints(min_length=1)] | None = None
    basic_auth_password_sha256: (
        Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)] | None
    ) = Field(default=None, repr=False)
    # /api/status without basic auth hides absolute paths and error texts unless this is true.
    status_details: bool = False
    # Each connection gets a worker thread (at most max_connections; more are refused at once);
    # the TLS handshake and each read must complete within these timeouts, and the whole request
    # (handshake, request, answer) within request_timeout_seconds of the accept. One client
    # address holds at most max_connections_per_client connections still sending their request
    # (slow clients from one address cannot take every worker from Prometheus and the probes;
    # fast clients leave that stage within milliseconds).
    max_connections: Annotated[int, Field(ge=1, le=1024)] = 32
    max_connections_per_client: Annotated[int, Field(ge=1, le=1024)] = 16
    handshake_timeout_seconds: Seconds = 5
    read_timeout_seconds: Seconds = 10
    request_timeout_seconds: Seconds = 15

    @model_validator(mode="before")
    @classmethod
    def _refuse_plain_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "basic_auth_password" in data:
            raise ValueError(
                "basic_auth_password is not accepted: give basic_auth_password_sha256 "
                "(hex sha256 of the password), never a plain password"
            )
        return data

    @field_validator("tls_certfile", "tls_keyfile")
    @classmethod
    def _file_exists(cls, value: str | None) -> str | None:
        if value is not None and not os.path.isfile(value):
            raise ValueError(f"file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _pairs(self) -> ExporterSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile must be given together")
        if (self.basic_auth_username is None) != (self.basic_auth_password_sha256 is None):
            raise ValueError(
                "basic_auth_username and basic_auth_password_sha256 must be given together"
            )
        return self


class SchedulerSettings(_Model):
    """Misfire tolerance and retry backoff of the measurement jobs.

    ``retry_*`` apply to data failures (the version's fault): after ``retry_max_attempts`` a
    version is given up until its file, the reference or the configuration changes, or
    ``retry_cooldown_seconds`` after its last failure (then one more attempt). Failures of
    Tailwatch's own storage (store, state folder, disk full) never use a version's attempts: the
    subject's scan is retried after ``storage_retry_initial_seconds``, doubling up to
    ``storage_retry_max_seconds``.
    """

    misfire_grace_seconds: Seconds = 300
    retry_initial_seconds: Seconds = 60
    retry_max_seconds: Seconds = 3600
    retry_max_attempts: Annotated[int, Field(ge=1)] = 5
    retry_cooldown_seconds: Seconds = 604_800  # a week
    storage_retry_initial_seconds: Seconds = 5
    storage_retry_max_seconds: Seconds = 300

    @model_validator(mode="after")
    def _backoff_order(self) -> SchedulerSettings:
        if self.retry_max_seconds < self.retry_initial_seconds:
            raise ValueError("retry_max_seconds must be >= retry_initial_seconds")
        if self.storage_retry_max_seconds < self.storage_retry_initial_seconds:
            raise ValueError("storage_retry_max_seconds must be >= storage_retry_initial_seconds")
        return self


class _CheckSettingsBase(_Model):
    """How far a version must move before a check breaches; see :mod:`monitor.checks`.

    Change checks compare a version with the baseline (first) version: it breaches when it moved
    by the share or factor *and* by ``noise_sigmas`` standard deviations of the healthy
    version-to-version noise. Gap findings compare it with the healthy real-vs-real level.
    ``persistence``: versions in a row a change check must hold for "collapse suspected" (the
    alert rules use 2). One field per threshold the check records declare
    (:func:`monitor.checks.threshold_table`), with its constraints and default.
    """

    def thresholds(self) -> CheckThresholds:
        """The plain thresholds :func:`monitor.checks.evaluate_checks` takes."""
        return CheckThresholds(**self.model_dump())


def check_settings_model() -> type[_CheckSettingsBase]:
    """The ``[generators.checks]`` section built from the declared thresholds (one field each,
    its constraints and documentation as declared; the TOML key is the threshold's name)."""
    fields: dict[str, Any] = {
        t.name: (
            Annotated[t.type, Field(description=t.doc, gt=t.gt, ge=t.ge, lt=t.lt, le=t.le)],
            t.default,
        )
        for t in threshold_table().values()
    }
    return create_model("CheckSettings", __base__=_CheckSettingsBase, **fields)


if TYPE_CHECKING:

    class CheckSettings(_CheckSettingsBase):
        """The generated section (:func:`check_settings_model`)."""

else:
    CheckSettings = check_settings_model()


class StructureSettings(_Model):
    """Structure figures of each version (issue 23; collectors.families.structure): pair
    dependence over every pair up to ``max_columns`` columns (else the ``max_pairs`` strongest
    real pairs), the detection classifier, category share tests, ``max_targets`` per-column
    predictive audits on at most ``max_rows`` rows, per-class and boundary coverage."""

    enabled: bool = True
    max_columns: Annotated[int, Field(ge=2, le=200)] = 40
    max_pairs: Annotated[int, Field(ge=1, le=20_000)] | None = None
    max_targets: Annotated[int, Field(ge=0, le=50)] = 3
    max_rows: Annotated[int, Field(ge=50, le=100_000)] = 2000
    detection: bool = True
    detection_rows: Annotated[int, Field(ge=50, le=100_000)] = 1000
    importance: bool = True
    healthy_draws: Annotated[int, Field(ge=2, le=50)] = 4


class MixingSettings(_Model):
    """The mixing sweep of each version with a ``target`` (issue 29; collectors.gates.mixing):
    the pinned model trained on real rows with ``shares`` percent of them replaced by the
    version's, over ``seeds`` seeds (each costs ``len(shares) - 2`` fits of at most 2,000 rows),
    and the largest share whose score stays within ``tolerance`` of the all-real score's skill
    over chance (or the noise, if larger)."""

    enabled: bool = True
    shares: list[Annotated[int, Field(ge=0, le=100, multiple_of=5)]] = Field(
        default_factory=lambda: [0, 10, 25, 50, 75, 90, 100], min_length=2, max_length=21
    )
    seeds: Annotated[int, Field(ge=1, le=20)] = 5
    tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.10

    @field_validator("shares")
    @classmethod
    def _anchored(cls, value: list[int]) -> list[int]:
        if 0 not in value or 100 not in value:
            raise ValueError("mixing shares must include 0 and 100 (percent)")
        return sorted(set(value))


class GeneratorSettings(_Model):
    """One synthetic-data generator whose versions are measured against a real reference."""

    name: Name
    reference: ConfigPath
    holdout: ConfigPath | None = None
    versions: ConfigPath | None = None
    sampler: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] | None = (
        None
    )
    sampler_timeout_seconds: Seconds = 600
    columns: ColumnList | None = None
    categorical: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=list)
    sample_size: Annotated[int, Field(ge=2)] = 5000
    reference_size: Annotated[int, Field(ge=2)] | None = None
    k: Annotated[int, Field(ge=1)] = 5
    regions: Annotated[int, Field(ge=1)] = 20
    healthy_draws: Annotated[int, Field(ge=2, le=100)] = 8
    seed: Annotated[int, Field(ge=0)] = 0
    interval_seconds: Seconds = 60
    checks: CheckSettings = Field(default_factory=CheckSettings)
    # Gates (collectors.gates): the utility probe's target column and task (detected when
    # absent), the generator's training rows (the attack's members; default: the reference)
    # and a folder for each version's verified (kept) rows as Parquet.
    target: Annotated[str, StringConstraints(min_length=1)] | None = None
    task: Literal["classification", "regression"] | None = None
    training: ConfigPath | None = None
    export_verified: ConfigPath | None = None
    # Text generators (collectors.text): the column holding each version's texts (measured as
    # text against the reference's texts), the embedder ("tfidf-svd", an entry point of
    # tailwatch.embedders or "package.module:function") and the lexical figures' token budget.
    text_column: Annotated[str, StringConstraints(min_length=1)] | None = None
    embedder: Annotated[str, StringConstraints(min_length=1)] | None = None
    token_budget: Annotated[int, Field(ge=100)] = 20_000
    # Per-feature gauges (tailwatch_generator_feature_drift): the columns named here, or when
    # none are, the latest version's top_drifting_columns columns by drift; either way the
    # exporter's label cardinality stays bounded whatever the data's width.
    monitored_columns: ColumnList | None = None
    top_drifting_columns: Annotated[int, Field(ge=0, le=100)] = 10
    structure: StructureSettings = Field(default_factory=StructureSettings)  # issue 23
    mixing: MixingSettings = Field(default_factory=MixingSettings)  # issue 29
    # Sequences (issue 28): rows are events of the entity named in entity_column (the sequence
    # key), ordered by time_column (a timestamp or number); versions, the holdout and the
    # healthy draws take whole entities, and sample_size counts entities.
    entity_column: Annotated[str, StringConstraints(min_length=1)] | None = None
    time_column: Annotated[str, StringConstraints(min_length=1)] | None = None

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _no_duplicates(value, "column")

    @field_validator("monitored_columns")
    @classmethod
    def _unique_monitored(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _no_duplicates(value, "monitored column")

    @model_validator(mode="after")
    def _consistent(self) -> GeneratorSettings:
        if self.sampler is None and self.versions is None:
            raise ValueError("a generator without 'sampler' must have 'versions'")
        check_sample_size(self.sample_size, self.k)  # the recipe's constraints
        check_sample_size(self.reference_size, self.k, "reference_size")
        _no_duplicates(self.categorical, "categorical column")
        if self.text_column is not None and (self.categorical or self.target is not None):
            raise ValueError("a text generator ('text_column') takes no 'categorical' or 'target'")
        if self.text_column is not None and self.monitored_columns is not None:
            raise ValueError("a text generator ('text_column') takes no 'monitored_columns'")
        if self.embedder is not None and self.text_column is None:
            raise ValueError("'embedder' needs a 'text_column'")
        if self.target is not None and self.columns is not None and self.target not in self.columns:
            raise ValueError(f"target column {self.target!r} is not in 'columns'")
        if self.task is not None and self.target is None:
            raise ValueError("'task' needs a 'target' column")
        _check_sequence_settings(self)
        if self.columns is not None:
            missing = [c for c in self.categorical if c not in self.columns]
            if missing:
                raise ValueError(f"categorical columns {missing} are not in 'columns'")
            monitored = [c for c in self.monitored_columns or [] if c not in self.columns]
            if monitored:
                raise ValueError(f"monitored columns {monitored} are not in 'columns'")
        return self


def _check_sequence_settings(g: GeneratorSettings) -> None:
    """entity_column / time_column (issue 28): consistent, and in 'columns' when those are set."""
    entity, time = g.entity_column, g.time_column
    if time is not None and entity is None:
        raise ValueError(f"time_column {time!r} needs an 'entity_column' (the sequence key)")
    if entity is None:
        return
    if entity == time:
        raise ValueError(f"entity_column and time_column are both {entity!r}")
    if g.text_column is not None:
        raise ValueError("a text generator ('text_column') takes no 'entity_column'")
    for role, name in (("entity_column", entity), ("time_column", time)):
        if name is not None and g.columns is not None and name not in g.columns:
            raise ValueError(f"{role} {name!r} is not in 'columns'")
        if name is not None and name in g.categorical:
            raise ValueError(f"{role} {name!r} cannot be 'categorical' too")
        if name is not None and name == g.target:
            raise ValueError(f"{role} {name!r} cannot be the 'target' too")


class CorpusSamplingSettings(_Model):
    """Sampled estimates (collectors.corpus.sampling): snapshots of more than ``above_rows`` rows
    (Parquet footers) are estimated from a random ``row_group_share`` of their row groups (at
    least ``min_row_groups``), with ``confidence`` intervals; ``above_rows = 0`` never samples."""

    above_rows: Annotated[int, Field(ge=0)] = 50_000_000
    row_group_share: Annotated[float, Field(gt=0, le=1)] = 0.02
    min_row_groups: Annotated[int, Field(ge=2)] = 200
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95


class CorpusEngineSettings(_Model):
    """Where a corpus's full scans count their rows (``[corpora.engine]``; the figures are the
    same): ``duckdb`` in the daemon (the default), or ``ray`` on a Ray cluster (the ``ray`` extra,
    collectors.corpus.ray_scan): ``address`` of a running cluster (``"auto"``,
    ``"ray://head:10001"``), or none for a local one of ``num_cpus`` CPUs started by the daemon."""

    kind: Literal["duckdb", "ray"] = "duckdb"
    address: Annotated[str, StringConstraints(min_length=1)] | None = None
    num_cpus: Annotated[int, Field(ge=1)] | None = None
    batch_rows: Annotated[int, Field(ge=1_000)] | None = None  # None: as Ray reads them
    max_retries: Annotated[int, Field(ge=0, le=100)] = 3

    @model_validator(mode="after")
    def _consistent(self) -> CorpusEngineSettings:
        if self.kind == "duckdb" and (self.address is not None or self.num_cpus is not None):
            raise ValueError("'address' and 'num_cpus' are for kind = \"ray\"")
        if self.address not in (None, "local") and self.num_cpus is not None:
            raise ValueError(
                "'num_cpus' sizes a local cluster; a running one ('address') has its own"
            )
        if self.kind == "ray" and importlib.util.find_spec("ray") is None:
            raise ValueError("kind = \"ray\" needs the ray extra: pip install 'tailwatch[ray]'")
        return self


class CorpusSettings(_Model):
    """One training corpus whose snapshots are checked for synthetic content."""

    name: Name
    snapshots: ConfigPath
    content_columns: ColumnList = Field(default_factory=lambda: ["text"])
    provenance_column: Annotated[str, StringConstraints(min_length=1)] = "provenance"
    generator_column: Annotated[str, StringConstraints(min_length=1)] | None = None
    version_column: Annotated[str, StringConstraints(min_length=1)] | None = None
    # a plain default: pydantic gives each instance its own copy (and mypy checks the labels)
    provenance_labels: dict[str, Literal["human", "synthetic", "unknown"]] = {
        "human": "human",
        "synthetic": "synthetic",
        "unknown": "unknown",
    }
    # A share, or "from:<generator>": that generator's latest safe_synthetic_share (issue 29;
    # monitor.watch.budget resolves it at each scan; 0 until the generator has one).
    max_synthetic_fraction: Annotated[float, Field(ge=0, le=1)] | BudgetFrom | None = None
    human_only: bool = False
    tail_columns: list[Annotated[str, StringConstraints(min_length=1)]] | None = None
    near_duplicate_sample: Annotated[int, Field(ge=10)] = 2_000
    seed: int = 0
    interval_seconds: Seconds = 300
    sampling: CorpusSamplingSettings = Field(default_factory=lambda: CorpusSamplingSettings())
    engine: CorpusEngineSettings = Field(default_factory=lambda: CorpusEngineSettings())


class SyntheticDumpSettings(_Model):
    """Synthetic output produced outside Tailwatch's sampling, registered as known synthetic."""

    name: Name
    path: ConfigPath
    content_columns: ColumnList = Field(default_factory=lambda: ["text"])
    generator: Annotated[str, StringConstraints(min_length=1)] | None = None


class KnownHumanSettings(_Model):
    """Known human data (e.g. a generator's training set): a synthetic record that reproduces
    one of its rows is the generator echoing human data, never counted as a leak."""

    name: Name
    path: ConfigPath
    content_columns: ColumnList = Field(default_factory=lambda: ["text"])


class ReportSettings(_Model):
    """Scheduled drift reports; none are scheduled when ``interval_seconds`` is absent."""

    interval_seconds: Seconds | None = None
    out_dir: ConfigPath = "reports"
    keep: Annotated[int, Field(ge=1)] = 10
    # Octal mode of the report files (folders get the matching x bits, 0640 -> 0750): readable by
    # the owner's group (a web server that serves them), unlike the store and state files, which
    # follow [storage] umask (0600). "0600" keeps the reports private too.
    file_mode: Annotated[str, StringConstraints(pattern=r"^0?[0-7]{3}$")] = "0640"

    @property
    def file_mode_bits(self) -> int:
        """:attr:`file_mode` as an integer for :func:`os.chmod`."""
        return int(self.file_mode, 8)


class Settings(BaseSettings):
    """The whole configuration; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="TAILWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        frozen=True,
    )

    storage: StorageSettings = Field(default_factory=StorageSettings)
    exporter: ExporterSettings = Field(default_factory=ExporterSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    generators: list[GeneratorSettings] = Field(default_factory=list)
    corpora: list[CorpusSettings] = Field(default_factory=list)
    synthetic_dumps: list[SyntheticDumpSettings] = Field(default_factory=list)
    known_human: list[KnownHumanSettings] = Field(default_factory=list)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    # Object storage options per URL prefix (collectors.sources.storage), e.g.
    # [storage_options."s3://corpora"] endpoint_url = "http://127.0.0.1:9000"; never logged.
    storage_options: dict[str, dict[str, str | int | float | bool]] = Field(
        default_factory=dict, repr=False
    )

    _config_file: Path | None = PrivateAttr(default=None)
    _config_dir: Path = PrivateAttr(default_factory=Path.cwd)

    def model_post_init(self, context: Any, /) -> None:
        """Remember which file (and folder) the settings were read from."""
        ctx = _context()
        self._config_file = ctx.config_file
        self._config_dir = ctx.config_dir

    def configure_storage(self) -> None:
        """Give ``[storage_options]`` to this process's object-storage file systems
        (:func:`collectors.sources.storage.configure`, process-wide): called once at start-up by
        the daemon and the commands that read data, never as a side effect of loading."""
        from collectors.sources import storage

        storage.configure(self.storage_options)

    @property
    def config_dir(self) -> Path:
        """Folder relative paths were resolved against (the cwd when there was no file)."""
        return self._config_dir

    @property
    def config_file(self) -> Path | None:
        """The TOML file read, or None when only defaults and the environment were used."""
        return self._config_file

    @field_validator("generators", "corpora", "synthetic_dumps", "known_human")
    @classmethod
    def _unique_names(cls, value: list[Any]) -> list[Any]:
        _no_duplicates([item.name for item in value], "name")
        return value

    @model_validator(mode="after")
    def _budget_sources(self) -> Settings:
        """A corpus budget "from:<generator>" names a configured generator with a target."""
        targets = {g.name: g.target for g in self.generators}
        for corpus in self.corpora:
            budget = corpus.max_synthetic_fraction
            if not isinstance(budget, str):
                continue
            name = budget.removeprefix("from:")
            if name not in targets:
                raise ValueError(
                    f"corpus {corpus.name!r}: max_synthetic_fraction = {budget!r} names no "
                    f"configured generator (known: {sorted(targets) or 'none'})"
                )
            if targets[name] is None:
                raise ValueError(
                    f"corpus {corpus.name!r}: max_synthetic_fraction = {budget!r}: generator "
                    f"{name!r} has no 'target', so no mixing sweep and no safe_synthetic_share"
                )
        return self

    @field_validator("corpora")
    @classmethod
    def _one_ray_cluster(cls, value: list[CorpusSettings]) -> list[CorpusSettings]:
        """A daemon process connects to one Ray cluster: every Ray engine must name it alike."""
        clusters = {
            (c.engine.address or "local", c.engine.num_cpus)
            for c in value
            if c.engine.kind == "ray"
        }
        if len(clusters) > 1:
            raise ValueError(
                f"Ray engines name different clusters {sorted(map(str, clusters))}; "
                "a daemon connects to one (same address and num_cpus)"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments, then the environment, then the TOML file (first wins)."""
        config_file = _context().config_file
        if config_file is None:
            return init_settings, env_settings
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file)

    def thresholds_for(self, generator: str) -> CheckThresholds:
        """The check thresholds of ``generator`` (the defaults for a subject not configured)."""
        for g in self.generators:
            if g.name == generator:
                return g.checks.thresholds()
        return CheckThresholds()


def _format_errors(exc: ValidationError, config_file: Path | None = None) -> str:
    """One line per error: the TOML line, the key as ``tailwatch validate`` writes it, the
    message ("did you mean" for an unknown key); see :mod:`monitor.config_errors`."""
    text = data = None
    if config_file is not None:
        try:
            text = config_file.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, ValueError):
            text = data = None
    return format_errors(exc, Settings, text, data)


@contextmanager
def _loading(ctx: _LoadContext) -> Iterator[None]:
    token = _CONTEXT.set(ctx)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings from ``path`` (default: ``./tailwatch.toml`` if present) and the env."""
    if path is None:
        candidate = Path.cwd() / DEFAULT_CONFIG_NAME
        config_file = candidate.resolve() if candidate.is_file() else None
    else:
        config_file = Path(path).expanduser().resolve()
        if not config_file.is_file():
            raise ConfigError(f"config file {config_file} does not exist")
    config_dir = config_file.parent if config_file is not None else Path.cwd().resolve()
    where = str(config_file) if config_file is not None else "defaults and environment"
    try:
        with _loading(_LoadContext(config_file, config_dir)):
            return Settings()
    except ValidationError as exc:
        message = _format_errors(exc, config_file)
        raise ConfigError(f"invalid configuration ({where}):\n{message}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {config_file}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {config_file}: {exc}") from None


def _rebuild_check_settings() -> None:
    """A check record registered or removed: the ``[generators.checks]`` section follows it."""
    model = check_settings_model()
    globals()["CheckSettings"] = model
    field = GeneratorSettings.model_fields["checks"]
    field.annotation = model
    field.default_factory = model
    GeneratorSettings.model_rebuild(force=True)
    Settings.model_rebuild(force=True)


on_change(_rebuild_check_settings)
