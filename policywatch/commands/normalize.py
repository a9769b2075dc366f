"""`policywatch normalize PATH [--url URL] [--json]`: one page as a readable tree or as the schema in JSON."""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.limits import DOWNLOAD_MAXSIZE
from policywatch.errors import UsageError

if TYPE_CHECKING:
    from pipeline.schema import Document, Section

# The crawler's page limit: a file larger than any page it would fetch is not a page, and
# /dev/zero or /proc files (size 0 to stat) must not be read until memory runs out.
MAX_BYTES = DOWNLOAD_MAXSIZE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("normalize", help="normalize one page (HTML, .txt or .md) into sections and measures")
    p.add_argument("path", help="the page file")
    p.add_argument("--url", default="", help="the page's URL, to resolve attachment links")
    p.add_argument("--json", action="store_true", help="print the schema as JSON")
    p.set_defaults(func=run)


def read_page(path_arg: str | Path) -> bytes:
    """The bytes of a saved page file, or UsageError with a one-line reason naming the file.

    Only regular files, at most MAX_BYTES: a FIFO would block for ever and a device never ends.
    The file is opened non-blocking and checked on the open descriptor, so a FIFO cannot make
    the open itself hang and nothing can be swapped in between the check and the read.
    """
    path = Path(path_arg)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a page file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from exc
    limit = f"the {MAX_BYTES // 2**20} MB limit for one page"
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path}: is a directory, not a page file")
        if not stat.S_ISREG(info.st_mode):
            what = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
            raise UsageError(f"{path}: is {what}, not a page file")
        if info.st_size > MAX_BYTES:
            raise UsageError(f"{path}: {info.st_size / 2**20:.1f} MB is larger than {limit}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # a file that grows, or one whose size stat does not tell (/proc)
        raise UsageError(f"{path}: more than {limit}")
    return data


def load_document(path_arg: str, url: str = "") -> Document:
    """Read and normalize a file, or raise UsageError with a one-line reason naming the file."""
    # the command's own work: the other commands start without the normalizer
    from pipeline.normalize import is_usable, normalize

    path = Path(path_arg)
    data = read_page(path)
    doc = normalize(data, url=url, filename=path.name)
    if not is_usable(doc):
        raise UsageError(f"{path}: {doc.quality.reason}")
    return doc


def run(args: argparse.Namespace) -> int:
    doc = load_document(args.path, args.url)
    if args.json:
        print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_tree(doc))
    return 0


def render_tree(doc: Document, width: int = 36) -> str:
    """Metadata on top, then the tree: labels, headings and the first words of each measure (the
    words around them in the run's language, policywatch.cli_text)."""
    from pipeline.schema import Section
    from policywatch.cli_text import _, field, ngettext

    out = [doc.title or _("(untitled)")]
    fields = (
        ("doc_number", doc.doc_number_raw),
        ("index_number", doc.index_number),
        ("publisher", doc.publisher),
        ("written_date", doc.written_date),
        ("published_date", doc.published_date),
        ("category", doc.category),
        ("status", doc.status),
        ("kind", doc.kind),
    )

    def line(label: str, value: str) -> str:
        return "  " + _("%(label)s: %(value)s", label=label, value=value)

    out += [line(field(name), value) for name, value in fields if value]
    if doc.body_title:
        out.append(line(_("attached document"), doc.body_title))
    if doc.quality.flags:
        out.append(line(_("quality"), ", ".join(doc.quality.flags)))
    if doc.cover_note:
        out.append(line(_("cover notice"), _short(doc.cover_note, width)))
    if doc.preamble:
        out.append(line(_("preamble"), _short(doc.preamble, width)))
    out.append("")

    def section(s: Section, depth: int) -> None:
        pad = "  " * depth
        head = f"{s.label}{s.title}".strip() or _("(body)")
        extra = "  [" + ngettext("%(num)d table", "%(num)d tables", len(s.tables)) + "]" if s.tables else ""
        inferred = _(" (numeral inferred)") if s.inferred else ""
        out.append(f"{pad}{s.path:<10} {head}{inferred}{extra}")
        if s.text:
            out.append(f"{pad}  {'':<10}  {_short(s.text, width)}")
        for item in s.items():  # the page's reading order, measures and sub-sections interleaved
            if isinstance(item, Section):
                section(item, depth + 1)
                continue
            m = item
            heading = f"【{m.heading}】" if m.heading else ""
            out.append(f"{pad}  {m.path:<10} {m.label} {heading}{_short(m.text.removeprefix(m.heading).lstrip('。'), width)}")
            out.extend(f"{pad}    {'':<10} {i.label} {_short(i.text, width)}" for i in m.items)

    for s in doc.sections:
        section(s, 0)
    if doc.closing:
        out.append(_("%(label)s: %(value)s", label=_("closing"), value=_short(doc.closing, width)))
    if doc.attachments:
        out.append(_("%(label)s: %(value)s", label=field("attachments"), value="").rstrip())
        out += [f"  {a.name}{'  ' + a.url if a.url else ''}" for a in doc.attachments]
    if doc.references:
        out.append(_("%(label)s: %(value)s", label=field("references"), value="").rstrip())
        out += [f"  {('《' + r.title + '》') if r.title else ''}{r.doc_number}" for r in doc.references]
    out.append(ngettext("%(num)d measure", "%(num)d measures", sum(1 for _m in doc.iter_measures())))
    return "\n".join(out)


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
