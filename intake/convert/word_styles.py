"""The paragraph and character styles of a Word package, read only as far as a document
uses them.

A styles part holds every style of the template the document was made from (python-docx's
own: 164 styles in 349 KB), and a document uses a handful. Parsing all of it costs more
than the rest of a conversion, so when the part's bytes are plain enough for each style
element to be found by its start tag, only the styles asked for are parsed, each on its
own. "Plain enough" is checked, not assumed: UTF-8, the `w` prefix bound once on the root
and nowhere else, no comment, CDATA section or processing instruction (the only places a
`<` can stand without starting a tag), style elements that do not nest. Any other part is
parsed whole, as before; either way the same styles come out (a property test holds the
two equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml.etree import XPath

from intake.convert.word_parts import W, w
from intake.convert.xmlsafe import parse_xml

_W_BYTES = W.encode()


@dataclass(frozen=True)
class Style:
    name: str
    outline: int | None  # 0-based outline level, as Word stores it
    num: tuple[str, int] | None  # numId, level


# One style by its id, found by libxml2 itself in a part parsed whole.
_STYLE_BY_ID = XPath("w:style[@w:styleId = $sid]", namespaces={"w": W})

# Start tags, with attribute values quoted as XML allows ('>' may stand inside one) and
# XML's four white-space characters.
_S = rb"[ \t\r\n]"
_ATTR = rb"""%s+([^ \t\r\n=<>/"']+)%s*=%s*(?:"([^"<]*)"|'([^'<]*)')""" % (_S, _S, _S)
_ATTRIBUTE = re.compile(_ATTR)
_DECLARATION = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[ \t\r\n][^<>?]*\?>""")
_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']""")
_ROOT = re.compile(rb"%s*<w:styles((?:%s)*)%s*>" % (_S, _ATTR, _S))
_STYLE_AT = re.compile(rb"<w:style[ \t\r\n/>]")
_STYLE_START = re.compile(rb"<w:style((?:%s)*)%s*(?P<empty>/?)>" % (_ATTR, _S))
_STYLE_END = re.compile(rb"</w:style%s*>" % _S)
# The id in a start tag with no single quote: a double-quoted value cannot hold `"`, so
# this cannot be found inside another attribute's value.
_DOUBLE_QUOTED_ID = re.compile(rb'%sw:styleId%s*=%s*"([^"]*)"' % (_S, _S, _S))
# After the root's start tag: what could put a '<' somewhere other than a tag. (Searched
# apart from "xmlns": a pattern that does not start with a literal is tried at every byte,
# 20 times slower.)
_NOT_TAG = re.compile(rb"<[!?]")
# An id that XML would read otherwise than as written: references, normalised white space.
_IRREGULAR_ID = re.compile(rb"[&\t\n\r]")


def _attributes(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The attributes of a start tag matched above, in order, as written."""
    return [(m.group(1), m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTRIBUTE.finditer(raw)]


class _Index:
    """Where each style element of a plain part lies: its id → (start, end) in bytes."""

    def __init__(self, blob: bytes, opening: bytes, spans: dict[str, tuple[int, int]]):
        self.blob = blob
        self.opening = opening  # the root's start tag: every namespace the part declares
        self.spans = spans

    @classmethod
    def of(cls, blob: bytes) -> _Index | None:
        """The index of a plain part; None when the part is not plain (see the module)."""
        at = 0
        if (declaration := _DECLARATION.match(blob)) is not None:
            encoding = _ENCODING.search(declaration.group(0))
            if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
                return None
            at = declaration.end()
        root = _ROOT.match(blob, at)
        if (root is None or _NOT_TAG.search(blob, root.end()) is not None
                or blob.find(b"xmlns", root.end()) != -1):  # a prefix bound anew
            return None
        bound = {name.removeprefix(b"xmlns").removeprefix(b":"): uri
                 for name, uri in _attributes(root.group(1))
                 if name == b"xmlns" or name.startswith(b"xmlns:")}
        if bound.get(b"w") != _W_BYTES or any(uri == _W_BYTES and prefix != b"w"
                                             for prefix, uri in bound.items()):
            return None
        spans: dict[str, tuple[int, int]] = {}
        after = root.end()  # where the last style element ended: they may not nest
        for found in _STYLE_AT.finditer(blob, root.end()):
            start = _STYLE_START.match(blob, found.start())
            if found.start() < after or start is None:
                return None
            after = start.end()
            if not start.group("empty"):  # not <w:style/>: it runs to its end tag
                end = _STYLE_END.search(blob, after)
                if end is None:
                    return None
                after = end.end()
            attributes = start.group(1)
            ids = (_DOUBLE_QUOTED_ID.findall(attributes) if b"'" not in attributes else
                   [value for name, value in _attributes(attributes) if name == b"w:styleId"])
            if len(ids) > 1 or (ids and _IRREGULAR_ID.search(ids[0])):
                return None
            if ids:
                try:
                    sid = ids[0].decode()
                except UnicodeDecodeError:
                    return None
                spans[sid] = (found.start(), after)  # the last of a repeated id, as Word
        return cls(blob, b"<w:styles" + root.group(1) + b">", spans)

    def element(self, sid: str) -> Any:
        span = self.spans.get(sid)
        if span is None:
            return None
        start, end = span
        return parse_xml(self.opening + self.blob[start:end] + b"</w:styles>")[0]


class Styles:
    """Styles by id, looked up and resolved (with inheritance) when first used.

    damaged: why the part could not be read, for a warning; its styles are then unknown
    and paragraphs read as if unstyled.
    """

    def __init__(self, blob: bytes | None = None, *, index: bool = True) -> None:
        """index=False: parse the part whole, the reference the index is tested against."""
        self.damaged: str | None = None
        self._root: Any = None
        self._index = _Index.of(blob) if blob is not None and index else None
        if blob is not None and self._index is None:
            try:
                self._root = parse_xml(blob)
            except etree.XMLSyntaxError as exc:
                self.damaged = str(exc)
        self._elements: dict[str, Any] = {}  # found so far; None: no such style
        self._resolved: dict[str, Style] = {}

    def _element(self, sid: str | None) -> Any:
        if sid is None:
            return None
        if sid not in self._elements:
            self._elements[sid] = self._find(sid)
        return self._elements[sid]

    def _find(self, sid: str) -> Any:
        if self._index is not None:
            try:
                return self._index.element(sid)
            except etree.XMLSyntaxError as exc:
                self.damaged = str(exc)
                return None
        if self._root is None:
            return None
        found = _STYLE_BY_ID(self._root, sid=sid)
        return found[-1] if found else None  # the last, as Word reads

    def get(self, sid: str, default: Style | None = None) -> Style | None:
        if self._element(sid) is None:
            return default
        return self._resolve(sid, 0)

    def _resolve(self, sid: str, depth: int) -> Style:
        if sid in self._resolved:
            return self._resolved[sid]
        style = self._element(sid)
        name_el = style.find(w("name"))
        name = name_el.get(w("val"), sid) if name_el is not None else sid
        ppr = style.find(w("pPr"))
        level = ppr.find(w("outlineLvl")) if ppr is not None else None
        outline = read_int(level.get(w("val"))) if level is not None else None
        num = num_pr(ppr)
        based = style.find(w("basedOn"))
        parent_id: str | None = based.get(w("val")) if based is not None else None
        if (parent_id is not None and parent_id != sid and depth < 20
                and self._element(parent_id) is not None):
            parent = self._resolve(parent_id, depth + 1)  # inherit what this leaves unset
            outline = parent.outline if outline is None else outline
            num = parent.num if num is None else num
        self._resolved[sid] = Style(name, outline, num)
        return self._resolved[sid]


def num_pr(ppr: Any) -> tuple[str, int] | None:
    """A paragraph's (or style's) list: numId and level, from its w:pPr."""
    if ppr is None:
        return None
    num = ppr.find(w("numPr"))
    if num is None:
        return None
    num_id = num.find(w("numId"))
    level = num.find(w("ilvl"))
    if num_id is None:
        return None
    depth = (read_int(level.get(w("val"))) or 0) if level is not None else 0
    return num_id.get(w("val"), ""), depth


def read_int(value: str | None, base: int = 10) -> int | None:
    try:
        return int(value, base) if value is not None else None
    except ValueError:
        return None
