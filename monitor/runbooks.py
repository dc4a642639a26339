"""The runbooks, shipped with the package and served by the daemon at ``/runbooks/``.

``monitor/runbooks.md`` is package data, the file itself (``docs/runbooks.md`` links to it), so
a wheel, an sdist and the image built from them hold it. Each ``## Heading`` is a section whose
anchor is the heading in lower case, as GitHub makes it, so an alert's ``runbook_url`` is
``<base>#tailwatchcoveragedecline``: ``/runbooks/`` serves the whole page (the browser jumps to
the anchor) and ``/runbooks/<anchor>`` that one section. The Markdown subset the runbooks use
(headings, paragraphs, lists, fenced code, inline code, bold, links) is rendered here, escaped,
without a Markdown dependency.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["Runbooks", "load_runbooks", "render_markdown"]

_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


def anchor_of(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _inline(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[position : match.start()]))
        code, bold, label, url = match.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{html.escape(bold)}</strong>")
        else:
            href = url if url.startswith(("#", "http://", "https://")) else "#"
            out.append(f'<a href="{html.escape(href)}">{html.escape(label)}</a>')
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def render_markdown(text: str) -> str:
    """HTML of the runbooks' Markdown subset; every text is escaped."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[tuple[int, list[str]]] = []
    lines = iter(text.splitlines())

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>")
            for depth, words in items:
                style = f' style="margin-left:{1.5 * depth:g}em"' if depth else ""
                out.append(f"<li{style}>{_inline(' '.join(words))}</li>")
            out.append("</ul>")
            items.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = []
            for inner in lines:
                if inner.strip().startswith("```"):
                    break
                code.append(inner)
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
        elif stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            title = stripped[level:].strip()
            out.append(f'<h{level} id="{anchor_of(title)}">{_inline(title)}</h{level}>')
        elif re.match(r"^\s*[-*] ", line):
            if paragraph:
                flush()
            depth = (len(line) - len(line.lstrip())) // 2
            items.append((depth, [stripped[2:]]))
        elif not stripped:
            flush()
        elif items:
            items[-1][1].append(stripped)
        else:
            paragraph.append(stripped)
    flush()
    return "\n".join(out)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}}
code,pre{{background:#f3f3f3}}pre{{padding:.6em;overflow-x:auto}}</style></head>
<body>{nav}{body}</body></html>
"""


@dataclass(frozen=True)
class Runbooks:
    """The runbooks page split into its ``##`` sections."""

    text: str

    @property
    def sections(self) -> dict[str, str]:
        """Anchor -> the section's Markdown (its heading included)."""
        found: dict[str, list[str]] = {}
        current: list[str] | None = None
        in_code = False
        for line in self.text.splitlines():
            if line.strip().startswith("```"):
                in_code = not in_code
            if not in_code and line.startswith("## "):
                current = found.setdefault(anchor_of(line[3:]), [])
                current.append(line)
            elif current is not None:
                current.append(line)
        return {anchor: "\n".join(lines) for anchor, lines in found.items()}

    def page(self) -> str:
        """The whole runbooks page as HTML (every section has its anchor as id)."""
        return _PAGE.format(title="Tailwatch runbooks", nav="", body=render_markdown(self.text))

    def section_page(self, name: str) -> str | None:
        """One section as an HTML page, by anchor or alert name (any case); None if unknown."""
        section = self.sections.get(anchor_of(name))
        if section is None:
            return None
        nav = '<p><a href="./">All runbooks</a></p>'
        title = f"Tailwatch runbook: {html.escape(section.splitlines()[0][3:].strip())}"
        return _PAGE.format(title=title, nav=nav, body=render_markdown(section))


@cache
def load_runbooks() -> Runbooks:
    """The runbooks that ship with the package."""
    text = files("monitor").joinpath("runbooks.md").read_text(encoding="utf-8")
    return Runbooks(text)
