"""Worker processes end with the batch that started them.

A batch's workers fork from multiprocessing's forkserver, not from the batch itself, and every
worker holds the forkserver's "parent alive" pipe open, so neither notices when the batch is killed
with SIGKILL: they went on for half a minute with patient data in hand. :func:`exit_with_parent`,
run in each worker as it starts, watches the batch process from a thread (a Linux pidfd, which
becomes readable the moment the process ends; elsewhere a poll) and ends the worker with it.
"""

from __future__ import annotations

import os
import select
import threading
import time

POLL_SECONDS = 0.5


def exit_with_parent(parent: int) -> None:
    """End this process as soon as process ``parent`` (the batch) ends."""
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3 or later: poll instead
        threading.Thread(target=_poll, args=(parent,), name="exit-with-parent", daemon=True).start()
        return
    threading.Thread(target=_wait, args=(handle,), name="exit-with-parent", daemon=True).start()


def _wait(handle: int) -> None:
    select.select([handle], [], [])
    os._exit(1)


def _poll(parent: int) -> None:
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - alive, under another user (pid reused)
            pass
        time.sleep(POLL_SECONDS)
