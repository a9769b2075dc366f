"""Render a digest: Jinja2 HTML (autoescaped, CSS inlined) + plain text, in one email message.

Crawled text is hostile by default: a title can carry `<script>`, quotes, CR/LF, C0 or bidi
controls, and rows stored by an older normalizer were never cleaned. The HTML template
autoescapes everything (links only when http(s)), the text part has no markup to inject; both
bodies pass through `display_text` (no bidi or C0 controls: nothing reorders what the office
reads) and every header value through `header_text` (one line, no controls), so nothing
crawled can start a header of its own or spoof the Subject. The message is built with
email.policy.SMTP, which RFC 2047-encodes the Chinese subject and uses CRLF line ends.

Where a message goes is a connection: notifications.smtp.SmtpConnection, or FilesConnection
here, which writes `.eml` + `.html` files (--dry-run, the demo).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from pathlib import Path

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.digest import Digest
from notifications.settings import DigestSettings
from notifications.smtp import SmtpSettings
from pipeline.safe_text import display_text, header_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECT_TITLE_CHARS = 40


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@cache
def _css() -> str:
    return (TEMPLATES / "digest.css").read_text("utf-8")


@cache
def _inliner() -> css_inline.CSSInliner:
    # keep_style_tags=False: many mail clients strip <style>; inline styles are what they show.
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def subject(digest: Digest, settings: DigestSettings) -> str:
    ctx = digest.context
    first = (
        next((d.title for d in ctx.added), None)
        or next((d.title for s in ctx.sites for d in s.documents), None)
        or next((d.title for d in ctx.withdrawn), None)
        or next((d.title for d in ctx.republished), "")
    )
    text = f"{settings.subject_prefix} {ctx.total} 项政策变化，涉及 {ctx.documents} 份文件"
    if not ctx.total and ctx.impact:  # only a cited document changed (notifications/impact.py)
        text, first = f"{settings.subject_prefix} 上位文件变化", ctx.impact[0].cited.title
    if first:
        text += f"：{header_text(first, SUBJECT_TITLE_CHARS)}"
    return header_text(text)


@dataclass
class Rendered:
    subject: str
    html: str
    text: str


def render(digest: Digest, settings: DigestSettings) -> Rendered:
    env = environment()
    subj = subject(digest, settings)
    html = env.get_template("digest.html.j2").render(ctx=digest.context, subject=subj, css=_css())
    text = env.get_template("digest.txt.j2").render(ctx=digest.context, subject=subj)
    return Rendered(subj, _inliner().inline(display_text(html)), display_text(text))


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
    """part.set_content(text, subtype=subtype, charset="utf-8"), byte for byte: the same choice
    of transfer encoding (email.contentmanager's: 7bit when it can, else whichever of
    quoted-printable and base64 is shorter on the first ten lines), base64 in one C call cut into
    lines of 76 (base64.encodebytes calls it per line)."""
    lines = text.encode("utf-8").splitlines()
    linesep = part.policy.linesep.encode("ascii")
    sniff = linesep.join(lines[:10]) + linesep
    plain = max(map(len, lines), default=0) <= part.policy.max_line_length and text.isascii()
    if plain or len(quoprimime.body_encode(sniff.decode("latin-1"), part.policy.max_line_length)) <= len(
        binascii.b2a_base64(sniff)
    ):
        part.set_content(text, subtype=subtype, charset="utf-8")
        return
    part.set_content("", subtype=subtype, charset="utf-8", cte="base64")  # its headers
    encoded = binascii.b2a_base64(linesep.join(lines) + linesep, newline=False).decode("ascii")
    part.set_payload("".join([encoded[i : i + 76] + "\n" for i in range(0, len(encoded), 76)]))


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
