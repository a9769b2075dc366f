"""The change record, both ways: what `compare` found, as stored rows, and back.

Encoding: `change_rows` turns a ChangeSet between two stored versions into ChangeRow objects.
A side of a change points at its measure row when it has one; text outside measures (a
preamble, a paragraph added under （二）) and the 条 of a change in a law have no row of their
own, so they travel in `others`, each entry marked with the `side` it stands for.

Decoding: `change_json` turns a stored row (with its two measure rows) back into one change of
the `compare --json` shape. Every reader (analyst queries, web pages and feeds, digests,
export, the outbox's keyword text) reads a change through this module, so the `others`
conventions are known here only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from pipeline.schema import DOCUMENT_EVENTS, Change, ChangeSet, MeasureRef
from storage.models import ChangeRow, MeasureRow

Joins = Callable[[Select], Select]

# -- encoding --------------------------------------------------------------------------------


def measure_index(rows: Iterable[Any]) -> dict[tuple[str, str], int]:
    """{(path, hash): id} plus {(path, ""): id}, from (id, path, hash) rows."""
    ids: dict[tuple[str, str], int] = {}
    for mid, path, digest in rows:
        ids.setdefault((path, digest), mid)
        ids.setdefault((path, ""), mid)
    return ids


def measure_ids(session: Session, version_id: int) -> dict[tuple[str, str], int]:
    return measure_index(
        session.execute(
            select(MeasureRow.id, MeasureRow.path, MeasureRow.hash).where(MeasureRow.version_id == version_id)
        ).all()
    )


def _ref_id(ids: dict[tuple[str, str], int], ref: MeasureRef | None) -> int | None:
    if ref is None:
        return None
    return ids.get((ref.path, ref.hash)) or ids.get((ref.path, ""))


def _ref_json(ids: dict[tuple[str, str], int], ref: MeasureRef) -> dict[str, Any]:
    return {"path": ref.path, "label": ref.label, "measure_id": _ref_id(ids, ref)}


def _unit_refs(c: Change, old_ids: dict, new_ids: dict) -> list[dict[str, Any]]:
    """Sides that are not measure rows (preamble, cover note, section text, closing).

    compare reports reworded text outside measures too; those sides have no measure id, so
    their place and text travel in `others`, marked with the side they stand for.
    """
    out = []
    for side, ref, ids in (("old", c.old, old_ids), ("new", c.new, new_ids)):
        if ref is not None and _ref_id(ids, ref) is None:
            out.append({"side": side, "path": ref.path, "label": ref.label, "text": ref.text})
    return out


def _article_ref(c: Change) -> list[dict[str, Any]]:
    """The 条 a change of a law sits in, kept with the change (an `others` entry, side "article").

    A change inside a 条 names it (old_article/new_article); a 条 added, removed or moved whole
    also keeps its 款 and, per side, the 条's label and full text: its measure id points at
    the first 款 only (a 条 of several 款 has no row of its own).
    """
    if not (c.old_article or c.new_article):
        return []
    entry: dict[str, Any] = {"side": "article", "old_article": c.old_article, "new_article": c.new_article}
    if c.units:
        entry["units"] = [{"path": u.path, "label": u.label} for u in c.units]
        entry["whole"] = {
            side: {"label": ref.label, "text": ref.text}
            for side, ref in (("old", c.old), ("new", c.new))
            if ref is not None
        }
    return [entry]


def change_rows(
    cs: ChangeSet,
    *,
    document_id: int,
    version_id: int,
    prev_version_id: int,
    old_ids: dict[tuple[str, str], int],
    new_ids: dict[tuple[str, str], int],
    at: datetime,
) -> list[ChangeRow]:
    """ChangeRow objects for a ChangeSet between two stored versions."""
    rows = []
    for c in cs.changes:
        # For a merge the extra parts are old measures; for a split they are new ones.
        others_ids = old_ids if c.kind == "merged" else new_ids
        rows.append(
            ChangeRow(
                document_id=document_id,
                version_id=version_id,
                prev_version_id=prev_version_id,
                kind=c.kind,
                old_measure_id=_ref_id(old_ids, c.old),
                new_measure_id=_ref_id(new_ids, c.new),
                similarity=c.similarity,
                diff=[list(span) for span in c.diff] or None,
                renumbered=bool(c.renumbered),
                moved=bool(getattr(c, "moved", False)),
                others=[_ref_json(others_ids, o) for o in c.others]
                + _unit_refs(c, old_ids, new_ids)
                + _article_ref(c)
                or None,
                detected_at=at,
            )
        )
    for m in cs.metadata_changes:
        rows.append(
            ChangeRow(
                document_id=document_id,
                version_id=version_id,
                prev_version_id=prev_version_id,
                kind="metadata",
                field=m.field,
                old_value=_jsonable(m.old),
                new_value=_jsonable(m.new),
                renumbered=False,
                moved=False,
                detected_at=at,
            )
        )
    return rows


def unchanged_pairs(
    cs: ChangeSet, old_ids: dict[tuple[str, str], int], new_ids: dict[tuple[str, str], int]
) -> list[list[int]]:
    """The stored form of `cs.pairs`: [old measure id, new measure id], in the new version's order.

    Pairs of text outside measures (a preamble kept as it was) have no rows and are left out.
    """
    out = []
    for old, new in cs.pairs:
        o, n = _ref_id(old_ids, old), _ref_id(new_ids, new)
        if o is not None and n is not None:
            out.append([o, n])
    out.sort(key=lambda pair: pair[1])
    return out


def _jsonable(value: Any) -> Any:
    """Metadata values may be dataclasses (attachments): store their dict form."""
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


# -- decoding --------------------------------------------------------------------------------


def change_query(*columns: Any, side: Callable[[Any], Any] | None = None, joins: Joins | None = None) -> Select:
    """select(ChangeRow, old side, new side, *columns), each side's measure row outer-joined.

    `joins` adds the joins `columns` need; they come before the measure joins, so the planner
    sees the tables in the order the filters narrow them. `side` picks what of a measure row is
    read (`lambda m: m.norm_text`); by default the whole row.
    """
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    pick = side or (lambda m: m)
    stmt = select(ChangeRow, pick(old_m), pick(new_m), *columns).select_from(ChangeRow)
    if joins is not None:
        stmt = joins(stmt)
    return stmt.outerjoin(old_m, old_m.id == ChangeRow.old_measure_id).outerjoin(
        new_m, new_m.id == ChangeRow.new_measure_id
    )


def measure_json(m: MeasureRow | None) -> dict[str, Any] | None:
    """A measure row in the shape of a change's old/new side."""
    if m is None:
        return None
    return {"path": m.path, "label": m.label, "text": m.text, "heading": m.heading}


def _extras(c: ChangeRow) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """`others` split into the entries marked with a side and the extra parts of a split/merge."""
    entries = c.others or []
    marked = {o["side"]: o for o in entries if isinstance(o, dict) and "side" in o}
    return marked, [o for o in entries if not (isinstance(o, dict) and "side" in o)]


def change_json(c: ChangeRow, old: MeasureRow | None, new: MeasureRow | None) -> dict[str, Any]:
    """One stored change in the `compare --json` shape (plus `renumbered`, `moved`, the 条).

    A 条 changed whole shows its label and all its 款 on each side, not its first 款's row.
    """
    sides, others = _extras(c)

    def side(name: str, m: MeasureRow | None) -> dict[str, Any] | None:
        if m is not None:
            return measure_json(m)
        if name in sides:
            s = sides[name]
            return {"path": s["path"], "label": s["label"], "text": s["text"], "heading": ""}
        return None

    article = sides.get("article", {})
    out = {
        "kind": c.kind,
        "old": side("old", old),
        "new": side("new", new),
        "similarity": c.similarity,
        "diff": c.diff or [],
        "renumbered": c.renumbered,
        "moved": c.moved,
        "others": others,
        "old_article": article.get("old_article", ""),
        "new_article": article.get("new_article", ""),
        "units": article.get("units", []),
    }
    for name, whole in article.get("whole", {}).items():
        if out[name] is not None:
            out[name] = {**out[name], "label": whole["label"], "text": whole["text"]}
    return out


def metadata_json(c: ChangeRow) -> dict[str, Any]:
    return {"field": c.field, "old": c.old_value, "new": c.new_value}


def changeset_json(rows: Iterable[tuple[ChangeRow, MeasureRow | None, MeasureRow | None]]) -> dict[str, Any]:
    """The stored changes of one version comparison as `compare --json` gives them."""
    changes, metadata = [], []
    for c, old, new in rows:
        if c.kind == "metadata":
            metadata.append(metadata_json(c))
        elif c.kind not in DOCUMENT_EVENTS:
            changes.append(change_json(c, old, new))
    return {"changes": changes, "metadata_changes": metadata}


def carried_texts(c: ChangeRow) -> list[str]:
    """Text a change carries itself: a side with no measure row (a preamble, a paragraph added
    under （二）) and a 条 changed whole, whose measure row is its first 款 only."""
    sides, _ = _extras(c)
    out = [sides[name].get("text", "") for name in ("old", "new") if name in sides]
    out.extend(w["text"] for w in sides.get("article", {}).get("whole", {}).values())
    return out


def version_changes(session: Session, version_id: int) -> dict[str, Any]:
    """`changeset_json` of the changes stored for a version against its predecessor."""
    rows = session.execute(
        change_query().where(ChangeRow.version_id == version_id).order_by(ChangeRow.id)
    ).all()
    return changeset_json(rows)
