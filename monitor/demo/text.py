"""The text demo scenario (``tailwatch demo --scenario text``): a language model loses its words.

Real human-written text that is always here: the docstring paragraphs of this Python's standard
library (read with ``ast``, never downloaded). They are split by module into a reference, a
holdout and the generator's training text. The generator is a real text generator from a library,
``markovify`` (a word Markov chain of order 2; ``pip install 'tailwatch[text]'``), trained in a
self-consuming loop (Shumailov et al. 2024, Nature): generation 0 on the real training text, each
later generation only on the previous generation's output. Words the chain did not happen to emit
are gone for good, so the vocabulary shrinks version by version and the text checks
(vocabulary_loss, diversity_decline) page after two versions.
"""

from __future__ import annotations

import ast
import random
import sysconfig
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from monitor.demo.layout import ScenarioFolders, daemon_config, write_parquet_atomic

__all__ = [
    "TEXT_GENERATOR",
    "TEXT_SHOWN",
    "TextDemoScenario",
    "docstring_paragraphs",
    "paragraphs",
    "stdlib_paragraphs",
]

TEXT_GENERATOR = "demo-lm"
TEXT_SHOWN = (
    "text_vocabulary_retention",
    "text_rare_mass_ratio",
    "text_distinct_2",
    "text_semantic_diversity",
    "coverage",
)
MIN_WORDS = 10  # paragraphs shorter than this are left out (signatures, one-line summaries)
SKIP_PARTS = frozenset({"test", "tests", "idlelib", "lib2to3", "site-packages", "turtledemo"})


def paragraphs(text: str, min_words: int = MIN_WORDS) -> list[str]:
    """Blank-line separated paragraphs of ``text`` of at least ``min_words`` words, whitespace
    folded."""
    found = []
    for block in text.split("\n\n"):
        words = block.split()
        if len(words) >= min_words:
            found.append(" ".join(words))
    return found


def docstring_paragraphs(source: str, min_words: int = MIN_WORDS) -> list[str]:
    """Docstring paragraphs of one module's source (module, classes, functions), in walk order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            found += paragraphs(ast.get_docstring(node) or "", min_words)
    return found


def stdlib_paragraphs(skip: frozenset[str] = SKIP_PARTS) -> dict[str, list[str]]:
    """Docstring paragraphs (>= ``MIN_WORDS`` words) of the standard library by module path,
    leaving out modules under a folder named in ``skip`` and ``test_*`` modules."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if skip & set(relative.parts[:-1]) or relative.name.startswith("test_"):
            continue
        try:
            found = docstring_paragraphs(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if found:
            out[str(relative)] = found
    return out


def markov_texts(training: list[str], rows: int, seed: int) -> list[str]:
    """``rows`` paragraphs from a markovify chain of order 2 trained on ``training``."""
    try:
        import markovify
    except ImportError:  # pragma: no cover - the message is the point
        raise SystemExit("the text demo needs markovify: pip install 'tailwatch[text]'") from None
    random.seed(seed)  # markovify draws from Python's random module
    model = markovify.NewlineText("\n".join(training), state_size=2, well_formed=False)
    out: list[str] = []
    attempts = 0
    while len(out) < rows and attempts < rows * 20:
        attempts += 1
        text = model.make_sentence(test_output=False)
        if text:
            out.append(text)
    return out


@dataclass
class TextDemoScenario(ScenarioFolders):
    """Writes real reference and holdout texts and one Parquet file of texts per generation."""

    rows: int = 2000
    seed: int = 0

    @property
    def training_path(self) -> Path:
        return self.root / "training" / "training.parquet"

    def write_reference(self) -> None:
        """Split the standard library's docstrings by module (idempotent)."""
        paths = (self.reference_path, self.holdout_path, self.training_path)
        if all(path.exists() for path in paths):
            return
        parts: tuple[list[str], list[str], list[str]] = ([], [], [])
        for module, items in stdlib_paragraphs().items():
            parts[zlib.crc32(f"{self.seed}:{module}".encode()) % 3].extend(items)
        for path, texts in zip(paths, parts, strict=True):
            write_parquet_atomic(pd.DataFrame({"text": texts}), path)

    def generations(self) -> Iterator[pd.DataFrame]:
        """Endless self-consuming generations (deterministic for a seed)."""
        training = pd.read_parquet(self.training_path)["text"].tolist()
        generation = 0
        while True:
            texts = markov_texts(training, self.rows, self.seed * 1000 + generation)
            yield pd.DataFrame({"text": texts})
            training = texts
            generation += 1

    def write_version(self, index: int, frame: pd.DataFrame) -> Path:
        path = self.versions_dir / f"gen-{index:03d}.parquet"
        write_parquet_atomic(frame, path)
        return path

    def write_snapshot(self, generations: list[pd.DataFrame]) -> None:
        """The text demo has no corpora."""

    def config(self, workdir: Path, port: int, interval: float) -> str:
        """The demo's configuration (TOML)."""
        return f"""# Written by 'tailwatch demo --scenario text': a self-consuming language model.
{daemon_config(port)}
[[generators]]
name = "{TEXT_GENERATOR}"
reference = "{self.reference_path.relative_to(workdir)}"
holdout = "{self.holdout_path.relative_to(workdir)}"
versions = "{self.versions_dir.relative_to(workdir)}/*.parquet"
text_column = "text"
sample_size = {self.rows}
regions = 10
interval_seconds = {interval}
"""
