"""Engine 24 (rules round 23): an unnamed performance status whose scale is named after its
values, in a bracket ("PS 0-2 (WHO scale)", "≤ 1 (ECOG)", "(ECOG Criteria)") or after a linking
word ("0 to 2 according to the Eastern Cooperative Oncology Group", "0-1 on the Zubrod scale"),
and the WHO performance status with the organisation written out ("World Health Organisation
(WHO) performance status") (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PS 0-2 (WHO scale)", [("ECOG", 0.0, 2.0)]),
        ("Performance status 0-1 (WHO)", [("ECOG", 0.0, 1.0)]),
        ("Performance status of 0, 1 or 2 (ECOG Criteria).", [("ECOG", 0.0, 2.0)]),
        ("PS 0 or 1 (Zubrod)", [("ECOG", 0.0, 1.0)]),
        (
            "Have a performance status of 0 to 2 according to the Eastern Cooperative Oncology"
            " Group",
            [("ECOG", 0.0, 2.0)],
        ),
        (
            "Patient must have performance status 0-2 on the ECOG Performance Status (see"
            " Appendix B)",
            [("ECOG", 0.0, 2.0)],
        ),
        ("Performance Status of 0 or 1 on the Zubrod scale", [("ECOG", 0.0, 1.0)]),
        ("World Health Organisation (WHO) performance status 0-2", [("ECOG", 0.0, 2.0)]),
        ("World Health Organization (WHO) performance status of 0 or 1", [("ECOG", 0.0, 1.0)]),
        ("World Health Organisation performance status 0-1", [("ECOG", 0.0, 1.0)]),
        ("performance status of less than or equal to 2 (Zubrod Scale)", [("ECOG", None, 2.0)]),
        ("Performance status ≤ 1 (ECOG)", [("ECOG", None, 1.0)]),
        ("performance status ≥ 70 (Karnofsky scale)", [("Karnofsky", 70.0, None)]),
    ],
)
def test_a_performance_status_reads_on_the_scale_named_after_its_values(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Performance status 0-2",  # unnamed in running text: stays unread (round 9's decision)
        "ps 0-2 (WHO)",  # "PS" in capitals only
        "performance status 0-2 on the day of enrolment",  # no scale after the linking word
        "performance status 0-1 (WHO classification 2016)",  # the bracket names no scale
        "World Health Organization (WHO) classification grade 2-3",  # no performance status
    ],
)
def test_no_scale_named_after_the_values_reads_nothing(text: str) -> None:
    assert score_bounds(text) == []


def test_another_scales_bound_in_the_bracket_is_that_scales() -> None:
    assert score_bounds("performance status 0-2 (Karnofsky ≥ 50%)") == [("Karnofsky", 50.0, None)]
