"""The layout view: boxes drawn on the page, the legend, and the reply rendered as a safe document."""
from __future__ import annotations

from lxml import html as lxml_html
from PIL import Image, ImageChops

from core.layout.elements import CATEGORIES, LayoutElement, ParsedLayout
from ui.i18n import STRINGS
from ui.layout_markdown import markdown_renderer, render_markdown
from ui.layout_style import category_colour
from ui.layout_view import draw_layout, layout_document_html, legend_html

TABLE_BOX = (100.0, 80.0, 220.0, 160.0)
MALICIOUS_TABLE = ('<table onload="steal()"><tr><th colspan="2" style="color:red" onclick="steal()">Head</th></tr>'
                   '<tr><td><img src=x onerror="alert(1)">left</td><td><script>alert(2)</script>right'
                   '<a href="javascript:alert(3)">link</a></td></tr></table>')


def textured_page(size=(400, 300)) -> Image.Image:
    """A page with a gradient, so a pixel left alone is told apart from one painted any flat colour."""
    return Image.linear_gradient("L").resize(size).convert("RGB")


def layout_of(*elements: LayoutElement, **fields) -> ParsedLayout:
    return ParsedLayout("dots_ocr", list(elements), **fields)


def body_of(document: str):
    """The document's HTML without its <style>, parsed."""
    return lxml_html.fragment_fromstring(document.split("</style>", 1)[1], create_parent="div")


def test_draws_the_category_colour_on_the_border_and_leaves_the_rest_alone():
    page = textured_page()
    drawn = draw_layout(page, layout_of(LayoutElement("Table", "<table></table>", "html", TABLE_BOX)))
    table = category_colour("Table")
    assert drawn.getpixel((100, 120)) == table and drawn.getpixel((219, 120)) == table  # left and right border
    inside = drawn.getpixel((160, 120))
    assert inside not in (page.getpixel((160, 120)), table)  # tinted, not painted over
    assert inside[1] > inside[0]  # the tint leans to the table's green on a grey page
    for far in [(10, 10), (390, 290), (300, 200), (60, 250)]:
        assert drawn.getpixel(far) == page.getpixel(far)
    assert page.getpixel((100, 120)) != table  # the page itself is untouched: a copy was drawn on


def test_numbered_view_adds_a_label_at_the_top_left_corner_only():
    layout = layout_of(LayoutElement("Text", "a", "text", TABLE_BOX))
    plain = draw_layout(textured_page(), layout)
    numbered = draw_layout(textured_page(), layout, numbered=True)
    changed = ImageChops.difference(plain, numbered).getbbox()
    assert changed is not None
    x0, y0, x1, y1 = changed
    # A small tag in the box's corner (it covers the border in the same colour, so changes start just inside).
    assert 100 <= x0 < 106 and 80 <= y0 < 86 and x1 < 140 and y1 < 120


def test_elements_without_a_box_are_skipped():
    page = textured_page()
    boxed = LayoutElement("Title", "# A", "markdown", TABLE_BOX)
    with_boxless = layout_of(LayoutElement("Text", "no box"), boxed, LayoutElement("Formula", "x", "latex"))
    assert ImageChops.difference(draw_layout(page, with_boxless), draw_layout(page, layout_of(boxed))).getbbox() is None
    only_boxless = layout_of(LayoutElement("Text", "no box"))
    assert ImageChops.difference(draw_layout(page, only_boxless, numbered=True), page).getbbox() is None


def test_box_partly_off_the_page_is_clipped():
    page = textured_page()
    drawn = draw_layout(page, layout_of(LayoutElement("Picture", box=(350.0, 250.0, 900.0, 900.0)),
                                        LayoutElement("Text", "far", box=(1000.0, 1000.0, 1100.0, 1100.0))))
    assert drawn.size == page.size and drawn.getpixel((350, 280)) == category_colour("Picture")


def test_malicious_table_keeps_its_structure_and_loses_its_code():
    document = layout_document_html(layout_of(LayoutElement("Table", MALICIOUS_TABLE, "html", TABLE_BOX)), "en")
    head = body_of(document).xpath("//table//th")
    assert len(head) == 1 and head[0].get("colspan") == "2" and head[0].text_content() == "Head"
    cells = [cell.text_content() for cell in body_of(document).xpath("//table//td")]
    assert cells == ["left", "rightlink"]
    for dangerous in ("<script", "onerror", "onclick", "onload", "javascript:", "alert(", "<img", "style=\"color"):
        assert dangerous not in document


def test_formulas_become_mathml_display_for_blocks_and_inline_in_text():
    layout = layout_of(LayoutElement("Formula", r"$$\frac{a}{b}$$", "latex", TABLE_BOX),
                       LayoutElement("Text", r"Energy $E=mc^2$ costs $5 and $6.", "markdown"))
    body = body_of(layout_document_html(layout, "en"))
    maths = body.xpath("//*[local-name()='math']")
    assert [m.get("display") for m in maths] == ["block", "inline"]
    assert maths[0].xpath(".//*[local-name()='mfrac']")
    assert "costs $5 and $6." in body.text_content()  # prices are not read as a formula


def test_a_formula_that_will_not_convert_is_shown_as_its_source():
    layout = layout_of(LayoutElement("Formula", r"\frac{a}{", "latex"),
                       LayoutElement("Text", r"Broken $x^$ inline.", "markdown"))
    document = layout_document_html(layout, "en")
    assert [code.text for code in body_of(document).xpath("//code")] == [r"\frac{a}{", "x^"]
    assert document.count(STRINGS["en"]["layout_formula_failed"]) == 2
    assert "<math" not in document


def test_markup_inside_a_formula_is_text_and_links_are_dropped():
    layout = layout_of(LayoutElement("Formula", r"\text{<script>alert(1)</script> a<b} + \href{javascript:alert(2)}{x}",
                                     "latex"))
    document = layout_document_html(layout, "en")
    mtext = body_of(document).xpath("//*[local-name()='mtext']")
    assert mtext[0].text.replace("\xa0", " ") == "<script>alert(1)</script> a<b"
    assert "<script" not in document and "href" not in document and "javascript" not in document


def test_markdown_headings_render_and_raw_html_in_markdown_is_escaped():
    layout = layout_of(LayoutElement("Title", "# Annual report", "markdown"),
                       LayoutElement("Section-header", "## Results", "markdown"),
                       LayoutElement("Text", "Body <b onmouseover=x()>bold</b> ![p](http://track.example/p.png)",
                                     "markdown"))
    document = layout_document_html(layout, "en")
    body = body_of(document)
    assert body.xpath("//h1")[0].text == "Annual report" and body.xpath("//h2")[0].text == "Results"
    assert "<b onmouseover" not in document and "&lt;b onmouseover" in document
    assert not body.xpath("//img") and "track.example" not in document


def test_the_plain_paragraph_shortcut_writes_what_markdown_it_writes():
    md = markdown_renderer("en")
    samples = ["Plain words, commas; colons: and \"quotes\" with 'apostrophes' — Сводка за квартал.",
               "Trailing spaces   ", "    four spaces make code", "1. a numbered item", "- a bullet",
               "# heading", "a *stressed* word", "x_1 and a_b", "a < b & c > d", "= not a heading", "two\nlines",
               "+ plus item", "Line with (brackets) and 50% and !bang", "Tab\tinside"]
    for sample in samples:
        assert render_markdown(md, sample) == md.render(sample), sample


def test_plain_text_title_is_a_heading_and_elements_keep_reading_order():
    layout = layout_of(LayoutElement("Title", "Plain title"), LayoutElement("Text", "first"),
                       LayoutElement("Text", "second"))
    body = body_of(layout_document_html(layout, "en"))
    assert body.xpath("//h1")[0].text == "Plain title"
    tags = [tag.text for tag in body.xpath("//span[@class='layout-tag']")]
    assert tags == [f"{n} · {name} · no box on the page" for n, name in [(1, "Title"), (2, "Text"), (3, "Text")]]


def test_problem_layout_shows_the_reason_and_the_raw_reply_escaped():
    raw = '[{"bbox": [1, 2], "text": "<script>alert(1)</script>"'
    document = layout_document_html(layout_of(problem="the JSON is cut off", raw=raw), "en")
    body = body_of(document)
    assert "Could not read this reply as layout: the JSON is cut off" in body.text_content()
    assert body.xpath("//pre")[0].text == raw
    assert "<script" not in document


def test_notes_are_listed_under_the_document_escaped():
    layout = layout_of(LayoutElement("Text", "x"), notes=["box 3 clamped to the page", "<i>cut</i> reply"])
    body = body_of(layout_document_html(layout, "en"))
    assert [li.text for li in body.xpath("//div[@class='layout-notes']//li")] == ["box 3 clamped to the page",
                                                                                  "<i>cut</i> reply"]


def test_legend_lists_present_categories_with_counts():
    layout = layout_of(LayoutElement("Text", "a"), LayoutElement("Table", "<table></table>", "html"),
                       LayoutElement("Text", "b"), LayoutElement("Text", "c"))
    legend = lxml_html.fragment_fromstring(legend_html(layout, "en"))
    items = {item.get("data-category"): item.text_content().strip()
             for item in legend.xpath("//span[contains(@class, 'layout-legend-item')]")}
    assert items == {"Table": "Table 1", "Text": "Text 3"}


def test_russian_texts_differ_from_english():
    layout = layout_of(LayoutElement("Section-header", "Итоги", "text"), problem=None)
    assert legend_html(layout, "ru") != legend_html(layout, "en")
    assert "Заголовок раздела" in legend_html(layout, "ru")
    problem = layout_of(problem="cut", raw="x")
    assert "Не удалось прочитать ответ как разметку: cut" in layout_document_html(problem, "ru")
    for category in CATEGORIES:  # every category has a name in both languages, and the names differ
        key = "layout_cat_" + category.lower().replace("-", "_")
        assert STRINGS["ru"][key] != STRINGS["en"][key]


def test_both_views_from_one_drawing_match_drawing_each_alone():
    from ui.layout_view import draw_layout_views

    page = Image.new("RGB", (400, 300), "white")
    layout = ParsedLayout("dots_ocr", [LayoutElement("Text", "a", box=(20, 20, 200, 80)),
                                       LayoutElement("Table", "<table></table>", "html", box=(40, 120, 380, 280))])
    boxes, numbered = draw_layout_views(page, layout)
    assert boxes.tobytes() == draw_layout(page, layout).tobytes()
    assert numbered.tobytes() == draw_layout(page, layout, numbered=True).tobytes()
