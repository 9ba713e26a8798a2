"""Round 12: an unnamed performance status in the PDQ layout reads as ECOG (the labelling guide)."""

from __future__ import annotations

import pytest

from support import score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Performance status: 0-2", [("ECOG", 0.0, 2.0)]),
        ("Performance status - 0-2", [("ECOG", 0.0, 2.0)]),
        ("Performance status - CTC 0-2", [("ECOG", 0.0, 2.0)]),
        ("Performance status: 0, 1 or 2", [("ECOG", 0.0, 2.0)]),
        (
            "Performance status: < 2 (Karnofsky > 70%)",
            [("ECOG", None, 2.0), ("Karnofsky", 70.0, None)],
        ),
        (
            "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: 0 or 1 Life expectancy:",
            [("ECOG", 0.0, 1.0)],
        ),
    ],
)
def test_unnamed_performance_status_in_the_pdq_layout_is_ecog(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    assert sorted(score_bounds(text), key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Performance status: 60-100%", []),
        ("Performance status: Karnofsky 70-100%", [("Karnofsky", 70.0, 100.0)]),
        ("Performance status: Lansky 50-100%", [("Lansky", 50.0, 100.0)]),
        ("Performance status: 0-1 (ECOG)", [("ECOG", 0.0, 1.0)]),
        ("Performance status: Zubrod 0-1", [("ECOG", 0.0, 1.0)]),
        ("Patients with a performance status of 0-2 are eligible", []),
        ("Performance status: Not specified", []),
        ("Performance status: 2 or less", []),
    ],
)
def test_other_performance_status_wordings_keep_their_reading(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    assert score_bounds(text) == expected
