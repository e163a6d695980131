"""Word equations (OMML) → their linear text, as Word's own linear format writes them.

Markdown has no equations; the draft carries "∫_0^1 x dx" in a code span and a
warning, so nothing of the article is lost and an editor knows to typeset it.
"""

from __future__ import annotations

from typing import Any

M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def m(tag: str) -> str:
    return f"{{{M}}}{tag}"


def linear(node: Any) -> str:
    return " ".join(_walk(node).split())


def _val(node: Any, path: str, default: str) -> str:
    found = node.find(path)
    return found.get(m("val"), default) if found is not None else default


def _part(node: Any, tag: str) -> str:
    child = node.find(m(tag))
    return _walk(child) if child is not None else ""


def _group(text: str) -> str:
    return text if len(text) <= 1 else f"({text})"


def _walk(node: Any) -> str:
    tag = node.tag
    if tag == m("t"):
        return str(node.text or "")
    if tag in (m("sSub"), m("sSup"), m("sSubSup"), m("sPre")):
        sub, sup = _part(node, "sub"), _part(node, "sup")
        return (_part(node, "e") + (f"_{_group(sub)}" if sub else "")
                + (f"^{_group(sup)}" if sup else ""))
    if tag == m("nary"):
        sub, sup = _part(node, "sub"), _part(node, "sup")
        symbol = _val(node, f"{m('naryPr')}/{m('chr')}", "∫")
        return (symbol + (f"_{_group(sub)}" if sub else "") + (f"^{_group(sup)}" if sup else "")
                + " " + _part(node, "e"))
    if tag == m("f"):
        return f"{_group(_part(node, 'num'))}/{_group(_part(node, 'den'))}"
    if tag == m("rad"):
        degree = _part(node, "deg")
        return ("∛" if degree == "3" else "√") + _group(_part(node, "e"))
    if tag == m("d"):
        begin = _val(node, f"{m('dPr')}/{m('begChr')}", "(")
        end = _val(node, f"{m('dPr')}/{m('endChr')}", ")")
        separator = _val(node, f"{m('dPr')}/{m('sepChr')}", "|")
        return begin + separator.join(_walk(e) for e in node.findall(m("e"))) + end
    if tag.endswith("Pr"):  # properties: how to draw, not what is said
        return ""
    return "".join(_walk(child) for child in node)
