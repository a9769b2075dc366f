"""How large a page the crawl accepts: Scrapy settings (crawler.settings takes them from here),
importable without Scrapy by the commands that read saved pages (`policywatch normalize`,
`db reprocess`), which hold a file to the same limit as a fetched page."""

DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
