"""`python -m crawler.launch crawl site -a site=NAME ...`: Scrapy's `scrapy crawl`, with a first
crawl's writer process started before Scrapy is imported.

A first crawl normalizes every page it fetches, in a writer process (crawler.writer_pool).
Spawned when the spider opens, that writer spent its imports (0.6 s) after Scrapy's own start
(about a second): on a small site the crawl was over before its writer was ready, and the last
batch waited for it. Started here, it imports on the machine's other core while Scrapy starts,
and the crawl's pipeline takes it as its first writer. Only for a site the database holds no
document of (one DB-API query, storage.run_rows.has_documents: SQLAlchemy is not imported yet);
any other crawl starts its writer when a page needs one, as before, and a recheck of an
unchanged site never does. The local runner (policywatch.scheduler.local_runner) starts crawls
this way; Scrapyd runs `scrapy crawl` itself, and its crawls start their writer when the spider
opens.

The database is the one the spider reads from POLICYWATCH_DATABASE_URL; a crawl given another
one (`-a db=`) finds the early writer's URL different, and the pool ends that writer unused.
"""

from __future__ import annotations

import os
import sys

from storage.db_file import ENV_VAR


def site_argument(argv: list[str]) -> str | None:
    """NAME of `-a site=NAME` (or `-asite=NAME`) in a `scrapy crawl` command line."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "-a" and i + 1 < len(argv) else arg[2:] if arg.startswith("-a") else ""
        if value.startswith("site="):
            return value[len("site="):]
    return None


def is_new_site(database_url: str, site: str) -> bool:
    """Whether the database holds no document of `site`: a missing SQLite file, a file without
    tables, or no row. False when the question cannot be answered (the database unreachable):
    the crawl then starts its writer as it always did, and reports the database itself."""
    from storage.db_file import sqlite_path
    from storage.dbapi import Sql
    from storage.run_rows import has_documents

    path = sqlite_path(database_url)
    if path is not None and not path.exists():
        return True  # not even opened: sqlite3 would make an empty file
    try:
        db = Sql.open(database_url)
    except Exception:
        return False
    try:
        return not has_documents(db, site)
    except Exception:
        return False
    finally:
        db.close()


def main(argv: list[str]) -> None:
    site, url = site_argument(argv), os.environ.get(ENV_VAR)
    if site and url and is_new_site(url, site):
        from crawler.writer_pool import start_early

        start_early(url)
    from scrapy.cmdline import execute

    execute(["scrapy", *argv])


if __name__ == "__main__":  # and not in the writer it spawns, which imports this module as __mp_main__
    main(sys.argv[1:])
