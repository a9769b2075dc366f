"""A change in words and a search hit marked: crawled text stays text, whatever it holds."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

from policywatch import i18n
from policywatch.web import words


def test_the_phrase_is_marked_and_the_rest_escaped() -> None:
    assert str(words.highlight("<b>x</b> 概念验证 <i>", "概念验证")) == (
        "&lt;b&gt;x&lt;/b&gt; <mark>概念验证</mark> &lt;i&gt;"
    )
    assert str(words.highlight("if a<b then", "a<b")) == "if <mark>a&lt;b</mark> then"
    assert str(words.highlight("Fund FUND fund", "fund")) == "<mark>Fund</mark> <mark>FUND</mark> <mark>fund</mark>"
    assert str(words.highlight("<x>", "")) == "&lt;x&gt;"


def test_an_attachment_change_in_words_in_either_language() -> None:
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(i18n.LOCALE_DIR))
    old = {"name": "<img src=x>", "url": "http://a/f.xlsx", "size": 25 * 1024, "sha256": "a" * 64}
    new = {**old, "size": 31 * 1024, "sha256": "b" * 64}
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        app.extensions["babel"].locale_selector = lambda: "zh_CN"
        assert str(words.attachment_change(old, new)) == "附件《&lt;img src=x&gt;》已更换：大小 25 KB → 31 KB"
        same = words.attachment_change(old, {**old, "sha256": "c" * 64})
        assert str(same) == "附件《&lt;img src=x&gt;》已更换：大小不变，内容 aaaaaaaaaaaa → cccccccccccc"
    with app.test_request_context("/"):
        app.extensions["babel"].locale_selector = lambda: "en"
        assert str(words.attachment_change(old, new)) == "Attachment “&lt;img src=x&gt;” replaced: size 25 KB → 31 KB"


def test_metadata_values_as_text() -> None:
    assert words.value_text([{"name": "附件1", "url": "u1"}, {"name": "", "url": "u2"}]) == "附件1、u2"
    assert words.value_text(None) == "" and words.value_text("现行有效") == "现行有效"
