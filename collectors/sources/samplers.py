"""In-process samplers: generators that draw their samples when asked instead of writing files.

A generator names ``sampler = "package.module:function"`` (or an entry point in the
``tailwatch.samplers`` group) and a ``versions`` source listing version names; Tailwatch calls the
sampler with the version, the sample size and a seed, in a worker thread with a timeout. Every
error is a :class:`~collectors.sources.readers.SourceError` naming the sampler and version.
"""

from __future__ import annotations

import glob
import hashlib
import importlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pandas as pd

from collectors.sources.readers import (
    SourceError,
    check_sampling,
    data_kind,
    listed_names,
    matching_versions,
)

__all__ = [
    "SAMPLER_GROUP",
    "call_sampler",
    "load_sampler",
    "sampler_fingerprint",
    "sampler_versions",
]

SAMPLER_GROUP = "tailwatch.samplers"


def sampler_fingerprint(version: str) -> str:
    """Fingerprint of a sampler version: a hash of its name (there are no bytes to hash)."""
    return hashlib.blake2b(version.encode("utf-8"), digest_size=16).hexdigest()


def load_sampler(spec: str) -> Callable[..., object]:
    """Load ``"package.module:function"`` or the ``tailwatch.samplers`` entry point ``spec``."""
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
        if not module_name or not attribute:
            raise SourceError(f"sampler {spec!r}: expected 'package.module:function'")
        try:
            target: object = importlib.import_module(module_name)
        except Exception as error:
            raise SourceError(
                f"sampler {spec!r}: cannot import module {module_name!r} ({error})"
            ) from error
        for part in attribute.split("."):
            if not hasattr(target, part):
                raise SourceError(
                    f"sampler {spec!r}: module {module_name!r} has no attribute {attribute!r}"
                )
            target = getattr(target, part)
    else:
        found = list(entry_points(group=SAMPLER_GROUP, name=spec))
        if not found:
            known = sorted({ep.name for ep in entry_points(group=SAMPLER_GROUP)})
            raise SourceError(
                f"sampler {spec!r}: not 'module:function' and no entry point of that name in "
                f"group {SAMPLER_GROUP!r} (known: {listed_names(known) if known else 'none'})"
            )
        try:
            target = found[0].load()
        except Exception as error:
            raise SourceError(
                f"sampler {spec!r}: entry point {found[0].value!r} cannot be loaded ({error})"
            ) from error
    if not callable(target):
        raise SourceError(f"sampler {spec!r}: {type(target).__name__} object is not callable")
    return target


def call_sampler(
    fn: Callable[..., object],
    version: str,
    sample_size: int,
    seed: int,
    timeout_seconds: float,
    *,
    name: str | None = None,
) -> pd.DataFrame:
    """Call ``fn(version=, sample_size=, seed=)`` in a worker thread with a timeout.

    A DataFrame is returned as is; a 2-D numeric array becomes float columns ``x0..x{d-1}``.
    A timed-out sampler cannot be killed: its daemon thread is abandoned and keeps running.
    """
    label = f"sampler {name or _callable_name(fn)} (version {version!r})"
    check_sampling(sample_size, seed)
    if not timeout_seconds > 0:
        raise SourceError(f"{label}: timeout_seconds must be positive, got {timeout_seconds!r}")
    future: Future[object] = Future()

    def work() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(version=version, sample_size=sample_size, seed=seed))
        except Exception as error:
            future.set_exception(error)

    threading.Thread(target=work, name=f"tailwatch-sampler-{version}", daemon=True).start()
    try:
        result = future.result(timeout=timeout_seconds)
    except Exception as error:
        if not future.done():
            raise SourceError(
                f"{label} did not return within {timeout_seconds:g} s (left running, abandoned)"
            ) from None
        raise SourceError(f"{label} raised {type(error).__name__}: {error}") from error
    return _sampler_frame(result, label)


def _callable_name(fn: Callable[..., object]) -> str:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}:{qualname}" if module else qualname


def _sampler_frame(result: object, label: str) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        frame = result
    elif isinstance(result, np.ndarray) and result.ndim == 2 and result.dtype.kind in "fiu":
        frame = pd.DataFrame(
            np.asarray(result, dtype=np.float64), columns=[f"x{i}" for i in range(result.shape[1])]
        )
    else:
        shape = (
            f" of shape {result.shape} and dtype {result.dtype}"
            if hasattr(result, "shape") and hasattr(result, "dtype")
            else ""
        )
        raise SourceError(
            f"{label} returned {type(result).__name__}{shape}; "
            "expected a pandas DataFrame or a 2-D numeric numpy array"
        )
    if len(frame) == 0:
        raise SourceError(f"{label} returned no rows")
    return frame


def sampler_versions(source: str) -> list[str]:
    """Version names of a sampler generator: from a text file (one per line) or a glob.

    A text file keeps its order (blank lines and ``#`` comments skipped); a glob gives the names
    of its matches in :func:`discover_versions` order.
    """
    path = Path(source)
    if not glob.has_magic(source) and path.is_file() and data_kind(path) is None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise SourceError(f"versions file {path}: cannot read ({error})") from error
        names = [line.strip() for line in lines]
        names = [n for n in names if n and not n.startswith("#")]
        repeated = sorted(n for n, count in Counter(names).items() if count > 1)
        if repeated:
            raise SourceError(f"versions file {path}: repeats {listed_names(repeated)}")
        return names
    return list(matching_versions(source))
