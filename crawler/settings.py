"""Scrapy settings: polite by default, because every site we crawl is a government server.

Per-site overrides come from `settings = {...}` in policywatch.toml (applied by the spider) or
`-s KEY=VALUE` on the command line (tests use tiny delays and timeouts that way).
"""

from scrapy.settings.default_settings import EXTENSIONS_BASE as _SCRAPY_EXTENSIONS_BASE

from crawler.limits import DOWNLOAD_MAXSIZE  # noqa: F401 (a setting)

# how the crawl asks (user agent, concurrency, delays, robots.txt, headers): also read by the
# revalidation pre-check, which must ask the same way without importing Scrapy
from crawler.politeness import *  # noqa: F403

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
CLOSESPIDER_TIMEOUT = 3600

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled each time (crawler.middlewares)
RETRY_BACKOFF_MAX = 60.0

# Conditional GET every run (docs/engineering.md, the last row of its table): the cache keeps the last
# 200 with its validators, `max-age=0` forces revalidation, and a 304 comes back to the spider
# as the cached response flagged "cached". Without max-age=0 the Last-Modified heuristic
# would serve stale pages without asking: silent staleness in a change monitor. The cached copy
# stands in only for a 304, never for a 5xx, a 429 or a failed connection, and for a document
# page only when it is the version the database stores (crawler.cache, crawler.validators).
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.cache.NotModifiedOnlyPolicy"
HTTPCACHE_IGNORE_RESPONSE_CACHE_CONTROLS = ["no-cache"]
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_STORAGE = "crawler.cache.SqliteCacheStorage"  # one file per site, not six per page

DOWNLOADER_MIDDLEWARES = {
    # robots.txt known before a host's first request, and its Crawl-delay obeyed
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsMiddleware": 100,
    # before the cache (900) on the way in, so a backed-off retry is delayed before it is sent
    "crawler.middlewares.RetryBackoffMiddleware": 560,
    # process_response runs high to low: after the cache hands back a cached body (900)
    "crawler.middlewares.CharsetFixMiddleware": 580,
    # before the cache on the way in: document requests carry the stored version's validators
    "crawler.validators.StoredValidatorsMiddleware": 590,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawler.cache.CacheMiddleware": 900,
    # between cookies (700: a gate's cookie is in the jar) and redirects (600: it sees a 3xx first)
    "crawler.antibot.AntiBotMiddleware": 650,
    # render = "browser" (crawler/browser.py): the status of the page the browser ended on
    "crawler.browser.RenderedStatusMiddleware": 660,
}
ITEM_PIPELINES = {"crawler.pipelines.StoragePipeline": 300}
# Both changes to Scrapy's extensions are made in its base table, not EXTENSIONS: the runners
# and a site's settings pass -s EXTENSIONS, which replaces that whole table.
# - crawler.progress loads only when POLICYWATCH_PROGRESS_FILE is set (`policywatch crawl` sets it).
# - The 2.19 RemoteControl extension runs a code-executing HTTP endpoint: never in production.
#   Disabled by its setting it is still imported, and with it aiohttp (half a second of every
#   crawl's start-up); out of the base table it is not.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {
    **_SCRAPY_EXTENSIONS_BASE,
    "crawler.progress.CrawlProgress": 0,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
TELNETCONSOLE_ENABLED = False
# Scrapy reads the source of a callback (inspect.getsource, ast.parse) to warn of a generator
# that returns a value, and its cache, keyed by the bound method, misses again and again: about
# 1 ms each time. tests/test_crawler_settings.py runs the same check over every callback of ours.
WARN_ON_GENERATOR_RETURN_VALUE = False

# -- policywatch's own settings, overridable like Scrapy's (per site, or -s KEY=VALUE) ----------
POLICYWATCH_BATCH_SIZE = 20  # pages per write transaction (crawler.pipelines)
POLICYWATCH_WRITERS = 2  # writer processes at most (and the cores but one); the second only when the first is busy (crawler.writer_pool)
# the share of a site's active documents one run may withdraw; more is taken for a broken
# listing, not a purge (storage.withdrawals.MAX_WITHDRAW_SHARE is the same rule's default)
POLICYWATCH_MAX_WITHDRAW_SHARE = 0.2
POLICYWATCH_ATTACHMENT_MAXSIZE = 50 * 1024 * 1024  # a PDF may pass DOWNLOAD_MAXSIZE (crawler.spiders.site)
POLICYWATCH_BROWSER_PAGES = 2  # pages open at once in the browser of a render = "browser" site
POLICYWATCH_WAIT_FOR = ""  # a lock file to wait on before the database is opened ("": none; scheduler.local_runner)
POLICYWATCH_PROGRESS_FILE = ""  # where crawler.progress writes the running counts ("": not at all)
POLICYWATCH_PROGRESS_INTERVAL = 1.0  # seconds between two writes of that file
HTTPCACHE_SQLITE_COMMIT_EVERY = 200  # cache writes per commit (crawler.cache)

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
