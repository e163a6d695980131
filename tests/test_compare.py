"""The compare page's rendering: two revisions as the draft is rendered, aligned block by
block, changes marked within a block, moved blocks shown as moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.core.errors import IntakeError
from intake.editors.compare_view import Side, render

BEFORE = """## Background

Jaundice was seen in three patients on the ward.

This paragraph moves to the end of the article, whole and unchanged by the author.

- first item
- second item

| Day | Bilirubin |
|-----|-----------|
| 1   | 12        |

![Figure 1](assets/image1.png)

Closing words.
"""

AFTER = """## Background and aims

Jaundice was seen in four patients on the ward.

- first item
- changed item

| Day | Bilirubin |
|-----|-----------|
| 1   | 14        |

![Figure 1](assets/image1.png)

Closing words.

A new paragraph the reviewers asked for.

This paragraph moves to the end of the article, whole and unchanged by the author.
"""


def sides(tmp_path: Path, before: str, after: str, same_image: bool = True) -> tuple[Side, Side]:
    old, new = tmp_path / "revisions" / "1" / "assets", tmp_path / "assets"
    old.mkdir(parents=True)
    new.mkdir()
    (old / "image1.png").write_bytes(b"\x89PNG one")
    (new / "image1.png").write_bytes(b"\x89PNG one" if same_image else b"\x89PNG two")
    return Side(before, old, "revisions/1/assets/"), Side(after, new, "assets/")


def test_blocks_are_rendered_aligned_and_marked_within(tmp_path: Path) -> None:
    shown = render(*sides(tmp_path, BEFORE, AFTER))
    kinds = [r.kind for r in shown.rows]
    assert kinds == ["changed", "changed", "moved_from", "changed", "changed", "same", "same",
                     "added", "moved_to"]
    heading, paragraph, _, items, table = shown.rows[:5]
    assert heading.after.startswith("<h2>") and "<ins>and aims</ins>" in heading.after
    assert "<del>three</del>" in paragraph.after and "<ins>four</ins>" in paragraph.after
    assert items.after.startswith("<ul>") and "<del>second item</del>" in items.after
    # A table of the same shape is marked cell by cell, its structure kept.
    assert "<td><ins>14</ins> <del>12</del></td>" in " ".join(table.after.split())
    assert "<th>Bilirubin</th>" in table.after
    assert 'src="assets/image1.png"' in shown.rows[5].after
    assert shown.changed == 6  # the move counts once


def test_a_moved_paragraph_is_shown_moved_not_removed_and_added(tmp_path: Path) -> None:
    shown = render(*sides(tmp_path, BEFORE, AFTER))
    gone = next(r for r in shown.rows if r.kind == "moved_from")
    came = next(r for r in shown.rows if r.kind == "moved_to")
    assert "moved from here to below" in gone.after and "This paragraph moves" in gone.before
    assert "Moved here from above" in came.after and "This paragraph moves" in came.after
    assert "<del" not in gone.before and "<ins" not in came.after


def test_an_image_changed_between_revisions_is_each_revisions_own(tmp_path: Path) -> None:
    shown = render(*sides(tmp_path, BEFORE, AFTER, same_image=False))
    image = next(r for r in shown.rows if "img" in r.after)
    assert image.kind == "changed"  # the same figure (its alt text), a new picture
    assert '<del><img src="revisions/1/assets/image1.png"' in image.after  # the earlier copy
    assert '<ins><img src="assets/image1.png"' in image.after


def test_a_strangers_markup_stays_inert(tmp_path: Path) -> None:
    hostile = ('Words <script>alert(1)</script> <img src="https://evil.example/x.png" '
               'onerror="alert(2)"> [link](javascript:alert(3)) '
               '![x](assets/../../sign-out) <iframe src="/"></iframe> end.')
    shown = render(*sides(tmp_path, "Words end.\n", hostile + "\n"))
    page = " ".join(r.before + r.after for r in shown.rows)
    for bad in ("<script", "onerror", "evil.example", "href=\"javascript", "<iframe", "sign-out"):
        assert bad not in page, bad


def test_past_its_budget_changes_are_shown_whole_and_it_says_so(tmp_path: Path) -> None:
    shown = render(*sides(tmp_path, BEFORE, AFTER), seconds=0)
    assert shown.note and "marks whole paragraphs" in shown.note
    changed = [r for r in shown.rows if r.kind == "changed"]
    assert changed and all('<del class="block">' in r.after for r in changed)


def test_a_text_too_long_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="too long to compare"):
        render(*sides(tmp_path, "word " * 70_000, "short"))


def test_a_paragraph_moved_up_is_shown_moved(tmp_path: Path) -> None:
    first, second, third = ("One paragraph about the ward and its patients.",
                            "Another paragraph about the night shift and its doctors.",
                            "A third paragraph that the author moved to the top of it all.")
    shown = render(*sides(tmp_path, f"{first}\n\n{second}\n\n{third}\n",
                          f"{third}\n\n{first}\n\n{second}\n"))
    assert [r.kind for r in shown.rows] == ["moved_to", "same", "same", "moved_from"]
    assert "Moved here from below" in shown.rows[0].after
    assert "moved from here to above" in shown.rows[-1].after


def test_a_drafts_image_cannot_name_a_path_outside_its_assets() -> None:
    from intake.export.html import safe_html

    shown = safe_html("![a](assets/../../sign-out) ![b](assets/sub/x.png) ![c](assets/ok.png)")
    assert "sign-out" not in shown and "sub/x.png" not in shown
    assert 'src="assets/ok.png"' in shown


def test_one_huge_changed_paragraph_is_shown_whole_not_ground_through(tmp_path: Path) -> None:
    import time

    words = [f"w{n % 997}" for n in range(20_000)]
    changed = [w if n % 7 else "x" for n, w in enumerate(words)]
    began = time.monotonic()
    shown = render(*sides(tmp_path, " ".join(words) + "\n", " ".join(changed) + "\n"))
    assert time.monotonic() - began < 5
    (row,) = shown.rows
    assert row.kind == "changed" and '<del class="block">' in row.after
