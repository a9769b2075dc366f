"""The digest's MIME parts take the shorter transfer encoding of the whole body: base64 only
when quoted-printable would be longer, quoted-printable otherwise (7bit for short ASCII lines),
decided without encoding; and the part decodes to the text, whichever it is."""

from __future__ import annotations

import binascii
from email import message_from_bytes, quoprimime
from email.message import EmailMessage
from email.policy import SMTP

from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.render import _qp_is_longer, _set_text

LINE = st.text(alphabet=st.sampled_from(list("政策规定ab=\t <>é1")), max_size=120)


def _lengths(body: bytes) -> tuple[int, int]:
    qp = quoprimime.body_encode(body.decode("latin-1"), 76)
    b64 = binascii.b2a_base64(body, newline=False)
    return len(qp), len(b64) + -(-len(b64) // 76)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=40))
def test_base64_only_when_quoted_printable_is_longer(lines):
    body = b"\r\n".join(line.encode("utf-8") for line in lines) + b"\r\n"
    qp, b64 = _lengths(body)
    if _qp_is_longer(body):
        assert qp > b64
    else:  # the bound leaves out soft line breaks and escaped line-end blanks: a few percent
        assert qp <= b64 * 1.1 + 16


@settings(max_examples=150, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=40), st.sampled_from(["plain", "html"]))
def test_the_part_decodes_to_the_text(lines, subtype):
    text = "\n".join(lines) + "\n"
    msg = EmailMessage(policy=SMTP)
    _set_text(msg, text, subtype)
    back = message_from_bytes(msg.as_bytes(), policy=SMTP)
    assert back.get_content().replace("\r\n", "\n") == text.replace("\r\n", "\n")


def test_a_chinese_html_digest_goes_base64_after_its_ascii_head():
    """The case email's ten-line sniff got wrong: ASCII markup first, Chinese after."""
    html = "<html><head><style>p { margin: 0 }</style></head>\n" * 12 + "<p>第一条　为了规范政策文件管理。</p>\n" * 200
    msg = EmailMessage(policy=SMTP)
    _set_text(msg, html, "html")
    assert msg["Content-Transfer-Encoding"] == "base64"
    english = "<p>Policy digest, café</p>\n" * 200
    msg = EmailMessage(policy=SMTP)
    _set_text(msg, english, "html")
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
