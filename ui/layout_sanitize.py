"""Markup from a model's reply made safe to show: tables keep their structure and nothing that runs or links;
formulas' MathML keeps known tags and harmless attributes, with the text escaped."""
from __future__ import annotations

import html
from xml.etree import ElementTree

from lxml import etree
from lxml import html as lxml_html

TABLE_TAGS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "br", "b", "i", "sub", "sup"})
TABLE_ATTRIBUTES = frozenset({"colspan", "rowspan"})
# Dropped with everything inside: their content is code, styling or form chrome, never the table's text.
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
                               "noscript", "template", "textarea", "select", "button", "svg", "math", "head",
                               "title", "meta", "link", "base", "audio", "video", "canvas", "img", "input"})
MAX_SPAN = 1000
# Unwrapped block tags leave a space behind, so "<p>a</p><p>b</p>" in a cell reads "a b", not "ab".
BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})

# What latex2mathml builds. A formula that makes anything else is shown as its source instead.
MATHML_TAGS = frozenset({"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
                         "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
                         "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "mstyle", "mpadded",
                         "mphantom", "menclose", "mfenced", "merror", "semantics", "annotation"})
MATHML_ATTRIBUTES = frozenset({"display", "mathvariant", "stretchy", "fence", "separator", "separators", "lspace",
                               "rspace", "linebreak", "width", "height", "depth", "columnalign", "columnlines",
                               "columnspacing", "columnspan", "rowalign", "rowlines", "rowspacing", "rowspan",
                               "frame", "framespacing", "displaystyle", "scriptlevel", "accent", "accentunder",
                               "movablelimits", "largeop", "symmetric", "minsize", "maxsize", "notation", "open",
                               "close", "form", "mathsize", "voffset", "align", "equalrows", "equalcolumns", "side",
                               "xmlns"})
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"


def _local_name(element) -> str:
    return element.tag.rpartition("}")[2].lower()  # "{namespace}mrow" -> "mrow"


def _valid_span(value: str) -> str | None:
    value = value.strip()
    return str(int(value)) if value.isdigit() and 1 <= int(value) <= MAX_SPAN else None


def _keep_attributes(element, allowed: frozenset[str]) -> None:
    attributes = element.attrib
    for name in [name for name in attributes if name.rpartition("}")[2].lower() not in allowed]:
        del attributes[name]
    for name in ("colspan", "rowspan"):
        if name in attributes and (span := _valid_span(attributes[name])) != attributes[name]:
            if span is None:
                del attributes[name]
            else:
                attributes[name] = span


def safe_table_html(source: str) -> str:
    """The table (or any HTML) with only table tags, bold/italic/sub/sup and colspan/rowspan left; other tags are
    unwrapped to their text, and code-like ones removed with their content."""
    try:
        root = lxml_html.fragment_fromstring(source, create_parent="div",
                                             parser=lxml_html.HTMLParser(remove_comments=True, remove_pis=True))
    except (etree.ParserError, ValueError):
        return html.escape(source)
    for element in list(root.iter()):
        if element is root:
            continue
        if not isinstance(element.tag, str):  # a comment or processing instruction the parser kept
            element.drop_tree()
            continue
        name = _local_name(element)
        if name in DROP_WITH_CONTENT:
            element.drop_tree()
        elif name not in TABLE_TAGS:
            if name in BLOCK_TAGS:
                element.tail = " " + (element.tail or "")
            element.drop_tag()
        else:
            _keep_attributes(element, TABLE_ATTRIBUTES)
    inner = html.escape(root.text or "", quote=False)
    return inner + "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def mathml_markup(root: ElementTree.Element) -> str | None:
    """latex2mathml's element tree as markup: known MathML tags only (None when another turns up), harmless
    attributes only, and the text escaped. The library writes symbols into the text as entities and unescapes
    its whole output, the formula's own text with it; here the entities are decoded first and then everything
    is escaped on the way out."""
    for element in root.iter():
        if element.tag not in MATHML_TAGS:
            return None
        _keep_attributes(element, MATHML_ATTRIBUTES)
        for name, value in element.attrib.items():
            element.set(name, html.unescape(value))
        element.text = html.unescape(element.text) if element.text else element.text
        element.tail = html.unescape(element.tail) if element.tail else element.tail
    root.set("xmlns", MATHML_NAMESPACE)
    return ElementTree.tostring(root, encoding="unicode")
