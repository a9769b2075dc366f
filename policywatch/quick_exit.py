"""Skip the garbage collections of interpreter shutdown in a process that is ending anyway.

Python's finalization runs full collections while it tears the modules down: 0.2 s for the
imports of a crawl process alone and 0.5-0.7 s with a crawl's heap, paid by each process of
`policywatch crawl` in turn (a writer, then the Scrapy process that waits for it, then the CLI
that waits for that). Frozen objects are left to the end of the process instead. Nothing here
needs a cyclic object's finalizer at exit: databases are disposed and files closed before.
"""

from __future__ import annotations

import atexit
import gc

_registered = False


def skip_final_collections() -> None:
    """Freeze the heap when the interpreter exits (atexit: after the handlers registered
    later, which run first); once per process however often called."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
