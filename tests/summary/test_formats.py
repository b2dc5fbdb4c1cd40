"""One test per format real students write (issue 12, item 5).

Each input is written here in the shape students use; the expected reading
is stated next to it. The fixtures in ``fixtures/`` cover the same formats in
whole summaries.
"""

import pytest

from grading.summary import numbers


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("16,432,856 B", 16_432_856),  # English commas
        ("16.432.856 B", 16_432_856),  # Polish dots
        ("16 432 856 B", 16_432_856),  # spaces
        ("16\u2009432\u2009856 B", 16_432_856),  # thin spaces
        ("16\u00a0432\u00a0856 bajtów", 16_432_856),  # no-break spaces
        ("1,5 MB", 1_500_000),  # decimal comma
        ("1 346 kB", 1_346_000),
        ("1,346 kB", 1_346_000),  # a thousands comma before kB
        ("1,346 MB", 1_346_000),  # a decimal comma before MB
        ("12.5 MiB", 13_107_200),
        ("16 035 KiB", 16_419_840),
        ("9.0MB", 9_000_000),
    ],
)
def test_sizes_with_separators_and_units(written, expected):
    assert numbers.as_bytes(written) == (expected, False)


def test_dimensions_are_not_numbers():
    assert numbers.first_number("<Figure size 640x480 with 2 Axes>") == (2.0, "")
    assert numbers.first_number("224x224x3") is None
