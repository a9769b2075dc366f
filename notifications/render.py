"""Render a digest: Jinja2 HTML (autoescaped, CSS inlined) + plain text, in one email message.

Crawled text is hostile by default: a title can carry `<script>`, quotes, CR/LF, C0 or bidi
controls, and rows stored by an older normalizer were never cleaned. The HTML template
autoescapes everything (links only when http(s)), the text part has no markup to inject; both
bodies pass through `display_text` (no bidi or C0 controls: nothing reorders what the office
reads) and every header value through `header_text` (one line, no controls), so nothing
crawled can start a header of its own or spoof the Subject. The message is built with
email.policy.SMTP, which RFC 2047-encodes the Chinese subject and uses CRLF line ends.

The words are the Babel catalogue's (policywatch/locale): the caller gives the translations and
the language in DigestSettings (policywatch.notify_config.localized), the templates ask with
`_()` (Jinja2's i18n extension), and the change vocabulary's labels are pipeline.vocabulary's
Label in that language. Every time is shown in `[digest] timezone` (pipeline.clock).

Where a message goes is a connection: notifications.smtp.SmtpConnection, or FilesConnection
here, which writes `.eml` + `.html` files (--dry-run, the demo).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from notifications.describe import AttachmentNote, size_text
from notifications.digest import ChangeView, Digest, DocumentView
from notifications.renumbering import Run
from notifications.settings import DigestSettings
from notifications.smtp import SmtpSettings
from pipeline.clock import local_text
from pipeline.safe_text import display_text, header_text
from pipeline.vocabulary import FIELD_LABELS, KIND_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECT_TITLE_CHARS = 40


@cache
def environment(translations: Any = None) -> Environment:
    """The templates with `_()`/`ngettext()` from `translations` (None: the msgids, English)."""
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations or NullTranslations(), newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def _css() -> str:
    return (TEMPLATES / "digest.css").read_text("utf-8")


@cache
def _inliner() -> css_inline.CSSInliner:
    # keep_style_tags=False: many mail clients strip <style>; inline styles are what they show.
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def _gettext(settings: DigestSettings):
    return (settings.translations or NullTranslations()).gettext


def subject(digest: Digest, settings: DigestSettings) -> str:
    """One line: the counts and the first title, crawled text cut and cleaned (header_text)."""
    _ = _gettext(settings)
    ctx = digest.context
    first = (
        next((d.title for d in ctx.added), None)
        or next((d.title for s in ctx.sites for d in s.documents), None)
        or next((d.title for d in ctx.withdrawn), None)
        or next((d.title for d in ctx.republished), "")
    )
    text = f"{settings.subject_prefix} " + _("%(changes)s in %(documents)s") % Words(settings).totals(ctx, subject=True)
    if not ctx.total and ctx.impact:  # only a cited document changed (notifications/impact.py)
        text, first = f"{settings.subject_prefix} " + _("Changes in documents cited"), ctx.impact[0].cited.title
    if first:
        text += _(": %(title)s") % {"title": header_text(first, SUBJECT_TITLE_CHARS)}
    return header_text(text)


class Words:
    """What the templates call to say things in the digest's language and zone, and its links."""

    def __init__(self, settings: DigestSettings) -> None:
        self.settings = settings
        self.lang = "zh" if settings.language.lower().startswith("zh") else "en"
        self.gettext = _gettext(settings)

    def kind(self, k: str) -> str:
        label = KIND_LABELS.get(k)
        return getattr(label, self.lang) if label is not None else k

    def field(self, name: str) -> str:
        label = FIELD_LABELS.get(name)
        return getattr(label, self.lang) if label is not None else name

    def when(self, dt: datetime | None) -> str:
        return local_text(dt, self.settings.timezone) or "—"

    def when_text(self, text: str) -> str:
        """A time stored as text in UTC ("2026-11-02 06:00", a republished event's withdrawn_at)."""
        try:
            return self.when(datetime.strptime(text, "%Y-%m-%d %H:%M"))
        except ValueError:
            return text

    def version_line(self, doc: DocumentView) -> str:
        if doc.old_seen is None:
            return self.gettext("first recorded %(when)s") % {"when": self.when(doc.new_seen)}
        return self.gettext("version %(old)s → %(new)s") % {"old": self.when(doc.old_seen), "new": self.when(doc.new_seen)}

    def first_recorded(self, doc: DocumentView) -> str:
        """首次收录 and when its first version was fetched (a new document edited again before
        the digest has a newer version too)."""
        seen = next((c.new_seen for c in doc.events if c.kind == "document_added" and c.new_seen), doc.new_seen)
        return self.gettext("first recorded %(when)s") % {"when": self.when(seen)}

    def renumbering(self, run: Run) -> str:
        """"第5–17条顺延为第6–18条": pushed back by an insertion (顺延), or up by a removal (前移)."""

        def span(a: int, b: int) -> str:
            return str(a) if a == b else f"{a}–{b}"

        values = {"old": span(run.old_first, run.old_last), "new": span(run.new_first, run.new_last)}
        later, one = run.new_first > run.old_first, run.old_first == run.old_last
        _ = self.gettext
        if run.articles:
            if one:
                text = _("Article %(old)s is now article %(new)s") if later else _("Article %(old)s moves up to article %(new)s")
            else:
                text = _("Articles %(old)s are now articles %(new)s") if later else _("Articles %(old)s move up to articles %(new)s")
        elif one:
            text = _("Item %(old)s is now item %(new)s") if later else _("Item %(old)s moves up to item %(new)s")
        else:
            text = _("Items %(old)s are now items %(new)s") if later else _("Items %(old)s move up to items %(new)s")
        return text % values

    def attachment(self, a: AttachmentNote) -> str:
        values = {"name": a.name, "old": size_text(a.old_size) or "?", "new": size_text(a.new_size) or "?"}
        if a.how == "added":
            return self.gettext("Attachment “%(name)s” added") % values
        if a.how == "removed":
            return self.gettext("Attachment “%(name)s” removed") % values
        if a.old_size == a.new_size:
            return self.gettext("Attachment “%(name)s” replaced: same size (%(old)s), new content") % values
        return self.gettext("Attachment “%(name)s” replaced: size %(old)s → %(new)s") % values

    def reason(self, text: str) -> str:
        """Why a document counts as withdrawn (storage/withdrawals.py: "http 404", or its listing)."""
        if text.startswith("http"):
            return self.gettext("withdrawn: the page answers %(status)s") % {"status": text.replace("http", "HTTP")}
        return self.gettext("withdrawn: no longer on its listing (the page may still be there)")

    def doc_link(self, doc: DocumentView) -> str:
        base = self.settings.base_url.rstrip("/")
        return f"{base}/documents/{doc.id}" if base else ""

    def diff_link(self, doc: DocumentView, c: ChangeView) -> str:
        """The web diff of the two versions this change is between; a change with no such pair
        (a replaced attachment, a withdrawal) links nothing here (its document is linked)."""
        base = self.settings.base_url.rstrip("/")
        if not base or not c.old_seq or not c.new_seq:
            return ""
        return f"{base}/documents/{doc.id}/diff?from={c.old_seq}&to={c.new_seq}"

    def totals(self, ctx: Any, subject: bool = False) -> dict[str, str]:
        """{"changes": "3 项变化" (the subject: "3 项政策变化"), "documents": "1 份文件"}, or in English
        "3 changes", "1 document"."""
        t = self.settings.translations or NullTranslations()
        n = ctx.total
        changes = (
            t.ngettext("%(num)d policy change", "%(num)d policy changes", n)
            if subject
            else t.ngettext("%(num)d change", "%(num)d changes", n)
        )
        return {
            "changes": changes % {"num": n},
            "documents": t.ngettext("%(num)d document", "%(num)d documents", ctx.documents) % {"num": ctx.documents},
        }

    def counts_text(self, counts: list[tuple[str, str, int]]) -> str:
        """"修改条款 1，新增条款 1" / "modified 1, added 1"."""
        return self.gettext(", ").join(f"{self.kind(k)} {n}" for k, _label, n in counts)

    def names(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "fld": self.field, "when": self.when, "when_text": self.when_text,
            "version_line": self.version_line, "first_recorded": self.first_recorded, "renumbering": self.renumbering, "attachment": self.attachment,
            "reason": self.reason, "counts_text": self.counts_text, "totals": self.totals, "doc_link": self.doc_link, "diff_link": self.diff_link,
            "zone": self.settings.timezone, "html_lang": "zh-Hans" if self.lang == "zh" else "en",
        }  # fmt: skip


@dataclass
class Rendered:
    subject: str
    html: str
    text: str


def render(digest: Digest, settings: DigestSettings) -> Rendered:
    env = environment(settings.translations)
    subj = subject(digest, settings)
    names = Words(settings).names()
    pieces = Pieces(env, settings)
    # the stylesheet is ours, not crawled: escaped, its quoted font names broke the rule they
    # were in (`font-family: &#34;PingFang SC&#34;…`: the ';' of &#34; ended the declaration)
    html = env.get_template("digest.html.j2").render(
        ctx=digest.context, subject=subj, css=Markup(_css()), piece=pieces.html, **names
    )
    text = env.get_template("digest.txt.j2").render(ctx=digest.context, subject=subj, piece=pieces.text, **names)
    return Rendered(subj, pieces.fill(_inliner().inline(display_text(html))), display_text(text))


class Pieces:
    """A change's block rendered once per sending run, not once per subscriber.

    One change reaches hundreds of digests (the outbox shares one ChangeView among them,
    notifications/digest.py), and its block depends only on the change, its document's id, the
    language and [web] base_url. The templates wrap it in `{% call piece(doc, c) %}`: the first
    call renders the body, cleans it (display_text) and, for HTML, inlines the stylesheet into
    that fragment alone (its rules are simple selectors that match inside it the same way as in
    the page); later calls reuse it, kept on the view itself so it lives as long as the run's
    views. In HTML the page is inlined with a comment where each block goes, and the blocks are
    put in afterwards: the stylesheet is applied to the page's frame, not again to every block.
    """

    def __init__(self, env: Environment, settings: DigestSettings) -> None:
        self.key = (id(env), settings.base_url)
        self.blocks: list[str] = []

    def _cached(self, doc: DocumentView, c: ChangeView, part: str, make) -> str:
        key = (*self.key, doc.id, part)
        block = c.rendered.get(key)
        if block is None:
            block = c.rendered[key] = make()
        return block

    def html(self, doc: DocumentView, c: ChangeView, caller) -> Markup:
        block = self._cached(doc, c, "html", lambda: _inliner().inline_fragment(display_text(str(caller())), _css()))
        self.blocks.append(block)
        return Markup(f"<!--pw-block:{len(self.blocks) - 1}-->")

    def text(self, doc: DocumentView, c: ChangeView, caller) -> str:
        return self._cached(doc, c, "text", lambda: display_text(str(caller())))

    def fill(self, html: str) -> str:
        # a crawled "<!--pw-block:N-->" reaches the page escaped (&lt;!--), so only ours match
        return _BLOCK.sub(lambda m: self.blocks[int(m.group(1))], html)


_BLOCK = re.compile(r"<!--pw-block:(\d+)-->")


def build_message(digest: Digest, rendered: Rendered, smtp: SmtpSettings, *, date=None) -> EmailMessage:
    """multipart/alternative (text first, HTML preferred) with the digest's stable Message-ID."""
    from datetime import UTC, datetime

    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = rendered.subject
    msg["From"] = _address(smtp.sender)
    msg["To"] = ", ".join(formataddr(("", a)) for a in digest.addresses)
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = digest.message_id
    msg["X-Policywatch-Digest"] = digest.key
    msg["X-Policywatch-Subscription"] = header_text(digest.subscription, 200)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    # what set_content + add_alternative build, with the base64 bodies encoded in one C call
    # (email's own encoder loops in Python over 57-byte lines: a third of a digest's cost)
    _set_text(msg, rendered.text, "plain")
    html = EmailMessage(policy=msg.policy)
    _set_text(html, rendered.html, "html")
    msg.make_alternative()
    msg.attach(html)
    return msg


def _set_text(part: EmailMessage, text: str, subtype: str) -> None:
    """The part's body in the shorter transfer encoding: 7bit when the text is short-lined ASCII,
    else base64 when quoted-printable would be longer, else quoted-printable.

    email's own choice (set_content without cte) compares the two on the first ten lines only:
    an HTML digest opens with ASCII markup and its styles, so it went quoted-printable, nine
    characters for every Chinese character of the 400 KB after them, encoded in a Python loop
    that was 40% of a digest's build. base64 is encoded in one C call, cut into lines of 76."""
    lines = text.encode("utf-8").splitlines()
    linesep = part.policy.linesep.encode("ascii")
    plain = max(map(len, lines), default=0) <= part.policy.max_line_length and text.isascii()
    body = linesep.join(lines) + linesep
    if plain or not _qp_is_longer(body):
        part.set_content(text, subtype=subtype, charset="utf-8", cte=None if plain else "quoted-printable")
        return
    part.set_content("", subtype=subtype, charset="utf-8", cte="base64")  # its headers
    encoded = binascii.b2a_base64(body, newline=False).decode("ascii")
    part.set_payload("".join([encoded[i : i + 76] + "\n" for i in range(0, len(encoded), 76)]))


_ASCII = bytes(range(128))


def _qp_is_longer(body: bytes) -> bool:
    """Whether quoted-printable is surely longer than base64, without encoding: it writes each
    byte above 127 and each "=" as three characters and at best drops one per line end (CRLF ->
    LF), while base64 is four characters per three bytes and a newline per 76."""
    b64 = (len(body) + 2) // 3 * 4
    b64 += b64 // 76 + 1
    qp_floor = len(body) + 2 * (len(body.translate(None, _ASCII)) + body.count(b"=")) - body.count(b"\n")
    return qp_floor > b64


def _address(value: str) -> Address:
    """The sender (config or environment) with its display name made header-safe."""
    name, addr = parseaddr(value)
    return Address(display_name=header_text(name), addr_spec=addr)


class FilesConnection:
    """Stands in for SmtpConnection: "delivers" each message as `<stem>.eml` + `<stem>.html` in a folder.

    `policywatch demo` sends its digests here (so they are marked delivered and the next digest
    holds only what is new); --dry-run writes the same files without claiming anything.
    """

    def __init__(self, out: Path, stem: str | None = None) -> None:
        self.out, self.stem, self.written = out, stem, []

    def __call__(self, _settings: SmtpSettings) -> FilesConnection:  # the connection factory signature
        return self

    def __enter__(self) -> FilesConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, msg: EmailMessage) -> dict:
        self.write(msg)
        return {}

    def write(self, msg: EmailMessage) -> tuple[Path, Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        key = str(msg["X-Policywatch-Digest"])
        stem = self.stem or f"{msg['X-Policywatch-Subscription']}-{key[:8]}"
        eml, html = self.out / f"{stem}.eml", self.out / f"{stem}.html"
        eml.write_bytes(msg.as_bytes())
        part = msg.get_body(preferencelist=("html",))
        html.write_text(part.get_content() if part is not None else "", "utf-8")
        self.written.append((eml, html))
        return eml, html
