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
_SPACE = re.compile(r"\s+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


@functools.lru_cache(maxsize=32768)
def nfkc(text: str) -> str:
    """Width-fold: full-width digits, letters, brackets and spaces become ASCII."""
    return unicodedata.normalize("NFKC", text)


@functools.lru_cache(maxsize=32768)
def norm_text(text: str) -> str:
    """The matching copy: NFKC, punctuation variants folded, every space removed.

    Chinese text carries no meaning in spaces; pages insert them for layout only.
    """
    return _SPACE.sub("", _VARIANT.sub(_fold_variant, nfkc(text)))


def _fold_variant(m: re.Match[str]) -> str:
    return _PUNCT_VARIANTS[m.group()]


def bare_text(text: str) -> str:
    """norm_text with all punctuation removed: equal bare texts differ only cosmetically."""
    return _PUNCT.sub("", norm_text(text))


def text_hash(norm: str) -> str:
    """A short stable digest of a normalized text (64 bits is plenty inside one document)."""
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def clean_line(text: str) -> str:
    """Collapse runs of layout whitespace (incl. U+3000, nbsp) to one space and trim."""
    # U+3000 and nbsp are \s to the regex (and to str.strip) like any space
    return _SPACE.sub(" ", text).strip()


def count_cjk(text: str) -> int:
    """How many CJK ideographs a text holds: the measure of "real text" across the pipeline."""
    # runs, not single characters: one match object per run of ideographs, not per ideograph
    return sum(map(len, _CJK_RUN.findall(text)))
