"""Provides the hang-up handling: SIGHUP (the SSH link dropped) and SIGTERM end the session cleanly.

The handlers run on the app's event loop, not in a Python signal frame, so ending the session is
an ordinary call: the transaction in flight is asked to finish or compensate, the app waits for
it, then exits and releases the store's lock. The previous handlers (the CLI's) come back after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

SIGNALS = (signal.SIGHUP, signal.SIGTERM)


def detach_terminal() -> None:
    """Point stdout and stderr at /dev/null: the terminal is gone, and writing to it fails.

    Textual writes frames from a thread of its own; a write to a hung-up terminal raises and ends
    that thread, and then the frames queue up until the app blocks on the full queue (at the
    latest when it closes the terminal on the way out). Written to /dev/null, they cost nothing.
    """
    with contextlib.suppress(OSError):
        sink = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(sink, fd)
        os.close(sink)


def exit_soon(code: int, after_s: float, first: Callable[[], object]) -> None:
    """In a daemon thread: `first()` (close the store), then end the process in `after_s` seconds
    unless it has ended by then.

    After a hang-up the app's own way out runs on the event loop, and Textual's terminal driver
    can block that loop for good on a terminal that no longer exists (a queue of frames nobody
    writes). The store must not wait for it: `first` closes it from this thread (waiting for the
    transaction in flight, which holds the backend's lock), and then nothing is left that the
    process owes anyone.
    """

    def watchdog() -> None:
        with contextlib.suppress(Exception):
            first()
        time.sleep(after_s)
        os._exit(code)

    threading.Thread(target=watchdog, name="cockpit-exit-watchdog", daemon=True).start()


def catch(
    end_session: Callable[[], object], hung_up: Callable[[], object] | None = None
) -> Callable[[], None]:
    """Route SIGHUP and SIGTERM to `end_session` (SIGHUP to `hung_up` first, when given); return
    the call that puts the old handlers back."""
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def on_hangup() -> None:
        if hung_up is not None:
            hung_up()
        end_session()

    for signum in SIGNALS:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread
            handler = signal.getsignal(signum)
            loop.add_signal_handler(signum, on_hangup if signum == signal.SIGHUP else end_session)
            previous[signum] = handler

    def restore() -> None:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
                signal.signal(signum, handler)
        previous.clear()

    return restore
