"""`policywatch serve [--host 127.0.0.1] [--port 8000] [--config PATH]`: the read-only web UI and JSON API.

Runs the Flask app (policywatch.web) under waitress. It binds to 127.0.0.1 unless told
otherwise; behind a reverse proxy, `--url-prefix` and `--trusted-proxy` make the links and
feed URLs right. From the config (optional, as for `db upgrade`): `[ui] language` when no
`--lang` is given, `[ui] timezone` (else `[digest] timezone`) for every time a page shows, and
`[database] url` when neither `--db` nor $POLICYWATCH_DATABASE_URL is.
"""

from __future__ import annotations

import argparse
import errno
import socket

from policywatch.commands.db import add_db_argument, usage_errors
from policywatch.errors import UsageError

MAX_THREADS = 256  # each worker holds a database connection; more only queues in the kernel


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="the read-only web UI, JSON API and Atom feeds")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    p.add_argument("--url-prefix", default="", metavar="PATH", help="served under this path behind a proxy, e.g. /policywatch")
    p.add_argument(
        "--trusted-proxy",
        default=None,
        metavar="ADDR",
        help="the proxy's address: trust its X-Forwarded-Proto/Host/For headers",
    )
    p.add_argument(
        "--lang",
        default=None,
        metavar="LANG",
        help="the UI's language for browsers that ask for neither zh-CN nor en (zh-CN default, en)",
    )
    p.add_argument(
        "--config",
        metavar="PATH",
        help="policywatch.toml: [ui] language and timezone, [database] url (default: $POLICYWATCH_CONFIG, else ./ if present)",
    )
    add_db_argument(p)
    p.set_defaults(func=run)


def _check_port(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--host {host}: {e.strerror}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UsageError(f"--port {port}: address {host}:{port} is already in use") from None
            raise UsageError(f"--host {host} --port {port}: cannot bind ({e.strerror})") from None


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: not a port number (1-65535)")
    if not 0 < args.threads <= MAX_THREADS:
        # waitress with no worker thread accepts connections and never answers them
        raise UsageError(f"--threads {args.threads}: must be 1 to {MAX_THREADS}")
    if args.url_prefix and not args.url_prefix.startswith("/"):
        raise UsageError(f"--url-prefix {args.url_prefix}: must start with /")
    _check_port(args.host, args.port)
    from policywatch import i18n
    from policywatch.commands.db import database_url
    from policywatch.notify_config import optional_config
    from policywatch.web.app import create_app

    cfg, _where = optional_config(getattr(args, "config", None))
    lang = i18n.pick(args.lang, cfg.ui_language if cfg else None) if args.lang or cfg else None
    db_url = database_url(args.db, cfg.database_url) if cfg else args.db
    with usage_errors():
        app = create_app(db_url, lang=lang, zone=cfg.ui_timezone if cfg else None)
    from policywatch.web import server

    options = {"host": args.host, "port": args.port, "threads": args.threads, "ident": "policywatch"}
    if args.url_prefix:
        options["url_prefix"] = args.url_prefix.rstrip("/")
    if args.trusted_proxy:
        options.update(
            trusted_proxy=args.trusted_proxy,
            trusted_proxy_headers="x-forwarded-proto x-forwarded-host x-forwarded-for",
            clear_untrusted_proxy_headers=True,
        )
    db = app.extensions["policywatch_db"]
    print(f"policywatch: serving {db.display_url} (read-only) on http://{args.host}:{args.port}{args.url_prefix}/", flush=True)
    try:
        server.serve(app, **options)  # waitress, with request deadlines and a per-client cap
    except OSError as e:
        raise UsageError(f"--host {args.host} --port {args.port}: cannot serve ({e.strerror})") from None
    finally:
        db.dispose()
    return 0
