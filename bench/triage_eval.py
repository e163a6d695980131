"""Triage on the labelled set: precision and recall per kind, through the real pipeline.

Every message of tests/labelled/messages.yaml goes through intake's own accept and
process steps (drafts, checks and acknowledgements included, mail written to files)
with the kinds of a settings file (default: the repository's settings.toml), so an
operator who changes the signals can see what the change does.

A message sent to triage (an unsure decision) counts as a miss for recall and is
reported on its own line; it never counts against precision.

Usage: .venv/bin/python bench/triage_eval.py [--config settings.toml] [--set FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.core.config import settings_from_dict  # noqa: E402
from intake.core.models import RawMessage, Status  # noqa: E402
from intake.demo.samples import DOCX, article_docx, cv_docx, text_docx, tiny_png  # noqa: E402
from intake.demo.samples import email as make_email  # noqa: E402
from intake.pipeline.run import Intake, RunReport  # noqa: E402

LABELLED = REPO / "tests" / "labelled" / "messages.yaml"
TRIAGE = "(triage)"


@dataclass
class Evaluation:
    labels: list[str]
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # subject, truth, guess

    def precision(self, label: str) -> float:
        guessed = [p for p in self.pairs if p[2] == label]
        return sum(p[1] == label for p in guessed) / len(guessed) if guessed else 1.0

    def recall(self, label: str) -> float:
        actual = [p for p in self.pairs if p[1] == label]
        return sum(p[2] == label for p in actual) / len(actual) if actual else 1.0

    def support(self, label: str) -> int:
        return sum(p[1] == label for p in self.pairs)

    @property
    def triaged(self) -> list[tuple[str, str, str]]:
        return [p for p in self.pairs if p[2] == TRIAGE]

    @property
    def wrong(self) -> list[tuple[str, str, str]]:
        return [p for p in self.pairs if p[2] not in (p[1], TRIAGE)]

    def report(self) -> str:
        lines = [f"{'label':<12} {'n':>3} {'precision':>9} {'recall':>7}"]
        for label in self.labels:
            lines.append(f"{label:<12} {self.support(label):>3} "
                         f"{self.precision(label):>9.2f} {self.recall(label):>7.2f}")
        kinds = [lb for lb in self.labels if lb != "ignored"]
        macro_p = sum(self.precision(k) for k in kinds) / len(kinds)
        macro_r = sum(self.recall(k) for k in kinds) / len(kinds)
        lines.append(f"{'kinds (mean)':<12} {sum(self.support(k) for k in kinds):>3} "
                     f"{macro_p:>9.2f} {macro_r:>7.2f}")
        lines.append(f"sent to triage for an editor: {len(self.triaged)} of {len(self.pairs)}")
        lines.extend(f"  triage: {s!r} (is {t})" for s, t, _ in self.triaged)
        lines.extend(f"  wrong:  {s!r} is {t}, taken as {g}" for s, t, g in self.wrong)
        return "\n".join(lines)


def _attachment(name: str, content: str) -> tuple[str, str, bytes]:
    if content == "cv":
        return name, DOCX, cv_docx(name.rsplit(".", 1)[0])
    if content == "letter":
        return name, DOCX, text_docx("Cover letter", ["Dear editors, I am writing to ..."])
    if content == "image":
        return name, "image/png", tiny_png()
    return name, DOCX, article_docx(name.rsplit(".", 1)[0], paragraphs=3, image=False)


def build(entry: dict[str, Any], number: int) -> bytes:
    attachments = tuple(_attachment(n, c) for n, c in (entry.get("attachments") or {}).items())
    return make_email(entry["from"], entry["subject"], entry["body"],
                      to=entry.get("to", "submissions@journal.example.org"),
                      attachments=attachments, message_id=f"<labelled-{number}@test>",
                      headers=entry.get("headers"))


def evaluate(config: Path = REPO / "settings.toml", labelled: Path = LABELLED) -> Evaluation:
    entries: list[dict[str, Any]] = yaml.safe_load(labelled.read_text(encoding="utf-8"))
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        data.pop("imap", None)
        data["intake"] = {**data.get("intake", {}), "data_dir": str(Path(tmp) / "var"),
                          "templates_dir": str(REPO / "templates")}
        data["smtp"] = {"transport": "file", "file_dir": str(Path(tmp) / "sent"),
                        "from": data.get("smtp", {}).get("from", "Editors <ed@example.org>")}
        data["replies"] = {"max_per_sender": 1000, "max_per_run": 100000}
        app = Intake(settings_from_dict(data, Path(tmp) / "settings.toml"))
        try:
            report = RunReport()
            for number, entry in enumerate(entries):
                app.accept(RawMessage("file", f"labelled#{number}", build(entry, number)),
                           report)
            app.process_pending(report)
            guesses = {s.message_id: s for s in app.ledger.submissions()}
        finally:
            app.close()
    labels = list(dict.fromkeys(e["label"] for e in entries))
    result = Evaluation(labels)
    for number, entry in enumerate(entries):
        sub = guesses.get(f"<labelled-{number}@test>")
        if sub is None:
            guess = "(lost)"
        elif sub.status is Status.IGNORED:
            guess = "ignored"
        elif sub.status is Status.TRIAGE:
            guess = TRIAGE
        else:
            guess = sub.kind
        result.pairs.append((entry["subject"], entry["label"], guess))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "settings.toml")
    parser.add_argument("--set", type=Path, default=LABELLED, dest="labelled")
    args = parser.parse_args()
    result = evaluate(args.config, args.labelled)
    shown = (args.labelled.relative_to(REPO) if args.labelled.is_relative_to(REPO)
             else args.labelled)
    print(f"triage on {shown} ({len(result.pairs)} messages), kinds from {args.config.name}")
    print(result.report())


if __name__ == "__main__":
    main()
