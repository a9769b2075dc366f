"""Helpers for the storage tests (no tests here): a tiny stand-in normalizer, revisions of a real page.

The stand-in turns `第X条 ...` lines into measures. Tests of locking, crashes and queries use it so
that they do not depend on how the real normalizer evolves; the tests that check stored changes
against `compare` use the real normalizer on the real pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.schema import Document, Measure, Section
from pipeline.text import norm_text, text_hash

DATA = Path(__file__).resolve().parent / "data"
ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇]+条)\s*(.*)$")


def simple_normalize(
    data: bytes | str, url: str = "", headers: dict | None = None, filename: str = ""
) -> Document:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    title, number, measures = "", "", []
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("文号："):
            number = line.removeprefix("文号：")
        elif m := ARTICLE.match(line):
            measures.append((m.group(1), m.group(2)))
        elif measures:
            label, body = measures[-1]
            measures[-1] = (label, body + line)
    section = Section(label="", ordinal=1, level=1, path="1")
    for i, (label, body) in enumerate(measures, 1):
        norm = norm_text(body)
        section.measures.append(
            Measure(label=label, path=f"1.{i}", text=body, norm_text=norm, hash=text_hash(norm))
        )
    return Document(
        url=url, title=title, doc_number=number, publisher="测试机构" if number else "", sections=[section]
    )


def page_text(n: int, title: str = "测试办法", number: str = "", articles: int = 5, edit: int = 0) -> str:
    """A small law-like page; `edit` > 0 changes article `edit` so that each edit is a new version."""
    lines = [f"# {title}"]
    if number:
        lines.append(f"文号：{number}")
    nums = "一二三四五六七八九十"
    for i in range(1, articles + 1):
        body = f"文档{n}的第{i}项规定，有关部门应当依法履行职责，做好相关工作。"
        if i == edit:
            body += f"本条经第{edit}次修订后增加了新的要求。"
        lines.append(f"第{nums[i - 1]}条 {body}")
    return "\n\n".join(lines)


def revisions(count: int = 10) -> list[tuple[str, str]]:
    """`count` successive revisions of a real regulation (lawref-22), as (filename, text).

    The first and last are the real 2019 and 2023 texts; between them the 2019 text receives the
    2023 articles one by one, so each step is a real edit: modified wording, an inserted article
    (renumbering the rest), a removed sentence.
    """
    old = (DATA / "pairs/lawref-22/old.md").read_text(encoding="utf-8")
    new = (DATA / "pairs/lawref-22/new.md").read_text(encoding="utf-8")
    old_parts, new_parts = _split_articles(old), _split_articles(new)
    steps = [old]
    for k in range(1, count - 1):
        # take the first k*len/count articles from the new text, the rest from the old one
        cut = round(k * len(new_parts) / (count - 1))
        body = new_parts[:cut] + old_parts[min(cut, len(old_parts)) :]
        steps.append("\n\n".join([_head(old), *body]))
    steps.append(new)
    out, prev = [], None
    for i, text in enumerate(steps):
        if text == prev:  # never two identical consecutive revisions
            text += f"\n\n第九十九条 本办法第{i}次补充规定。\n"
        out.append((f"rev{i:02d}.md", text))
        prev = text
    return out


def _head(text: str) -> str:
    return text.split("<!-- INFO END -->")[0] + "<!-- INFO END -->"


def _split_articles(text: str) -> list[str]:
    body = text.split("<!-- INFO END -->", 1)[-1]
    parts: list[str] = []
    for line in body.splitlines():
        if ARTICLE.match(line.strip()):
            parts.append(line.strip())
        elif parts and line.strip():
            parts[-1] += "\n\n" + line.strip()
    return parts
