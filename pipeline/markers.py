"""Numbering markers at the start of a line, one pattern per family.

Families are the numbering systems of 公文 (GB/T 9704: 一、 （一） 1. （1）, plus ① ㈠ used
freely) and of laws (编 章 节 条). Depth is NOT decided here: the structure layer assigns it
from the order in which families appear (drafters skip and reorder levels, trap 3).
`（一）`, `(一)` and `１．` are the same marker: the families opening with a digit or a latin
letter match on a width-folded copy; the others (第…, 一、, （一）, ①) are written to read both
widths as printed, which spares most lines the fold.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from pipeline.metadata import cn_number

# The numerals of markers are few (一 to 二十, 1 to 30) and read on every numbered line: each is
# worked out once.
_number = lru_cache(maxsize=1024)(cn_number)

LAW_FAMILIES = ("bian", "zhang", "jie", "tiao")
LAW_HEADINGS = ("bian", "zhang", "jie")

_N = "零〇一二三四五六七八九十百千两"
# Replaced match by match: str.translate with a dict looks up every character in Python.
_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def fold_width(text: str) -> str:
    """Full-width ASCII to ASCII, ideographic space to space; leaves ① and ㈠ alone (NFKC would not)."""
    # one str.replace per distinct wide character, not a Python callback per occurrence; what
    # they become is ASCII, never wide again, so the order does not matter
    for c in set(_WIDE.findall(text)):
        text = text.replace(c, " " if c == "\u3000" else chr(ord(c) - 0xFEE0))
    return text


class Marker(NamedTuple):  # a tuple, not a dataclass: made for every numbered line, and cheaper
    family: str
    ordinal: int | None  # None when the numeral was dropped ("、实施方案…")
    label: str  # as printed, e.g. "（一）", "第十二条"
    rest: str  # the text after the label on the same line


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bian", re.compile(rf"^(第([{_N}\d]+)编)\s*(.{{0,40}})$")),
    ("zhang", re.compile(rf"^(第([{_N}\d]+)章)\s*(.{{0,40}})$")),
    ("jie", re.compile(rf"^(第([{_N}\d]+)节)\s*(.{{0,40}})$")),
    ("tiao", re.compile(rf"^(第([{_N}\d]+)条(?:之([一二三四五六七八九十]+))?)(?![，,、])\s*(.*)$")),
    ("cn", re.compile(r"^(([一二三四五六七八九十]{1,3})\s*[、])\s*(.*)$")),
    ("cn_dropped", re.compile(r"^(、)\s*([\u4e00-\u9fff].*)$")),
    ("pcn", re.compile(r"^([(（]\s*([一二三四五六七八九十]{1,3})\s*[)）])\s*(.*)$")),
    ("ar", re.compile(r"^((\d{1,3})\s*(?:\.(?!\d)|\.(?=(?:19|20)\d\d年)|、))\s*(.*)$")),
    # decimal outlines of 预案 and standards: "1 总则", "1.1 编制目的", "2.1.1 指挥部职责" (one family per depth)
    ("dec", re.compile(r"^((\d{1,2}(?:\.\d{1,2}){0,3}))(?:\s+|(?:(?<=\d\.\d)|(?<=\d\.\d\d))(?=[\u4e00-\u9fff]))(?![万亿元%‰个倍千百年月日时])(\S.*)$")),
    # zero-padded section numbers run into a short heading: "01综合" … "12资源、环境和应急管理"
    ("pad", re.compile(r"^((0[1-9]|[1-9]\d))(?=[\u4e00-\u9fff])(?![万亿元个倍千百年月日时号])(.{1,20})$")),
    # worded items: 步骤1 / 第一步 / 第一部分 / 案例1 / 方法1
    ("word", re.compile(r"^((?:步骤|案例|方法|场景|示例)\s*(\d{1,2}|[一二三四五六七八九十]{1,3}))\s*[:：、.．]?\s*(.*)$")),
    ("step", re.compile(r"^(第([一二三四五六七八九十]{1,3})步)\s*[:：、，,.．]?\s*(.*)$")),
    ("part", re.compile(r"^(第([一二三四五六七八九十]{1,3})部分)\s*[:：、，,.．]?\s*(.*)$")),
    ("latin", re.compile(r"^(([a-z])[.)])\s*([\u4e00-\u9fff（(“].*)$")),
    ("par", re.compile(r"^([(（]\s*(\d{1,2})\s*[)）])\s*(.*)$")),
    ("ar_paren", re.compile(r"^((\d{1,2})\))\s*(.*)$")),
    ("circled", re.compile(r"^(([\u2460-\u2473]))\s*(.*)$")),
    ("u3220", re.compile(r"^(([\u3220-\u3229]))\s*(.*)$")),
)


# The characters a marker can open with (as printed, before width folding): 第 of the law and
# worded families, a numeral, 、, a bracket, a digit (\d, as the patterns read it), a latin
# letter, 步骤/案例/方法/场景/示例, ① and ㈠.
_OPENS = re.compile(r"[第一二三四五六七八九十、(（\da-zａ-ｚ步案方场示\u2460-\u2473\u3220-\u3229]")


def _opening(chars: str, families: tuple[str, ...]) -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    return {c: tuple(p for p in _PATTERNS if p[0] in families) for c in chars}


# The patterns that can match a line by its first (folded) character, in _PATTERNS' order: most
# candidate lines are tried against two or three patterns instead of all eighteen.
_DIGIT_PATTERNS = tuple(p for p in _PATTERNS if p[0] in ("ar", "dec", "pad", "ar_paren"))  # \d is any Nd digit
_BY_FIRST = {
    **_opening("第", ("bian", "zhang", "jie", "tiao", "step", "part")),
    **_opening("一二三四五六七八九十", ("cn",)),
    **_opening("、", ("cn_dropped",)),
    **_opening("(（", ("pcn", "par")),
    **_opening("0123456789", ("ar", "dec", "pad", "ar_paren")),
    **_opening("步案方场示", ("word",)),
    **_opening("abcdefghijklmnopqrstuvwxyz", ("latin",)),
    **_opening("".join(map(chr, range(0x2460, 0x2474))), ("circled",)),
    **_opening("".join(map(chr, range(0x3220, 0x322A))), ("u3220",)),
}


# The first characters of the families whose patterns read full and half width alike (\d, \s, both
# brackets, both colons and commas): their lines are matched as printed, not width-folded.
_AS_PRINTED = frozenset("第一二三四五六七八九十、(（步案方场示" + "".join(map(chr, [*range(0x2460, 0x2474), *range(0x3220, 0x322A)])))


@lru_cache(maxsize=8192)  # structure asks about the same line several times
def parse_marker(line: str) -> Marker | None:
    """The numbering marker that opens `line`, or None. `line` is the displayed text."""
    stripped = line.lstrip(" \u3000\t")
    if not _OPENS.match(stripped):
        return None  # most lines: no pattern below can start with their first character
    folded = stripped if stripped[0] in _AS_PRINTED else fold_width(stripped)
    first = folded[0]
    patterns = _BY_FIRST.get(first)
    if patterns is None:
        patterns = _DIGIT_PATTERNS if first.isdecimal() else ()
    for family, pattern in patterns:
        m = pattern.match(folded)
        if not m:
            continue
        label_len = len(m.group(1))
        label = stripped[:label_len]
        if family == "cn_dropped":
            return Marker("cn", None, label, stripped[label_len:].strip())
        if family == "tiao":
            ordinal = _number(m.group(2))
            rest = stripped[label_len:].strip()
            return Marker(family, ordinal, label, rest) if ordinal else None
        raw = m.group(2)
        if family == "dec":
            parts = raw.split(".")
            family = f"dec{len(parts)}"
            raw = parts[-1]
            if len(parts) == 1 and not bare_heading(m.group(3)):
                continue  # "1 总则" is a heading; "1 月份…" a number in prose
        elif family == "pad" and not bare_heading(m.group(3)):
            continue
        elif family == "word":
            family = "word" + _WORD_NUMERAL.sub("", m.group(1))
        elif family == "latin":
            raw = str(ord(raw) - ord("a") + 1)
        if family == "circled":
            ordinal = ord(raw) - 0x2460 + 1
        elif family == "u3220":
            ordinal = ord(raw) - 0x3220 + 1
        else:
            ordinal = _number(raw)
        if not ordinal:
            return None
        rest = stripped[label_len:].strip()
        if family.startswith(("word", "step", "part")):
            rest = rest.lstrip(":：、，,.． ")
        if family in LAW_HEADINGS and ("。" in rest or "，" in rest):
            return None  # prose that happens to start with 第一章…
        if family == "ar" and rest.startswith(("%", "‰")):
            return None  # "5.%" is a number in prose, not an item
        return Marker(family, ordinal, label, rest)
    return None


_WORD_NUMERAL = re.compile(r"[\s\d一二三四五六七八九十]")


def bare_heading(text: str) -> bool:
    """A short line with no sentence punctuation: a heading, not prose."""
    t = text.strip()
    return 0 < len(t) <= 30 and not any(c in t for c in "。；;，,：:！!？?")


# Inline runs: 一是…二是…, 一要…二要…  The first marker must follow a sentence boundary;
# later ones may follow anything, because pages drop the 。 before them (trap: 人才三是支持).
_INLINE = re.compile(r"([一二三四五六七八九十]{1,2})(是|要)")
_BOUNDARY = "。；;：:，,！!？?\n "


def inline_runs(text: str) -> list[tuple[int, str]] | None:
    """Start offsets and labels of an 一是/二是… run of two or more, or of numbered items printed
    inside the paragraph after a colon (…如下：1.…；2.…, …条件：（一）…；（二）…), or None."""
    return _shi_runs(text) or numbered_runs(text, after_colon=True)


# a numbered item inside running text: 1. 1、 1． (1) （1） （一）
_NUM_ITEM = re.compile(r"(\d{1,2})([.．、])(?!\d)|([（(])(\d{1,2}|[一二三四五六七八九十]{1,3})([)）])")
_ITEM_BOUNDARY = "；;。"


def numbered_runs(text: str, after_colon: bool = False) -> list[tuple[int, str]] | None:
    """Items numbered 1, 2, 3… inside one paragraph, each after a ； or 。: start offsets and labels.

    The first is 1 and opens the text (or, with after_colon, follows a colon); each next one is
    printed the same way (1. then 2., （一） then （二）) right after a sentence boundary.
    """
    if after_colon:
        colons = [i for i in (text.find("："), text.find(":")) if i != -1]
        if not colons:
            return None  # the first item must follow a colon: most paragraphs have none
        # no item can hold a colon, so none before the first colon can follow one
        candidates = _NUM_ITEM.finditer(text, min(colons))
    else:
        # the first item opens the text: text before it would stand before every later one too
        opening = _NUM_ITEM.match(text, len(text) - len(text.lstrip()))
        candidates = iter([opening] if opening else [])
    for first in candidates:
        number = first.group(1) or first.group(4)
        if _number(number) != 1:
            continue
        before = text[: first.start()].rstrip()
        if after_colon and not before.endswith(("：", ":")):
            continue
        arabic = first.group(1) is not None
        found = [(first.start(), first.group(0))]
        pos, n = first.end(), 2
        while True:
            token = f"{n}{first.group(2)}" if arabic else f"{first.group(3)}{n if number.isdigit() else _cn(n)}{first.group(5)}"
            i = text.find(token, pos)
            while i != -1 and not text[:i].rstrip().endswith(tuple(_ITEM_BOUNDARY)):
                i = text.find(token, i + 1)
            if i == -1:
                break
            found.append((i, token))
            pos, n = i + len(token), n + 1
        if len(found) >= 2:
            return found
    return None


def _shi_runs(text: str) -> list[tuple[int, str]] | None:
    if "是" not in text and "要" not in text:
        return None  # a plain look for the verb, before the regex walks the paragraph
    for first in _INLINE.finditer(text):
        if _number(first.group(1)) != 1:
            continue
        start = first.start()
        if start > 0 and text[start - 1] not in _BOUNDARY:
            continue
        verb = first.group(2)
        found = [(start, first.group(0))]
        expect, pos = 2, first.end()
        while True:
            nxt = _find_next(text, pos, expect, verb)
            if nxt is None:
                break
            found.append((nxt, text[nxt : nxt + len(_cn(expect)) + 1]))
            pos = nxt + len(_cn(expect)) + 1
            expect += 1
        if len(found) >= 2:
            return found
    return None


def _find_next(text: str, pos: int, n: int, verb: str) -> int | None:
    token = _cn(n) + verb
    i = text.find(token, pos)
    while i != -1:
        # "十二是" must not be read as "二是"
        if i > 0 and text[i - 1] in "一二三四五六七八九十" and len(_cn(n)) == 1:
            i = text.find(token, i + 1)
            continue
        return i
    return None


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
