"""The change vocabulary: every kind of change, document event and field a person is told about,
their order, and their labels (a message id for a Babel catalogue, today's Chinese and English).

Every package names kinds through these tables (re-exported by pipeline.schema): a new kind is
added here, with its labels, and no other list of kinds is written out anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_KINDS",
    "CHANGE_KINDS",
    "DEFAULT_KINDS",
    "DIGEST_KINDS",
    "DOCUMENT_EVENTS",
    "DOCUMENT_HEADER_FIELDS",
    "FIELD_LABELS",
    "HIDDEN_KINDS",
    "KIND_LABELS",
    "KIND_ORDER",
    "METADATA",
    "METADATA_FIELDS",
    "STATUS_LABELS",
    "UNCHANGED",
    "Label",
    "field_label",
    "kind_label",
]

CHANGE_KINDS = ("added", "removed", "modified", "moved", "cosmetic", "split", "merged")
"""Measure-level change kinds. `renumbered` is a flag on a pairing, not a kind."""

DIGEST_KINDS = ("added", "removed", "modified", "moved", "split", "merged")
"""Kinds a digest shows by default: everything but cosmetic."""

HIDDEN_KINDS = ("cosmetic",)
"""Kinds kept in the history but left out of listings unless asked for."""

METADATA = "metadata"
"""The kind of a change of a document field (METADATA_FIELDS, and attachment_content)."""

DOCUMENT_EVENTS = ("document_added", "withdrawn", "republished")
"""Changes of a document as a whole, with no measure behind them: first seen, gone (404/410 or
delisted), and back after a withdrawal."""

ALL_KINDS = (*CHANGE_KINDS, METADATA, *DOCUMENT_EVENTS)
"""Every kind a stored change can have, in the order a reader is offered them."""

DEFAULT_KINDS = (*DIGEST_KINDS, METADATA, *DOCUMENT_EVENTS)
"""What a subscription gets without `kinds`: everything but cosmetic."""

KIND_ORDER = (
    "document_added",
    "withdrawn",
    "republished",
    "modified",
    "added",
    "removed",
    "split",
    "merged",
    "moved",
    METADATA,
)
"""The order a digest counts kinds in: document events first, then what matters most."""

METADATA_FIELDS = (
    "title",
    "doc_number",
    "publisher",
    "written_date",
    "published_date",
    "status",
    "index_number",
    "category",
    "subject_terms",
    "attachments",
)
"""Document fields whose change is reported as a `metadata` change."""


UNCHANGED = "unchanged"
"""Not a stored kind: the side-by-side diff's name for a pair of measures kept as they were."""


def N_(message: str) -> str:
    """Marks a message for the catalogue (Babel extracts N_ calls) without translating it: the
    layers below the UI know no language; whoever shows the message translates it."""
    return message


@dataclass(frozen=True)
class Label:
    """What a person reads for a kind or a field: a message id (for a Babel catalogue) and today's
    Chinese and English text. Chinese is the default: the users read Chinese."""

    msgid: str
    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh


KIND_LABELS: dict[str, Label] = {
    "added": Label("kind.added", "新增条款", "added"),
    "removed": Label("kind.removed", "删除条款", "removed"),
    "modified": Label("kind.modified", "修改条款", "modified"),
    "moved": Label("kind.moved", "条款移动", "moved"),
    "cosmetic": Label("kind.cosmetic", "格式调整", "cosmetic"),
    "split": Label("kind.split", "条款拆分", "split"),
    "merged": Label("kind.merged", "条款合并", "merged"),
    METADATA: Label("kind.metadata", "信息变更", "metadata"),
    "document_added": Label("kind.document_added", "新增文件", "document added"),
    "withdrawn": Label("kind.withdrawn", "文件撤下", "withdrawn"),
    "republished": Label("kind.republished", "重新发布", "republished"),
    UNCHANGED: Label("kind.unchanged", "未变", "unchanged"),
}

FIELD_LABELS: dict[str, Label] = {
    "doc_number": Label("field.doc_number", "文号", "document number"),
    "title": Label("field.title", "标题", "title"),
    "publisher": Label("field.publisher", "发布机构", "publisher"),
    "published_date": Label("field.published_date", "发布日期", "published"),
    "written_date": Label("field.written_date", "成文日期", "written"),
    "status": Label("field.status", "有效性", "status"),
    "index_number": Label("field.index_number", "索引号", "index number"),
    "category": Label("field.category", "分类", "category"),
    "subject_terms": Label("field.subject_terms", "主题词", "subject terms"),
    "source": Label("field.source", "来源", "source"),
    "kind": Label("field.kind", "文件类型", "kind"),
    "attachments": Label("field.attachments", "附件", "attachments"),
    "attachment_content": Label("field.attachment_content", "附件内容", "attachment content"),
    "references": Label("field.references", "引用文件", "references"),
    "reason": Label("field.reason", "原因", "reason"),
    "withdrawn_at": Label("field.withdrawn_at", "撤下时间", "withdrawn at"),
}
"""Labels of document fields: metadata changes, event details, and a document's header."""

DOCUMENT_HEADER_FIELDS = (
    "doc_number",
    "index_number",
    "publisher",
    "category",
    "written_date",
    "published_date",
    "status",
    "source",
    "kind",
)
"""The fields a document page shows above its text, in this order."""

STATUS_LABELS: dict[str, Label] = {
    "active": Label("status.active", "在线", "online"),
    "withdrawn": Label("status.withdrawn", "已撤下", "withdrawn"),
    "running": Label("status.running", "进行中", "running"),
    "ok": Label("status.ok", "成功", "ok"),
    "failed": Label("status.failed", "失败", "failed"),
    "interrupted": Label("status.interrupted", "已中断", "interrupted"),
    "crashed": Label("status.crashed", "异常退出", "crashed"),
    "timeout": Label("status.timeout", "超时", "timed out"),
    "stopped": Label("status.stopped", "已停止", "stopped"),
    "skipped": Label("status.skipped", "跳过", "skipped"),
}
"""Statuses a person reads: a document's (active | withdrawn) and a crawl run's."""


def kind_label(kind: str, lang: str = "zh") -> str:
    """The label of a change kind in `lang` ("zh" or "en"); an unknown kind is its own label."""
    label = KIND_LABELS.get(kind)
    return getattr(label, lang) if label is not None else kind


def field_label(name: str, lang: str = "zh") -> str:
    """The label of a document field in `lang`; an unknown field is its own label."""
    label = FIELD_LABELS.get(name)
    return getattr(label, lang) if label is not None else name
