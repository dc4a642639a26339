"""Real human-written text for tests: docstring paragraphs of a few standard-library modules
(read with ``ast``; always installed, never downloaded)."""

from __future__ import annotations

import sysconfig
from functools import cache
from pathlib import Path

from monitor.demo.text import docstring_paragraphs

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
        out += docstring_paragraphs(path.read_text(encoding="utf-8"), min_words)
    return tuple(out)
