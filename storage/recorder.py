"""The change record: a ChangeSet between two stored versions as ChangeRow objects.

What remains here of the old recorder is the encoding of compare()'s output into change rows
(and the measure-id index it resolves references with); the writing of pages moved to
storage.ingest, storage.batch and storage.write_rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.schema import Change, ChangeSet, MeasureRef
from storage.models import ChangeRow, MeasureRow


def _index(rows: Iterable[Any]) -> dict[tuple[str, str], int]:
    """{(path, hash): id} plus {(path, ""): id}, from (id, path, hash) rows."""
    ids: dict[tuple[str, str], int] = {}
    for mid, path, digest in rows:
        ids.setdefault((path, digest), mid)
        ids.setdefault((path, ""), mid)
    return ids


def measure_ids(session: Session, version_id: int) -> dict[tuple[str, str], int]:
    return _index(
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


def _jsonable(value: Any) -> Any:
    """Metadata values may be dataclasses (attachments): store their dict form."""
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return value
