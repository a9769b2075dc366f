"""Real pages nobody here wrote give the metadata and the outline a careful reader sees.

tests/data/real/expected/<page>.json was made by reading each page by hand (conventions in its
README): metadata shown on the page, and the numbered outline as [depth, label] in reading order.
The outline is the normalizer's tree flattened in reading order: a labelled section, then what is
under it one level deeper; a measure; the 项/目 items printed inside a measure one level below it.
Unlabelled holders (the body, a part) add no level; 款 are not outline, so the 款 measures of a 条
read as the 条 once; paragraph measures of an unnumbered text (¶1, ¶2) are not outline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.normalize import normalize
from pipeline.schema import Document, Item, Measure, Section

REAL = Path(__file__).parent / "data" / "real"
EXPECTED = sorted((REAL / "expected").glob("*.json"))
FIELDS = ("title", "doc_number", "index_number", "publisher", "written_date", "published_date")
_KUAN = re.compile(r"第[一二三四五六七八九十]+款$")


def outline(doc: Document) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def items(parent: Measure | Item, depth: int) -> None:
        for item in parent.items:
            out.append((depth, item.label))
            items(item, depth + 1)

    def section(sec: Section, depth: int) -> None:
        if sec.label:
            out.append((depth, sec.label))
            depth += 1
        last = ""
        for node in sec.items():
            if isinstance(node, Section):
                section(node, depth)
                last = ""
                continue
            if node.label.startswith("¶"):
                continue
            label = _KUAN.sub("", node.label) if node.label.startswith("第") else node.label
            if label != last:
                out.append((depth, label))
            last = label
            items(node, depth + 1)

    for s in doc.sections:
        section(s, 1)
    return out


def _load(path: Path) -> tuple[dict, Document]:
    expected = json.loads(path.read_text("utf-8"))
    page = REAL / expected["file"]
    return expected, normalize(page.read_bytes(), filename=page.name)


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_metadata_is_what_the_page_shows(path: Path) -> None:
    expected, doc = _load(path)
    alts = expected.get("metadata_alt") or {}
    wrong = {}
    for name in FIELDS:
        got = getattr(doc, name) or None
        if got != expected["metadata"][name] and got not in alts.get(name, []):
            wrong[name] = (expected["metadata"][name], got)
    assert not wrong, f"(expected, got): {wrong}"


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_outline_is_the_pages_in_reading_order(path: Path) -> None:
    expected, doc = _load(path)
    want = [(depth, label) for depth, label, *_ in expected["outline"]]
    assert outline(doc) == want


def test_every_expected_file_names_a_copied_page() -> None:
    assert len(EXPECTED) == 12
    provenance = (REAL / "provenance.tsv").read_text("utf-8")
    for path in EXPECTED:
        name = json.loads(path.read_text("utf-8"))["file"]
        assert (REAL / name).is_file()
        assert f"\n{name}\t" in provenance


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_tree_is_clean(path: Path) -> None:
    """Unique paths, no page chrome in a measure, and a page nobody numbered is still read."""
    from tests.test_normalize_corpus import CHROME

    expected, doc = _load(path)
    assert doc.quality.usable(), doc.quality.reason
    paths = [m.path for m in doc.iter_measures()]
    assert len(paths) == len(set(paths))
    for m in doc.iter_measures():
        hits = [c for c in CHROME if c in m.text or c in m.heading]
        assert not hits, f"chrome {hits} in measure {m.label}: {m.text[:60]}"
    if expected["outline"]:
        assert doc.measures() or doc.sections
