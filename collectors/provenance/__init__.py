"""Record fingerprints: one definition of a record's normalised content and its 64-bit hash, its
vectorised Numba fast path, and the DuckDB SQL that computes it straight over files.
"""

from collectors.provenance.definition import (
    FINGERPRINT_VERSION,
    fingerprint_frame,
    fingerprint_record,
    fingerprint_rows,
    fingerprint_texts,
    fingerprint_vectors,
    normalize_text,
)
from collectors.provenance.sql import fingerprint_query, fingerprint_select, register_functions

__all__ = [
    "FINGERPRINT_VERSION",
    "fingerprint_frame",
    "fingerprint_query",
    "fingerprint_record",
    "fingerprint_rows",
    "fingerprint_select",
    "fingerprint_texts",
    "fingerprint_vectors",
    "normalize_text",
    "register_functions",
]
