"""`policywatch normalize PATH [--url URL] [--json]`: one page as a readable tree or as the schema in JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.normalize import is_usable, normalize
from pipeline.schema import Document, Section
from policywatch.errors import UsageError

MAX_BYTES = 50 * 2**20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("normalize", help="normalize one page (HTML, .txt or .md) into sections and measures")
    p.add_argument("path", help="the page file")
    p.add_argument("--url", default="", help="the page's URL, to resolve attachment links")
    p.add_argument("--json", action="store_true", help="print the schema as JSON")
    p.set_defaults(func=run)


def load_document(path_arg: str, url: str = "") -> Document:
    """Read and normalize a file, or raise UsageError with a one-line reason naming the file."""
    path = Path(path_arg)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a page file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UsageError(f"{path}: {size / 2**20:.0f} MB is larger than the {MAX_BYTES // 2**20} MB limit for one page")
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from exc
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
    """Metadata on top, then the tree: labels, headings and the first words of each measure."""
    out = [f"{doc.title or '(untitled)'}"]
    fields = (
        ("文号", doc.doc_number_raw),
        ("索引号", doc.index_number),
        ("发布机构", doc.publisher),
        ("成文日期", doc.written_date),
        ("发布日期", doc.published_date),
        ("分类", doc.category),
        ("状态", doc.status),
        ("kind", doc.kind),
    )
    out += [f"  {name}: {value}" for name, value in fields if value]
    if doc.body_title:
        out.append(f"  attached document: {doc.body_title}")
    if doc.quality.flags:
        out.append(f"  quality: {', '.join(doc.quality.flags)}")
    if doc.cover_note:
        out.append(f"  cover notice: {_short(doc.cover_note, width)}")
    if doc.preamble:
        out.append(f"  preamble: {_short(doc.preamble, width)}")
    out.append("")

    def section(s: Section, depth: int) -> None:
        pad = "  " * depth
        head = f"{s.label}{s.title}".strip() or "(body)"
        extra = f"  [{len(s.tables)} table(s)]" if s.tables else ""
        out.append(f"{pad}{s.path:<10} {head}{' (numeral inferred)' if s.inferred else ''}{extra}")
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
        out.append(f"closing: {_short(doc.closing, width)}")
    if doc.attachments:
        out.append("attachments:")
        out += [f"  {a.name}{'  ' + a.url if a.url else ''}" for a in doc.attachments]
    if doc.references:
        out.append("references:")
        out += [f"  {('《' + r.title + '》') if r.title else ''}{r.doc_number}" for r in doc.references]
    out.append(f"{sum(1 for _ in doc.iter_measures())} measures")
    return "\n".join(out)


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
