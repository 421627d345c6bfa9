"""The one asyncio driver for targets and suites whose subject runs on an event loop.

One loop per process, made on first use: a new loop per input would cost more than most inputs.
The driver records every task started on it and every error that reaches the loop's exception
handler, so that nothing a subject does in the background goes unseen:

- `run(coro)` drives one coroutine; tasks it starts keep running (a stateful subject's receive
  loop lives across steps);
- `run_alone(coro)` drives one whole input of a stateless target and ends every task it started,
  even after a finding, so nothing outlives the input;
- `settle()`, awaited inside a run, lets the started tasks run and re-raises the first error one
  ended with (nothing else would see it);
- `cancel_tasks()` (inside a run) and `end_tasks()` (outside) cancel what was left running;
- `escaped()` hands over what reached the exception handler since it was last asked, and `surface`
  raises it as a finding.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, Mapping, Optional, Sequence, TypeVar, cast

from harness.target import OracleViolation

T = TypeVar("T")
# The promise that nothing reaches the loop's exception handler, named as a broken one is reported.
NOTHING_ESCAPES = "nothing-reaches-the-loop-handler"

# Rounds of the loop that started tasks get to finish in settle(): what does not finish in that
# many rounds waits on a timer or on input, and is left running.
SETTLE_ROUNDS = 8


class EventLoopDriver:
    def __init__(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._escaped: list[dict[str, Any]] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            self._loop.set_task_factory(self._recording_task)  # type: ignore[arg-type]
            self._loop.set_exception_handler(lambda loop, context: self._escaped.append(context))
        return self._loop

    def _recording_task(self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop)
        self._tasks.append(task)
        return task

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def run_alone(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self.run(coro)
        finally:
            self.end_tasks()

    async def settle(self, rounds: int = SETTLE_ROUNDS) -> None:
        current = asyncio.current_task()
        for _ in range(rounds):
            if all(task.done() for task in self._tasks if task is not current):
                break
            await asyncio.sleep(0)
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise cast(BaseException, task.exception())

    async def cancel_tasks(self) -> None:
        """Cancel every task started on the driver but the caller's, let each finish, and forget them (with
        what they ended with: nothing reaches the exception handler later, when one is collected)."""
        current = asyncio.current_task()
        pending = [task for task in self._tasks if not task.done() and task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in self._tasks:
            if task.done() and not task.cancelled():
                task.exception()  # marks it retrieved
        self._tasks = [task for task in self._tasks if task is current]

    def end_tasks(self) -> None:
        """cancel_tasks(), from outside the loop: a subject's teardown, the end of an input."""
        self.run(self.cancel_tasks())
        self._tasks.clear()

    def escaped(self) -> list[dict[str, Any]]:
        """The contexts the loop's exception handler received since the last call."""
        contexts, self._escaped = self._escaped, []
        return contexts


async def until(condition: Callable[[], bool], timeout: float, *, poll: float) -> bool:
    """Whether `condition` holds within `timeout` seconds, looked at every `poll` seconds (inside a run)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


def surface(escaped: Sequence[Mapping[str, Any]]) -> None:
    """What reached the event loop's exception handler, raised: the first context's exception as itself, so that
    its signature names the stack's frame, or an OracleViolation(NOTHING_ESCAPES) when it carries none."""
    if not escaped:
        return
    exception = escaped[0].get("exception")
    if isinstance(exception, BaseException):
        raise exception
    raise OracleViolation(NOTHING_ESCAPES, f"reached the event loop's exception handler: {escaped[0].get('message')}")


DRIVER = EventLoopDriver()
