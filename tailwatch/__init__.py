"""Tailwatch's Python API for notebooks and pipelines: one import, two functions.

:func:`evaluate` judges one synthetic version against real data; :func:`compare` judges a sequence
of versions (the first is the baseline). Both measure exactly as the daemon does (the same
feature map, metrics, healthy real-vs-real levels and collapse checks, :mod:`monitor.checks`), on
pandas DataFrames or pyarrow Tables, without a config file or a store.

>>> import numpy as np, pandas as pd
>>> import tailwatch
>>> rng = np.random.default_rng(0)
>>> real = pd.DataFrame({"x": rng.normal(size=800), "y": rng.normal(size=800)})
>>> synthetic = pd.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200)})
>>> result = tailwatch.evaluate(real, synthetic)
>>> result.level
'healthy'
>>> result.to_frame().loc["coverage", "goal"]
'maximize'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

from monitor import __version__
from monitor.checks import CheckThresholds, evaluate_checks, generator_verdict
from monitor.version_names import version_name
from tailwatch._measure import Measured, Table, healthy_levels, measure_versions
from tailwatch._result import Comparison, Evaluation

__all__ = ["CheckThresholds", "Comparison", "Evaluation", "__version__", "compare", "evaluate"]


def _evaluations(measured: Measured, thresholds: CheckThresholds) -> list[Evaluation]:
    """Each version judged over the versions up to it (as the report judges each version)."""
    out = []
    history = measured.versions
    for i, current in enumerate(history):
        size = measured.sizes[i] if measured.sizes else current.sample_rows  # entities too
        levels = healthy_levels(measured.reference, size)
        checks = evaluate_checks(history[: i + 1], levels, thresholds)
        out.append(
            Evaluation(
                version=current.version,
                figures=dict(current.figures),
                per_feature={f: dict(v) for f, v in current.per_feature.items()},
                healthy=levels,
                checks=checks,
                verdict=generator_verdict(checks, thresholds),
                baseline=history[0].version if i else None,
                version_figures=current,
                timings=dict(measured.timings),
                healthy_cached=measured.healthy_cached,
                history=tuple(history[:i]),
                thresholds=thresholds,
                notes=measured.notes,
            )
        )
    return out


def _is_path(data: object) -> bool:
    return isinstance(data, (str, os.PathLike))


def _load(data: Table, what: str) -> Table:
    """A file, folder or glob (Parquet, CSV, ...) read as a frame; anything else as given."""
    if not _is_path(data):
        return data
    from collectors.sources import read_table, resolve_files

    pattern = os.fspath(data)
    return read_table(resolve_files(pattern), source=f"{what} ({pattern})")


def _names(versions: Sequence[Table]) -> list[str]:
    """``v0``, ``v1``, ... for frames; a path's name for a path (made unique if repeated)."""
    names = [version_name(v) if _is_path(v) else f"v{i}" for i, v in enumerate(versions)]
    if len(set(names)) < len(names):
        names = [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]
    return names


def compare(
    real: Table,
    versions: Sequence[Table] | Mapping[str, Table],
    *,
    holdout: Table | None = None,
    categorical: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    k: int = 5,
    regions: int = 20,
    seed: int = 0,
    thresholds: CheckThresholds | None = None,
    text_column: str | None = None,
    target: str | None = None,
    task: Literal["classification", "regression"] | None = None,
    training: Table | None = None,
    cache: str | os.PathLike[str] | bool | None = None,
    entity_column: str | None = None,
    time_column: str | None = None,
) -> Comparison:
    """Judge a sequence of versions against ``real``; the first version is the baseline.

    ``versions``: frames in order (named ``v0``, ``v1``, ...), paths in order (files, folders or
    globs of Parquet, CSV, ...; named after the file: ``gen-003.parquet`` is ``gen-003``), or a
    mapping name -> frame or path. ``real`` and ``holdout`` may be paths too.
    ``holdout``: real rows kept out of ``real`` for the healthy levels (default: a seeded share
    of ``real``, as the daemon holds out). ``categorical``: columns to one-hot (strings and
    booleans are categorical anyway). ``thresholds``: the ``[generators.checks]`` settings.
    As the daemon's generator settings: ``text_column`` measures the versions as texts in that
    column; ``target``/``task`` name the utility probe's target column (the utility checks);
    ``training`` holds the generator's training rows (the membership attack's members; default
    the reference). ``cache``: a folder for the healthy levels, reused while the reference,
    holdout, training rows, settings and code are unchanged (default ``$TAILWATCH_CACHE_DIR``,
    else ``~/.cache/tailwatch/healthy``; False: none). ``entity_column`` / ``time_column``: the
    rows are events of sequences (the sequence key, the order within one): the holdout and the
    healthy draws take whole entities and the sequence figures and checks are measured.
    A change check "collapse suspected" needs ``thresholds.persistence`` versions in a row (2).

    >>> import numpy as np, pandas as pd
    >>> import tailwatch
    >>> rng = np.random.default_rng(1)
    >>> def draw(rows, spread=1.0):
    ...     return pd.DataFrame({"x": spread * rng.normal(size=rows),
    ...                          "y": spread * rng.normal(size=rows)})
    >>> real = draw(800)
    >>> result = tailwatch.compare(real, [draw(200), draw(200), draw(200, 0.3), draw(200, 0.3)])
    >>> result.versions
    ['v0', 'v1', 'v2', 'v3']
    >>> result.level
    'collapse suspected'
    >>> result["v1"].level, result["v2"].level
    ('healthy', 'watch')
    >>> "coverage_decline" in result["v3"].breached
    True
    >>> result.to_frame().shape[0]
    4
    """
    t = thresholds or CheckThresholds()
    if isinstance(versions, Mapping):
        named = {str(name): _load(frame, str(name)) for name, frame in versions.items()}
    else:
        listed = list(versions)
        named = {n: _load(v, n) for n, v in zip(_names(listed), listed, strict=True)}
    measured = measure_versions(
        _load(real, "reference"),
        named,
        holdout=None if holdout is None else _load(holdout, "holdout"),
        columns=columns,
        categorical=categorical,
        k=k,
        regions=regions,
        seed=seed,
        text_column=text_column,
        target=target,
        task=task,
        training=None if training is None else _load(training, "training"),
        cache=cache,
        entity_column=entity_column,
        time_column=time_column,
    )
    evaluations = _evaluations(measured, t)
    checks = evaluations[-1].checks
    return Comparison(evaluations, checks, generator_verdict(checks, t))


def evaluate(
    real: Table,
    synthetic: Table,
    holdout: Table | None = None,
    categorical: Sequence[str] | None = None,
    k: int = 5,
    *,
    baseline: Table | None = None,
    columns: Sequence[str] | None = None,
    regions: int = 20,
    seed: int = 0,
    thresholds: CheckThresholds | None = None,
    name: str = "synthetic",
    text_column: str | None = None,
    target: str | None = None,
    task: Literal["classification", "regression"] | None = None,
    training: Table | None = None,
    cache: str | os.PathLike[str] | bool | None = None,
    entity_column: str | None = None,
    time_column: str | None = None,
) -> Evaluation:
    """Judge one synthetic version against ``real``; returns an :class:`Evaluation`.

    Alone, a version has no change to judge: only the fidelity gaps (against the healthy
    real-vs-real level at its size) can breach, and its level is "healthy" or "no data". With a
    ``baseline`` version (e.g. the one in production) the collapse checks compare it with that.

    >>> import numpy as np, pandas as pd
    >>> import pyarrow as pa
    >>> import tailwatch
    >>> rng = np.random.default_rng(2)
    >>> real = pa.table({"x": rng.normal(size=800), "kind": rng.choice(["a", "b"], 800)})
    >>> good = pd.DataFrame({"x": rng.normal(size=200), "kind": rng.choice(["a", "b"], 200)})
    >>> blurred = pd.DataFrame({"x": 0.2 * rng.normal(size=200), "kind": ["a"] * 200})
    >>> result = tailwatch.evaluate(real, blurred, baseline=good, categorical=["kind"])
    >>> result.level
    'watch'
    >>> sorted(set(result.breached) & {"category_lost", "coverage_decline"})
    ['category_lost', 'coverage_decline']
    >>> "<table" in result._repr_html_() and result.to_html().startswith("<!doctype html>")
    True
    """
    versions = {name: synthetic} if baseline is None else {"baseline": baseline, name: synthetic}
    if baseline is not None and name == "baseline":
        raise ValueError("name must differ from 'baseline'")
    result = compare(
        real,
        versions,
        holdout=holdout,
        categorical=categorical,
        columns=columns,
        k=k,
        regions=regions,
        seed=seed,
        thresholds=thresholds,
        text_column=text_column,
        target=target,
        task=task,
        training=training,
        cache=cache,
        entity_column=entity_column,
        time_column=time_column,
    )
    return result[-1]
