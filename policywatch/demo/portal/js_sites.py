"""Portal sites that need a browser, and gates a plain crawler must name (crawler/antibot.py).

/js/     a column whose list exists only after JavaScript runs: the page is an empty shell whose
         script fetch()es /js/api/list.json and writes the links (the gkmlpt/Jiangxi shape);
         the detail pages are server-rendered.
/rs/     a site behind a 瑞数-shaped JavaScript cookie challenge: without the right cookie every
         page answers 412 with the challenge page — a `<meta content>` token, the real inline
         `$_ts` script saved from www.gansu.gov.cn, and an external script that computes the cookie
         from the token, sets it and reloads. With the cookie the server answers 200: a browser
         passes, a plain HTTP client never does (it runs no script).
/waf/    a 403 block page of a web application firewall (安全狗 wording, `safedog-flow-item` cookie).
/loop/   a redirect to itself that sets a fresh cookie on every answer, whatever the request sends.
/ct/     the cookie gate a replay passes (moj.gov.cn's openresty CT6T): without the cookie a redirect
         to itself that sets it; with it, the pages.

`answer(portal, handler, path)` serves them; it returns False for a path that is not one of theirs.
"""

from __future__ import annotations

import hashlib
import json
from http.cookies import SimpleCookie
from typing import Any

from policywatch.demo import PAGES
from policywatch.demo.portal import content

CHALLENGE = PAGES / "ruishu-412-challenge"
COOKIE = "pwRs4hP44Zyk"  # the 瑞数 cookie of Gansu is named 4hP44ZykCTt5P

# (id, title, 文号, date)
JS_DOCS = [
    (501, "关于印发数字政府建设工作要点的通知", "甘政办发〔2025〕51号", "2025-09-03"),
    (502, "关于进一步优化营商环境的若干措施", "甘政办发〔2025〕52号", "2025-09-10"),
    (503, "关于做好2025年秋冬季安全生产工作的通知", "甘政办发〔2025〕53号", "2025-09-17"),
]
RS_DOCS = [
    (601, "关于加强城市排水防涝工作的通知", "甘建发〔2025〕61号", "2025-08-01"),
    (602, "关于开展住房公积金提取业务专项检查的通知", "甘建发〔2025〕62号", "2025-08-08"),
]


def _doc(doc_id: int, title: str, number: str, date: str) -> bytes:
    return content.notice(title, number, date, [f"{title}的第一项措施。", f"{title}的第二项措施。"])


# -- /js/: the list is built by the page's script ---------------------------------------------

JS_SHELL = """<!doctype html>
<html lang="zh"><head><meta charset="UTF-8"><title>政府文件</title></head>
<body><div class="header">甘肃省人民政府 政府文件</div>
<div id="app"><ul class="doc-list"></ul><p class="loading">正在加载…</p></div>
<script>
fetch("/js/api/list.json?page=1").then(function (r) { return r.json(); }).then(function (data) {
  var ul = document.querySelector("ul.doc-list");
  data.articles.forEach(function (a) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = a.url;
    link.textContent = a.title;
    li.appendChild(link);
    var span = document.createElement("span");
    span.textContent = a.date;
    li.appendChild(span);
    ul.appendChild(li);
  });
  document.querySelector("p.loading").remove();
});
</script></body></html>
"""


def _js(path: str) -> tuple[int, bytes, str] | None:
    if path == "/js/index.html":
        return 200, JS_SHELL.encode(), "text/html; charset=utf-8"
    if path == "/js/api/list.json":
        articles = [{"title": t, "url": f"/js/content/post_{i}.html", "date": d} for i, t, _, d in JS_DOCS]
        return 200, json.dumps({"total": len(articles), "articles": articles}, ensure_ascii=False).encode(), (
            "application/json; charset=utf-8"
        )
    for doc_id, title, number, date in JS_DOCS:
        if path == f"/js/content/post_{doc_id}.html":
            return 200, _doc(doc_id, title, number, date), "text/html; charset=utf-8"
    return None


# -- /rs/: the challenge ------------------------------------------------------------------------


def token() -> str:
    """The page's `<meta content>` token: the real one saved from a Gansu challenge page."""
    return (CHALLENGE / "gansu_content.js").read_text(encoding="utf-8").split('"')[1]


def clearance(tok: str) -> str:
    """What the challenge script computes from the token (the server checks the same)."""
    return hashlib.sha256(tok.encode()).hexdigest()[:32]


CHALLENGE_JS = """(function () {
  var meta = document.querySelector('meta[r="m"][content]');
  var token = meta.getAttribute("content");
  crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)).then(function (buf) {
    var hex = Array.from(new Uint8Array(buf)).map(function (b) { return b.toString(16).padStart(2, "0"); });
    document.cookie = "COOKIE_NAME=" + hex.join("").slice(0, 32) + "; path=/";
    location.reload();
  });
})();
""".replace("COOKIE_NAME", COOKIE)


def challenge_page() -> bytes:
    """The 412 page: the shape the research note describes, built of the real fragments."""
    ts = (CHALLENGE / "gansu_ts.js").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{token()}" r="m">'
        f'<script type="text/javascript" r="m">{ts}</script>'
        '<script type="text/javascript" charset="utf-8" src="/rs/9DhefwqGPrzG/challenge.js" r="m"></script>'
        "</head><body></body></html>"
    ).encode()


def rs_list() -> bytes:
    rows = "".join(
        f'<li><a href="/rs/c100/content/{i}.shtml" title="{t}">{t}</a><span>{d}</span></li>' for i, t, _, d in RS_DOCS
    )
    return (
        '<!doctype html><html lang="zh"><head><meta charset="UTF-8"><title>通知公告</title></head>'
        f'<body><div class="header">甘肃省住房和城乡建设厅</div><ul class="zwgk-list">{rows}</ul></body></html>'
    ).encode()


def _rs(path: str, cookies: dict[str, str]) -> tuple[int, bytes, str] | None:
    if path == "/rs/9DhefwqGPrzG/challenge.js":
        return 200, CHALLENGE_JS.encode(), "application/javascript; charset=utf-8"
    if not path.startswith("/rs/"):
        return None
    if cookies.get(COOKIE) != clearance(token()):
        return 412, challenge_page(), "text/html; charset=utf-8"
    if path == "/rs/index.html":
        return 200, rs_list(), "text/html; charset=utf-8"
    for doc_id, title, number, date in RS_DOCS:
        if path == f"/rs/c100/content/{doc_id}.shtml":
            return 200, _doc(doc_id, title, number, date), "text/html; charset=utf-8"
    return 404, "<html><body><h1>404 页面不存在</h1></body></html>".encode(), "text/html; charset=utf-8"


# -- /waf/ and /loop/ ---------------------------------------------------------------------------

WAF_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>网站防火墙</title></head>
<body><div class="main"><h1>您的请求带有不合法参数，已被网站管理员设置拦截！</h1>
<p>可能原因：您提交的内容包含危险的攻击请求</p>
<p>网站防火墙 | 服务器安全狗</p></div></body></html>
"""


def answer(portal: Any, handler: Any, path: str) -> bool:
    """Serve `path` if it is one of these sites; False if not."""
    cookies = {k: m.value for k, m in SimpleCookie(handler.headers.get("Cookie") or "").items()}
    if path.startswith("/waf/"):
        handler._send(403, WAF_PAGE.encode(), "text/html; charset=utf-8", {"Set-Cookie": "safedog-flow-item=A1B2C3; path=/"})
        return True
    if path.startswith("/loop/"):
        n = sum(1 for h in portal.requested(handler.path))
        handler._send(302, b"", "text/html", {"Location": handler.path, "Set-Cookie": f"CT6T={n:04d}; path=/"})
        return True
    if path.startswith("/ct/"):
        if cookies.get("CT6TS") != "a1b2c3":
            handler._send(302, b"", "text/html", {"Location": handler.path, "Set-Cookie": "CT6TS=a1b2c3; path=/"})
        elif path == "/ct/index.html":
            handler._send(200, b'<html><body><ul class="list"><li><a href="t1.html">t1</a></li></ul></body></html>',
                          "text/html; charset=utf-8")
        elif path == "/ct/t1.html":
            handler._send(200, _doc(701, "关于公布行政规范性文件清理结果的通知", "司发〔2025〕71号", "2025-07-01"),
                          "text/html; charset=utf-8")
        else:
            handler._send(404, b"not found", "text/plain")
        return True
    served = _js(path) or _rs(path, cookies)
    if served is None:
        return False
    status, body, content_type = served
    handler._send(status, body, content_type, {"Cache-Control": "no-cache"})
    return True


def config_text(portal: Any, *, render: bool, details: bool = True) -> str:
    """[[sites]] for the JS-only site and the challenge site; `render` makes them browser sites
    (`details`: the challenge site's detail pages too)."""
    browser = ['render = "browser"'] if render else []
    return "\n".join(
        [
            "[[sites]]",
            'name = "jsonly"',
            f'start_urls = ["{portal.url("/js/index.html")}"]',
            'link_selector = "ul.doc-list a::attr(href)"',
            r'detail_pattern = "/js/content/post_\\d+\\.html$"',
            *browser,
            "",
            "[[sites]]",
            'name = "ruishu"',
            f'start_urls = ["{portal.url("/rs/index.html")}"]',
            'link_selector = "ul.zwgk-list a::attr(href)"',
            r'detail_pattern = "/rs/c\\d+/content/\\d+\\.shtml$"',
            *browser,
            *(["render_details = true"] if render and details else []),
            "",
            "[[sites]]",
            'name = "waf"',
            f'start_urls = ["{portal.url("/waf/index.html")}"]',
            r'detail_pattern = "/waf/t\\d+\\.html$"',
            "",
            "[[sites]]",
            'name = "cookieloop"',
            f'start_urls = ["{portal.url("/loop/index.html")}"]',
            r'detail_pattern = "/loop/t\\d+\\.html$"',
            "",
            "[[sites]]",
            'name = "cookiegate"',
            f'start_urls = ["{portal.url("/ct/index.html")}"]',
            r'detail_pattern = "/ct/t\\d+\\.html$"',
            "",
        ]
    )
