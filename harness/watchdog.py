"""Ends an input that runs too long from inside the process, naming the loop that never ends.

A hang seen from outside (faulthandler's timer) is one stack dump taken wherever the loop
happened to be: `decode_params` one time, the `padl` it calls the next, so one bug got two
signatures. The watchdog thread instead samples the main thread's stack a few times once the
input is over time, and raises InputTimeout in it; the signature is the deepest frame that every
sample shares, which is the loop itself. Raising in-process also lets the fuzzer pass over a
known hang and go on, as it does with a known exception.

Code that never returns to the interpreter (a loop in C) cannot be interrupted this way; the
worker's faulthandler timer stays behind it as the backstop.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from types import FrameType
from typing import Callable, Optional, TypeVar

T = TypeVar("T")
Frames = list[tuple[str, int, str]]  # (file, line, function), outermost first

SAMPLES = 20
SAMPLE_INTERVAL = 0.001  # seconds; many samples, because a thread is only seen where it hands over the GIL


class InputTimeout(BaseException):
    """Raised in the main thread when an input overruns. A BaseException, so that the component's
    `except Exception` does not swallow it; raised by class (PyThreadState_SetAsyncExc), so the
    samples wait in `last_samples` rather than on the instance."""


_last_samples: list[Frames] = []


def last_samples() -> list[Frames]:
    return list(_last_samples)


def looping_frames(samples: list[Frames]) -> Frames:
    """The stack every sample shares, outermost first: it ends at the frame that loops."""
    shared: Frames = []
    for frames in zip(*samples):
        if any((f[0], f[2]) != (frames[0][0], frames[0][2]) for f in frames):
            break
        shared.append(frames[-1])  # with the line of the last sample
    return shared or (samples[-1] if samples else [])


def stack_of(frame: Optional[FrameType]) -> Frames:
    frames: Frames = []
    while frame is not None:
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return list(reversed(frames))


class Watchdog:
    """One thread per process; `run` brackets each input (a counter and a lock, no system call).

    The thread times an input from when it first sees its serial number, so that an input costs
    no clock reading; it is interrupted between `timeout` and a tick later. The thread marks an
    input it found over time, then checks that it still runs and interrupts it under a lock; an
    input that ends marked takes the lock and withdraws an interruption that has not landed yet.
    So an interruption meant for one input never lands in the code that runs between inputs (the
    worker's serve loop, say), and an input that was not marked ends without the lock.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._main = threading.main_thread().ident or 0
        self._lock = threading.Lock()
        self._serial = 0
        self._running = False
        self._armed = 0  # the serial of the last input the thread found over time
        self._interrupted = 0  # the serial of the last input interrupted: once per input
        threading.Thread(target=self._run, name="harness-watchdog", daemon=True).start()

    def run(self, call: Callable[..., T], *args: object) -> Optional[T]:
        """`call(*args)` as one input; None when the interruption landed after the input's own code had
        returned (while its verdict was being made): the input overran, and its result is lost."""
        result: Optional[T] = None
        serial = 0
        while True:
            try:
                if not serial:
                    self._serial = serial = self._serial + 1
                    self._running = True
                    result = call(*args)
                self._running = False
                if self._armed == serial:  # the thread may have interrupted it: wait until it has decided
                    with self._lock:
                        if self._interrupted == serial:  # withdrawn, if it has not landed yet
                            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main), None)
                return result
            except InputTimeout:
                continue  # it landed between the input's return and the lock: it ends here

    def _interrupt(self) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main), ctypes.py_object(InputTimeout))

    def _run(self) -> None:
        tick = min(0.25, self.timeout / 4)
        watched, since = 0, 0.0
        while True:
            time.sleep(tick)
            serial, now = self._serial, time.monotonic()
            if not self._running:
                continue
            if serial != watched:
                watched, since = serial, now - tick / 2  # it started within the last tick
                continue
            if now - since < self.timeout:
                continue
            self._armed = serial  # before it looks at _running under the lock (see run)
            samples = []
            for _ in range(SAMPLES):
                samples.append(stack_of(sys._current_frames().get(self._main)))
                time.sleep(SAMPLE_INTERVAL)
            with self._lock:
                if self._serial != serial or not self._running or self._interrupted == serial:
                    continue
                _last_samples[:] = samples
                self._interrupted = serial
                self._interrupt()
