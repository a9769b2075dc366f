"""`policywatch demo`: the whole story on local pages, nothing to configure.

Normalizes the two seed pages (a Zhaoqing 政府信息公开 notice and a Yulin 政策解读 page, in
their CMS templates), then a revision of the Zhaoqing page with one measure reworded, one
inserted (renumbering the rest), one deleted and its view counter re-rendered, and prints
what policywatch reports next to what a line diff of the page text reports. Everything it
shows is written to demo-out/ as well.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from policywatch.errors import ProblemFound


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="normalize and compare the seed pages; output in demo-out/")
    p.add_argument("--out", default="demo-out", help="where to write the demo's files (default demo-out)")
    p.add_argument("--no-crawl", action="store_true", help="skip the live part (local portal, crawls, recrawls)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # the demo's imports are its own: every other command starts without the normalizer and rapidfuzz
    from pipeline.compare import compare
    from pipeline.normalize import normalize
    from policywatch.commands.compare import render_changes
    from policywatch.commands.normalize import render_tree
    from policywatch.demo.story import DEMO_URLS, SEEDS, demo_digests, fixture, revised_zhaoqing

    url = DEMO_URLS[0]  # the Zhaoqing seed's real address
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    for name in SEEDS:
        doc = normalize(fixture(name), url=url if name.startswith("zhaoqing") else "")
        tree = render_tree(doc)
        _section(f"normalize {name}", tree)
        (out / f"{Path(name).stem}.tree.txt").write_text(tree + "\n", "utf-8")
        (out / f"{Path(name).stem}.json").write_text(json.dumps(doc.to_dict(), ensure_ascii=False, indent=1), "utf-8")

    old_html, new_html = fixture(SEEDS[0]), revised_zhaoqing()
    (out / "zhaoqing-revised.html").write_bytes(new_html)
    cs = compare(normalize(old_html, url=url), normalize(new_html, url=url))
    table = render_changes(cs)
    _section("compare zhaoqing-gkmlpt.html zhaoqing-revised.html (1 reworded, 1 inserted, 1 deleted, chrome re-rendered)", table)
    (out / "compare.txt").write_text(table + "\n", "utf-8")
    (out / "compare.json").write_text(json.dumps(cs.to_dict(), ensure_ascii=False, indent=1), "utf-8")

    changed_lines = _line_diff(old_html, new_html)
    verdict = (
        f"policywatch: {len(cs.reportable())} changes to report "
        f"({cs.renumbered} measures renumbered by the insertion, reported as such, not as changes)\n"
        f"a line diff of the page text (what urlwatch-style tools mail): {changed_lines} changed lines"
    )
    _section("what a reader gets", verdict)
    (out / "summary.txt").write_text(verdict + "\n", "utf-8")
    digests = demo_digests(out)
    _section(
        "the email digests a policy office receives (outbox -> Jinja2 -> .eml)",
        "\n".join(str(p) for p in digests) + f"\nopen {out}/digest.html in a browser",
    )
    failed = 0
    if not args.no_crawl:
        from policywatch.demo.crawl import run_live

        failed = run_live(out, _section)
    print(f"\nwrote {out}/ (trees, JSON, compare table, the revised page, digests, crawl/ with each crawl step)")
    if failed:
        raise ProblemFound(f"{failed} demo crawls did not finish cleanly: see {out}/crawl/steps.json")
    return 0


def _line_diff(old: bytes, new: bytes) -> int:
    """Lines of the whole page's text that a line diff reports as deleted, inserted or replaced."""

    from rapidfuzz.distance import Levenshtein

    from pipeline.html_extract import parse_html

    def lines(html: bytes) -> list[str]:
        root = parse_html(html.decode("utf-8"))
        for bad in root.xpath("//script|//style") if root is not None else []:
            bad.getparent().remove(bad)
        text = root.text_content() if root is not None else ""
        return [x.strip() for x in text.splitlines() if x.strip()]

    a, b = lines(old), lines(new)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b).as_list() if tag != "equal")


def _section(title: str, body: str) -> None:
    print(f"\n== {title}\n{body}")
