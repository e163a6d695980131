""".docx → Markdown: python-docx opens the package, an lxml walk reads the body.

python-docx's own paragraph API drops text inside tracked insertions, content
controls, smart tags and simple fields, and knows nothing of list kinds, so the
walk goes over the XML itself and asks python-docx only for parts and styles.
"""

from __future__ import annotations

import contextlib
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.policy import compat32
from typing import Any
from urllib.parse import quote

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from intake.convert.htmldoc import html_to_markdown
from intake.convert.legacy import convert_rtf
from intake.convert.markdown import escape, escape_line_start, from_plain_text, tidy
from intake.convert.safety import ConversionError, check_package
from intake.convert.word_math import latex, linear
from intake.convert.word_parts import comments, notes, open_document, styles_xml, w
from intake.convert.word_remote import remote_references
from intake.convert.word_styles import Style, Styles, num_pr
from intake.convert.word_styles import read_int as _int
from intake.convert.word_symbols import MISSING, is_symbol_font, symbol_char, symbol_text
from intake.convert.word_tables import render_table
from intake.convert.xmlsafe import parse_xml
from intake.core.models import Asset, Converted

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
V = "urn:schemas-microsoft-com:vml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
DGM = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"

_OFF = {"0", "false", "off", "none"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://", "#")
_HEADING_NAME = re.compile(r"^(heading|überschrift|titre|título|titolo|kop)\s*(\d)$", re.I)
_LIST_STYLE = re.compile(r"^List (?:Bullet|Number|Paragraph) (\d)$")
_IMAGE_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
              "image/bmp": ".bmp", "image/tiff": ".tif", "image/x-emf": ".emf",
              "image/x-wmf": ".wmf", "image/webp": ".webp", "image/svg+xml": ".svg"}
# Containers whose children are read as if they stood in their place.
_TRANSPARENT = {w("ins"), w("smartTag"), w("customXml"), w("fldSimple"), w("moveTo"),
                w("bdo"), w("dir")}
_DROPPED = {w("del"), w("moveFrom"), w("commentRangeStart"), w("commentRangeEnd"),
            w("proofErr"), w("bookmarkEnd"), w("rPr"), w("pPr"), w("permStart"),
            w("permEnd"), w("lastRenderedPageBreak")}


@dataclass
class _Run:
    text: str
    fmt: frozenset[str] = frozenset()
    raw: bool = False  # already Markdown (links, images, breaks)


@dataclass(frozen=True)
class _Level:
    fmt: str  # numFmt: bullet, decimal, lowerLetter…
    start: int
    abstract_id: str  # lists sharing a definition count on together, as in Word
    restarts: bool  # this list instance restarts the count (startOverride)


@dataclass(frozen=True)
class _Item:
    num_id: str
    level: int
    spec: _Level | None

    @property
    def ordered(self) -> bool:
        return self.spec is not None and self.spec.fmt not in {"bullet", "none"}


@dataclass
class _Field:
    instruction: str = ""
    in_result: bool = False
    result: list[_Run] = field(default_factory=list)
    form: Any = None  # w:ffData of a legacy form field (text, check box, drop-down)


# HYPERLINK "https://…" or HYPERLINK \l "bookmark" (switches may come in any order).
_HYPERLINK_FIELD = re.compile(r'\s*HYPERLINK\s+(?:\\[a-z]\s+(?:"[^"]*"\s+)?)*?(\\l\s+)?"([^"]+)"',
                              re.IGNORECASE)


@dataclass
class _State:
    assets: list[Asset] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # text-box paragraphs, after their anchor
    linked_images: int = 0
    objects: int = 0
    equations: list[dict[str, str]] = field(default_factory=list)
    last_list: str | None = None  # numId of the list the previous paragraph was in
    last_ordered: bool = False
    list_counts: dict[tuple[str, int], int] = field(default_factory=dict)
    lists_seen: set[str] = field(default_factory=set)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) → label
    symbols_missing: int = 0  # symbol-font characters with no known Unicode character
    drop_cap: str = ""  # a drop cap's letter, waiting for the paragraph it begins


_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":
        "a Word template (.dotx)",
    "application/vnd.ms-word.document.macroEnabled.main+xml": "",  # said by the caller
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml":
        "a Word template with macros (.dotm)",
}
_DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _as_document(data: bytes) -> tuple[bytes, str | None]:
    """A template or macro-enabled package as an ordinary document: its main part's
    content type is the only difference python-docx cares about. Returns the package
    and what it was (None: an ordinary document)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        try:
            types = zf.read("[Content_Types].xml")
        except KeyError:
            return data, None
        found = next((t for t in _MAIN_TYPES if t.encode() in types), None)
        if found is None:
            return data, None
        members = [(info, zf.read(info)) for info in zf.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, blob in members:
            if info.filename == "[Content_Types].xml":
                blob = blob.replace(found.encode(), _DOCUMENT_TYPE)
            zf.writestr(info.filename, blob)
    return out.getvalue(), _MAIN_TYPES[found]


_MATH_MARKUP = re.compile(r"([\[\]<`])")


def convert_docx(data: bytes) -> Converted:
    check_package(data)
    data, variant = _as_document(data)
    missing: list[str] = []
    try:
        try:
            document = open_document(data)
        except KeyError:
            # A relationship to a part that is not in the file (an image, the thumbnail,
            # the core properties): read what is there, and say what is missing.
            data, missing = _without_dangling(data)
            if not missing:
                raise
            document = open_document(data)
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors…
        if b"purl.oclc.org/ooxml/officeDocument" in _package_rels(data):
            raise ConversionError(
                "the Word file is saved as \"Strict Open XML Document\", a variant intake "
                "cannot read", "Please save it in Word as an ordinary \"Word Document "
                "(.docx)\" and send it again.") from exc
        raise ConversionError(
            f"the Word file could not be opened ({type(exc).__name__}: {exc})",
            "Please open it in Word, save it again as .docx, and send it again.",
        ) from exc
    converted = _Walker(document).run()
    remote = list(dict.fromkeys(r.warning() for r in remote_references(data)))
    if remote:
        converted = replace(converted, warnings=(*remote, *converted.warnings))
    if variant:
        converted = replace(converted, warnings=(
            f"The file is {variant}; its text was read as a document.", *converted.warnings))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        converted = replace(converted, warnings=(
            f"The Word file is damaged: it refers to {len(missing)} part(s) it does not "
            f"contain ({shown}); the rest was read, and what they held is missing from the "
            "draft.", *converted.warnings))
    return converted


def _without_dangling(data: bytes) -> tuple[bytes, list[str]]:
    """The package without relationships to parts it does not contain, and the names
    of those parts. The package passed check_package: its size is bounded."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    missing: list[str] = []
    for name, blob in list(members.items()):
        if not name.endswith(".rels"):
            continue
        try:
            root = parse_xml(blob)
        except (etree.XMLSyntaxError, ValueError):
            root = None  # unreadable: python-docx says why when it opens the package
        if root is None:
            continue
        folder = posixpath.dirname(posixpath.dirname(name))  # word/_rels/x.rels → word
        changed = False
        for rel in list(root):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                      else posixpath.join(folder, target))
            if path not in names:
                root.remove(rel)
                missing.append(path)
                changed = True
        if changed:
            members[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                           standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return out.getvalue(), list(dict.fromkeys(missing))


def _package_rels(data: bytes) -> bytes:
    with contextlib.suppress(Exception), zipfile.ZipFile(io.BytesIO(data)) as zf, \
            zf.open("_rels/.rels") as rels:
        return rels.read(65536)
    return b""


class _Walker:
    def __init__(self, document: Any) -> None:
        self.doc = document
        self.part = document.part
        self.state = _State()
        self.styles = self._read_styles()
        self.numbering = self._read_numbering()
        self.anchors = self._link_targets()
        self.title: str | None = None

    # -- package reading ---------------------------------------------------

    def _read_styles(self) -> Styles:
        return Styles(styles_xml(self.part))

    def _link_targets(self) -> set[str]:
        """Bookmarks some link in the body points to: only those get an anchor."""
        body = self.doc.element.body
        found = {link.get(w("anchor")) for link in body.iter(w("hyperlink"))}
        for instr in body.iter(w("instrText")):
            match = _HYPERLINK_FIELD.match(instr.text or "")
            if match and match.group(1):
                found.add(match.group(2))
        return {name for name in found if name}

    def _read_numbering(self) -> dict[tuple[str, int], _Level]:
        """(numId, level) → how that level numbers: format, start, the list it counts in."""
        try:
            root = self.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return {}
        abstract: dict[str, dict[int, tuple[str, int]]] = {}
        for node in root.iter(w("abstractNum")):
            levels = {}
            for lvl in node.iter(w("lvl")):
                fmt, first = lvl.find(w("numFmt")), lvl.find(w("start"))
                levels[_int(lvl.get(w("ilvl"))) or 0] = (
                    fmt.get(w("val"), "decimal") if fmt is not None else "decimal",
                    (_int(first.get(w("val"))) or 1) if first is not None else 1)
            abstract[node.get(w("abstractNumId"), "")] = levels
        found: dict[tuple[str, int], _Level] = {}
        for num in root.iter(w("num")):
            ref = num.find(w("abstractNumId"))
            abstract_id = ref.get(w("val"), "") if ref is not None else ""
            overrides = {}
            for override in num.iter(w("lvlOverride")):
                first = override.find(w("startOverride"))
                if first is not None:
                    overrides[_int(override.get(w("ilvl"))) or 0] = (
                        _int(first.get(w("val"))) or 1)
            for level, (fmt, first_number) in abstract.get(abstract_id, {}).items():
                found[(num.get(w("numId"), ""), level)] = _Level(
                    fmt, overrides.get(level, first_number), abstract_id, level in overrides)
        return found

    # -- blocks -------------------------------------------------------------

    def run(self) -> Converted:
        blocks = list(self._blocks(self.doc.element.body))
        body = _join_blocks(blocks) + self._notes()
        found = comments(self.part)
        self._package_warnings(len(found))
        title = self.title or _core_title(self.doc)
        return Converted(markdown=tidy(body), title=title, assets=tuple(self.state.assets),
                         warnings=tuple(self.state.warnings),
                         comments=tuple({"author": c.author, "date": c.date, "text": c.text}
                                        for c in found),
                         equations=tuple(self.state.equations))

    def _notes(self) -> str:
        """Footnotes and endnotes, in the order the text refers to them, as [^n]: text."""
        if not self.state.notes:
            return ""
        parts = {kind: notes(self.part, kind) for kind in ("footnote", "endnote")}
        out = []
        body_part = self.part
        for (kind, note_id), label in list(self.state.notes.items()):
            notes_part, found = parts[kind]
            note = found.get(note_id)
            if note is None:
                self.state.warnings.append(f"The text refers to {kind} {note_id}, which the "
                                           "document does not contain.")
                continue
            self.part = notes_part  # a note's links and images are the notes part's
            try:
                paragraphs = [_render(self._inline(p)).strip() for p in note.iter(w("p"))]
            finally:
                self.part = body_part
            text = "\n\n    ".join(p for p in paragraphs if p)
            out.append(f"[^{label}]: {text}")
        return "\n\n" + "\n\n".join(out) if out else ""

    def _blocks(self, parent: Any) -> Iterator[tuple[str, str]]:
        """(kind, markdown) per block: kind is "p", or "li" for list items."""
        for child in parent:
            if child.tag == w("p"):
                yield from self._paragraph(child)
            elif child.tag == w("tbl"):
                yield "p", self._table(child)
            elif child.tag == w("sdt"):
                content = child.find(w("sdtContent"))
                if content is not None:
                    yield from self._blocks(content)
            elif child.tag in _TRANSPARENT:
                yield from self._blocks(child)
            elif child.tag == w("altChunk"):
                yield from self._alt_chunk(child)
            elif child.tag in (w("pict"), w("drawing")):  # a picture outside any paragraph
                yield "p", _render(self._drawing(child))
                yield from (("p", extra) for extra in self._take_after())
            elif child.tag != w("sectPr") and next(child.iter(w("p")), None) is not None:
                yield from self._blocks(child)  # an unknown container: read what it holds

    def _alt_chunk(self, node: Any) -> Iterator[tuple[str, str]]:
        """An embedded HTML, MHT, RTF or text part (altChunk, what HTML-to-Word exporters
        write): Word shows it in place, so it is read in place."""
        rel = self.part.rels.get(node.get(f"{{{R}}}id", ""))
        if rel is None or rel.is_external:
            self.state.warnings.append("An embedded part (altChunk) of the document is "
                                       "missing: see the original file.")
            return
        kind, blob = rel.target_part.content_type, rel.target_part.blob
        if kind in ("text/html", "application/xhtml+xml"):
            markdown, remote = html_to_markdown(_decode_html(blob))
        elif kind == "message/rfc822":
            markdown, remote = html_to_markdown(_mht_html(blob))
        elif kind in ("application/rtf", "text/rtf"):
            markdown, remote = convert_rtf("the embedded part", blob).markdown, 0
        elif kind == "text/plain":
            markdown, remote = from_plain_text(blob.decode("utf-8", "replace")), 0
        else:
            self.state.warnings.append(f"An embedded part of the document ({kind[:60]}) "
                                       "could not be read: see the original file.")
            return
        self.state.warnings.append(
            "Part of the text is an embedded HTML/RTF part (altChunk, as web-to-Word "
            "exporters write): it was read as such; check its formatting against the "
            "original." + (f" Its {remote} image(s) on the web were not fetched." if remote
                           else ""))
        if markdown.strip():
            yield "p", markdown.strip()

    def _take_after(self) -> list[str]:
        after, self.state.after = self.state.after, []
        return after

    def _paragraph(self, p: Any) -> Iterator[tuple[str, str]]:
        ppr = p.find(w("pPr"))
        style = self._style_of(ppr)
        text = _render(self._inline(p)).strip()
        frame = ppr.find(w("framePr")) if ppr is not None else None
        if frame is not None and frame.get(w("dropCap")) in ("drop", "margin") and text:
            # A drop cap is the first letter of the next paragraph, set large in a frame
            # of its own: "D" + "rop caps" is one word.
            self.state.drop_cap += text
            return
        if self.state.drop_cap:
            text, self.state.drop_cap = self.state.drop_cap + text, ""
        after = self._take_after()
        heading = self._heading_level(ppr, style)
        item: _Item | None = None
        if text:
            if style and style.name.lower() == "title":
                if self.title is None:
                    self.title = _plain(text)
                else:
                    yield "p", "# " + text
            elif style and style.name.lower() == "subtitle":
                yield "p", f"*{text}*"
            elif heading:
                yield "p", "#" * heading + " " + text.replace("\\\n", " ")
            elif (item := self._list_of(ppr, style)) is not None:
                marker = self._marker(item)
                if (item.ordered and item.level == 0 and self.state.last_list is not None
                        and self.state.last_list != item.num_id and self.state.last_ordered):
                    yield "p", "<!-- -->"  # two numbered lists in a row stay two lists
                yield "li", "    " * item.level + marker + " " + text.replace(
                    "\\\n", "\\\n    ")
            else:
                yield "p", escape_line_start(text)
            self.state.last_list = item.num_id if item is not None else None
            self.state.last_ordered = item is not None and item.ordered
        for extra in after:
            yield "p", extra

    def _style_of(self, ppr: Any) -> Style | None:
        if ppr is None:
            return self.styles.get("Normal")
        ref = ppr.find(w("pStyle"))
        return self.styles.get(ref.get(w("val"), "") if ref is not None else "Normal")

    def _heading_level(self, ppr: Any, style: Style | None) -> int:
        own = ppr.find(w("outlineLvl")) if ppr is not None else None
        outline = _int(own.get(w("val"))) if own is not None else None
        if outline is None and style is not None:
            named = _HEADING_NAME.match(style.name)
            if named:
                return min(int(named.group(2)), 6)
            outline = style.outline
        if outline is not None and 0 <= outline <= 8:
            return min(outline + 1, 6)
        return 0

    def _list_of(self, ppr: Any, style: Style | None) -> _Item | None:
        num = num_pr(ppr) or (style.num if style else None)
        if num is None or num[0] in {"", "0"}:
            return None
        spec = self.numbering.get(num, self.numbering.get((num[0], 0)))
        level = num[1]
        # Word's "List Bullet 2" styles nest by their own numbering, not by ilvl.
        named = _LIST_STYLE.match(style.name) if style else None
        if named and level == 0:
            level = int(named.group(1)) - 1
        if spec is None:
            return _Item(num[0], min(level, 8), None)
        return _Item(num[0], min(level, 8), spec)

    def _marker(self, item: _Item) -> str:
        """"-" for bullets; for numbers the one Word shows, counted as Word counts them:
        per list definition, restarted where a list says so, deeper levels reset."""
        spec = item.spec
        if spec is None or not item.ordered:
            return "-"
        key = (spec.abstract_id, item.level)
        counts = self.state.list_counts
        if spec.restarts and item.num_id not in self.state.lists_seen:
            counts.pop(key, None)
        self.state.lists_seen.add(item.num_id)
        counts[key] = counts[key] + 1 if key in counts else spec.start
        for deeper in [k for k in counts if k[0] == spec.abstract_id and k[1] > item.level]:
            del counts[deeper]
        return f"{counts[key]}."

    def _table(self, tbl: Any) -> str:
        return render_table(tbl, lambda p: _render(self._inline(p)).strip())

    # -- inline ------------------------------------------------------------

    def _inline(self, node: Any, fmt: frozenset[str] = frozenset()) -> list[_Run]:
        runs: list[_Run] = []
        fields: list[_Field] = []  # complex fields open at this point (they nest)
        for child in node:
            tag = child.tag
            if tag == w("r") and self._field_step(child, fields, runs):
                continue
            target = fields[-1].result if fields and fields[-1].in_result else runs
            if tag == w("r"):
                target.extend(self._run(child))
            elif tag == w("hyperlink"):
                target.append(self._hyperlink(child))
            elif tag == w("bookmarkStart") and child.get(w("name")) in self.anchors:
                name = html.escape(child.get(w("name"), ""))
                target.append(_Run(f'<a id="{name}"></a>', raw=True))
            elif tag in (f"{{{M}}}oMath", f"{{{M}}}oMathPara"):
                target.append(self._equation(child))
            elif tag in _TRANSPARENT:
                target.extend(self._inline(child, fmt))
            elif tag == w("sdt"):
                content = child.find(w("sdtContent"))
                if content is not None:
                    target.extend(self._inline(content, fmt))
            elif tag == f"{{{MC}}}AlternateContent":
                branch = _alternative(child)
                if branch is not None:
                    target.extend(self._inline(branch, fmt))
        for left_open in fields:  # a field never closed in this paragraph: keep its text
            runs.extend(left_open.result)
        return runs

    def _equation(self, node: Any) -> _Run:
        """An equation as LaTeX between dollars (what publishing systems with math support
        render: $$…$$ for a display equation), its linear text kept beside it in the
        front matter, and a warning to check both against the original."""
        text, tex = linear(node), latex(node)
        if not text:
            return _Run("")
        self.state.equations.append({"latex": tex, "text": text})
        display = node.tag == f"{{{M}}}oMathPara"
        fence = "$$" if display else "$"
        # Escaped for Markdown as a whole: an equation's text is a stranger's, and
        # "![x](assets/../../intake.sqlite3)" or "<img onerror=…>" in it must stay text.
        # Brackets, "<" and backticks are all Markdown needs to make a link, an image,
        # HTML or code of it; the LaTeX's own backslashes and underscores stay as they
        # are (every one from the file is already LaTeX-escaped: word_math).
        safe = _MATH_MARKUP.sub(r"\\\1", tex)
        return _Run(f"{fence}{safe}{fence}" if tex else escape(text), raw=True)

    def _field_step(self, r: Any, fields: list[_Field], runs: list[_Run]) -> bool:
        """Follow a complex field (begin, instruction, separate, result, end) through runs.

        True when the run was field markup, consumed here. A HYPERLINK field's result
        becomes a link; any other field's result (page numbers, dates) is kept as text.
        """
        mark = r.find(w("fldChar"))
        if mark is not None:
            kind = mark.get(w("fldCharType"))
            if kind == "begin":
                fields.append(_Field(form=mark.find(w("ffData"))))
            elif kind == "separate" and fields:
                fields[-1].in_result = True
            elif kind == "end" and fields:
                done = fields.pop()
                outer = fields[-1].result if fields and fields[-1].in_result else runs
                outer.extend(self._field_result(done))
            return True
        instr = r.find(w("instrText"))
        if instr is not None and fields and not fields[-1].in_result:
            fields[-1].instruction += instr.text or ""
            return True
        return False

    def _field_result(self, field_: _Field) -> list[_Run]:
        if field_.form is not None and not _render(field_.result).strip():
            shown = _form_value(field_.form)  # drop-downs and check boxes have no result runs
            if shown:
                return [_Run(shown)]
        match = _HYPERLINK_FIELD.match(field_.instruction)
        if not match:
            return field_.result
        anchor, target = match.group(1) is not None, match.group(2)
        return [self._link(_render(field_.result).strip(), "#" + target if anchor else target)]

    def _run(self, r: Any) -> list[_Run]:
        rpr = r.find(w("rPr"))
        return self._run_content(r, self._run_format(rpr), _symbol_font(rpr))

    def _run_content(self, r: Any, fmt: frozenset[str], font: str | None = None
                     ) -> list[_Run]:
        out: list[_Run] = []
        for child in r:
            tag = child.tag
            if tag == w("t"):
                text = child.text or ""
                if font is not None:  # typed in a symbol font: a letter shows a sign
                    text, unknown = symbol_text(font, text)
                    self.state.symbols_missing += unknown
                out.append(_Run(text, fmt))
            elif tag in (w("tab"), w("ptab")):
                out.append(_Run(" ", fmt))
            elif tag in (w("br"), w("cr")):
                if child.get(w("type")) not in ("page", "column"):
                    out.append(_Run("\\\n", raw=True))
            elif tag == w("noBreakHyphen"):
                out.append(_Run("-", fmt))
            elif tag == w("sym"):
                code = _int(child.get(w("char")), 16)
                if code:
                    shown = symbol_char(child.get(w("font")), code)
                    if shown is None:
                        self.state.symbols_missing += 1
                    out.append(_Run(shown or MISSING, fmt))
            elif tag in (w("drawing"), w("pict")):
                out.extend(self._drawing(child))
            elif tag == f"{{{MC}}}AlternateContent":
                branch = _alternative(child)
                if branch is not None:  # its children stand where a run's would
                    out.extend(self._run_content(branch, fmt, font))
            elif tag == w("object"):
                self.state.objects += 1
            elif tag in (w("footnoteReference"), w("endnoteReference")):
                kind = "footnote" if tag == w("footnoteReference") else "endnote"
                label = self.state.notes.setdefault((kind, child.get(w("id"), "")),
                                                    str(len(self.state.notes) + 1))
                out.append(_Run(f"[^{label}]", raw=True))
        return out

    def _run_format(self, rpr: Any) -> frozenset[str]:
        if rpr is None:
            return frozenset()
        fmt = set()
        for tag, mark in (("b", "b"), ("i", "i"), ("strike", "s"), ("dstrike", "s")):
            el = rpr.find(w(tag))
            if el is not None and el.get(w("val"), "true").lower() not in _OFF:
                fmt.add(mark)
        style = rpr.find(w("rStyle"))
        if style is not None:
            found = self.styles.get(style.get(w("val"), ""))
            name = found.name.lower() if found else ""
            if name in {"strong", "strong emphasis"}:
                fmt.add("b")
            elif name in {"emphasis", "intense emphasis"}:
                fmt.add("i")
        valign = rpr.find(w("vertAlign"))
        if valign is not None and valign.get(w("val")) in ("superscript", "subscript"):
            fmt.add("sup" if valign.get(w("val")) == "superscript" else "sub")
        return frozenset(fmt)

    def _hyperlink(self, link: Any) -> _Run:
        text = _render(self._inline(link)).strip()
        rid = link.get(f"{{{R}}}id")
        anchor = link.get(w("anchor"))
        target = ""
        if rid and rid in self.part.rels:
            rel = self.part.rels[rid]
            target = rel.target_ref if rel.is_external else ""
        if anchor:
            target = f"{target}#{anchor}"
        return self._link(text, target)

    def _link(self, text: str, target: str) -> _Run:
        if not target or not text:
            return _Run(text, raw=True)
        if not target.lower().startswith(_SAFE_SCHEMES):
            self.state.warnings.append(
                f"A link to {target[:80]!r} was kept as plain text: only web and mail "
                "links are carried into drafts.")
            return _Run(text, raw=True)
        return _Run(f"[{text}]({quote(target, safe=':/?#[]@!$&*+,;=%~.-_')})", raw=True)

    def _drawing(self, node: Any) -> list[_Run]:
        out: list[_Run] = []
        docpr = next(node.iter(f"{{{WP}}}docPr"), None)
        alt = ""
        if docpr is not None:
            alt = docpr.get("descr") or docpr.get("title") or ""
        for blip in node.iter(f"{{{A}}}blip"):
            embed, link = blip.get(f"{{{R}}}embed"), blip.get(f"{{{R}}}link")
            if embed:
                out.append(self._image(embed, alt))
            elif link:
                self.state.linked_images += 1
        for img in node.iter(f"{{{V}}}imagedata"):
            rid = img.get(f"{{{R}}}id")
            if rid:
                out.append(self._image(rid, img.get(f"{{{V}}}title") or alt))
        for box in node.iter(w("txbxContent")):
            # The box's own paragraphs drain state.after as they go: read them apart.
            waiting = self._take_after()
            inside = [text for _, text in self._blocks(box) if text]
            self.state.after = waiting + inside
            break  # Choice and Fallback carry the same box; one is enough
        else:
            if not out:
                self._unreadable_drawing(node, docpr.get("name", "") if docpr is not None else "")
        return out

    def _unreadable_drawing(self, node: Any, name: str) -> None:
        """A drawing with no picture or text box: SmartArt keeps its text elsewhere;
        anything else is named in a warning, never dropped in silence."""
        diagram = next(node.iter(f"{{{DGM}}}relIds"), None)
        if diagram is not None:
            rel = self.part.rels.get(diagram.get(f"{{{R}}}dm", ""))
            if rel is not None and not rel.is_external:
                data = parse_xml(rel.target_part.blob)
                texts = [" ".join("".join(t.text or "" for t in p.iter(f"{{{A}}}t")).split())
                         for p in data.iter(f"{{{A}}}p")]
                items = [f"- {escape(t)}" for t in texts if t]
                if items:
                    self.state.after.append("\n".join(items))
                self.state.warnings.append(
                    f"A SmartArt diagram{f' ({name})' if name else ''} became a list of its "
                    f"{len(items)} text(s); its layout is in the original file.")
                return
        what = "chart" if next(node.iter(f"{{{CHART}}}chart"), None) is not None else "drawing"
        self.state.warnings.append(
            f"A {what}{f' ({name})' if name else ''} could not be carried into the draft; "
            "see the original file.")

    def _image(self, rid: str, alt: str) -> _Run:
        rel = self.part.rels.get(rid)
        if rel is None:
            return _Run("")  # its part is missing from the file: said in the warnings
        if rel.is_external:
            self.state.linked_images += 1
            return _Run("")
        part = rel.target_part
        ext = _IMAGE_EXT.get(part.content_type, ".bin")
        name = f"image-{len(self.state.assets) + 1:03d}{ext}"
        self.state.assets.append(Asset(name=name, data=part.blob))
        if ext in (".emf", ".wmf"):
            self.state.warnings.append(
                f"Image {name} is a Windows metafile ({ext}); browsers cannot show it, "
                "so it needs converting before publication.")
        alt_text = " ".join(alt.split()).replace("[", "(").replace("]", ")")
        return _Run(f"![{alt_text}](assets/{name})", raw=True)

    def _package_warnings(self, comments: int) -> None:
        body = self.doc.element.body
        warnings = self.state.warnings
        if self.styles.damaged:
            warnings.append("The Word file's styles part is damaged, so some styles could "
                            f"not be read ({self.styles.damaged}): headings, titles and "
                            "lists marked only by those styles are plain paragraphs in the "
                            "draft; check them against the original.")
        if next(body.iter(w("ins"), w("del"), w("moveFrom"), w("moveTo")), None) is not None:
            warnings.append("The document still has tracked changes: the draft shows them "
                            "as if accepted (insertions kept, deletions left out).")
        if comments:
            warnings.append(f"The document has {comments} comment(s): they are listed under "
                            "comments in the front matter, not in the text.")
        if self.state.linked_images:
            warnings.append(f"{self.state.linked_images} image(s) are linked, not embedded, "
                            "and were not fetched: ask the author for the image files.")
        if self.state.equations:
            warnings.append(f"{len(self.state.equations)} equation(s) are in the draft as "
                            "LaTeX between $ signs (their plain text is under equations in "
                            "the front matter); check them against the original.")
        if self.state.symbols_missing:
            warnings.append(f"{self.state.symbols_missing} symbol(s) set in a symbol font "
                            f"have no known character and show as {MISSING}: check them "
                            "in the original.")
        if self.state.objects:
            warnings.append(f"{self.state.objects} embedded object(s) (charts, equations or "
                            "other files) are not in the draft, see the original file.")


def _decode_html(blob: bytes) -> str:
    declared = re.search(rb"charset=[\"']?([A-Za-z0-9_-]{1,40})", blob[:4096])
    try:
        return blob.decode(declared.group(1).decode() if declared else "utf-8", "replace")
    except LookupError:
        return blob.decode("utf-8", "replace")


def _mht_html(blob: bytes) -> str:
    """The HTML of a web archive (MHT): the first text/html part of its MIME tree."""
    archive = message_from_bytes(blob, policy=compat32)
    for part in archive.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _render(runs: list[_Run]) -> str:
    """Runs → Markdown, merging neighbours of the same format before wrapping them."""
    merged: list[_Run] = []
    for run in runs:
        if not run.text:
            continue
        last = merged[-1] if merged else None
        if last and not last.raw and not run.raw and last.fmt == run.fmt:
            last.text += run.text
        else:
            merged.append(_Run(run.text, run.fmt, run.raw))
    return "".join(r.text if r.raw else _wrap(escape(r.text), r.fmt) for r in merged)


def _wrap(text: str, fmt: frozenset[str]) -> str:
    core = text.strip()
    if not core or not fmt:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    if "sup" in fmt:
        core = f"<sup>{core}</sup>"
    if "sub" in fmt:
        core = f"<sub>{core}</sub>"
    if "s" in fmt:
        core = f"~~{core}~~"
    marks = ("**" if "b" in fmt else "") + ("*" if "i" in fmt else "")
    return f"{lead}{marks}{core}{marks[::-1]}{trail}"


def _join_blocks(blocks: list[tuple[str, str]]) -> str:
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if not text:
            continue
        out.append("\n" if kind == "li" and previous == "li" else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)


def _alternative(node: Any) -> Any:
    """The branch of mc:AlternateContent to read: Word's own choice, else the fallback."""
    branch = node.find(f"{{{MC}}}Choice")
    return branch if branch is not None else node.find(f"{{{MC}}}Fallback")


def _plain(markdown: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"</?su[pb]>|[*~]{1,3}|\\\n", "", text)
    return " ".join(re.sub(r"\\(.)", r"\1", text).split())


def _form_value(form: Any) -> str:
    """What a legacy form field shows when it has no result runs: the chosen entry of a
    drop-down, a check box's mark, a text field's default."""
    dropdown = form.find(w("ddList"))
    if dropdown is not None:
        entries = [e.get(w("val"), "") for e in dropdown.iterchildren(w("listEntry"))]
        chosen = dropdown.find(w("result"))
        if chosen is None:
            chosen = dropdown.find(w("default"))
        index = _int(chosen.get(w("val")) if chosen is not None else "0") or 0
        return entries[index] if 0 <= index < len(entries) else ""
    box = form.find(w("checkBox"))
    if box is not None:
        state = box.find(w("checked"))
        if state is None:
            state = box.find(w("default"))
        on = state is not None and state.get(w("val"), "1").lower() not in _OFF
        return "☒" if on else "☐"
    text = form.find(w("textInput"))
    default = text.find(w("default")) if text is not None else None
    return default.get(w("val"), "") if default is not None else ""


def _symbol_font(rpr: Any) -> str | None:
    """The run's font when it is a symbol font (its letters show other characters)."""
    fonts = rpr.find(w("rFonts")) if rpr is not None else None
    if fonts is None:
        return None
    font = fonts.get(w("ascii")) or fonts.get(w("hAnsi"))
    return font if is_symbol_font(font) else None


def _core_title(document: Any) -> str | None:
    try:
        # Without a core properties part python-docx makes one up, titled "Word
        # Document": no title then, so the email's subject is taken instead.
        document.part.package.part_related_by(RT.CORE_PROPERTIES)
    except KeyError:
        return None
    try:
        title = document.core_properties.title
    except Exception:  # a damaged core.xml must not cost the whole draft
        return None
    return " ".join(title.split()) or None if title else None
