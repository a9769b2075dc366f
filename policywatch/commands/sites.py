"""`policywatch sites detect URL` and `policywatch sites try NAME`: onboarding a site.

detect fetches a list page, names its listing family from what the page carries (gkmlpt's
`window._CONFIG` SID, Hanweb's `<datastore>`, `meta channelId`, createPageHTML …) and prints the
[[sites]] block to paste, with how many documents its first list shows. try crawls one list page
(and its first document) of a configured site, storing nothing: the links found, the pagination
it would follow, the first document's title and outline; exit 1 with the counts when nothing
matched. Both fetch with the crawler's user agent, one request at a time.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from policywatch.errors import ProblemFound, UsageError

MAX_FETCHES = 6  # list requests followed to reach the first documents (gkmlpt: shell, then API)
TIMEOUT = 30
SHOWN = 10  # documents printed by `sites try`


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sites", help="onboard a site: detect its listing family, try its configuration")
    inner = p.add_subparsers(dest="sites_command", metavar="ACTION", parser_class=type(p))
    d = inner.add_parser("detect", help="fetch URL and print the [[sites]] block for it")
    d.add_argument("url", help="a list page (column) of the site")
    d.add_argument("--name", help="the site name to print (default: from the host)")
    d.set_defaults(func=run_detect)
    t = inner.add_parser("try", help="crawl one list page and its first document of a configured site")
    t.add_argument("name", help="the [[sites]] name")
    t.add_argument("--config", metavar="PATH", help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./policywatch.toml)")
    t.set_defaults(func=run_try)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def fetch(request: Any) -> Any:
    """A scrapy.Request fetched with urllib; a scrapy TextResponse back (for the families)."""
    from scrapy.http import HtmlResponse, TextResponse
    from scrapy.utils.project import get_project_settings

    ua = get_project_settings().get("USER_AGENT") or "policywatch"
    headers = {"User-Agent": ua, "Accept-Language": "zh-CN,zh;q=0.9"}
    headers |= {k.decode(): v[0].decode() for k, v in request.headers.items() if v}
    body = request.body or None
    req = urllib.request.Request(request.url, data=body, headers=headers, method=request.method)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            data, url, ctype = r.read(), r.geturl(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        raise ProblemFound(f"{request.url}: http {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        raise ProblemFound(f"{request.url}: {getattr(e, 'reason', e)}") from None
    cls = HtmlResponse if "html" in ctype or not ctype else TextResponse
    return cls(url, body=data, headers={"Content-Type": ctype}, request=request, encoding=_charset(ctype, data))


def _charset(ctype: str, data: bytes) -> str:
    for part in ctype.split(";"):
        if part.strip().lower().startswith("charset="):
            return part.split("=", 1)[1].strip()
    return "utf-8"


def first_documents(listing: Any, url: str) -> tuple[Any, list[Any], int]:
    """Follow the family's list requests from `url` until one lists documents: (that ListPage or
    the last one, the list requests it would follow next, list fetches made)."""
    queue = list(listing.first_requests(url))
    page, fetches = None, 0
    while queue and fetches < MAX_FETCHES:
        response = fetch(queue.pop(0))
        fetches += 1
        page = listing.parse(response)
        if page.documents:
            return page, [*page.sublists, *page.requests, *queue], fetches
        queue = [*page.requests, *page.sublists, *queue]
    return page, queue, fetches


def run_detect(args: argparse.Namespace) -> int:
    from crawler.listings import detect, family
    from policywatch.cli_text import _
    from policywatch.config import parse

    if not args.url.startswith(("http://", "https://")):
        raise UsageError(_("%(url)s: not an http(s) URL", url=args.url))
    response = fetch(_get(args.url))
    name, params = detect(response.url, response.text)
    labels = (urlsplit(args.url).hostname or "site").split(".")
    site_name = args.name or (labels[1] if labels[0] == "www" and len(labels) > 2 else labels[0])
    lines = ["[[sites]]", f'name = "{site_name}"', f"start_urls = [{json.dumps(args.url)}]"]
    family_params = {k: v for k, v in params.items() if k != "next_page"}
    if name != "html":
        lines.append(f'family = "{name}"')
    if family_params:
        lines.append("family_params = { " + ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in family_params.items()) + " }")
    if name == "html":
        lines.append("# detail_pattern = " + _("a regex matching this site's document URLs (required for html)"))
    if "next_page" in params:
        lines.append('next_page = { script = "createPageHTML" }')
    print("\n".join(lines))
    raw = {"name": "detect", "start_urls": [args.url], "family": name, "family_params": family_params}
    if name == "html":
        raw["detail_pattern"] = "."
    site = parse({"sites": [raw]}, urlsplit(args.url).path or "detect").sites[0]  # type: ignore[arg-type]
    page, _follow, _fetches = first_documents(family(name)(site), args.url)
    if page is None:
        raise ProblemFound(_("%(url)s: family %(family)s, but no list page could be fetched", url=args.url, family=name))
    if name == "html":  # which links are documents is for detail_pattern to say
        print("# " + _("family html: the first list page has %(n)s links; detail_pattern picks the documents", n=page.links))
    else:
        print("# " + _("family %(family)s: the first list shows %(n)s documents (%(reason)s)", family=name,
                       n=page.matched, reason=_reason(page)))
    return 0


def run_try(args: argparse.Namespace) -> int:
    from crawler.listings import family
    from pipeline.normalize import normalize
    from policywatch.cli_text import _
    from policywatch.commands.normalize import render_tree
    from policywatch.config import load

    site = load(args.config).site(args.name)
    listing = family(site.family)(site)
    page, follow, fetches = first_documents(listing, site.start_urls[0])
    if page is None or not page.documents:
        reason = _reason(page) if page is not None else _("no list page fetched")
        raise ProblemFound(_("site %(name)s (%(family)s): %(reason)s on %(n)s list pages", name=repr(site.name),
                             family=site.family, reason=reason, n=fetches))
    name = f"{site.name} {site.title}" if site.title else site.name
    print(f"{name} ({site.family}): {_reason(page)}" + (_(", the column says %(n)s", n=page.total) if page.total else ""))
    for doc in page.documents[:SHOWN]:
        facts = " ".join(f"{k}={v}" for k, v in doc.facts().items() if k != "attachments")
        print(f"  {doc.url}  {facts}".rstrip())
    if page.matched > SHOWN:
        print("  " + _("… and %(n)s more", n=page.matched - SHOWN))
    print(_("would follow:") if follow else _("would follow: nothing (the last list page)"))
    for request in follow[:10]:
        print(f"  {request.method} {request.url}")
    first = fetch(_get(page.documents[0].url))
    print()
    print(render_tree(normalize(first.body, url=first.url, headers={"Content-Type": first.headers.get("Content-Type", b"").decode()})))
    return 0


def _get(url: str) -> Any:
    import scrapy

    return scrapy.Request(url)


def _reason(page: Any) -> str:
    """ListPage.reason() in the run's language."""
    from policywatch.cli_text import _

    return _("%(matched)s of %(links)s links matched", matched=page.matched, links=page.links)
