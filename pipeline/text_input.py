"""Plain text and Markdown (LawRefBook, pkulaw exports, PDF text) to lines.

Markdown heading marks are dropped (the numbering says the level, not the `#`s); a
LawRefBook info block before `<!-- INFO END -->` is the document's history, not its body.
Text wrapped at a fixed width (PDF) is joined back into paragraphs (trap 5).
"""

from __future__ import annotations

import re
import statistics

from pipeline.markers import parse_marker
from pipeline.text import clean_line

_INFO_END = re.compile(r"<!--\s*INFO END\s*-->")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPH = re.compile(r"(\*\*|__)(.+?)\1")
_ENDS = tuple("。；;：:！!？?”」』）)")


def text_lines(text: str) -> tuple[list[str], str, list[str]]:
    """Returns (body lines, title, header lines). The title is a leading `# ` line or the first line."""
    header: list[str] = []
    m = _INFO_END.search(text)
    title = ""
    if m:
        head, text = text[: m.start()], text[m.end() :]
        for raw in head.splitlines():
            line = clean_line(_MD_HEADING.sub("", raw))
            if raw.lstrip().startswith("# ") and not title:
                title = line
            elif line:
                header.append(line)
    text = _COMMENT.sub("", text)
    lines = []
    for raw in text.splitlines():
        if not title and raw.lstrip().startswith("# "):
            title = clean_line(_MD_HEADING.sub("", raw))
            continue
        line = clean_line(_MD_EMPH.sub(r"\2", _MD_HEADING.sub("", raw)))
        lines.append(line)
    lines = join_wrapped(lines)
    return [x for x in lines if x], title, header


def join_wrapped(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines when the text looks wrapped at a fixed width.

    Wrapped text has many lines of nearly the same length that stop mid-sentence; a line is
    joined to the next when it is near that width, does not end a sentence, and the next
    line does not open with a numbering marker.
    """
    nonblank = [x for x in lines if x]
    if len(nonblank) < 12:
        return lines
    lengths = [len(x) for x in nonblank]
    width = statistics.quantiles(lengths, n=10)[7]  # 80th percentile
    near = [n for n in lengths if n >= width * 0.85]
    open_ended = [x for x in nonblank if len(x) >= width * 0.85 and not x.endswith(_ENDS)]
    if width > 60 or len(near) < len(nonblank) * 0.3 or len(open_ended) < len(near) * 0.5:
        return lines
    out: list[str] = []
    pending = False  # the last line out is waiting for its continuation
    for line in lines:
        if not line:
            continue  # blank lines inside wrapped text are page breaks, not paragraphs
        if pending and out and parse_marker(line) is None:
            out[-1] += line
        else:
            out.append(line)
        last = out[-1]
        pending = len(line) >= width * 0.85 and not last.endswith(_ENDS)
    return out
