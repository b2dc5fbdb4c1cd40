"""Normalising and capping text that comes from a submission."""

from grading.util.text import ELLIPSIS, cap, normalize


def test_zero_width_and_bidi_characters_are_removed_and_named():
    result = normalize("Up\u200bdate \u202emodel")
    assert result.text == "Update model"
    assert result.invisible == ("ZERO WIDTH SPACE", "RIGHT-TO-LEFT OVERRIDE")
    assert result.changed


def test_compatibility_forms_fold_to_plain_letters():
    assert normalize("ＷＩＰ ﬁx").text == "WIP fix"
    assert not normalize("plain").changed


def test_newlines_and_tabs_are_kept():
    assert normalize("a\tb\nc").text == "a\tb\nc"


def test_cap_marks_the_cut_and_keeps_short_text():
    assert cap("short", 10) == "short"
    long = cap("x" * 100, 20)
    assert len(long) == 20 and long.endswith(ELLIPSIS)
