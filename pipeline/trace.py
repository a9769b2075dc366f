"""Implementation tracing: which measure of a local document adopts each measure of its source.

A local 实施办法 restates the articles of a national law in its own order, adapted to the
place ("县级以上地方人民政府" becomes "市和区人民政府", "本法" becomes "本办法"), narrowed,
merged or left out; an 实施意见 does the same with the measures of the 意见 it implements.
The units compared are what a reader cites: the 条 of a law (its 款 joined), otherwise the
measure.

Scoring is rapidfuzz's `fuzz.ratio` over all pairs (`process.cdist`), after a folding that
makes the usual jurisdiction words alike on both sides (`_JURISDICTION`): an adaptation that
only renames the level of government should not cost the pair its match. A local 条 often
restates one 款 of a long national 条 (第九条's 引咎辞职 款, 第二条's 不收学费、杂费), which the
ratio of the two whole 条 buries under the length difference; so the 款 are scored too, and a
pair of 条 is worth the better of its own ratio and `PART_WEIGHT` times its best 款 pair. Pairing is
`pipeline.align.assign`, the same optimal one-to-one assignment the version comparison uses:
order is only a tie-break, since a local text regroups the law's articles (the Shanghai 办法
moves 经费 ahead of 学校). Each source unit is then `identical` (same words once width and
punctuation are folded), `adapted` (with the inline diff) or `absent`; local units paired with
nothing are `local_only`, what the local text adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.align import assign
from pipeline.articles import group_articles
from pipeline.inline_diff import Span, inline_diff, render_markup
from pipeline.schema import Document
from pipeline.text import bare_text, norm_text

TRACE_THRESHOLD = 40.0
"""Lowest folded ratio for "adopts": below it a pair shares the vocabulary of the field
(适龄儿童、少年, 农民专业合作社) rather than a provision."""

PART_WEIGHT = 0.9
"""A 条 pair adopted through one 款 pair counts a little less than one matched whole."""

ADOPTION_KINDS = ("identical", "adapted", "absent")

# Words that name the level of government or the instrument itself; a local text substitutes
# its own for them, so both sides are folded to one placeholder before scoring (not for display).
_JURISDICTION = re.compile(
    "|".join(
        sorted(
            (
                "国务院和县级以上地方人民政府", "国务院和地方各级人民政府", "县级以上地方人民政府", "县级以上人民政府",
                "地方各级人民政府", "县级人民政府", "乡镇人民政府", "各级人民政府", "市和区人民政府", "市、区人民政府",
                "区、县人民政府", "区县人民政府", "本市各级人民政府", "市人民政府", "区人民政府", "人民政府",
                "省、自治区、直辖市", "本行政区域", "本市", "国家",
            ),
            key=len,
            reverse=True,
        )
    )
)
_INSTRUMENT = re.compile(r"本(?:办法|法|条例|规定|细则|意见|方案)")


def match_key(text: str) -> str:
    """The text as it is scored: normalized, jurisdiction and instrument words folded."""
    return _INSTRUMENT.sub("本", _JURISDICTION.sub("政", norm_text(text)))


@dataclass
class Unit:
    """One unit of a document as a reader names it: a 条 (label "第十二条") or a measure."""

    label: str
    path: str
    text: str
    parts: list[str] = field(default_factory=list)  # the 款 of a 条; empty for a measure

    def part_texts(self) -> list[str]:
        return self.parts or [self.text]


@dataclass
class Adoption:
    """What the local document made of one source unit."""

    source: Unit
    kind: str  # one of ADOPTION_KINDS
    local: Unit | None = None
    similarity: float | None = None  # folded ratio, 0..100
    diff: list[Span] = field(default_factory=list)  # source -> local, for `adapted`


@dataclass
class Trace:
    adoptions: list[Adoption] = field(default_factory=list)  # one per source unit, in its order
    local_only: list[Unit] = field(default_factory=list)  # local units adopting nothing, in order

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ADOPTION_KINDS}
        for a in self.adoptions:
            out[a.kind] += 1
        out["local_only"] = len(self.local_only)
        return out

    def to_dict(self) -> dict:
        def unit(u: Unit | None) -> dict | None:
            return None if u is None else {"label": u.label, "path": u.path, "text": u.text}

        return {
            "adoptions": [{"kind": a.kind, "source": unit(a.source), "local": unit(a.local), "similarity": a.similarity,
                           "diff": [list(span) for span in a.diff]} for a in self.adoptions],
            "local_only": [unit(u) for u in self.local_only],
            "counts": self.counts(),
        }


def units(doc: Document) -> list[Unit]:
    """The 条 of a law, each with its 款 joined; the measures of any other document."""
    ms = doc.measures()
    sections = [m.path.rpartition(".")[0] for m in ms]
    arts = group_articles([m.label for m in ms], [m.path for m in ms], sections)
    out: list[Unit] = []
    seen: set[int] = set()
    for m, art in zip(ms, arts, strict=True):
        if art is None:
            out.append(Unit(m.label, m.path, m.text))
        elif id(art) not in seen:
            seen.add(id(art))
            parts = [ms[i].text for i in art.members]
            out.append(Unit(art.label, art.path, "\n".join(parts), parts if len(parts) > 1 else []))
    return out


SMALL_CDIST = 4096
"""Below this many cells cdist runs on one thread (thread start-up costs more than it saves)."""


def _cdist(a: list[str], b: list[str], cutoff: float) -> np.ndarray:
    # a cutoff lets rapidfuzz skip pairs whose lengths alone rule them out; they score 0, which
    # the assignment reads as no edge anyway
    workers = 1 if len(a) * len(b) < SMALL_CDIST else -1
    return process.cdist(a, b, scorer=fuzz.ratio, dtype=np.float32, score_cutoff=cutoff, workers=workers)


def score_matrix(source: list[Unit], local: list[Unit], threshold: float = 0.0) -> np.ndarray:
    """Folded `fuzz.ratio` of every source unit against every local unit (0..100), raised to
    PART_WEIGHT × the best pair of their 款 where that is higher; scores below `threshold` may
    read 0."""
    scores = _cdist([match_key(u.text) for u in source], [match_key(u.text) for u in local], threshold)
    if not any(u.parts for u in source) and not any(u.parts for u in local):
        return scores
    s_owner = np.array([i for i, u in enumerate(source) for _ in u.part_texts()])
    l_owner = np.array([j for j, u in enumerate(local) for _ in u.part_texts()])
    parts = _cdist([match_key(t) for u in source for t in u.part_texts()],
                   [match_key(t) for u in local for t in u.part_texts()], threshold / PART_WEIGHT) * PART_WEIGHT
    # the best 款 pair of each 条 pair: max over local 款 into local 条, then over source 款
    by_local = np.full((parts.shape[0], len(local)), 0, dtype=np.float32)
    np.maximum.at(by_local, (slice(None), l_owner), parts)
    best = np.full((len(source), len(local)), 0, dtype=np.float32)
    np.maximum.at(best, s_owner, by_local)
    return np.maximum(scores, best)


def _positions(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / max(n - 1, 1)


def trace_units(source: list[Unit], local: list[Unit], threshold: float = TRACE_THRESHOLD) -> Trace:
    scores = score_matrix(source, local, threshold) if source and local else np.zeros((len(source), len(local)))
    paired = {r: (c, s) for r, c, s in assign(scores, threshold, _positions(len(source)), _positions(len(local)))}
    result = Trace()
    for r, su in enumerate(source):
        if r not in paired:
            result.adoptions.append(Adoption(source=su, kind="absent"))
            continue
        c, s = paired[r]
        lu = local[c]
        if bare_text(su.text) == bare_text(lu.text):
            result.adoptions.append(Adoption(source=su, kind="identical", local=lu, similarity=round(s, 1)))
        else:
            result.adoptions.append(Adoption(source=su, kind="adapted", local=lu, similarity=round(s, 1),
                                             diff=inline_diff(su.text, lu.text)))
    taken = {c for c, _ in paired.values()}
    result.local_only = [u for c, u in enumerate(local) if c not in taken]
    return result


def trace(source: Document, local: Document, threshold: float = TRACE_THRESHOLD) -> Trace:
    """For each unit of `source`, the unit of `local` that adopts it (or none); and what `local` adds."""
    return trace_units(units(source), units(local), threshold)


KIND_NAMES = {"identical": "照搬", "adapted": "改写", "absent": "未见", "local_only": "本地新增"}
"""What a reader sees for each kind (Chinese by default)."""


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_text(t: Trace, width: int = 60) -> str:
    """One line per source unit (上位条文 → 本地条文, kind, similarity, the changed words), then the
    local units with no source, then the counts."""
    lines = []
    for a in t.adoptions:
        name = KIND_NAMES[a.kind]
        if a.local is None:
            lines.append(f"{a.source.label} → —  {name}  {_short(a.source.text, width)}")
            continue
        sim = f"{a.similarity:.1f}" if a.similarity is not None else ""
        shown = _short(render_markup(a.diff), width * 2) if a.diff else _short(a.local.text, width)
        lines.append(f"{a.source.label} → {a.local.label}  {name} {sim}  {shown}")
    for u in t.local_only:
        lines.append(f"— → {u.label}  {KIND_NAMES['local_only']}  {_short(u.text, width)}")
    c = t.counts()
    lines.append("")
    lines.append("，".join(f"{KIND_NAMES[k]} {c[k]}" for k in ("identical", "adapted", "absent", "local_only")))
    return "\n".join(lines)
