"""The cache of counts and facets: answers live while the store's version stays the same."""

from __future__ import annotations

from trialfinder.store.answer_cache import AnswerCache


def test_an_answer_is_computed_once_per_version() -> None:
    cache = AnswerCache()
    calls: list[str] = []

    def compute(value: str) -> str:
        calls.append(value)
        return value

    assert cache.get("v1", "count", lambda: compute("a")) == "a"
    assert cache.get("v1", "count", lambda: compute("b")) == "a"
    assert cache.get("v2", "count", lambda: compute("c")) == "c"
    assert calls == ["a", "c"]


def test_the_least_recently_used_answer_goes_first() -> None:
    cache = AnswerCache(size=2)
    cache.get("v", 1, lambda: "one")
    cache.get("v", 2, lambda: "two")
    cache.get("v", 1, lambda: "again")
    cache.get("v", 3, lambda: "three")
    assert [cache.get("v", k, lambda: "computed") for k in (1, 3, 2)] == [
        "one",
        "three",
        "computed",
    ]


def test_an_answer_computed_while_the_version_moved_is_not_kept() -> None:
    cache = AnswerCache()

    def compute_while_someone_writes() -> str:
        cache.get("v2", "other", lambda: "newer")
        return "older"

    assert cache.get("v1", "count", compute_while_someone_writes) == "older"
    assert cache.get("v2", "count", lambda: "fresh") == "fresh"
