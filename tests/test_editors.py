"""The editors' side through the real CLI: a submission's whole life against Dovecot and
aiosmtpd, transitions that are refused, two editors at once, the digest."""

from __future__ import annotations

import contextlib
import email
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx

from intake.demo.samples import DOCX, article_docx
from intake.demo.samples import email as make_email
from intake.ledger.store import read_front_matter
from tests.conftest import REPO, CliResult, ImapAccount, SmtpServer, eml_folder

Configure = Callable[..., Path]
Cli = Callable[..., CliResult]
AUTHOR = "Ana Author <author@uni.example.org>"
EDITORS = {"editors.ana": {"name": "Ana Lima", "email": "ana@journal.example.org"},
           "editors.ben": {"name": "Ben Okafor", "email": "ben@journal.example.org"}}
REASONS = {"reasons": {"out_of_scope": "It falls outside what our blog publishes."}}


def _mail(server: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default)
            for m in server.handler.messages]


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    result = cli("--config", config, "show", ref, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, (result.out, result.err)
    return result


def _submission(n: int, title: str = "Sleep on night shifts", sender: str = AUTHOR) -> bytes:
    return make_email(sender, f"Guest post: {title}",
                      "Dear editors, please find attached my guest post.",
                      attachments=((f"article{n}.docx", DOCX, article_docx(title)),),
                      message_id=f"<sub{n}@uni.example.org>")


def test_a_submissions_whole_life(
        imap: ImapAccount, smtp_factory: Callable[..., SmtpServer], make_config: Configure,
        cli: Cli, tmp_path: Path) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), imap=imap.settings(), **EDITORS, **REASONS)
    c = ("--config", config)
    imap.append(_submission(1))
    _ok(cli(*c, "poll"))
    (ack,) = _mail(smtp)
    ref = str(ack["X-Intake-Reference"])

    # Not yet in review: accepting is refused, with the way forward.
    early = cli(*c, "accept", ref, "--yes", "--as", "ana")
    assert early.code == 2
    assert f"{ref} is queued: it cannot be accepted" in early.err
    assert f"intake review {ref}" in early.err

    assigned = _ok(cli(*c, "assign", ref, "ana", "--as", "ben"))
    assert assigned.out.strip() == f"{ref}: assigned to ana (status in_review)"
    _ok(cli(*c, "note", ref, "Strong opening; check the statistics.", "--as", "ana"))
    asked = _ok(cli(*c, "request-changes", ref, "--yes", "--as", "ana", "--message",
                    "Please add two references for the statistics in the second section."))
    assert "sent back for changes by Ana Lima" in asked.out and "queued" in asked.out
    assert len(_mail(smtp)) == 1  # queued, not sent: the next poll (or send) delivers
    _ok(cli(*c, "send"))
    changes = _mail(smtp)[1]
    assert changes["To"] == AUTHOR and changes["Subject"].startswith(f"[{ref}] Changes")
    assert changes["In-Reply-To"] == "<sub1@uni.example.org>"
    assert changes["Auto-Submitted"] is None  # a person decided: not an auto-reply
    assert "Please add two references" in _text(changes) and "Ana Lima" in _text(changes)
    assert _show(cli, config, ref)["status"] == "changes_requested"
    assert cli(*c, "accept", ref, "--yes", "--as", "ana").code == 2

    # The author answers the decision with a new version: revision 2, back in the queue.
    imap.append(make_email(AUTHOR, f"Re: {changes['Subject']}", "Here it is, with references.",
                           attachments=(("article-v2.docx", DOCX,
                                         article_docx("Sleep on night shifts, v2")),),
                           message_id="<v2@uni.example.org>",
                           headers={"In-Reply-To": str(changes["Message-ID"]),
                                    "References": str(changes["Message-ID"])}))
    _ok(cli(*c, "poll"))
    shown = _show(cli, config, ref)
    assert (shown["status"], shown["revision"], shown["assignee"]) == ("queued", 2, "ana")
    assert _mail(smtp)[2]["Subject"].startswith(f"[{ref}] Revision 2 received")

    _ok(cli(*c, "review", ref, "--as", "ana"))
    accepted = _ok(cli(*c, "accept", ref, "-y", "--as", "ana", "-m", "Lovely work."))
    assert "accepted by Ana Lima" in accepted.out
    _ok(cli(*c, "poll"))
    _ok(cli(*c, "send"))  # nothing left to send: never twice
    mails = _mail(smtp)
    assert [m["Subject"].split("]")[1].split(":")[0].strip() for m in mails] == \
        ["Guest post received", "Changes requested", "Revision 2 received", "Accepted"]
    assert "Lovely work." in _text(mails[3])
    again = cli(*c, "accept", ref, "-y", "--as", "ben")
    assert again.code == 2 and f"{ref} is accepted" in again.err

    out = tmp_path / "publish"
    exported = _ok(cli(*c, "export", ref, "--to", out, "--format", "all", "--as", "ana"))
    bundle = out / ref
    assert exported.out.splitlines()[0] == str(bundle)
    front = read_front_matter(bundle / f"{ref}.md")
    assert front["status"] == "accepted" and front["title"] == "Sleep on night shifts, v2"
    page = (bundle / f"{ref}.html").read_text()
    assert "<h1>Sleep on night shifts, v2</h1>" in page and "<script" not in page
    assert any((bundle / "assets").iterdir())
    word = docx.Document(str(bundle / f"{ref}.docx"))
    assert any("Sleep on night shifts, v2" in p.text for p in word.paragraphs)
    assert word.inline_shapes, "the article's image is in the Word file"
    kept = cli(*c, "export", ref, "--to", out, "--as", "ana")
    assert kept.code == 2 and "add --force" in kept.err  # an earlier export is kept
    with contextlib.chdir(tmp_path):  # a relative --to is kept in the history as absolute
        _ok(cli(*c, "export", ref, "--to", "publish", "--force", "--as", "ana"))
    assert _show(cli, config, ref)["history"][-1]["to"] == str(bundle)

    # The whole story, in order.
    history = [(e["event"], e["actor"], e.get("decision") or e.get("after") or "")
               for e in _show(cli, config, ref)["history"]]
    story = [h for h in history if h[0] in ("received", "assigned", "noted", "decided",
                                            "revised", "email delivered", "exported")]
    assert [s[0] for s in story] == [
        "received", "email delivered", "assigned", "noted", "decided", "email delivered",
        "revised", "email delivered", "decided", "email delivered", "exported", "exported"]
    assert ("decided", "ana", "changes_requested") in story
    assert ("decided", "ana", "accepted") in story
    text = _ok(cli(*c, "show", ref)).out
    assert "assignee:  ana" in text and "noted (text=Strong opening" in text
    assert "decision-2-accepted (accepted) to author@uni.example.org: sent" in text


def _local(make_config: Configure, tmp_path: Path, cli: Cli, *messages: bytes,
           **sections: dict[str, Any]) -> tuple[Path, list[str]]:
    """A ledger with these submissions, ingested from files; mail goes to .eml files."""
    config = make_config(**{**EDITORS, **REASONS, **sections})
    ingested = cli("--config", config, "ingest", eml_folder(tmp_path, messages))
    assert ingested.code in (0, 1), ingested.err  # 1: something was quarantined
    rows = [json.loads(line) for line in
            cli("--config", config, "queue", "--status", "all", "--json").out.splitlines()]
    return config, [r["reference"] for r in rows]


def test_refused_steps_say_why_and_change_nothing(
        make_config: Configure, cli: Cli, tmp_path: Path) -> None:
    config, (ref,) = _local(make_config, tmp_path, cli, _submission(1))
    c = ("--config", config)

    def refused(*args: str, says: str, code: int = 2) -> None:
        result = cli(*c, *args)
        assert result.code == code, (args, result.out)
        assert says in result.err, (args, result.err)

    refused("request-changes", ref, "-y", "--as", "ana", says="is queued: it cannot be sent "
            "back for changes (from queued it can become in_review, rejected, withdrawn)")
    refused("accept", ref, "-y", "--as", "zoe", says="'zoe' (--as) is not an editor")
    refused("assign", ref, "zoe", "--as", "ana", says="'zoe' is not an editor")
    refused("reject", ref, "-y", "--as", "ana", "--reason", "boring",
            says="the reasons are out_of_scope")
    # A reference that does not exist has its own exit code (4).
    refused("accept", "JPMS-2026-9999", "-y", "--as", "ana", says="no submission", code=4)
    refused("note", ref, "  ", "--as", "ana", says="an empty note")
    refused("reject", ref, "--as", "ana", says="without a terminal: add --yes")
    refused("retry", ref, "--as", "ana", says="is queued, not quarantined")
    assert _show(cli, config, ref)["status"] == "queued"
    assert not list((config.parent / "sent").glob("*decision*"))

    # Rejected with a reason, silently, then nothing more is possible.
    _ok(cli(*c, "reject", ref, "--as", "ben", "--reason", "out_of_scope", "--no-email"))
    refused("withdraw", ref, "-y", "--as", "ana", says="is rejected: it cannot be withdrawn "
            "(from rejected it can become nothing: final)")
    refused("assign", ref, "ana", "--as", "ana", says="nothing left to assign")
    shown = _show(cli, config, ref)
    assert shown["status"] == "rejected" and shown["reason"] == "out_of_scope"
    decided = [e for e in shown["history"] if e["event"] == "decided"]
    assert decided == [{**decided[0], "decision": "rejected", "email": False,
                        "reason": "out_of_scope", "actor": "ben"}]
    assert not [o for o in shown["outbox"] if o["purpose"].startswith("decision")]


def test_two_editors_deciding_at_once_one_wins(
        make_config: Configure, cli: Cli, tmp_path: Path) -> None:
    config, (ref, ref2) = _local(make_config, tmp_path, cli, _submission(1),
                                 _submission(2, "Ward rounds"))
    _ok(cli("--config", config, "assign", ref, "ana", "--as", "ana"))

    # Both read the submission in review and render their emails; Ana commits first.
    from intake.core.config import load_settings
    from intake.editors.decisions import commit, prepare
    from intake.editors.workflow import WorkflowError, actor_for
    from intake.pipeline.run import Intake

    settings = load_settings(config)
    app = Intake(settings)
    try:
        ana = prepare(app.ledger, settings, app.notices, ref, "accept",
                      actor_for(settings, "ana"))
        ben = prepare(app.ledger, settings, app.notices, ref, "reject",
                      actor_for(settings, "ben"), reason="out_of_scope")
        commit(app.ledger, settings, ana)
        try:
            commit(app.ledger, settings, ben)
            raise AssertionError("the second decision must not stand")
        except WorkflowError as exc:
            message = str(exc)
    finally:
        app.close()
    assert message.startswith(f"{ref} became accepted by ana at ")
    assert "nothing of yours was recorded and no email was queued" in message

    # And as two real processes racing: exactly one decision, exactly one email.
    _ok(cli("--config", config, "assign", ref2, "ben", "--as", "ben"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config),
                               action, ref2, "--yes", "--as", who], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for action, who in (("accept", "ana"), ("reject", "ben"))]
    results = [(p.wait(timeout=60), p.stdout.read() if p.stdout else "",
                p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    loser = next(r for r in results if r[0] == 2)
    assert ref2 in loser[2] and ("became" in loser[2] or "it cannot be" in loser[2])
    shown = _show(cli, config, ref2)
    assert len([e for e in shown["history"] if e["event"] == "decided"]) == 1
    assert len([o for o in shown["outbox"] if o["purpose"].startswith("decision")]) == 1


def test_the_digest_tells_each_editor_what_waits(
        smtp_factory: Callable[..., SmtpServer], make_config: Configure, cli: Cli,
        tmp_path: Path) -> None:
    smtp = smtp_factory("plain")
    config = make_config(smtp=smtp.settings(), intake={"max_message_bytes": 120_000},
                         **EDITORS, **REASONS)
    c = ("--config", config)
    big = make_email("Rui <rui@uni.example.org>", "Guest post: Too big", "Attached.",
                     attachments=(("big.docx", DOCX, article_docx("Big", paragraphs=5)
                                   + b"\0" * 150_000),), message_id="<big@x>")
    ingested = cli(*c, "ingest", "--no-send",
                   eml_folder(tmp_path, [_submission(1, "Night shifts"),
                                         _submission(2, "Ward rounds"),
                                         _submission(3, "Exam stress"), big]))
    assert ingested.code == 1  # one quarantined: it needs a person
    refs = {r["title"]: r["reference"] for r in
            map(json.loads, cli(*c, "queue", "--status", "all", "--json").out.splitlines())}
    _ok(cli(*c, "assign", refs["Night shifts"], "ana", "--as", "ana"))
    _ok(cli(*c, "assign", refs["Exam stress"], "ben", "--as", "ben"))
    _ok(cli(*c, "request-changes", refs["Exam stress"], "-y", "--no-email", "--as", "ben"))
    # A text reply is kept as correspondence without an automatic answer: a person must
    # hear of it.
    question = make_email(AUTHOR, f"Re: [{refs['Ward rounds']}] received",
                          "Could I add a photo of the ward? Thanks, Ana", message_id="<q@x>")
    _ok(cli(*c, "ingest", "--no-send", eml_folder(tmp_path, [question])))

    printed = _ok(cli(*c, "digest", "--print", "--editor", "ana")).out
    assert "Subject: The Test Journal digest: 4 items for you" in printed
    smtp.handler.messages.clear()
    sent = _ok(cli(*c, "digest"))
    assert sent.out.strip() == "digests: sent 2 · nothing to report 0 · failed 0"
    by_editor = {str(m["To"]): _text(m) for m in _mail(smtp)}
    ana = by_editor["Ana Lima <ana@journal.example.org>"]
    ben = by_editor["Ben Okafor <ben@journal.example.org>"]

    def section(text: str, title: str) -> str:
        start = text.index(title)
        end = text.find("\n\n\n", start)
        return text[start:end if end > 0 else None]

    assert refs["Night shifts"] in section(ana, "Waiting on you (1)")
    assert "Waiting on you" not in ben  # Ben's one is with the author
    assert refs["Ward rounds"] in section(ben, "Waiting for an editor (nobody assigned) (1)")
    assert refs["Exam stress"] in section(ana, "Waiting on authors (changes requested) (1)")
    replies = section(ben, "Replies from authors (kept as correspondence, not answered) (1)")
    assert refs["Ward rounds"] in replies and "Could I add a photo of the ward?" in replies
    assert "over the 120,000 byte limit" in section(ben, "Quarantined")
    assert "New since your last digest (4)" in ana
    assert all(m["Auto-Submitted"] == "auto-generated" for m in _mail(smtp))

    # A day later, the next digest has nothing new, but still what waits.
    with sqlite3.connect(config.parent / "var" / "intake.sqlite3") as db:
        db.execute("UPDATE submissions SET received = '2026-01-05T10:00:00+00:00'")
    smtp.handler.messages.clear()
    _ok(cli(*c, "digest", "--editor", "ana"))
    (again,) = _mail(smtp)
    assert "New since" not in _text(again) and "Waiting on you (1)" in _text(again)


def test_retry_after_the_cause_is_fixed(make_config: Configure, cli: Cli,
                                        tmp_path: Path) -> None:
    big = make_email(AUTHOR, "Guest post: Long one", "Attached.",
                     attachments=(("long.docx", DOCX, article_docx("Long one", paragraphs=30)),),
                     message_id="<long@x>")
    config, (ref,) = _local(make_config, tmp_path, cli, big,
                            intake={"max_message_bytes": 20_000})
    c = ("--config", config)
    assert _show(cli, config, ref)["status"] == "quarantined"
    still = cli(*c, "retry", ref, "--as", "ana")
    assert still.code == 1 and "still quarantined" in still.out and "20,000" in still.out
    raised = config.read_text().replace("max_message_bytes = 20000",
                                        "max_message_bytes = 2000000")
    assert raised != config.read_text()
    config.write_text(raised)
    done = _ok(cli(*c, "retry", ref, "--as", "ana"))
    assert done.out.startswith(f"{ref}: drafted:")
    shown = _show(cli, config, ref)
    assert shown["status"] == "queued" and shown["title"] == "Long one"
    assert shown["author_email"] == "author@uni.example.org"
    assert [e["result"] for e in shown["history"] if e["event"] == "retried"] == \
        ["still quarantined", "drafted"]
    assert (Path(shown["draft"]) / "draft.md").is_file()
    assert any(o["template"] == "received_guest_post" for o in shown["outbox"])


def test_purge_forgets_the_files_and_keeps_the_story(
        make_config: Configure, cli: Cli, tmp_path: Path) -> None:
    config, (old, recent) = _local(make_config, tmp_path, cli, _submission(1, "Old one"),
                                   _submission(2, "Recent one"),
                                   review={"retention_days": 30})
    c = ("--config", config)
    for ref in (old, recent):
        _ok(cli(*c, "reject", ref, "--no-email", "--as", "ana"))
    ledger = config.parent / "var" / "intake.sqlite3"
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE submissions SET decided_at = '2026-01-01T00:00:00+00:00' "
                   "WHERE reference = ?", (old,))
    shown = _show(cli, config, old)
    raw, draft = [Path(p) for p in shown["raw"]], Path(shown["draft"])
    assert all(p.is_file() for p in raw) and draft.is_dir()

    listed = _ok(cli(*c, "purge", "--dry-run"))
    assert f"would purge {old}" in listed.out and recent not in listed.out
    assert draft.is_dir()
    _ok(cli(*c, "purge"))
    assert not draft.exists() and not any(p.exists() for p in raw)
    after = _show(cli, config, old)
    assert after["purged_at"] and after["status"] == "rejected" and after["draft"] is None
    assert [e["event"] for e in after["history"]][-1] == "purged"
    assert all(o["state"] != "pending" for o in after["outbox"])
    with sqlite3.connect(ledger) as db:
        bodies = db.execute("SELECT length(body) FROM outbox o JOIN submissions s ON "
                            "s.id = o.submission_id WHERE s.reference = ?", (old,)).fetchall()
    assert bodies and all(b[0] == 0 for b in bodies)
    assert cli(*c, "open", old).code == 2
    assert Path(_show(cli, config, recent)["draft"]).is_dir()  # within the retention
    assert "0 submission(s)" in _ok(cli(*c, "purge")).out  # nothing twice


def test_queue_filters_and_columns(make_config: Configure, cli: Cli, tmp_path: Path) -> None:
    config, refs = _local(make_config, tmp_path, cli, _submission(1, "First"),
                          _submission(2, "Second"), _submission(3, "Third"))
    c = ("--config", config)
    _ok(cli(*c, "assign", refs[0], "ana", "--as", "ana"))
    _ok(cli(*c, "assign", refs[1], "ben", "--as", "ana"))
    with sqlite3.connect(config.parent / "var" / "intake.sqlite3") as db:
        db.execute("UPDATE submissions SET received = '2026-01-05T10:00:00+00:00' "
                   "WHERE reference = ?", (refs[2],))

    def refs_for(*args: str, env_editor: str | None = None) -> list[str]:
        if env_editor:
            os.environ["INTAKE_EDITOR"] = env_editor
        try:
            out = _ok(cli(*c, "queue", "--json", *args)).out
        finally:
            os.environ.pop("INTAKE_EDITOR", None)
        return [json.loads(line)["reference"] for line in out.splitlines()]

    assert refs_for() == [refs[2], refs[0], refs[1]]  # oldest first
    assert refs_for("--assignee", "ana") == [refs[0]]
    assert refs_for("--assignee", "me", env_editor="ben") == [refs[1]]
    assert refs_for("--assignee", "none") == [refs[2]]
    assert refs_for("--older-than", "30") == [refs[2]]
    assert refs_for("--newer-than", "30") == [refs[0], refs[1]]
    assert refs_for("--status", "queued,in_review", "--kind", "guest_post",
                    "--limit", "2") == [refs[2], refs[0]]
    assert refs_for("--status", "accepted") == []
    row = json.loads(_ok(cli(*c, "queue", "--json", "--assignee", "ana")).out)
    assert {"reference", "kind", "status", "title", "author_email", "received", "message_id",
            "warnings", "assignee", "age_days", "word_count"} <= set(row)
    table = _ok(cli(*c, "queue")).out.splitlines()
    assert table[0].split() == ["REFERENCE", "KIND", "STATUS", "SENT", "AGE", "WORDS",
                                "WARN", "ASSIGNEE", "AUTHOR", "TITLE"]
    assert cli(*c, "queue", "--status", "done").code == 2
    assert cli(*c, "queue", "--kind", "essay").code == 2


def test_open_prints_the_draft_and_can_hand_it_to_a_viewer(
        make_config: Configure, cli: Cli, tmp_path: Path,
        monkeypatch: Any) -> None:
    config, (ref,) = _local(make_config, tmp_path, cli, _submission(1))
    path = Path(_ok(cli("--config", config, "open", ref)).out.strip())
    assert path.name == "draft.md" and path.is_file()
    # A stand-in for xdg-open that records what it was asked to open.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    viewer = bin_dir / "xdg-open"
    viewer.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'opened'}\n")
    viewer.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    _ok(cli("--config", config, "open", ref, "--view"))
    assert (tmp_path / "opened").read_text().strip() == str(path)


def test_a_decision_on_an_unsure_kind_does_not_name_one(
        make_config: Configure, cli: Cli, tmp_path: Path) -> None:
    bare = make_email("Kim <kim@u.example>", "Hello", "Hi, attached.",
                      attachments=(("doc.docx", DOCX, article_docx("Night shifts")),),
                      message_id="<bare@x>")
    # A model sure of nothing: every decision waits for an editor.
    config, (ref,) = _local(make_config, tmp_path, cli, bare, triage={"min_confidence": 100})
    assert _show(cli, config, ref)["status"] == "triage"
    _ok(cli("--config", config, "reject", ref, "--yes", "--as", "ben"))
    _ok(cli("--config", config, "send"))
    (sent,) = (config.parent / "sent").glob("*decision-1-rejected.eml")
    text = _text(email.message_from_bytes(sent.read_bytes(), policy=policy.default))
    assert 'your submission, "Night shifts"' in text and "guest post" not in text.lower()
