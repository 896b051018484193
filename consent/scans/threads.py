"""A crawl on a thread of its own, the caller waiting (the crawler's and the worker's)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any


class OnThread:
    """``fn(*args)`` run on a daemon thread in the caller's context (an app context stays
    visible to it); ``ended`` is set once it returns or raises, and :meth:`result` then
    gives its value or raises its error in the caller.

    An Event, not Thread.join: a join interrupted by an exception (a signal's) may mark the
    thread stopped while it runs (CPython before 3.12), and the next join not wait.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.ended = threading.Event()
        self._outcome: list[Any] = []
        self._failure: list[BaseException] = []
        context = contextvars.copy_context()

        def run() -> None:
            try:
                self._outcome.append(context.run(fn, *args))
            except BaseException as error:  # handed to the caller, raised there
                self._failure.append(error)
            finally:
                self.ended.set()

        threading.Thread(target=run, name="consent-crawl", daemon=True).start()

    def result(self) -> Any:
        """What ``fn`` returned, or its error raised (once :attr:`ended` is set)."""
        if self._failure:
            raise self._failure[0]
        return self._outcome[0]
