"""The general rules behind the real pages of tests/data/real, each on a page made for it.

Each page here is written the way the real templates print it (gov.cn 2016 info table, Jiangxi xxgk
block, an Angular single-page app, a PDF-derived law text); the expected values are read off the
page text in the test, never taken from our output.
"""

from __future__ import annotations

from pipeline.metadata import label_values
from pipeline.normalize import normalize
from pipeline.schema import Document, Section
from tests.test_normalize_real import outline

BODY = (
    "<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>"
    "<p>为进一步做好有关工作，经国务院同意，现就有关事项通知如下：</p>"
    "<p>一、总体要求</p><p>坚持稳中求进工作总基调，全面贯彻新发展理念，推动高质量发展取得新成效。</p>"
    "<p>二、主要任务</p><p>各地区、各部门要结合实际，认真抓好贯彻落实，确保各项任务落到实处。</p>"
)


def page(body: str, head: str = "", before: str = "") -> bytes:
    return (f"<html><head><meta charset='utf-8'>{head}</head><body>{before}"
            f"<div id='UCAP-CONTENT'>{body}</div></body></html>").encode()


def doc_of(body: str, head: str = "", before: str = "") -> Document:
    return normalize(page(body, head, before), filename="p.html")


# -- 1. metadata labels --------------------------------------------------------------------


def test_spaced_labels_in_cells_without_colon_and_synonyms() -> None:
    table = ("<table><tr><td>索 引 号</td><td>000014349/2019-00003</td><td>责任部门</td><td>万载县统计局</td></tr>"
             "<tr><td>标　　题：</td><td colspan='3'>关于做好有关工作的通知</td></tr>"
             "<tr><td>发 文 字 号</td><td>国发〔2019〕3号</td><td>生成日期</td><td>2019年01月12日</td></tr></table>")
    doc = doc_of(BODY, before=table)
    assert doc.index_number == "000014349/2019-00003"
    assert doc.publisher == "万载县统计局"
    assert doc.doc_number == "国发〔2019〕3号"
    assert doc.written_date == "2019-01-12"
    assert doc.title == "关于做好有关工作的通知"  # no <title>, no ArticleTitle: the info block's


def test_one_line_label_form() -> None:
    values = label_values(["发布机关：国务院办公厅 发文字号：国办发〔2018〕108号 发布日期：2018-11-26"])
    assert values == {"publisher": "国务院办公厅", "doc_number": "国办发〔2018〕108号", "published_date": "2018-11-26"}


def test_visible_date_beats_meta_pubdate() -> None:
    head = "<meta name='PubDate' content='2025-03-27 09:36:38'><meta name='ArticleTitle' content='关于做好有关工作的通知'>"
    doc = doc_of(BODY, head=head, before="<div class='info'><p>日期：2025-02-26 11:54 来源：产业处</p></div>")
    assert doc.published_date == "2025-02-26"
    assert doc_of(BODY, head=head).published_date == "2025-03-27"  # nothing visible: the meta tag


def test_signature_date_in_chinese_numerals_is_written_date() -> None:
    body = BODY + "<p>国务院办公厅</p><p>二〇二五年十月十四日</p>"
    assert doc_of(body).written_date == "2025-10-14"


def test_a_date_under_the_title_is_no_signature() -> None:
    body = "<p>中国载人航天工程办公室</p><p>2012年6月24日</p>" + BODY
    assert doc_of(body).written_date == ""


def test_masthead_without_cover_is_neither_preamble_nor_measure() -> None:
    unnumbered = ("<p>国办发〔2018〕108号</p><p>各省、自治区、直辖市人民政府：</p>"
                  "<p>为进一步推动党中央、国务院重大决策部署贯彻落实，国务院部署开展了第五次大督查，取得明显成效。</p>"
                  "<p>希望受到表扬的地方和单位珍惜荣誉，再接再厉，在新的起点上取得更大成绩。</p>")
    doc = doc_of(unnumbered)
    assert doc.doc_number == "国办发〔2018〕108号"
    assert [m.text[:4] for m in doc.measures()] == ["为进一步", "希望受到"]
    numbered = doc_of("<p>国发〔2019〕3号</p>" + BODY)
    assert "国发" not in numbered.preamble and numbered.doc_number == "国发〔2019〕3号"


def test_stray_date_character_is_not_part_of_a_decree_number() -> None:
    doc = doc_of("<p>（2021年7月27日中华人民共和国国务院令第746号公布）</p><p>第一条 为了规范市场主体登记管理行为，制定本条例。</p>"
                 "<p>第二条 本条例所称市场主体，是指在中华人民共和国境内以营利为目的从事经营活动的组织。</p>")
    assert doc.doc_number == "中华人民共和国国务院令第746号"


def test_editorial_note_is_not_the_attached_title() -> None:
    body = ("<p>各省、自治区、直辖市人民政府：</p><p>国家地震局《关于加强防震减灾工作的报告》已经国务院同意，现转发给你们，请认真贯彻执行。</p>"
            "<p>国务院办公厅</p><p>一九九六年二月五日</p><p>（本文有删减）</p><p>关于我国地震重点监视防御区的确定</p>"
            "<p>和加强防震减灾工作意见的报告</p><p>国务院：</p><p>一、关于重点监视防御区的确定</p>"
            "<p>自70年代以来，我局每年都进行年度地震趋势会商，运用各种手段判定当年的地震形势。</p>")
    doc = doc_of(body)
    assert doc.body_title == "关于我国地震重点监视防御区的确定和加强防震减灾工作意见的报告"
    assert doc.written_date == "1996-02-05"


# -- 5. reading order ----------------------------------------------------------------------


def test_an_item_with_sub_items_stays_between_its_siblings() -> None:
    body = ("<p>一、指导思想</p><p>以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神。</p>"
            "<p>二、基本原则</p><p>（一）坚持改革。进一步健全综合监管体系，持续改善营商环境和创新环境。</p>"
            "<p>（二）坚持开放。对标国际先进水平，注重要素整合和产业配套，深度融入国际产业链。</p>"
            "<p>三、发展目标</p><p>到2025年，基本形成与高水平开放相适应的制度体系，培育一批龙头企业。</p>"
            "<p>四、保障措施</p><p>（一）加强领导。各地区要把有关工作摆上重要议事日程，明确责任分工。</p>"
            "<p>（二）强化督查。对工作推进情况开展督促检查，确保各项措施落地见效。</p>"
            "<p>五、有关要求</p><p>各地区、各部门要结合实际，认真抓好贯彻落实，确保各项任务落到实处。</p>")
    doc = doc_of(body)
    assert [label for depth, label in outline(doc) if depth == 1] == ["一、", "二、", "三、", "四、", "五、"]
    assert [m.label for m in doc.iter_measures()][:4] == ["一、", "（一）", "（二）", "三、"]
    again = Document.from_dict(doc.to_dict())  # the order survives storage as JSON
    assert outline(again) == outline(doc)


def test_section_items_default_to_measures_then_children() -> None:
    sec = Section(label="一、", ordinal=1, level=1, path="1")
    child = Section(label="（一）", ordinal=1, level=2, path="1.1")
    sec.children.append(child)
    assert list(sec.items()) == [child]


# -- 6. numbering families -----------------------------------------------------------------


def _labels(body: str) -> list[tuple[int, str]]:
    return outline(doc_of(body))


def test_decimal_outline() -> None:
    body = ("<p>1　总则</p><p>1.1 编制目的</p><p>为了有效监测和控制国内粮食市场异常波动，确保粮食市场供应，制定本预案。</p>"
            "<p>1.2 等级划分</p><p>1.2.1 国家级：两个以上省、自治区、直辖市出现粮食应急状态。</p>"
            "<p>1.2.2 省级：在一个省、自治区、直辖市较大范围出现粮食应急状态。</p>"
            "<p>2　组织机构</p><p>2.1 指挥部</p><p>国务院成立国家粮食应急工作指挥部，负责领导、组织、指挥全国粮食应急工作。</p>")
    assert _labels(body) == [(1, "1"), (2, "1.1"), (2, "1.2"), (3, "1.2.1"), (3, "1.2.2"), (1, "2"), (2, "2.1")]


def test_zero_padded_sections_and_three_digit_items() -> None:
    body = "".join(f"<p>{n:02d}{t}</p><p>全年地区生产总值比上年增长百分之四点七，经济运行总体平稳、稳中有进。</p>"
                   for n, t in enumerate(["综合", "农业", "工业和建筑业"], 1))
    assert _labels(body) == [(1, "01"), (1, "02"), (1, "03")]
    items = "".join(f"<p>{n}.某地推进改革创新，取得明显成效</p>" for n in range(97, 103))
    body = "<p>一、典型经验做法</p>" + "".join(f"<p>{n}.某地推进改革创新，取得明显成效</p>" for n in range(1, 97)) + items
    assert [label for _, label in _labels(body)][-4:] == ["99.", "100.", "101.", "102."]


def test_worded_and_lettered_items() -> None:
    body = ("<p>第一部分 申请条件</p><p>申请人应当在本市合法稳定就业，并已缴纳社会保险满一年以上。</p>"
            "<p>第二部分 办理流程</p><p>第一步 登录平台，填写基本信息并上传有关材料。</p><p>第二步 等待审核，审核结果将以短信方式告知。</p>"
            "<p>步骤1：打开网站，注册并登录个人账户。</p><p>步骤2：点击我要申请，按提示录入信息。</p>"
            "<p>案例1 某企业通过线上办理，三个工作日内完成备案。</p><p>案例2 某街道推行一窗办理，群众满意度明显提升。</p>"
            "<p>a.满足条件1的企业无需提交证明材料；</p><p>b.满足条件2的企业请提交有关证书。</p>")
    got = _labels(body)
    assert [label for _, label in got] == ["第一部分", "第二部分", "第一步", "第二步", "步骤1", "步骤2", "案例1", "案例2", "a.", "b."]
    assert got[0][0] == got[1][0] == 1 and got[2][0] == 2


def test_numbered_items_printed_in_one_paragraph() -> None:
    body = ("<p>一、工作措施</p><p>1.加强组织领导，明确责任分工；2.完善工作机制，强化协同配合；3.强化督促检查，确保取得实效。</p>"
            "<p>二、申请条件</p><p>申请人需要具备以下基本条件：（一）在本市合法稳定就业或创业；（二）年龄在45周岁以下；（三）无违法犯罪记录。</p>")
    assert _labels(body) == [(1, "一、"), (2, "1."), (2, "2."), (2, "3."), (1, "二、"), (2, "（一）"), (2, "（二）"), (2, "（三）")]


def test_notes_after_the_last_section_stand_at_the_top() -> None:
    body = ("<p>一、综合</p><p>全年实现生产总值262.6亿元，按可比价格计算，同比增长5.3%。</p>"
            "<p>二、农业</p><p>全年农业总产值41.6亿元，按可比价计算增长3.9%。</p>"
            "<p>注释：</p><p>1.本公报中数据均为初步统计数。</p><p>2.地区生产总值绝对数按现价计算。</p>")
    assert _labels(body) == [(1, "一、"), (1, "二、"), (1, "1."), (1, "2.")]
    inside = ("<p>一、申请材料</p><p>需要申请材料如下：</p><p>1、租赁双方当事人身份证明；</p><p>2、房屋租赁合同。</p>"
              "<p>注：</p><p>（1）提供房源核验码的，只需上传承租人信息。</p><p>（2）变更合同的，应当提供原合同。</p>"
              "<p>二、办理流程</p><p>房屋租赁登记备案，可以在各街道便民服务中心办理。</p>")
    assert _labels(inside) == [(1, "一、"), (2, "1、"), (2, "2、"), (2, "（1）"), (2, "（2）"), (1, "二、")]


# -- 7. laws -------------------------------------------------------------------------------


LAW = ("<p>第一条 为了促进社会主义市场经济健康发展，制定本法。</p>"
       "<p>第二条 经营者在生产经营活动中，应当遵循自愿、平等、公平、诚信的原则。</p>"
       "<p>第二章 不正当竞争行为</p><p>第三条 经营者不得实施下列混淆行为：</p>"
       "<p>（一）擅自使用与他人有一定影响的商品名称；</p><p>（二）擅自使用他人有一定影响的企业名称；</p>"
       "<p>第四条 经营者不得采用财物或者其他手段贿赂单位或者个人。</p>"
       "<p>第三章 法律责任</p><p>第五条 经营者违反本法规定，给他人造成损害的，应当依法承担民事责任。</p>")


def test_law_without_its_first_chapter_line_keeps_its_chapters_and_items() -> None:
    assert _labels(LAW) == [(1, "第一条"), (1, "第二条"), (1, "第二章"), (2, "第三条"), (3, "（一）"), (3, "（二）"),
                            (2, "第四条"), (1, "第三章"), (2, "第五条")]
    third = next(m for m in doc_of(LAW).measures() if m.label == "第三条")
    assert "（一）擅自使用" in third.text  # the 项 stay in the text that is matched


def test_definitions_article_of_a_pdf_text_is_one_clause() -> None:
    text = ("第一条 为了加强对动物防疫活动的管理，制定本法。\n第二条 本法下列用语的含义：\n"
            "无规定动物疫病区，是指具有天然屏障或者采取人工措施，\n在一定期限内没有发生规定的动物疫病的区域。\n"
            "病死动物，是指染疫死亡、因病死亡、死因不明的动物。\n第三条 本法自公布之日起施行。\n")
    doc = normalize(text.encode(), filename="law.txt")
    assert [m.label for m in doc.measures()] == ["第一条", "第二条", "第三条"]


def test_paragraph_of_zero_width_spaces_is_nothing() -> None:
    body = "<p>第一条 为了促进社会主义市场经济健康发展，制定本法。</p><p>\u200b\u200b</p><p>&#8203;</p>" \
           "<p>第二条 经营者在生产经营活动中，应当遵循自愿、平等、公平、诚信的原则。</p>"
    assert [m.label for m in doc_of(body).measures()] == ["第一条", "第二条"]
    md = "第一条 为了促进社会主义市场经济健康发展，制定本法。\n\n\u200b\n\n第二条 经营者应当遵循诚信的原则。\n"
    assert [m.label for m in normalize(md.encode(), filename="law.md").measures()] == ["第一条", "第二条"]


# -- 9. single-page apps and key/value table bodies ----------------------------------------


def test_angular_page_with_a_key_value_table_body() -> None:
    html = ("<html><head><meta charset='utf-8'><meta name='ArticleTitle' content='行政处罚信息公开表'></head><body>"
            "<div class='content'><span class='ng-binding'>发布时间：2024-07-12</span>"
            "<div class='wenzhang-documentNo ng-hide'>金罚决字〔2024〕99号</div>"
            "<div id='wenzhang-content' ng-bind-html='data.docClob'><table>"
            "<tr><td>行政处罚决定书文号</td><td>金罚决字〔2024〕36号</td></tr>"
            "<tr><td>被处罚当事人</td><td>某某保险股份有限公司及其责任人员</td></tr>"
            "<tr><td>主要违法违规事实</td><td>一、委托未取得合法资格的个人从事保险销售活动；二、财务业务数据不真实</td></tr>"
            "<tr><td>行政处罚内容</td><td>对公司罚款合计人民币一百万元，对责任人员给予警告并罚款</td></tr></table></div>"
            "<div class='share'><a href='http://connect.qq.com/widget/shareqq/index.html?url=https%3A%2F%2Fx.gov.cn"
            "%2Fp.html&pics=https%3A%2F%2Fx.gov.cn%2Fshare.jpg'>QQ</a></div>"
            "<div class='banquanmianze'><div>版权与免责声明</div><div>1.凡本站及其子站注明“文章类型：原创”的所有作品，其版权属于本站所有。"
            "其他媒体、网站或个人转载使用时必须注明文章来源。</div><div>2.凡本站及其子站注明转载的作品，均转载自其他媒体。</div></div>"
            "<div class='ng-hide'><div class='wenzhang-content'>" + "隐藏的副本文字，" * 20 + "</div></div>"
            "</div></body></html>")
    doc = normalize(html.encode(), filename="spa.html")
    assert doc.doc_number == "金罚决字〔2024〕36号"  # the table's, not the hidden header's
    assert doc.published_date == "2024-07-12"
    assert doc.measures() == [] and doc.sections[0].tables  # the table is data, not outline
    assert doc.attachments == []  # a share widget's picture is no attachment


# -- issue 13, F6 / F14 / F16 --------------------------------------------------------------


def test_control_and_bidi_characters_never_reach_text_or_fields() -> None:
    bad = "&#1;&#27;\u202e\u2066\u200f"
    html = (f"<html><head><meta charset='utf-8'><title>关于{bad}加强管理的通知</title>"
            f"<meta name='ArticleTitle' content='关于{bad}加强管理的通知'></head><body>"
            f"<table><tr><td>发布机构：</td><td>办公室{bad}</td></tr></table><div id='UCAP-CONTENT'>"
            f"<p>一、总体要求{bad}</p><p>坚持稳中求进工作总基调{bad}，全面贯彻新发展理念，推动高质量发展。</p>"
            "<p>二、主要任务</p><p>各地区、各部门要结合实际，认真抓好贯彻落实，确保各项任务落到实处。</p></div></body></html>")
    doc = normalize(html.encode(), filename="c.html")
    assert doc.title == "关于加强管理的通知" and doc.publisher == "办公室"
    every = "".join([doc.title, doc.publisher, doc.preamble] + [m.text + m.heading for m in doc.measures()]
                    + [s.title + s.text for s in doc.iter_sections()])
    assert not [c for c in every if (ord(c) < 32 and c not in "\t\n") or c in "\u202e\u2066\u200f"]
    assert "坚持稳中求进工作总基调，" in every


def test_text_nested_400_deep_is_kept_and_flagged() -> None:
    inner = BODY
    html = "<html><head><meta charset='utf-8'><title>关于做好有关工作的通知</title></head><body>" + \
        "<div>" * 400 + inner + "</div>" * 400 + "</body></html>"
    doc = normalize(html.encode(), filename="deep.html")
    assert [m.label for m in doc.measures()] == ["一、", "二、"]
    assert "deep_nesting" in doc.quality.flags
    deeper = "<html><body>" + "<div>" * 3000 + inner + "</div>" * 3000 + "</body></html>"
    doc = normalize(deeper.encode(), filename="deeper.html")
    assert [m.label for m in doc.measures()] == ["一、", "二、"] and "deep_nesting_flattened" in doc.quality.flags


def test_in_body_related_interpretation_does_not_cut_the_body() -> None:
    body = BODY + ("<p>相关解读：</p><p>三、保障措施</p><p>各地区要加强组织领导，明确责任分工，确保各项措施落地见效。</p>"
                   "<p>相关链接</p><p><a href='/a.html'>一图读懂有关政策</a></p>")
    doc = doc_of(body)
    assert [m.label for m in doc.measures()] == ["一、", "二、", "三、"]
    assert not any("一图读懂" in m.text for m in doc.measures())


def test_a_cover_notice_keeps_its_own_title() -> None:
    html = ("<html><head><meta charset='utf-8'></head><body><h1>广州市残疾人辅助器具适配工作管理办法</h1><div id='UCAP-CONTENT'>"
            "<p>广州市残疾人联合会关于印发广州市残疾人</p><p>辅助器具适配工作管理办法的通知</p><p>穗残联规字〔2019〕1号</p>"
            "<p>各区残联：</p><p>现将《广州市残疾人辅助器具适配工作管理办法》印发给你们，请认真贯彻执行。</p>"
            "<p>广州市残疾人联合会</p><p>2019年1月17日</p><p>广州市残疾人辅助器具适配工作管理办法</p>"
            "<p>第一条 为规范残疾人辅助器具适配工作，制定本办法。</p><p>第二条 本办法适用于本市行政区域内的适配工作。</p>"
            "</div></body></html>")
    doc = normalize(html.encode(), filename="cover.html")
    assert doc.title == "广州市残疾人联合会关于印发广州市残疾人辅助器具适配工作管理办法的通知"
    assert doc.body_title == "广州市残疾人辅助器具适配工作管理办法"
    assert doc.written_date == "2019-01-17"


def test_an_empty_doc_number_field_is_none() -> None:
    table = "<table><tr><td>文号：</td><td>无</td><td>发布机构：</td><td>市政府</td></tr></table>"
    doc = doc_of(BODY, before=table)
    assert doc.doc_number == "" and doc.publisher == "市政府"


def test_metadata_block_inside_the_body_container() -> None:
    head = ("<table><tr><td>索 引 号</td><td>11440100MB2C90856P/2023-00331</td><td>成文日期</td><td>2023-10-19</td></tr>"
            "<tr><td>发布机构</td><td>广州市卫生健康委员会</td><td>发布日期</td><td>2023-11-07</td></tr></table>"
            "<p>发布机关：国务院办公厅 发文字号：国办发〔2023〕8号 发布日期：2023-11-08</p>")
    doc = doc_of(head + BODY)
    assert (doc.index_number, doc.written_date, doc.publisher, doc.published_date, doc.doc_number) == (
        "11440100MB2C90856P/2023-00331", "2023-10-19", "广州市卫生健康委员会", "2023-11-07", "国办发〔2023〕8号")
    assert not doc.sections[0].tables and "发布机关" not in doc.preamble


def test_items_printed_inside_an_article_are_its_items() -> None:
    body = ("<p>第一条 为了规范管理，制定本条例。</p><p>第二条 有下列情形之一的，不予登记：（一）申请材料不齐全的；"
            "（二）不符合法定形式的；（三）其他情形。</p><p>第三条 本条例自公布之日起施行。</p>")
    doc = doc_of(body)
    assert _labels(body) == [(1, "第一条"), (1, "第二条"), (2, "（一）"), (2, "（二）"), (2, "（三）"), (1, "第三条")]
    assert [m.label for m in doc.measures()] == ["第一条", "第二条", "第三条"]  # still one unit of change


def test_a_long_transmittal_cover_is_still_the_cover() -> None:
    paras = "".join(f"<p>第{n}段说明：各地区、各部门要认真贯彻落实党中央、国务院决策部署，切实做好有关工作。</p>" for n in "一二三四五六七八九十")
    body = ("<p>各省、自治区、直辖市人民政府：</p><p>国家地震局《关于加强防震减灾工作的报告》已经国务院同意，现转发给你们，请认真贯彻执行。</p>"
            + paras + "<p>国务院办公厅</p><p>一九九六年二月五日</p><p>关于加强防震减灾工作的报告</p>"
            "<p>一、总体情况</p><p>自70年代以来，我局每年都进行年度地震趋势会商，运用各种手段判定当年的地震形势。</p>"
            "<p>二、工作建议</p><p>在各级人民政府的领导下，依靠科技进步和全社会的共同努力，做好防震减灾工作。</p>")
    doc = doc_of(body)
    assert doc.body_title == "关于加强防震减灾工作的报告"
    assert _labels(body) == [(1, "一、"), (1, "二、")]
    assert "第十段说明" in doc.cover_note


def test_title_is_never_the_sites_name() -> None:
    html = ("<html><head><meta charset='utf-8'><title>万载县2022年国民经济和社会发展统计公报 | 万载县人民政府</title>"
            "<meta name='SiteName' content='万载县人民政府'></head><body><h1>万载县人民政府-</h1>"
            "<div id='zoom'><p>一、综合</p><p>全年实现生产总值262.6亿元，按可比价格计算，同比增长5.3%，经济运行稳中向好。</p>"
            "<p>二、农业</p><p>全年农业总产值41.6亿元，按可比价计算增长3.9%，粮食产量保持稳定。</p></div></body></html>")
    assert normalize(html.encode(), filename="t.html").title == "万载县2022年国民经济和社会发展统计公报"


def test_title_from_the_masthead_when_nothing_else_names_the_document() -> None:
    body = ("<p>国务院关于促进综合保税区</p><p>高水平开放高质量发展的若干意见</p><p>国发〔2019〕3号</p>" + BODY)
    doc = doc_of(body)
    assert doc.title == "国务院关于促进综合保税区高水平开放高质量发展的若干意见"
    assert "综合保税区" not in doc.preamble and doc.doc_number == "国发〔2019〕3号"
