# ruff: noqa: RUF001, RUF002 - the characters of symbol fonts, as they are
"""Characters set in symbol fonts, as the Unicode characters they show.

Word writes a Greek letter or a sign from the Symbol font as w:sym (font and a code in
the private use area, F000 + the font's own code) or as ordinary text in a run set in
that font. Read as plain text either would become the wrong letter ("a" for α, "³" for
≥): in medical writing α, β, μ, ±, ≥ and ° matter. The tables follow Adobe's Symbol
encoding and the common Wingdings marks; a character with no mapping is kept visible
and counted, so the draft can warn.
"""

from __future__ import annotations

_SYMBOL_ROWS = {
    0x20: " !∀#∃%&∋()∗+,−./0123456789:;<=>?",
    0x40: "≅ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ[∴]⊥_",
    0x60: "‾αβχδεφγηιϕκλμνοπθρστυϖωξψζ{|}∼",
    0xA0: "€ϒ′≤⁄∞ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈…⏐⎯↵",
    0xC0: "ℵℑℜ℘⊗⊕∅∩∪⊃⊇⊄⊂⊆∈∉∠∇®©™∏√⋅¬∧∨⇔⇐⇑⇒⇓",
    0xE0: "◊〈®©™∑⎛⎜⎝⎡⎢⎣⎧⎨⎩⎪",
    0xF1: "〉∫⌠⎮⌡⎞⎟⎠⎤⎥⎦⎫⎬⎭",
}
SYMBOL = {base + i: char for base, row in _SYMBOL_ROWS.items() for i, char in enumerate(row)}

WINGDINGS = {
    0x4A: "☺", 0x4B: "😐", 0x4C: "☹", 0x6C: "●", 0x6E: "■", 0x6F: "□", 0x71: "❑",
    0x75: "◆", 0x76: "❖", 0x77: "⬥", 0x9F: "•", 0xA7: "▪", 0xA8: "◻", 0xD8: "➢",
    0xE8: "➔", 0xF0: "⇨", 0xFB: "✗", 0xFC: "✓", 0xFD: "☒", 0xFE: "☑",
}
_FONTS = {"symbol": SYMBOL, "wingdings": WINGDINGS}
MISSING = "□"


def is_symbol_font(font: str | None) -> bool:
    return font is not None and font.strip().lower() in _FONTS


def symbol_char(font: str | None, code: int) -> str | None:
    """The character a symbol font shows at code (F0xx or 00xx); None when unknown."""
    table = _FONTS.get((font or "symbol").strip().lower())
    if table is None:
        return None
    return table.get(code - 0xF000 if code >= 0xF000 else code)


def symbol_text(font: str, text: str) -> tuple[str, int]:
    """Text typed in a symbol font, as what it shows; and how many characters had no
    mapping (kept as MISSING)."""
    out, unknown = [], 0
    for ch in text:
        mapped = symbol_char(font, ord(ch))
        if mapped is None:
            unknown += 1
            mapped = MISSING
        out.append(mapped)
    return "".join(out), unknown
