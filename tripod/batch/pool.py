"""The worker processes of a batch, and the results taken back from them in input order.

Each worker builds one rule engine (one :class:`~tripod.service.Screener`) and reuses it for every
case it is given. The parent takes the results back *in input order* through a bounded window, so
memory stays flat however many cases there are, and every decision that depends on order is
deterministic. With one job, the cases are assessed in the batch's own process.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tripod.batch.parent_watch import exit_with_parent
from tripod.batch.worker import Outcome, Settings, _internal, assess_file
from tripod.service import Screener

# Results waiting in the parent, per worker: enough to keep every worker busy, few enough that the
# memory held does not grow with the batch.
WINDOW_PER_JOB = 4

_SCREENER: Screener | None = None
_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(settings.parent)  # a SIGKILL reaches the batch alone
    global _SCREENER, _SETTINGS
    _SCREENER = Screener()
    _SCREENER.engine  # built now, before the first case arrives  # noqa: B018
    _SETTINGS = settings


def _work_in_worker(source: str) -> Outcome:
    assert _SETTINGS is not None and _SCREENER is not None
    return assess_file(source, _SETTINGS, _SCREENER)


def inline(sources: Iterable[str], settings: Settings) -> Iterator[Outcome]:
    """The outcomes of ``sources`` assessed one after another in this process."""
    screener = Screener()
    for source in sources:
        yield assess_file(source, settings, screener)


def _context() -> Any:
    import multiprocessing

    # forkserver: workers fork from a clean server that has the engine imported once, so they start
    # fast, share no state with the parent (no patient data copied, no progress thread forked).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tripod.batch.pool", "engine.inference"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def pooled(sources: Iterable[str], settings: Settings, jobs: int) -> Iterator[Outcome]:
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker,
                               initargs=(settings,))
    window: deque[tuple[str, Future[Outcome]]] = deque()
    try:
        for source in sources:
            window.append((source, pool.submit(_work_in_worker, source)))
            if len(window) >= jobs * WINDOW_PER_JOB:
                yield _result(*window.popleft())
        while window:
            yield _result(*window.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(source: str, future: Future[Outcome]) -> Outcome:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot travel back; not the batch's end
        return Outcome(source=source, problems=_internal(source, exc), internal=True)
