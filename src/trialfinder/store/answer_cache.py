"""Answers remembered while the store is unchanged, for counts and facets of either backend."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class AnswerCache:
    """The last `size` answers, each valid while the store's version is the one it was computed
    at. Safe to share between threads; two threads missing the same key both compute it.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._version: Hashable = None
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer remembered for `key` at `version`, or `compute()`'s (then remembered).

        `version` must be read before `compute` runs, so that an answer is never filed under
        a version newer than the data it was computed from.
        """
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
            if key in self._answers:
                self._answers.move_to_end(key)
                answer: T = self._answers[key]
                return answer
        answer = compute()
        with self._lock:
            if version == self._version:
                self._answers[key] = answer
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)
        return answer
