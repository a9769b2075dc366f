"""Revised versions of real documents with known edits, and the changes they must produce.

A revision starts from a real page of tests/data/corpus. Edits that a page's text can carry
are made in the page source, then the page goes through `normalize` again, so the normalizer
is exercised as it would be on a re-crawl:

- chrome: the view counter, the rendering date and a related-links box change (HTML outside
  the body); for .txt/.md, line endings and trailing blanks change;
- cosmetic: inside measures, commas/semicolons/colons become half-width, digits full-width,
  spaces appear between characters;
- reword: a short run inside a measure is replaced, a number changes, a clause is added.

Edits that need the numbering rewritten (insert mid-section, delete, move, split, merge) are
made on the normalized Document, renumbering the labels that follow the way a drafter would
(第X条 across the document, other styles inside their section).

`Truth` lists the expected changes as (kind, old path, new path); `score` compares a
ChangeSet against it.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from pipeline.schema import Change, ChangeSet, Document, Measure, Section
from pipeline.text import norm_text, text_hash

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
PAIRS = Path(__file__).resolve().parent / "data" / "pairs"

SKIP_FILES = {"enc-mismatch-163-traffic.html"}  # a news page kept only as a decoder fixture

RECIPES = ("chrome", "cosmetic", "reword", "insert", "delete", "move", "split", "merge", "mixed")

MIN_TEXT = 16
"""Measures shorter than this are not reworded: a few changed characters would be half of them."""

Key = tuple[str, str | None, str | None]


@dataclass
class Revision:
    name: str  # file:recipe:seed
    recipe: str
    old: Document
    new: Document
    truth: list[Key]  # expected changes: (kind, old path, new path)
    old_source: str = ""  # page text, for the line-diff baseline
    new_source: str = ""


@dataclass
class Score:
    tp: dict[str, int] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)
    fn: dict[str, int] = field(default_factory=dict)

    def add(self, reported: list[Key], truth: list[Key]) -> None:
        rest = list(truth)
        for key in reported:
            if key in rest:
                rest.remove(key)
                self.tp[key[0]] = self.tp.get(key[0], 0) + 1
            else:
                self.fp[key[0]] = self.fp.get(key[0], 0) + 1
        for key in rest:
            self.fn[key[0]] = self.fn.get(key[0], 0) + 1

    def precision(self, kind: str) -> float:
        tp, fp = self.tp.get(kind, 0), self.fp.get(kind, 0)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str) -> float:
        tp, fn = self.tp.get(kind, 0), self.fn.get(kind, 0)
        return tp / (tp + fn) if tp + fn else 1.0


def change_key(c: Change) -> Key:
    return (c.kind, c.old.path if c.old else None, c.new.path if c.new else None)


def reported_keys(cs: ChangeSet) -> list[Key]:
    return [change_key(c) for c in cs.changes]


# --- labels ---------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_NUM = re.compile(r"\d+|[零一二三四五六七八九十百千两]+")


def cn_to_int(s: str) -> int:
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS.index(ch)
        elif ch == "两":
            current = 2
        else:
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def int_to_cn(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    out = ""
    for unit, name in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, unit)
        if q:
            out += ("" if (unit == 10 and q == 1 and not out) else _CN_DIGITS[q]) + name
        elif out and n:
            out += "零" if not out.endswith("零") else ""
    if n:
        out += _CN_DIGITS[n]
    return out


def shift_label(label: str, by: int) -> str:
    """The label with its (last) number moved by `by`: 第五条 -> 第六条, (3) -> (4), 二是 -> 三是."""
    matches = list(_NUM.finditer(label))
    if not matches:
        return label
    m = matches[0] if label.startswith("第") else matches[-1]
    raw = m.group()
    value = int(raw) + by if raw.isdigit() else cn_to_int(raw) + by
    if value < 1:
        return label
    text = str(value) if raw.isdigit() else int_to_cn(value)
    return label[: m.start()] + text + label[m.end() :]


def _style(label: str) -> str:
    """The numbering style: 第#条 (and its 款) share one numbering across the whole law."""
    if _ARTICLE.match(label):
        return "第#条"
    return _NUM.sub("#", label)


_ARTICLE = re.compile(r"第[零一二三四五六七八九十百千两\d]+条")


# --- document edits ---------------------------------------------------------------------


@dataclass
class Slot:
    """Where a measure sits: its section and index there."""

    section: Section
    index: int


def _slots(doc: Document) -> list[Slot]:
    return [Slot(s, i) for s in doc.iter_sections() for i in range(len(s.measures))]


def _set_text(m: Measure, text: str) -> None:
    m.text = text
    m.norm_text = norm_text(text)
    m.hash = text_hash(m.norm_text)


def _renumber_after(doc: Document, section: Section, start: int, label_style: str, by: int) -> None:
    """Shift the labels of measures after `start` in `section` (or the whole document for 条)."""
    doc_wide = label_style == "第#条"
    after = False
    for s in doc.iter_sections():
        if s is not section and not (doc_wide and after):
            continue
        for i, m in enumerate(s.measures):
            if s is section and i < start:
                continue
            if _style(m.label) == label_style:
                m.label = shift_label(m.label, by)
        after = after or s is section


def _repath(doc: Document, *sections: Section) -> None:
    """New paths for the measures of edited sections; the others keep the normalizer's.

    ":" never occurs in a normalizer path, so an edited path can never collide with one.
    The 款 of a 条 get the 条's path and their rank ("2:5.1", "2:5.2"), as the normalizer
    nests them ("2.5.1"), so a 条 has a path of its own: "2:5".
    """
    for s in sections:
        rank, previous, k = 0, None, 0
        for m in s.measures:
            art = _article(m.label)
            if not art or art != previous:
                rank, k = rank + 1, 0
            previous = art
            k += 1
            m.path = f"{s.path}:{rank}.{k}" if "款" in m.label else f"{s.path}:{rank}"


def _article(label: str) -> str:
    m = _ARTICLE.match(label)
    return m.group() if m else ""


def _article_span(s: Section, k: int) -> tuple[int, int]:
    """[start, end) of the measures of `s` that belong to the 条 of measure k (its 款)."""
    art = _article(s.measures[k].label)
    if not art:
        return k, k + 1
    a, b = k, k + 1
    while a > 0 and _article(s.measures[a - 1].label) == art:
        a -= 1
    while b < len(s.measures) and _article(s.measures[b].label) == art:
        b += 1
    return a, b


def article_path(paths: list[str]) -> str:
    """The path a change of a whole 条 is reported at: its first 款's (compare's _article_ref)."""
    return paths[0]


# --- source edits -----------------------------------------------------------------------


def _unique_window(source: str, text: str, rng: random.Random, size: int = 10) -> tuple[int, int] | None:
    """A run of `text` found exactly once in `source`, as (start, end) in `source`."""
    if len(text) < size:
        return None
    starts = list(range(0, len(text) - size + 1))
    rng.shuffle(starts)
    for st in starts[:40]:
        chunk = text[st : st + size]
        at = source.find(chunk)
        if at >= 0 and source.find(chunk, at + 1) < 0:
            return at, at + size
    return None


_COSMETIC: list[tuple[str, str]] = [
    ("，", ","),
    ("；", ";"),
    ("：", ":"),
    ("（", "("),
    ("）", ")"),
    ("、", "，"),
]
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def cosmetic_variant(chunk: str, rng: random.Random) -> str:
    """Width, spacing or punctuation variants only: norm_text or bare_text stays equal."""
    out = chunk
    for a, b in _COSMETIC:
        out = out.replace(a, b)
    out = out.translate(_FULLWIDTH_DIGITS)
    if out == chunk:
        k = rng.randrange(1, len(chunk))
        out = chunk[:k] + "\u3000" + chunk[k:]  # an ideographic space: layout only
    return out


_PHRASES = ["进一步", "按照规定", "及时", "依法", "相关部门", "统筹协调", "原则上", "会同有关部门", "严格"]
_CLAUSES = ["，并报市人民政府备案", "，具体办法另行制定", "，确保工作落到实处", "，逐步提高保障水平"]


def reword(text: str, rng: random.Random) -> str:
    """A drafter's edit of one measure: a number changes, a phrase is swapped, a clause added."""
    digits = list(re.finditer(r"\d+", text))
    choice = rng.randrange(3)
    if choice == 0 and digits:
        m = rng.choice(digits)
        return text[: m.start()] + str(int(m.group()) + rng.randint(1, 9) * 5) + text[m.end() :]
    if choice == 1 and len(text) >= MIN_TEXT:
        k = rng.randrange(2, len(text) - 6)
        return text[:k] + rng.choice(_PHRASES) + text[k + rng.randint(2, 4) :]
    end = text.rstrip("。；;.")
    return end + rng.choice(_CLAUSES) + text[len(end) :]


# --- chrome -------------------------------------------------------------------------------

_COUNTER = re.compile(r"((?:浏览|阅读|点击|访问)(?:次数|量|数)?\s*[:：]?\s*(?:<[^>]{0,200}>\s*){0,4})(\d+|-)")
_DATE = re.compile(r"(20\d\d)-(\d\d)-(\d\d) (\d\d):(\d\d)(?::(\d\d))?")


def chrome_variant(html: str, rng: random.Random) -> str:
    """The same page rendered on another day: counter, clock, related links, cache busters."""
    out = _COUNTER.sub(lambda m: m.group(1) + str(rng.randint(100, 99999)), html)
    out = re.sub(r"(\.(?:js|css))\?v=[\w.]+", lambda m: f"{m.group(1)}?v={rng.randint(1000, 9999)}", out)
    stamp = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    footer = (
        f'<div class="footer-info"><span>当前时间：{stamp}</span> <span>访问量：{rng.randint(1000, 9999999)}</span></div>'
        f'<div class="related"><h3>相关链接</h3><ul><li><a href="/zwgk/{rng.randint(1, 999)}.html">'
        f"关于做好{rng.choice(['春节', '国庆', '汛期'])}期间有关工作的通知</a></li></ul></div>"
    )
    at = out.lower().rfind("</body>")
    return out[:at] + footer + out[at:] if at >= 0 else out + footer


def layout_variant(text: str, rng: random.Random) -> str:
    """A plain-text re-export: CRLF line ends and trailing blanks."""
    lines = text.split("\n")
    return "\r\n".join(line + (" " * rng.randint(0, 2)) for line in lines) + "\r\n"


# --- the generator ------------------------------------------------------------------------

Normalizer = Callable[..., Document]


def corpus_files() -> list[Path]:
    return sorted(
        p
        for p in CORPUS.iterdir()
        if p.suffix in (".html", ".txt", ".md") and p.name not in SKIP_FILES and p.name != "README.md"
    )


def decode(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


class Generator:
    """Builds revisions of one corpus page; `normalize` is the project's normalizer."""

    def __init__(self, path: Path, normalize: Normalizer, pool: list[str]) -> None:
        self.path = path
        self.normalize = normalize
        self.source = decode(path)
        self.base = self._norm(self.source)
        self.pool = pool  # measure texts of other documents, for insertions
        self.rejected = 0  # source edits the normalizer turned into a different structure

    def _norm(self, source: str) -> Document:
        return self.normalize(source.encode("utf-8"), url="", filename=self.path.name)

    def measures(self) -> list[Measure]:
        return self.base.measures()

    # a source edit must leave the structure alone: same paths, same labels
    def _same_shape(self, a: Document, b: Document) -> bool:
        ma, mb = a.measures(), b.measures()
        return [(m.path, m.label) for m in ma] == [(m.path, m.label) for m in mb]

    def _source_edit(self, rng: random.Random, kind: str, count: int) -> tuple[Document, list[Key]] | None:
        """Edit `count` measures in the page source; None when no edit survives normalization."""
        candidates = [m for m in self.measures() if len(m.text) >= MIN_TEXT]
        duplicates = {m.hash for m in self.measures() if sum(x.hash == m.hash for x in self.measures()) > 1}
        candidates = [m for m in candidates if m.hash not in duplicates]
        rng.shuffle(candidates)
        source = self.source
        touched: list[Measure] = []
        for m in candidates:
            if len(touched) == count:
                break
            window = _unique_window(source, m.text, rng, size=12 if kind == "reword" else 10)
            if window is None:
                continue
            a, b = window
            chunk = source[a:b]
            new_chunk = cosmetic_variant(chunk, rng) if kind == "cosmetic" else reword(chunk, rng)
            if new_chunk == chunk:
                continue
            source = source[:a] + new_chunk + source[b:]
            touched.append(m)
        if len(touched) < count:
            return None
        doc = self._norm(source)
        if not self._same_shape(self.base, doc):
            self.rejected += 1
            return None
        by_path = {m.path: m for m in doc.measures()}
        truth: list[Key] = []
        for m in touched:
            after = by_path[m.path]
            if after.text == m.text:  # the edit fell outside the measure text (e.g. a heading)
                self.rejected += 1
                return None
            truth.append((kind if kind == "cosmetic" else "modified", m.path, m.path))
        self._last_source = source
        return doc, truth

    def revision(self, recipe: str, seed: int) -> Revision | None:
        rng = random.Random(f"{self.path.name}:{recipe}:{seed}")
        name = f"{self.path.name}:{recipe}:{seed}"
        self._last_source = self.source
        if recipe == "chrome":
            src = (
                chrome_variant(self.source, rng)
                if self.path.suffix == ".html"
                else layout_variant(self.source, rng)
            )
            return Revision(name, recipe, self.base, self._norm(src), [], self.source, src)
        if recipe in ("cosmetic", "reword"):
            got = self._source_edit(rng, recipe, rng.randint(1, 3))
            if got is None:
                return None
            doc, truth = got
            return Revision(name, recipe, self.base, doc, truth, self.source, self._last_source)
        doc = copy.deepcopy(self.base)
        tracker = Tracker(doc, self.base)
        edits = {
            "insert": [tracker.insert],
            "delete": [tracker.delete],
            "move": [tracker.move],
            "split": [tracker.split],
            "merge": [tracker.merge],
            "mixed": [tracker.reword, tracker.insert, tracker.delete],
        }[recipe]
        for edit in edits:
            if not edit(rng, self.pool):
                return None
        return Revision(name, recipe, self.base, doc, tracker.truth(), self.source, "")


class Tracker:
    """Edits a copy of a Document and remembers which old measure each new one came from."""

    def __init__(self, doc: Document, base: Document) -> None:
        self.doc = doc
        self.old_path = {id(m): b.path for m, b in zip(doc.measures(), base.measures(), strict=True)}
        # kind, old path, new measure (or the 款 of a 条 inserted whole)
        self.events: list[tuple[str, str | None, Measure | list[Measure] | None]] = []
        self.protected: set[int] = set()  # measures an earlier edit touched

    def _pick(self, rng: random.Random, min_len: int = 0, leave: int = 1) -> Slot | None:
        hashes = [m.hash for m in self.doc.measures()]
        slots = [
            s
            for s in _slots(self.doc)
            if len(s.section.measures) > leave
            and id(s.section.measures[s.index]) not in self.protected
            and id(s.section.measures[s.index]) in self.old_path
            and len(s.section.measures[s.index].text) >= min_len
            and hashes.count(s.section.measures[s.index].hash) == 1
        ]
        return rng.choice(slots) if slots else None

    def _fresh_text(self, rng: random.Random, pool: list[str], also: list[str] = ()) -> str | None:
        """A real measure of another document that resembles nothing in this one."""
        norms = [m.norm_text or norm_text(m.text) for m in self.doc.measures()]
        norms += [norm_text(t) for t in also]
        for _ in range(30):
            text = rng.choice(pool)
            n = norm_text(text)
            if all(fuzz.ratio(n, x) < 40 and fuzz.partial_ratio(n, x) < 70 for x in norms):
                return text
        return None

    def reword(self, rng: random.Random, pool: list[str]) -> bool:
        slot = self._pick(rng, MIN_TEXT, leave=0)
        if slot is None:
            return False
        m = slot.section.measures[slot.index]
        _set_text(m, reword(m.text, rng))
        self.protected.add(id(m))
        self.events.append(("modified", self.old_path[id(m)], m))
        return True

    def insert(self, rng: random.Random, pool: list[str]) -> bool:
        sections = [s for s in self.doc.iter_sections() if len(s.measures) >= 2]
        text = self._fresh_text(rng, pool)
        if not sections or text is None:
            return False
        s = rng.choice(sections)
        # mid-section (never first, never after the last), and never between two 款 of one 条
        spots = [
            k for k in range(1, len(s.measures)) if "款" not in s.measures[k].label.replace("第一款", "")
        ]
        if not spots:
            return False
        k = rng.choice(spots)
        neighbour = s.measures[k]
        style = _style(neighbour.label)
        if style != "第#条":
            _renumber_after(self.doc, s, k, style, +1)
            m = Measure(label=neighbour.label, path="", text=text)
            _set_text(m, text)
            s.measures.insert(k, m)
            _repath(self.doc, s)
            self.protected.add(id(m))
            self.events.append(("added", None, m))
            return True
        # a law gains a whole 条, often with several 款 (增加一条，作为第N条)
        texts = [text]
        for _ in range(rng.choice((0, 1, 1, 2))):
            extra = self._fresh_text(rng, pool, also=texts)
            if extra is None:
                break
            texts.append(extra)
        label = _ARTICLE.match(neighbour.label).group()
        _renumber_after(self.doc, s, k, style, +1)
        new = []
        for i, t in enumerate(texts, 1):
            m = Measure(label=f"{label}第{int_to_cn(i)}款" if len(texts) > 1 else label, path="", text=t)
            _set_text(m, t)
            new.append(m)
        s.measures[k:k] = new
        _repath(self.doc, s)
        self.protected.update(id(m) for m in new)
        self.events.append(("added", None, new))
        return True

    def delete(self, rng: random.Random, pool: list[str]) -> bool:
        slot = self._pick(rng, leave=1)
        if slot is None:
            return False
        s, k = slot.section, slot.index
        a, b = _article_span(s, k)  # a law loses a whole 条 with its 款 (删去第N条)
        gone = s.measures[a:b]
        if b - a >= len(s.measures) or any(
            id(m) in self.protected or id(m) not in self.old_path for m in gone
        ):
            return False
        del s.measures[a:b]
        label = gone[0].label
        style = _style(label)
        _renumber_after(self.doc, s, a, style, -1)
        _repath(self.doc, s)
        paths = [self.old_path[id(m)] for m in gone]
        self.events.append(("removed", article_path(paths) if style == "第#条" else paths[0], None))
        return True

    def move(self, rng: random.Random, pool: list[str]) -> bool:
        slot = self._pick(rng, 8, leave=1)
        if slot is None:
            return False
        s, k = slot.section, slot.index
        m = s.measures[k]
        if _style(m.label) == "第#条":
            return self._move_article(rng, s, k)
        others = [t for t in self.doc.iter_sections() if t is not s and t.measures]
        if others:
            dest = rng.choice(others)
            at = rng.randrange(0, len(dest.measures) + 1)
        elif len(s.measures) >= 5:
            dest = s
            choices = [i for i in range(len(s.measures)) if abs(i - k) >= 2]
            at = rng.choice(choices)
        else:
            return False
        # relabel the way an editor would: the old slot closes up, the new one opens
        src_labels = [x.label for x in s.measures]
        dst_labels = [x.label for x in dest.measures]
        s.measures.pop(k)
        dest.measures.insert(at, m)
        if dest is not s:
            dst_labels.append(shift_label(dst_labels[-1], +1))
            for x, label in zip(dest.measures, dst_labels, strict=True):
                x.label = label
        for x, label in zip(s.measures, src_labels, strict=False):
            x.label = label
        _repath(self.doc, s, dest)
        self.protected.add(id(m))
        self.events.append(("moved", self.old_path[id(m)], m))
        return True

    def _move_article(self, rng: random.Random, s: Section, k: int) -> bool:
        """Move a one-款 条 elsewhere in the law, changing its order (a chapter change alone is no move).

        It jumps over at least two measures, so that which side moved is not a tie.
        """
        if _article_span(s, k) != (k, k + 1):
            return False
        m = s.measures[k]
        order = self.doc.measures()
        rank = order.index(m)
        spots = []
        for dest in self.doc.iter_sections():
            rest = [x for x in dest.measures if x is not m]
            for at in range(len(rest) + 1):
                if 0 < at < len(rest) and _article(rest[at].label) == _article(rest[at - 1].label):
                    continue  # never between two 款 of one 条
                before = rest[at - 1] if at else None
                new_rank = 0 if before is None else [x for x in order if x is not m].index(before) + 1
                if abs(new_rank - rank) >= 2 and not (dest is s and len(s.measures) == 1):
                    spots.append((dest, at))
        if not spots:
            return False
        dest, at = rng.choice(spots)
        labels = []  # the 条 numbers in reading order stay; the 条 that moved takes the number of its new place
        for x in order:
            art = _article(x.label)
            if art and (not labels or labels[-1][1] is not self._art_key(x, order)):
                labels.append((art, self._art_key(x, order)))
        s.measures.pop(k)
        dest.measures.insert(at, m)
        new_order = self.doc.measures()
        groups: list[list[Measure]] = []
        for x in new_order:
            if not _article(x.label):
                continue
            if (
                groups
                and _article(groups[-1][-1].label) == _article(x.label)
                and x is not m
                and groups[-1][-1] is not m
            ):
                groups[-1].append(x)
            else:
                groups.append([x])
        for (art, _key), group in zip(labels, groups, strict=True):
            for x in group:
                x.label = art + x.label[len(_article(x.label)) :]
        _repath(self.doc, s, dest)
        self.protected.add(id(m))
        self.events.append(("moved", self.old_path[id(m)], m))
        return True

    @staticmethod
    def _art_key(x: Measure, order: list[Measure]) -> object:
        # the first 款 of the 条 x belongs to, as an identity for grouping
        i = order.index(x)
        while i > 0 and _article(order[i - 1].label) == _article(x.label):
            i -= 1
        return order[i]

    def split(self, rng: random.Random, pool: list[str]) -> bool:
        for _ in range(20):
            slot = self._pick(rng, 24, leave=0)
            if slot is None:
                return False
            m = slot.section.measures[slot.index]
            cuts = [
                i + 1 for i, ch in enumerate(m.text[:-1]) if ch in "。；;" and 8 <= i + 1 <= len(m.text) - 8
            ]
            if not cuts:
                continue
            cut = min(cuts, key=lambda i: abs(i - len(m.text) / 2))
            first, second = m.text[:cut], m.text[cut:]
            s, k = slot.section, slot.index
            _renumber_after(self.doc, s, k + 1, _style(m.label), +1)
            _set_text(m, first)
            extra = Measure(label=shift_label(m.label, +1), path="", text=second)
            _set_text(extra, second)
            s.measures.insert(k + 1, extra)
            _repath(self.doc, s)
            self.protected.update({id(m), id(extra)})
            self.events.append(("split", self.old_path[id(m)], m))
            return True
        return False

    def merge(self, rng: random.Random, pool: list[str]) -> bool:
        pairs = [
            (s, i)
            for s in self.doc.iter_sections()
            for i in range(len(s.measures) - 1)
            if all(
                id(x) in self.old_path and id(x) not in self.protected and len(x.text) >= 8
                for x in s.measures[i : i + 2]
            )
            and s.measures[i].hash != s.measures[i + 1].hash
        ]
        if not pairs:
            return False
        s, i = rng.choice(pairs)
        a, b = s.measures[i], s.measures[i + 1]
        joiner = "" if a.text.endswith(("。", "；", ";", "：")) else "。"
        _set_text(a, a.text + joiner + b.text)
        s.measures.pop(i + 1)
        _renumber_after(self.doc, s, i + 1, _style(b.label), -1)
        _repath(self.doc, s)
        self.protected.add(id(a))
        self.old_path.pop(id(b))
        self.events.append(("merged", self.old_path[id(a)], a))
        return True

    def truth(self) -> list[Key]:
        out: list[Key] = []
        for kind, old, m in self.events:
            if isinstance(m, list):  # a 条 inserted whole: one change of the 条
                out.append((kind, old, article_path([x.path for x in m])))
            else:
                out.append((kind, old, m.path if m is not None else None))
        return out


def measure_pool(docs: list[Document]) -> list[str]:
    return [m.text for d in docs for m in d.measures() if 20 <= len(m.text) <= 200]
