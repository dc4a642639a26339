"""Real worker deaths for the Ray engine's tests: a stage before the scan that kills its worker
process (``os._exit``), once or every time; no test module imports another."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from collectors.corpus.ray_scan import RayEngine


def die(batch: pa.Table, marker: str) -> pa.Table:
    """Kill this worker process the first time any batch passes (creating ``marker``); with an
    empty ``marker``, every time."""
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return batch
    os._exit(1)


@dataclasses.dataclass(frozen=True)
class KillingEngine(RayEngine):
    """The Ray engine with :func:`die` run on every batch before the scan."""

    marker: str = ""

    def read(
        self,
        paths: Sequence[Any],
        columns: Sequence[str],
        schema: Mapping[str, str] | None = None,
    ) -> Any:
        with warnings.catch_warnings():  # max_retries: Ray 2.60's only way to bound retries
            warnings.simplefilter("ignore", DeprecationWarning)
            return (
                super()
                .read(paths, columns, schema)
                .map_batches(
                    die,
                    batch_format="pyarrow",
                    fn_kwargs={"marker": self.marker},
                    max_retries=self.max_retries,
                )
            )
