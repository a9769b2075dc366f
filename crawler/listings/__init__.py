"""Listing families: one small registered class per CMS platform (crawler/listings/base.py).

| family          | platform                                                     |
|-----------------|--------------------------------------------------------------|
| html            | server-rendered lists, every createPageHTML shape (TRS ...)  |
| gkmlpt          | Guangdong 政府信息公开目录 (SPA shell + /gkmlpt/api/all JSON)  |
| hanweb-jpage    | Hanweb JCMS <datastore> CDATA + dataproxy.jsp (Jiangsu ...)  |
| hanweb-jpaas    | Hanweb jpaas-publish-server (Zhejiang, Hangzhou, SAMR)       |
| channel-search  | /common/search/{channelId} JSON (Gansu, Hunan, Heilongjiang) |
| govcn-json      | gov.cn static JSON column feeds                              |
| jiangxi-querylist | Jiangxi unified platform: var listData + POST /queryList   |
"""

from typing import Any

from crawler.listings import channel_search, gkmlpt, govcn_json, hanweb, html, jiangxi_querylist
from crawler.listings.base import REGISTRY, STATE, Family, Listed, ListPage

# detection: the most specific marker first; html (the fallback) is not in the list
DETECT_ORDER = ("gkmlpt", "hanweb-jpage", "hanweb-jpaas", "jiangxi-querylist", "channel-search", "govcn-json")


def family(name: str) -> type[Family]:
    """The registered class of a listing family (this package imports every family module)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no listing family {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def detect(url: str, body: str) -> tuple[str, dict[str, Any]]:
    """The family a start URL's page belongs to and its parameters, as `sites detect` prints them.

    The most specific marker wins (gkmlpt's `_CONFIG` SID, Hanweb's `<datastore>`, `meta
    channelId` ...); a page none of them claims is `html`.
    """
    for name in DETECT_ORDER:
        params = REGISTRY[name].detect(url, body)
        if params is not None:
            return name, params
    return "html", REGISTRY["html"].detect(url, body) or {}


__all__ = [
    "DETECT_ORDER",
    "REGISTRY",
    "STATE",
    "Family",
    "ListPage",
    "Listed",
    "channel_search",
    "detect",
    "family",
    "gkmlpt",
    "govcn_json",
    "hanweb",
    "html",
    "jiangxi_querylist",
]
