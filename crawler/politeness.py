"""How every request of a crawl asks: who we are, how many at once, how far apart, robots.txt.

Part of the Scrapy settings (crawler.settings imports them all), in a module of their own that
imports nothing, so that the revalidation pre-check (crawler.revalidate), which asks the same
server the same way without starting Scrapy, reads the very same values.
"""

USER_AGENT = "policywatch/0.1 (+policy change monitoring; polite crawler)"
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = None  # Scrapy's default: robots.txt is read for USER_AGENT

# One request at a time per site, a second apart, slower when the server slows down.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy 2.19 starts CONCURRENT_ITEMS asyncio tasks for every callback's output, whatever its
# size; a detail page yields one item and a list page a few dozen requests, and the default
# of 100 made task creation the spider's largest cost after the HTTP cache.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# A hung server must not stall the run; a 10 MB "page" is an attachment or an attack.
DOWNLOAD_TIMEOUT = 30
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "Cache-Control": "max-age=0",
}
POLICYWATCH_MAX_CRAWL_DELAY = 60.0  # the longest robots.txt Crawl-delay obeyed (crawler.middlewares)
# Revalidate an unchanged site without starting Scrapy when every page its last good crawl fetched
# has a validator (crawler.revalidate); False always runs the full crawl.
POLICYWATCH_REVALIDATE = True
