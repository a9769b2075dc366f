"""Scrapy project: settings, the config-driven spider, downloader middlewares, the storage pipeline."""
