"""`policywatch compare OLD NEW [--json]`: the ChangeSet of two files (HTML, .txt or .md)."""

from __future__ import annotations

import argparse
import json
import sys

from policywatch.commands.normalize import load_document

CONTEXT = 12
"""Unchanged characters kept on each side of an edit in the table; the rest is elided."""

TEXT_WIDTH = 60
"""Characters of an added/removed measure shown in the table."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="what changed between two versions of a document",
        description="Align the measures of two versions of one document and list what changed.",
    )
    p.add_argument("old", metavar="OLD", help="the older version (HTML, .txt or .md)")
    p.add_argument("new", metavar="NEW", help="the newer version")
    p.add_argument("--url", default="", help="the page URL, for sites whose template is chosen by URL")
    p.add_argument("--json", action="store_true", help="print the ChangeSet as JSON")
    p.set_defaults(func=run)


def _shorten(spans: list[tuple[str, str]]) -> str:
    """The diff as [-del-]{+ins+}, with long unchanged runs cut down to CONTEXT characters."""
    out = []
    for k, (op, text) in enumerate(spans):
        if op == "delete":
            out.append(f"[-{text}-]")
        elif op == "insert":
            out.append(f"{{+{text}+}}")
        else:
            first, last = k == 0, k == len(spans) - 1
            if first and len(text) > CONTEXT:
                text = "…" + text[-CONTEXT:]
            elif last and len(text) > CONTEXT:
                text = text[:CONTEXT] + "…"
            elif not first and not last and len(text) > 2 * CONTEXT:
                text = text[:CONTEXT] + "…" + text[-CONTEXT:]
            out.append(text)
    return "".join(out)


def _label(ref) -> str:
    if ref is None:
        return "—"
    return ref.label or ref.path


def _units(c) -> str:
    """ " (3款)" after a 条 added, removed or moved whole with several 款."""
    return f" ({len(c.units)}款)" if c.units else ""


def _article_summary(cs) -> str:
    """The 条 events of a law, as a 修正决定 lists them; "" for a 公文."""
    from pipeline.articles import article_events
    from policywatch.cli_text import _, ngettext

    events = article_events(cs)
    if not events:
        return ""
    names = {
        "added": lambda n: ngettext("%(num)d article added", "%(num)d articles added", n),
        "removed": lambda n: ngettext("%(num)d article removed", "%(num)d articles removed", n),
        "modified": lambda n: ngettext("%(num)d article modified", "%(num)d articles modified", n),
        "moved": lambda n: ngettext("%(num)d article moved", "%(num)d articles moved", n),
    }
    parts = []
    for kind in ("added", "removed", "modified", "moved"):
        these = [e for e in events if e[0] == kind]
        if not these:
            continue
        shown = [(new if kind == "added" else old) for _k, old, new in these]
        parts.append(_("%(what)s (%(which)s)", what=names[kind](len(these)),
                       which="、".join(shown[:8]) + ("…" if len(shown) > 8 else "")))
    return _("articles: %(parts)s", parts=_("; ").join(parts))


def render_changes(cs) -> str:
    """The ChangeSet as a table for people: kind, old label → new label, similarity, the change
    (in the run's language, policywatch.cli_text; the warnings and notes are the comparer's)."""
    from policywatch.cli_text import _, field, kind

    lines = []
    for w in cs.warnings:
        lines.append(_("warning: %(text)s", text=w))
    if cs.warnings:
        lines.append("")
    for note in cs.notes:
        lines.append(_("note: %(text)s", text=note))
    for m in cs.metadata_changes:
        lines.append(f"{kind('metadata')}  {field(m.field)}: {m.old!r} → {m.new!r}")
    rows = []
    for c in cs.changes:
        arrow = f"{_label(c.old)} → {_label(c.new)}{_units(c)}"
        if c.others:
            extra = ", ".join(_label(r) for r in c.others)
            arrow = (
                f"{_label(c.old)} → {_label(c.new)} + {extra}"
                if c.kind == "split"
                else f"{_label(c.old)} + {extra} → {_label(c.new)}"
            )
        if c.renumbered and c.kind not in ("added", "removed"):
            arrow += _(" (renumbered)")
        sim = "" if c.similarity is None else f"{c.similarity:5.1f}"
        if c.kind in ("added", "removed"):
            text = (c.new or c.old).text
            change = text if len(text) <= TEXT_WIDTH else text[:TEXT_WIDTH] + "…"
        elif c.kind == "moved":
            change = _("moved from %(old)s to %(new)s", old=c.old.path, new=c.new.path)
        else:
            change = _shorten(c.diff)
        rows.append((kind(c.kind), arrow, sim, change.replace("\n", " ⏎ ")))
    if rows:
        from policywatch.commands.db import display_width, pad

        head = (_("kind"), _("old → new"), _("sim"), _("change"))
        w_kind = max(display_width(r[0]) for r in [head, *rows])
        w_arrow = max(display_width(r[1]) for r in [head, *rows])
        w_sim = max(5, display_width(head[2]))
        for k, arrow, sim, change in [head, *rows]:
            lines.append(f"{pad(k, w_kind)}  {pad(arrow, w_arrow)}  {pad(sim, w_sim, right=True)}  {change}")
    counts: dict[str, int] = {}
    for c in cs.changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    summary = ", ".join(f"{kind(k)} {n}" for k, n in counts.items()) or _("no measure changed")
    lines.append("\n" + _("%(summary)s; %(unchanged)s unchanged (%(renumbered)s renumbered only)", summary=summary,
                          unchanged=cs.unchanged, renumbered=cs.renumbered))
    articles = _article_summary(cs)
    if articles:
        lines.append(articles)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pipeline.compare import compare

    old = load_document(args.old, args.url)
    new = load_document(args.new, args.url)
    cs = compare(old, new)
    if args.json:
        for w in cs.warnings:
            print(f"policywatch: warning: {w}", file=sys.stderr)
        print(json.dumps(cs.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        print(render_changes(cs))
    return 0
