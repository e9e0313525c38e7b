"""One helper for the threads a run uses (decoding depth, counting blocks, labelling chunks):
results in order, a bounded number waiting."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor


def ordered_map(fn, items, threads: int, waiting: int | None = None):
    """fn(item) for every item, yielded in order, computed in ``threads`` threads with at most
    ``waiting`` (default 2 x threads) submitted and not yet consumed, so memory stays bounded
    whatever the number of items. One thread and no ``waiting``: computed here, one at a time.
    The first failing item in order raises, as it would one after the other."""
    threads = max(1, int(threads))
    if threads == 1 and waiting is None:
        yield from map(fn, items)
        return
    limit = max(1, waiting if waiting is not None else 2 * threads)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
