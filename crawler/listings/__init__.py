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

from crawler.listings import channel_search, gkmlpt, govcn_json, hanweb, html, jiangxi_querylist
from crawler.listings.base import REGISTRY, STATE, Family, Listed, ListPage, detect, family

# detection: the most specific marker first; html (the fallback) is not in the list
DETECT_ORDER = ("gkmlpt", "hanweb-jpage", "hanweb-jpaas", "jiangxi-querylist", "channel-search", "govcn-json")

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
