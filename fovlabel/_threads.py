"""One helper for the threads a run uses (decoding depth, counting blocks, labelling chunks):
results in order, a bounded number waiting."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor

_END = object()


class OrderedMap:
    """fn(item) for every item, computed in ``threads`` threads and taken in order by iterating,
    with at most ``waiting`` (default 2 x threads) submitted and not yet taken, so memory stays
    bounded whatever the number of items. The work starts when it is made: the first ``waiting``
    items run while the caller does something else before taking them. The first failing item
    in order raises, as it would one after the other. :meth:`close` (or the end of a ``with``
    block, or of the items) stops the threads: what has not started is dropped, what runs is
    waited for."""

    def __init__(self, fn, items, threads: int, waiting: int | None = None):
        threads = max(1, int(threads))
        self._fn = fn
        self._items = iter(items)
        self._limit = max(1, waiting if waiting is not None else 2 * threads)
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._pending: deque = deque()
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._limit:
            item = next(self._items, _END)
            if item is _END:
                return
            self._pending.append(self._pool.submit(self._fn, item))

    def __iter__(self):
        return self

    def __next__(self):
        if not self._pending:
            self.close()
            raise StopIteration
        try:
            result = self._pending.popleft().result()
        except BaseException:
            self.close()
            raise
        self._fill()
        return result

    def close(self) -> None:
        self._pending.clear()
        self._items = iter(())
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ordered_map(fn, items, threads: int, waiting: int | None = None):
    """:class:`OrderedMap` as a generator (the work starts when it is first asked for). One thread
    and no ``waiting``: computed here, one at a time."""
    threads = max(1, int(threads))
    if threads == 1 and waiting is None:
        yield from map(fn, items)
        return
    with OrderedMap(fn, items, threads, waiting) as results:
        yield from results
