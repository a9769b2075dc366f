"""The digest's inlined CSS is valid: every style attribute parses as a CSS declaration list
(tinycss2) with its font list and colours intact, and headless Chromium computes the font and
colours of a changed-word highlight from it. The stylesheet used to be autoescaped into the
<style> it was inlined from, so the body's style read `font-family: &#34;color: …` and mail
clients dropped the font list and the text colour."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from policywatch.demo.story import demo_digests
from tests.browser import chromium, needs_chromium

tinycss2 = pytest.importorskip("tinycss2")
CSS = (Path(__file__).resolve().parent.parent / "notifications" / "templates" / "digest.css").read_text("utf-8")


def _rule(selector: str) -> dict[str, str]:
    """The declarations of `selector` as digest.css writes them (the source the inliner reads)."""
    for rule in tinycss2.parse_stylesheet(CSS, skip_comments=True, skip_whitespace=True):
        if tinycss2.serialize(rule.prelude).strip() == selector:
            return {d.lower_name: tinycss2.serialize(d.value).strip()
                    for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)}
    raise AssertionError(selector)


@pytest.fixture(scope="module")
def digest_html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("css")
    demo_digests(out)
    return out / "digest.html"


def _declarations(style: str) -> dict[str, str]:
    decls = tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True)
    errors = [d for d in decls if d.type == "error"]
    assert not errors, f"{style!r}: {[e.message for e in errors]}"
    return {d.lower_name: tinycss2.serialize(d.value).strip() for d in decls}


def test_every_style_attribute_parses_with_fonts_and_colours(digest_html):
    tree = lxml.html.fromstring(digest_html.read_text("utf-8"))
    styled = tree.xpath("//*[@style]")
    assert len(styled) > 20 and not tree.xpath("//style")  # inlined, the <style> gone
    for el in styled:
        _declarations(el.get("style"))
    (body,) = tree.xpath("//body")
    decls = _declarations(body.get("style"))
    want = _rule("body")
    assert decls["font-family"].replace("'", '"') == want["font-family"]  # the whole font list
    assert decls["color"] == want["color"] == "#1f2937" and decls["background"] == want["background"]
    assert "PingFang SC" in decls["font-family"] and "&#34;" not in body.get("style")
    for tag in ("ins", "del"):
        (el, *_) = tree.xpath(f"//{tag}")
        got = _declarations(el.get("style"))
        assert (got["color"], got["background"]) == (_rule(tag)["color"], _rule(tag)["background"])


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@needs_chromium
def test_chromium_computes_the_highlight_font_and_colours(digest_html):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(digest_html.as_uri())
        ins = page.locator("ins").first
        style = ins.evaluate(
            "e => { const s = getComputedStyle(e); return [s.fontFamily, s.color, s.backgroundColor]; }"
        )
        page.close()
    font, colour, background = style
    fonts = [f.strip().strip("\"'") for f in font.split(",")]
    want = [f.strip().strip("\"'") for f in _rule("body")["font-family"].split(",")]
    assert fonts == want  # inherited from the body's inline style, every font of the list
    assert (colour, background) == (_rgb(_rule("ins")["color"]), _rgb(_rule("ins")["background"]))
    assert re.fullmatch(r"rgb\(\d+, \d+, \d+\)", colour)
