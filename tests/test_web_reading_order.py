"""The web document page shows a version's tree in the page's reading order.

A numbered item with sub-items is a Section and its leaf siblings are Measures; the page must
still read （一）（二）（三）, not （一）（三）（二） (issue 15, item 5), from the stored JSON as from the dataclasses.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, render_template_string
from flask_babel import Babel

from pipeline.normalize import normalize
from policywatch.web import filters

TEMPLATES = Path(filters.__file__).parent / "templates"

PAGE = (
    "<html><head><meta charset='utf-8'><title>关于促进高质量发展的若干意见</title></head><body><div id='UCAP-CONTENT'>"
    "<p>一、主要任务</p>"
    "<p>（一）坚持改革。进一步健全综合监管体系，持续改善营商环境和创新环境。</p>"
    "<p>（二）坚持开放。对标国际先进水平，注重要素整合和产业配套：</p>"
    "<p>1.拓展两个市场。支持企业统筹利用国际国内两个市场，扩大进出口规模。</p>"
    "<p>2.促进内销便利。简化内销手续，提高通关效率，降低企业成本。</p>"
    "<p>（三）坚持创新。推动研发设计中心建设，培育一批创新型龙头企业。</p>"
    "<p>二、有关要求</p><p>各地区、各部门要结合实际，认真抓好贯彻落实，确保各项任务落到实处。</p>"
    "</div></body></html>"
)


def test_document_tree_renders_in_reading_order() -> None:
    doc = normalize(PAGE.encode(), filename="p.html")
    app = Flask("policywatch_tree_test", template_folder=str(TEMPLATES))
    Babel(app)
    filters.install(app)
    with app.test_request_context("/"):
        html = render_template_string('{% from "tree.html.j2" import tree %}{{ tree(sections) }}',
                                      sections=doc.to_dict()["sections"])
    labels = re.findall(r'<span class="label">(（[一二三]）)</span>', html)
    assert labels == ["（一）", "（二）", "（三）"]


def test_show_prints_the_stored_tree_in_reading_order() -> None:
    from policywatch.commands.show import render

    text = render(normalize(PAGE.encode(), filename="p.html").to_dict())
    assert [x for x in re.findall(r"（[一二三]）", text)] == ["（一）", "（二）", "（三）"]
