"""Notice at once when a worker process dies (``torch.utils.data._utils.signal_handling``).

The main process keeps the pids of each iterator's workers. On ``SIGCHLD`` (main thread only) it asks, without
reaping, whether one of them ended with an error or by a signal, and raises ``RuntimeError`` there, which
interrupts a wait on the result queue; the iterator then names the dead workers.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

_worker_pids: dict[int, tuple[int, ...]] = {}  # id(iterator) -> its workers' pids
_handler_set = False


def _set_worker_pids(key: int, pids: tuple[int, ...]) -> None:
    _worker_pids[key] = pids


def _remove_worker_pids(key: int) -> None:
    _worker_pids.pop(key, None)


def _error_if_any_worker_fails() -> None:
    """Raise if a registered worker exited with a non-zero code or was killed by a signal."""
    for key, pids in list(_worker_pids.items()):
        for pid in pids:
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                continue
            if info is None:
                continue
            if info.si_code == os.CLD_EXITED and info.si_status != 0:
                message = (f"DataLoader worker (pid {pid}) exited unexpectedly with exit code {info.si_status}. "
                           "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give better "
                           "error trace.")
            elif info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                message = f"DataLoader worker (pid {pid}) is killed by signal: {signal.strsignal(info.si_status)}. "
                if info.si_status == signal.SIGBUS:
                    message += ("It is possible that dataloader's workers are out of shared memory. Please try to "
                                "raise your shared memory limit.")
            else:
                continue
            _worker_pids.pop(key, None)  # report each failure once
            raise RuntimeError(message)


@contextlib.contextmanager
def _sigchld_blocked() -> Iterator[None]:
    """Block ``SIGCHLD`` in this thread for a while: threads started meanwhile (the queues' feeder threads)
    inherit the mask, so the signal reaches the main thread and interrupts its wait for a batch at once."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _set_SIGCHLD_handler() -> None:  # noqa: N802
    """Install the ``SIGCHLD`` check once (main thread, POSIX), chained before any Python handler already set."""
    global _handler_set
    if _handler_set or not hasattr(signal, "SIGCHLD") or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGCHLD)

    def handler(signum: int, frame: Any) -> None:
        _error_if_any_worker_fails()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGCHLD, handler)
    _handler_set = True
