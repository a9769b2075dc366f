"""Text normalization shared by the normalizer and the comparer.

Matching and hashing work on a normalized copy of the text; display keeps the original.
The normalized copy must be equal for two renderings of the same words (full/half width,
spacing, quote and dash variants), which is what makes a re-rendered page hash the same.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

# NFKC leaves these variants alone; they are interchangeable in rendered pages.
_PUNCT_VARIANTS: dict[str, str] = {
    "“": '"',
    "”": '"',
    "„": '"',
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "‘": "'",
    "’": "'",
    "—": "-",
    "–": "-",
    "―": "-",
    "‐": "-",
    "－": "-",
    "〜": "~",
    "～": "~",
    "・": "·",
    "•": "·",
    "．": ".",
    "｡": "。",
    "〔": "[",
    "〕": "]",
    "【": "[",
    "】": "]",
    "［": "[",
    "］": "]",
    "〈": "<",
    "〉": ">",
    "《": "<",
    "》": ">",
    "\u200b": "",
    "\ufeff": "",
    "\u00ad": "",
}
# A class of the variants, replaced match by match: str.translate with a dict looks up every
# character of the line in Python (~4 µs a line), and most lines hold none or a few variants.
_VARIANT = re.compile("[" + re.escape("".join(_PUNCT_VARIANTS)) + "]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


@functools.lru_cache(maxsize=32768)
def nfkc(text: str) -> str:
    """Width-fold: full-width digits, letters, brackets and spaces become ASCII (NFKC exactly)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    # CPython's NFKC costs ~0.12 µs a character once a line holds one full-width （ or ，, as
    # most Chinese lines do. Replacing a character by its own NFKD decomposition leaves the
    # NFKD, hence the NFKC, of the whole text unchanged, and str.replace runs at C speed; so
    # the common compatibility characters are replaced first, and the full algorithm runs
    # only when something else remains (8x less on a typical paragraph).
    for c in set(_COMPAT.findall(text)):
        text = text.replace(c, _COMPAT_NFKD[c])
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


# Full-width ASCII, the ideographic and other layout spaces, the ellipsis, circled and
# parenthesized numbers, Roman numerals: each maps to its own NFKD decomposition.
_COMPAT_NFKD: dict[str, str] = {
    c: unicodedata.normalize("NFKD", c)
    for c in map(chr, [*range(0xFF01, 0xFF5F), 0x3000, 0x00A0, *range(0x2002, 0x200B), 0x2024, 0x2025, 0x2026,
                       *range(0x2460, 0x2500), *range(0x3220, 0x3244), *range(0x2160, 0x2180)])
    if unicodedata.normalize("NFKD", c) != c
}
_COMPAT = re.compile("[" + re.escape("".join(_COMPAT_NFKD)) + "]")


@functools.lru_cache(maxsize=32768)
def norm_text(text: str) -> str:
    """The matching copy: NFKC, punctuation variants folded, every space removed.

    Chinese text carries no meaning in spaces; pages insert them for layout only.
    """
    folded = nfkc(text)
    # one str.replace per distinct variant present, not a Python callback per occurrence (《》
    # and quotes are in most lines); no variant's replacement is itself a variant, so the order
    # of the replacements does not matter
    for c in set(_VARIANT.findall(folded)):
        folded = folded.replace(c, _PUNCT_VARIANTS[c])
    # str.split() and the regex \s agree on what a space is (both Py_UNICODE_ISSPACE)
    return "".join(folded.split())


def bare_text(text: str) -> str:
    """norm_text with all punctuation removed: equal bare texts differ only cosmetically."""
    return _PUNCT.sub("", norm_text(text))


def text_hash(norm: str) -> str:
    """A short stable digest of a normalized text (64 bits is plenty inside one document)."""
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


# Characters a page can carry that no reader sees: C0 controls but tab, newline and CR (they make
# XML feeds invalid), DEL and C1 controls, lone surrogates and U+FFFE/U+FFFF (not XML Chars
# either), zero-width spaces and joiners, soft hyphen, BOM, and the bidi controls that reorder what
# is shown (U+202A-E, U+2066-9, LRM/RLM, ALM: a title can be made to read backwards) - the
# set pipeline.safe_text drops at every sink, plus the zero-width ones. Removed from every text and
# field the normalizer hands on.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]"
)


def strip_invisible(text: str) -> str:
    """`text` without the characters no reader sees (INVISIBLE); \r, \t and \n stay."""
    return INVISIBLE.sub("", text)


def clean_line(text: str) -> str:
    """Drop invisible characters, collapse runs of layout whitespace (incl. U+3000, nbsp) to one
    space and trim: a line made only of zero-width spaces is empty."""
    # U+3000 and nbsp are \s to the regex (and to str.strip) like any space
    # str.split() collapses and trims the same spaces as \s+ and strip() (Py_UNICODE_ISSPACE)
    return " ".join(INVISIBLE.sub("", text).split())


def count_cjk(text: str) -> int:
    """How many CJK ideographs a text holds: the measure of "real text" across the pipeline."""
    if len(text) <= 64:
        # runs, not single characters: one match object per run of ideographs, not per ideograph
        return sum(map(len, _CJK_RUN.findall(text))) if not text.isascii() else 0
    # U+4E00-9FFF are the UTF-16 units whose high byte is 0x4E-0x9F (a surrogate's is 0xD8-0xDF):
    # encoding, slicing and deleting run at C speed, 4-8x faster than the regex on a body or a page
    return len(text.encode("utf-16-le", "surrogatepass")[1::2].translate(None, _NOT_CJK_HIGH))


_NOT_CJK_HIGH = bytes(b for b in range(256) if not 0x4E <= b <= 0x9F)
