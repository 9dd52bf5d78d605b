"""The async libraries the async face runs on: one small backend each.

trueup.AsyncReconciler's core (_async.py) is the same on every library: a
run gathers its job's sockets in a private selector (epoll on Linux), and
the task that awaits or iterates the run waits for that one file
descriptor to be readable, or for the job's timer, with the running
library's own readiness wait and clock. So a backend is three things:

    wait(fd, timeout)   return when fd is readable or `timeout` seconds
                        have passed (None: no timer; <= 0: just yield to
                        the loop once), cancellable as the library cancels
    now()               the library's clock, in seconds (Trio's clock is
                        the run's: a test's MockClock is obeyed)
    shield()            a context in which the task is not cancelled, for
                        winding a cancelled job down (Trio's and AnyIO's
                        cancel scopes would cancel every await again)

The running library is found at run time, as httpcore and AnyIO find it:
sniffio when it is installed, else by asking asyncio and Trio themselves.
Under AnyIO the library found is the one AnyIO runs on. No thread is
started; nothing is imported from a library that is not running (asyncio
included: importing it costs about 65 ms, which a program that uses only
the blocking Reconciler should not pay).
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Optional

if TYPE_CHECKING:
    import asyncio

__all__ = ["Backend", "current_backend"]


class Backend:
    """What the core needs of an async library (see the module doc)."""

    name = "?"

    def now(self) -> float:
        raise NotImplementedError

    async def wait(self, fd: int, timeout: Optional[float]) -> None:
        raise NotImplementedError

    def shield(self) -> ContextManager[Any]:
        raise NotImplementedError

    def is_cancellation(self, exc: BaseException) -> bool:
        """Whether `exc` is the library's way of cancelling the task."""
        raise NotImplementedError

    def forget(self, fd: int) -> None:
        """`fd` is about to be closed."""


class AsyncioBackend(Backend):
    """asyncio: loop.add_reader for the wait, loop.time() for the clock."""

    name = "asyncio"

    def __init__(self) -> None:
        import asyncio   # running: imported already
        self.asyncio = asyncio
        self.loop = asyncio.get_running_loop()

    def now(self) -> float:
        return self.loop.time()

    async def wait(self, fd: int, timeout: Optional[float]) -> None:
        if timeout is not None and timeout <= 0:
            await self.asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = self.loop.create_future()

        def wake() -> None:
            if not woken.done():
                woken.set_result(None)
        self.loop.add_reader(fd, wake)
        timer = (self.loop.call_later(timeout, wake)
                 if timeout is not None else None)
        try:
            await woken
        finally:
            self.loop.remove_reader(fd)
            if timer is not None:
                timer.cancel()

    def shield(self) -> ContextManager[Any]:
        # AnyIO on asyncio cancels a task again and again while its cancel
        # scope is cancelled; its shield stops that. A plain asyncio cancel
        # is one exception, which the core catches while it winds down.
        anyio = sys.modules.get("anyio")
        if anyio is not None:
            return anyio.CancelScope(shield=True)  # type: ignore[no-any-return]
        return contextlib.nullcontext()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, self.asyncio.CancelledError)


class TrioBackend(Backend):
    """Trio: trio.lowlevel.wait_readable under a deadline on Trio's clock."""

    name = "trio"

    def __init__(self) -> None:
        # (imported by name: Trio before 0.23 has no type hints to check)
        self.trio: Any = importlib.import_module("trio")

    def now(self) -> float:
        return float(self.trio.current_time())

    async def wait(self, fd: int, timeout: Optional[float]) -> None:
        trio = self.trio
        if timeout is not None and timeout <= 0:
            await trio.lowlevel.checkpoint()
            return
        with trio.move_on_after(math.inf if timeout is None else timeout):
            await trio.lowlevel.wait_readable(fd)

    def shield(self) -> ContextManager[Any]:
        return self.trio.CancelScope(shield=True)  # type: ignore[no-any-return]

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, self.trio.Cancelled)

    def forget(self, fd: int) -> None:
        self.trio.lowlevel.notify_closing(fd)


def _running_library() -> Optional[str]:
    """'asyncio', 'trio' or another library's name; None outside of any."""
    try:
        sniffio: Any = importlib.import_module("sniffio")
    except ImportError:
        pass
    else:
        try:
            return str(sniffio.current_async_library())
        except sniffio.AsyncLibraryNotFoundError:
            return None
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
            return "trio"
        except RuntimeError:
            pass
    running = sys.modules.get("asyncio")   # not imported: not running
    try:
        return ("asyncio" if running is not None and
                running.current_task() is not None else None)
    except RuntimeError:
        return None


_BACKENDS: dict[str, Callable[[], Backend]] = {
    "asyncio": AsyncioBackend, "trio": TrioBackend}


def current_backend() -> Backend:
    """The backend of the async library running this task."""
    name = _running_library()
    make = _BACKENDS.get(name or "")
    if make is None:
        raise RuntimeError(
            "trueup.AsyncReconciler runs on asyncio or Trio (or AnyIO on "
            "either): await or iterate a Run in a task of one of them%s"
            % ("" if name is None else ", not of %s" % name))
    return make()
