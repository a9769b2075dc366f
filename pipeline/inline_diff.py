"""Inline diffs of two measure texts as readable (op, text) spans.

Character-level edit scripts come from rapidfuzz's Levenshtein opcodes (Chinese has no word
boundaries, so characters are the natural unit). Raw scripts are "confetti" on real edits, so
they are cleaned up into word-sized spans:

- the comparison runs on a per-character folded key (width, quote/dash variants, spaces
  ignored), so a re-rendered comma or a full-width digit next to a real edit is not shown as
  an edit of its own;
- an edit touching a run of ASCII letters or digits grows to the whole run ("50" -> "80",
  never "5" -> "8");
- two edits separated by less than `MIN_EQUAL` unchanged characters become one edit.

The spans hold the text as printed: `equal` and `insert` slices come from the new text,
`delete` slices from the old one, so joining equal+insert gives the new text exactly and
equal(old)+delete gives the old one.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from pipeline.text import norm_text

MIN_EQUAL = 2
"""Unchanged runs shorter than this between two edits are folded into the edit (no confetti)."""

Span = tuple[str, str]


def _fold_char(ch: str) -> str:
    """One comparison key per printed character; a key of one char keeps indices aligned."""
    folded = norm_text(ch)
    return folded if len(folded) == 1 else ch


def _keys(text: str) -> tuple[str, list[int]]:
    """The folded key string without whitespace, and each key's index in `text`."""
    keys: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue  # layout only in Chinese text; never an edit of its own
        keys.append(_fold_char(ch))
        index.append(i)
    return "".join(keys), index


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _regions(a: str, b: str) -> list[list[int]]:
    """Edit regions [i1, i2, j1, j2] on the key strings, adjacent opcodes merged."""
    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b).as_list():
        if tag == "equal":
            continue
        if regions and regions[-1][1] == i1 and regions[-1][3] == j1:
            regions[-1][1], regions[-1][3] = i2, j2
        else:
            regions.append([i1, i2, j1, j2])
    return regions


def _grow_to_words(regions: list[list[int]], a: str, b: str) -> None:
    """Grow each region over neighbouring ASCII letters/digits so numbers change whole.

    The characters just outside a region lie in an equal run, identical in a and b, so
    moving both borders by the same amount keeps the two sides consistent.
    """
    for r in regions:
        i1, i2, j1, j2 = r
        inside = a[i1:i2] + b[j1:j2]
        if not any(_is_word_char(c) for c in inside):
            continue
        while i1 > 0 and j1 > 0 and _is_word_char(a[i1 - 1]) and a[i1 - 1] == b[j1 - 1]:
            i1, j1 = i1 - 1, j1 - 1
        while i2 < len(a) and j2 < len(b) and _is_word_char(a[i2]) and a[i2] == b[j2]:
            i2, j2 = i2 + 1, j2 + 1
        r[:] = [i1, i2, j1, j2]


def _merge_close(regions: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for r in regions:
        if merged and (r[0] - merged[-1][1] < MIN_EQUAL or r[2] - merged[-1][3] < MIN_EQUAL):
            merged[-1][1] = max(merged[-1][1], r[1])
            merged[-1][3] = max(merged[-1][3], r[3])
        else:
            merged.append(list(r))
    return merged


def inline_diff(old: str, new: str) -> list[Span]:
    """(op, text) spans turning `old` into `new`; ops are "equal", "delete", "insert"."""
    a, ai = _keys(old)
    b, bi = _keys(new)
    regions = _regions(a, b)
    _grow_to_words(regions, a, b)
    regions = _merge_close(regions)

    # Map key positions back to printed offsets; a key range [k1, k2) covers the printed
    # slice from the k1-th key up to the k2-th key, so interior spaces travel with it.
    def cut_a(k: int) -> int:
        return ai[k] if k < len(ai) else len(old)

    def cut_b(k: int) -> int:
        return bi[k] if k < len(bi) else len(new)

    spans: list[Span] = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if spans and spans[-1][0] == op:
            spans[-1] = (op, spans[-1][1] + text)
        else:
            spans.append((op, text))

    pos_b = 0
    for i1, i2, j1, j2 in regions:
        emit("equal", new[pos_b : cut_b(j1)])
        if i2 > i1:
            emit("delete", old[cut_a(i1) : cut_a(i2)])
        if j2 > j1:
            emit("insert", new[cut_b(j1) : cut_b(j2)])
        pos_b = cut_b(j2)
    emit("equal", new[pos_b:])
    return spans


def render_markup(spans: list[Span]) -> str:
    """A plain-text rendering for terminals and logs: [-deleted-]{+inserted+}."""
    out = []
    for op, text in spans:
        if op == "delete":
            out.append(f"[-{text}-]")
        elif op == "insert":
            out.append(f"{{+{text}+}}")
        else:
            out.append(text)
    return "".join(out)
