# ruff: noqa: RUF001 - the tables map mathematical characters, which look like letters
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


# -- LaTeX: what publishing systems render ------------------------------------------------

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota",
    "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi",
    "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma",
    "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
}
_SIGNS = {
    "±": r"\pm", "∓": r"\mp", "×": r"\times", "÷": r"\div", "·": r"\cdot", "⋅": r"\cdot",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv",
    "∝": r"\propto", "∞": r"\infty", "→": r"\to", "←": r"\leftarrow", "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow", "∂": r"\partial", "∇": r"\nabla", "∈": r"\in", "∉": r"\notin",
    "∩": r"\cap", "∪": r"\cup", "⊂": r"\subset", "⊆": r"\subseteq", "∀": r"\forall",
    "∃": r"\exists", "∅": r"\emptyset", "°": r"^{\circ}", "…": r"\ldots", "⋯": r"\cdots",
    "′": "'", "−": "-", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∬": r"\iint",
    "∮": r"\oint", "√": r"\sqrt{}", "ℏ": r"\hbar", "ℓ": r"\ell", "∼": r"\sim",
    "≪": r"\ll", "≫": r"\gg", "⊥": r"\perp", "∥": r"\parallel", "∠": r"\angle",
}
_SPECIAL = {"#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{",
            "}": r"\}", "\\": r"\backslash{}", "^": r"\hat{}", "~": r"\sim{}"}
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan",
              "sinh", "cosh", "tanh", "log", "ln", "lg", "exp", "lim", "max", "min", "sup",
              "inf", "det", "gcd", "arg", "deg", "dim", "ker", "Pr"}
_FENCES = {"(": "(", ")": ")", "[": "[", "]": "]", "{": r"\{", "}": r"\}", "|": "|",
           "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "〈": r"\langle", "〉": r"\rangle",
           "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "": "."}
_NARY = {"∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∬": r"\iint", "∭": r"\iiint",
         "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap", "∐": r"\coprod"}
_ACCENTS = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0307": r"\dot", "\u0308": r"\ddot",
            "\u0305": r"\bar", "\u20d7": r"\vec", "\u0301": r"\acute", "\u0300": r"\grave",
            "\u030c": r"\check", "\u0306": r"\breve"}


def latex(node: Any) -> str:
    """The equation in LaTeX (the subset Markdown renderers with math support read).

    Every value taken from the file, text (m:t) and attribute (m:chr, m:begChr, m:sepChr…)
    alike, is escaped for LaTeX or mapped to a command of ours: "\\immediate\\write18{…}"
    in a separator reads as text, never as a command. The caller escapes the whole for
    Markdown."""
    return " ".join(_tex(node).split())


def _tex_part(node: Any, tag: str) -> str:
    child = node.find(m(tag))
    return _tex(child) if child is not None else ""


def _text(raw: str) -> str:
    out = []
    for ch in raw:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _GREEK or ch in _SIGNS:
            out.append((_GREEK.get(ch) or _SIGNS[ch]) + " ")
        else:
            out.append(ch)
    return "".join(out)


def _tex(node: Any) -> str:  # one branch per OMML element
    tag = node.tag
    if tag == m("t"):
        return _text(str(node.text or ""))
    if tag == m("f"):
        num, den = _tex_part(node, "num"), _tex_part(node, "den")
        kind = _val(node, f"{m('fPr')}/{m('type')}", "bar")
        if kind == "lin":
            return f"{num}/{den}"
        if kind == "noBar":
            return rf"\genfrac{{}}{{}}{{0pt}}{{}}{{{num}}}{{{den}}}"
        return rf"\frac{{{num}}}{{{den}}}"
    if tag in (m("sSub"), m("sSup"), m("sSubSup")):
        base, sub, sup = _tex_part(node, "e"), _tex_part(node, "sub"), _tex_part(node, "sup")
        return (f"{{{base}}}" + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else ""))
    if tag == m("sPre"):
        sub, sup = _tex_part(node, "sub"), _tex_part(node, "sup")
        return f"{{}}_{{{sub}}}^{{{sup}}}{{{_tex_part(node, 'e')}}}"
    if tag == m("rad"):
        degree = _tex_part(node, "deg")
        return (rf"\sqrt[{degree}]{{{_tex_part(node, 'e')}}}" if degree
                else rf"\sqrt{{{_tex_part(node, 'e')}}}")
    if tag == m("nary"):
        symbol = _val(node, f"{m('naryPr')}/{m('chr')}", "∫")
        sub, sup = _tex_part(node, "sub"), _tex_part(node, "sup")
        return (_NARY.get(symbol, _text(symbol)) + (f"_{{{sub}}}" if sub else "")
                + (f"^{{{sup}}}" if sup else "") + f" {_tex_part(node, 'e')}")
    if tag == m("d"):
        begin = _val(node, f"{m('dPr')}/{m('begChr')}", "(")
        end = _val(node, f"{m('dPr')}/{m('endChr')}", ")")
        separator = _val(node, f"{m('dPr')}/{m('sepChr')}", "|")
        fence = _FENCES[separator] if separator in _FENCES else _text(separator)
        inside = f" {fence} ".join(
            _tex(e) for e in node.findall(m("e")))
        return (rf"\left{_FENCES.get(begin, _text(begin))} {inside} "
                rf"\right{_FENCES.get(end, _text(end))}")
    if tag == m("func"):
        name = "".join(t.text or "" for t in node.find(m("fName")).iter(m("t"))) \
            if node.find(m("fName")) is not None else ""
        command = rf"\{name}" if name in _FUNCTIONS else rf"\operatorname{{{_text(name)}}}"
        return f"{command}{{{_tex_part(node, 'e')}}}"
    if tag == m("acc"):
        command = _ACCENTS.get(_val(node, f"{m('accPr')}/{m('chr')}", "\u0302"), r"\hat")
        return f"{command}{{{_tex_part(node, 'e')}}}"
    if tag == m("bar"):
        where = _val(node, f"{m('barPr')}/{m('pos')}", "top")
        return rf"\{'underline' if where == 'bot' else 'overline'}{{{_tex_part(node, 'e')}}}"
    if tag in (m("limLow"), m("limUpp")):
        mark = "_" if tag == m("limLow") else "^"
        return f"{_tex_part(node, 'e')}{mark}{{{_tex_part(node, 'lim')}}}"
    if tag == m("m"):
        rows = [" & ".join(_tex(e) for e in row.findall(m("e")))
                for row in node.findall(m("mr"))]
        return r"\begin{matrix} " + r" \\ ".join(rows) + r" \end{matrix}"
    if tag == m("eqArr"):
        return r"\begin{aligned} " + r" \\ ".join(_tex(e) for e in node.findall(m("e"))) \
            + r" \end{aligned}"
    if tag.endswith("Pr"):  # properties: how to draw, not what is said
        return ""
    return "".join(_tex(child) for child in node)
