"""The digest's MIME parts pick their transfer encoding as email.contentmanager does
(quoted-printable when no longer than base64 on the first ten lines), with the shortcut that
skips encoding when quoted-printable cannot win."""

from __future__ import annotations

import binascii
from email import quoprimime

from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.render import _qp_may_be_shorter

LINE = st.text(alphabet=st.sampled_from(list("政策规定ab=\t <>é1")), max_size=120)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=14))
def test_shortcut_agrees_with_encoding(lines):
    sniff = b"\r\n".join(line.encode("utf-8") for line in lines[:10]) + b"\r\n"
    encoded = len(quoprimime.body_encode(sniff.decode("latin-1"), 78)) <= len(binascii.b2a_base64(sniff))
    assert _qp_may_be_shorter(sniff, 78) == encoded


def test_chinese_goes_base64_and_ascii_with_an_accent_quoted_printable():
    assert not _qp_may_be_shorter("第一条　为了规范政策文件管理。\r\n".encode() * 10, 78)
    assert _qp_may_be_shorter("Policy digest, café\r\n".encode() * 10, 78)
