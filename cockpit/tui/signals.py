"""Provides the hang-up handling: SIGHUP (the SSH link dropped) and SIGTERM end the session cleanly.

The handlers run on the app's event loop, not in a Python signal frame, so ending the session is
an ordinary call: the transaction in flight is asked to finish or compensate, the app waits for
it, then exits and releases the store's lock. The previous handlers (the CLI's) come back after.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Any

SIGNALS = (signal.SIGHUP, signal.SIGTERM)


def catch(end_session: Callable[[], object]) -> Callable[[], None]:
    """Route SIGHUP and SIGTERM to `end_session`; return the call that puts the old handlers back."""
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}
    for signum in SIGNALS:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread
            handler = signal.getsignal(signum)
            loop.add_signal_handler(signum, end_session)
            previous[signum] = handler

    def restore() -> None:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
                signal.signal(signum, handler)
        previous.clear()

    return restore
