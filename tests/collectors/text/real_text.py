"""Real human-written text for tests: docstring paragraphs of a few standard-library modules
(read with ``ast``; always installed, never downloaded)."""

from __future__ import annotations

import ast
import sysconfig
from functools import cache
from pathlib import Path

MODULES = (
    "argparse.py",
    "typing.py",
    "subprocess.py",
    "pathlib/__init__.py",
    "pathlib.py",
    "inspect.py",
    "dataclasses.py",
    "functools.py",
    "shutil.py",
    "tarfile.py",
    "zipfile/__init__.py",
    "zipfile.py",
    "logging/__init__.py",
    "threading.py",
    "unittest/case.py",
    "asyncio/events.py",
    "asyncio/tasks.py",
    "email/message.py",
    "http/client.py",
    "urllib/request.py",
    "decimal.py",
    "_pydecimal.py",
    "statistics.py",
    "datetime.py",
    "_pydatetime.py",
    "enum.py",
    "random.py",
    "tempfile.py",
    "os.py",
    "socket.py",
    "ssl.py",
    "textwrap.py",
    "difflib.py",
    "pickle.py",
    "configparser.py",
    "csv.py",
    "json/__init__.py",
    "optparse.py",
    "doctest.py",
    "pdb.py",
    "smtplib.py",
    "imaplib.py",
    "ftplib.py",
    "mailbox.py",
)


@cache
def paragraphs(min_words: int = 8) -> tuple[str, ...]:
    """Docstring paragraphs (blank-line separated, at least ``min_words`` words)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: list[str] = []
    for name in MODULES:
        path = root / name
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                for block in (doc or "").split("\n\n"):
                    words = block.split()
                    if len(words) >= min_words:
                        out.append(" ".join(words))
    return tuple(out)
