"""Where data comes from and how it becomes numbers: file and object-storage readers, in-process
samplers, the feature map fitted on the reference, and the input checks every metric shares.
"""

from collectors.sources.features import FeatureMap
from collectors.sources.readers import (
    DATA_SUFFIXES,
    READERS,
    SourceError,
    VersionRef,
    check_columns,
    data_kind,
    discover_versions,
    fingerprint_files,
    read_table,
    read_version,
    resolve_files,
)
from collectors.sources.samplers import (
    call_sampler,
    load_sampler,
    sampler_fingerprint,
    sampler_versions,
)
from collectors.sources.sql import literal, quote
from collectors.sources.storage import AnyPath, ObjectPath, arrow_filesystem, as_path, attach
from collectors.sources.validation import as_matrix, check_k, check_pair

__all__ = [
    "DATA_SUFFIXES",
    "READERS",
    "AnyPath",
    "FeatureMap",
    "ObjectPath",
    "SourceError",
    "VersionRef",
    "arrow_filesystem",
    "as_matrix",
    "as_path",
    "attach",
    "call_sampler",
    "check_columns",
    "check_k",
    "check_pair",
    "data_kind",
    "discover_versions",
    "fingerprint_files",
    "literal",
    "load_sampler",
    "quote",
    "read_table",
    "read_version",
    "resolve_files",
    "sampler_fingerprint",
    "sampler_versions",
]
