"""The marker patterns matched as printed read full and half width alike.

Most families (第…条, 一、, （一）, ①) are matched on the line as printed, not on a width-folded
copy (the fold costs more than the match): their patterns must then accept both widths of every
character they look at. The property pins that down: on a line opening like one of them, each
such pattern matches the line exactly where it matches the line's width-folded copy, group by group.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.markers import _AS_PRINTED, _BY_FIRST, fold_width, parse_marker

# a line opening like a marker of some family, then text; every ASCII character and space of it
# printed half or full width at random
_OPENINGS = ["第{n}条", "第{n}章", "第{n}节", "第{n}编", "第{n}条之{n}", "{n}、", "、", "({n})", "({d})", "{d}.", "{d}、",
             "{d}.{d}", "{d}.{d}.{d}", "{d}{d}", "{d})", "步骤{d}", "案例{n}", "第{n}步", "第{n}部分", "a.", "b)", "①", "㈡"]
_NUMERALS = st.sampled_from(["一", "二", "十", "十二", "二十", "一百零五", "两", "1", "12"])
_DIGITS = st.sampled_from(["1", "2", "9", "10", "12", "01", "100", "2026"])
_TAILS = st.sampled_from(["", " ", "总则", " 总则", "，申请", ".5%", "%", "2026年", "：登记", ".登记", "、登记", "，",
                          "月份收入", "规定。", "  ", "一)中", "(1)中", ":"])
_WIDE = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))} | {" ": "\u3000"}


@st.composite
def marker_line(draw) -> str:
    opening = draw(st.sampled_from(_OPENINGS))
    while "{n}" in opening or "{d}" in opening:
        opening = opening.replace("{n}", draw(_NUMERALS), 1).replace("{d}", draw(_DIGITS), 1)
    line = draw(st.sampled_from(["", " ", "\u3000"])) + opening + draw(_TAILS) + draw(_TAILS)
    widths = draw(st.lists(st.booleans(), min_size=len(line), max_size=len(line)))
    return "".join(_WIDE.get(c, c) if wide else c for c, wide in zip(line, widths, strict=True))


def _key(line: str):
    m = parse_marker(line)
    return None if m is None else (m.family, m.ordinal, len(m.label))


@settings(max_examples=1500, deadline=None)
@given(marker_line())
def test_patterns_read_as_printed_match_as_on_the_folded_copy(line: str) -> None:
    printed = line.lstrip(" \u3000\t")
    if not printed or printed[0] not in _AS_PRINTED:
        return  # a digit or latin opener: matched on the folded copy anyway
    folded = fold_width(printed)
    assert _BY_FIRST[printed[0]] == _BY_FIRST[folded[0]]
    for family, pattern in _BY_FIRST[printed[0]]:
        a, b = pattern.match(printed), pattern.match(folded)
        assert (a is None) == (b is None), (family, printed)
        if a and b:
            assert [a.span(k) for k in range(pattern.groups + 1)] == [b.span(k) for k in range(pattern.groups + 1)]


def test_full_width_markers_of_each_family() -> None:
    # hand-written pairs, so the property above is not left to random lines alone
    for printed, folded in [("（一）总则", "(一)总则"), ("（１）申请", "(1)申请"), ("第１２条 申请", "第12条 申请"),
                            ("第一步．登记", "第一步.登记"), ("步骤１：登记", "步骤1:登记"), ("１．总则", "1.总则"),
                            ("ａ．申请人", "a.申请人"), ("一、　总则", "一、 总则")]:
        assert _key(printed) == _key(folded) is not None, printed
