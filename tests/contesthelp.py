"""What the contest tests share: settings with contests whose dates are around now, and
entries as authors send them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.demo.samples import DOCX, text_docx
from intake.demo.samples import email as make_email

NOW = datetime.now(UTC)


def when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def contest_settings(*, closes: float = 20, opens: float = -5, judging: float = 40,
                     extra: str = "") -> str:
    return f"""
[kinds.contest]
label = "Contest entry"
subject = ["contest", "competition"]
needs_manuscript = true
min_words = 10

[kinds.guest_post]
label = "Guest post"
subject = ["guest post"]
needs_manuscript = true

[kinds.other]
label = "Message"

[contests.essay]
name = "JPMS Medical Writing Contest 2026"
opens = {when(opens)}
closes = {when(closes)}
judging_closes = {when(judging)}
subject = ["writing contest"]
min_words = 50
max_words = 900
statement = "that you are a medical student"
statement_phrases = ["medical student", "mbbs student"]
judges_per_entry = 2
tie_break = ["criterion:originality", "earliest"]
spread = 30
category = "Writing contest"
rubric = {{ originality = {{ weight = 2, scale = 10 }}, clarity = {{ weight = 1, scale = 10 }} }}
{extra}
[[contests.essay.judges]]
name = "Dr Maya Patel"
email = "maya@hospital.example.org"
institution = "St Mary's Hospital"

[[contests.essay.judges]]
name = "Dr Tom Reed"
email = "tom@uni.example.net"
institution = "University of Leeds"

[[contests.essay.judges]]
name = "Dr Ines Sousa"
email = "ines@saude.example.pt"
institution = "Universidade do Porto"
"""


def with_contests(make_config: Callable[..., Path], text: str, **sections: object) -> Path:
    config = make_config(**sections)
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    return config


def entry(sender: str, subject: str, paragraphs: list[str], message_id: str,
          body: str = "Please find my entry attached.", name: str = "entry.docx",
          date: datetime | None = None, to: str = "submissions@journal.example.org"
          ) -> bytes:
    return make_email(sender, subject, body, message_id=message_id, date=date or NOW, to=to,
                      attachments=((name, DOCX, text_docx(subject, paragraphs)),))
