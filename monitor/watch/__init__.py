"""The watches: what is due, and the scan of one generator or one corpus into stored runs."""

from monitor.watch.base import InfrastructureError, ScanOutcome, ScanState, Watch, probe_writable
from monitor.watch.corpus import CorpusWatch
from monitor.watch.generator import GeneratorWatch, split_holdout

__all__ = [
    "CorpusWatch",
    "GeneratorWatch",
    "InfrastructureError",
    "ScanOutcome",
    "ScanState",
    "Watch",
    "probe_writable",
    "split_holdout",
]
