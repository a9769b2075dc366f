"""`policywatch demo` and what it runs on: the seed pages, the demo portal, the demo's story.

`pages/` holds the HTML the demo (and the tests) start from: the two seed pages in their CMS
templates (pages/README.md says what is real in them and what is made up) and a copy of the
corpus 条例 gz-37, which the portal serves re-encoded as GB18030. `portal/` is the local HTTP
server that imitates the city sites and the listing platforms; `story.py` is the offline part
of the demo, `crawl.py` the live part, `records.py` the same story written straight into a
database (for the web UI's tests and screenshots).
"""

from pathlib import Path

PAGES = Path(__file__).resolve().parent / "pages"

# The display names of the demo's sites (`title` in [[sites]]): the portal's config, the digests
# and the web UI's database all name them so, as a real config would. Zhaoqing's page is the
# 政府信息公开 (gkmlpt) page of 肇庆市人民政府, Yulin's a 政策解读 page of 玉林市人民政府; the
# traps site is the tests' collection of pages built to trip the crawler.
SITE_TITLES = {"zhaoqing": "肇庆市人民政府", "yulin": "玉林市人民政府", "traps": "测试陷阱页"}
