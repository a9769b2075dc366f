"""Page chrome that survives inside a body container: toolbars, counters, share and print widgets.

A line is chrome when nothing but chrome vocabulary, dates and punctuation is left after
removing the known chrome words; such words inside a sentence ("分享到了…成果") leave real
text behind and are kept. After the body, a tail marker ("相关附件", "扫一扫…", "版权所有")
ends the body: everything from there on is page furniture (trap 7).
"""

from __future__ import annotations

import re

from pipeline.html_blocks import Block
from pipeline.markers import parse_marker
from pipeline.text import count_cjk, nfkc

CHROME_WORDS = (
    "无障碍", "长者助手", "关怀版", "我的收藏", "我要收藏", "收藏", "繁体", "简体", "登录", "个人中心", "退出",
    "高级搜索", "搜索位置", "排序方式", "按时间", "按相关度", "标题", "全文", "下载文字版", "下载图片版",
    "打印本页", "打印", "关闭窗口", "关闭", "字体", "字号", "浏览字号", "默认", "超大", "大", "中", "小",
    "分享到", "分享", "微信好友", "微信", "QQ好友", "QQ空间", "qq", "空间", "新浪微博", "微博", "头条",
    "浏览次数", "访问量", "阅读次数", "点击数", "扫一扫在手机打开当前页", "扫一扫", "扫码浏览", "返回顶部",
    "页面", "配色", "辅助线", "重置", "公共资源调用站点", "文章分享", "视力保护色", "放大", "缩小",
    "当前位置", "首页", "正文", "发布日期", "发布时间", "来源", "作者", "编辑", "责任编辑", "信息来源",
    "EN", "简", "繁", "-->", "【", "】", "[", "]", "纠错", "我要纠错", "下载原文",
)
_WORDS = re.compile("|".join(re.escape(w) for w in sorted(CHROME_WORDS, key=len, reverse=True)), re.I)
_DATEISH = re.compile(r"\d{2,4}[-/年.]\d{1,2}([-/月.]\d{1,2}日?)?(\s*\d{1,2}:\d{2}(:\d{2})?)?|\d+")
_LEFTOVER = re.compile(r"[\W_]+")
# A word character that is in no chrome word (in any case, as _WORDS matches) and is no digit
# or date character: it survives every removal below, so the line is not chrome. Most lines
# hold one within a few characters, and this one scan spares the big alternation.
_KEEPER = re.compile("[^" + re.escape("".join(sorted(set("".join(CHROME_WORDS))))) + r"年月日\d\W_]", re.I)

TAIL_MARKERS = (
    "相关附件", "标签", "浏览次数", "分享到", "扫一扫", "返回顶部", "【打印", "【关闭", "打印本页", "关闭窗口",
    "版权所有", "主办单位", "承办单位", "网站标识码", "网站地图", "联系我们", "上一篇", "下一篇", "相关稿件",
    "相关解读", "相关链接", "版权与免责声明", "免责声明", "相关文件下载", "相关政策解读", "相关文章", "公开方式", "扫码浏览",
)
_ICP = re.compile(r"ICP备|公网安备|网站标识码")
_BYLINE = re.compile(
    r"^(发布(日期|时间)[:：]?\s*)?\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2}日?\s*(\d{1,2}:\d{2}(:\d{2})?)?\s*"
    r"(来源|信息来源|作者|浏览次数|字号|【)"
)
_CRUMB = re.compile(r"^(当前位置|您的位置|您现在的位置|所在位置|首页\s*[>»/])")
_TAIL = re.compile(r"^[【\[(（\s]*(" + "|".join(map(re.escape, TAIL_MARKERS)) + ")")


def is_chrome_line(text: str) -> bool:
    """True for a short line made only of chrome words, dates, counters and punctuation."""
    t = nfkc(text)
    if len(t) > 80:
        return False
    if _ICP.search(t) or _BYLINE.match(t.strip()) or _CRUMB.match(t.strip()):
        return True
    if _KEEPER.search(t):
        return False  # a word character no step below removes: real text
    rest = _WORDS.sub("", t)
    if not _WORDS.search(t):
        return False
    rest = _DATEISH.sub("", rest)
    return len(_LEFTOVER.sub("", rest)) == 0


def is_tail_marker(text: str) -> bool:
    t = nfkc(text).strip()
    return len(t) <= 120 and bool(_TAIL.match(t))


# Tail markers that a document can also print inside its text ("相关解读：" before a paragraph
# that quotes the interpretation, "相关链接" in a list of references): they end the body only
# when no more document text follows them.
SOFT_TAIL = ("相关解读", "相关政策解读", "相关链接", "相关文件下载", "相关稿件", "相关文章", "相关附件", "标签")
_SOFT = re.compile(r"^[【\[(（\s]*(" + "|".join(map(re.escape, SOFT_TAIL)) + ")")


def _text_follows(blocks: list[Block]) -> bool:
    """More document text after a soft tail marker: a numbered line or a long sentence of its own."""
    for b in blocks:
        if b.table is not None:
            continue
        if is_tail_marker(b.text) and not _SOFT.match(nfkc(b.text).strip()):
            return False  # the page furniture proper starts before any more text
        t = b.text.strip()
        if (count_cjk(t) >= 30 and t.endswith(("。", "；", "：")) and not b.links) or (parse_marker(t) and count_cjk(t) >= 4):
            return True
    return False


def trim_chrome(blocks: list[Block]) -> list[Block]:
    """Drop chrome lines anywhere and cut the body at the first tail marker."""
    out: list[Block] = []
    seen_text = False  # a toolbar above the text is skipped, not taken for the tail
    for i, b in enumerate(blocks):
        if b.table is None and is_tail_marker(b.text):
            if seen_text and _SOFT.match(nfkc(b.text).strip()) and _text_follows(blocks[i + 1 :]):
                out.append(b)
                continue
            if seen_text:
                break
            continue
        if b.table is None and is_chrome_line(b.text):
            continue
        out.append(b)
        seen_text = seen_text or b.table is not None or count_cjk(b.text) >= 20
    return out
