"""The ledger's schema, as numbered, named migration steps.

Each step runs once, in order, in one transaction, and PRAGMA user_version records
the last one done: an upgrade cut short stops at the last whole step. A step may
also carry data along (fill a new table from what the data folder already holds).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from intake.core.addresses import address_key
from intake.ledger.fulltext import index_text
from intake.ledger.store import read_front_matter


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str
    # Data carried along after the SQL: (connection, the ledger's path).
    carry: Callable[[sqlite3.Connection, Path], None] | None = None


def _files_from_drafts(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 3 brought `files`, by which a manuscript sent again is recognised: fill it
    for earlier submissions from the sha256 their drafts' front matter kept. Data
    folders sit next to the ledger; a draft missing or unreadable is skipped (that
    submission is still found by the headers of a reply)."""
    rows = db.execute(
        "SELECT s.id, s.draft_dir, min(m.id) FROM submissions s LEFT JOIN messages m "
        "ON m.submission_id = s.id WHERE s.draft_dir IS NOT NULL GROUP BY s.id")
    for submission_id, draft_dir, message_row in rows.fetchall():
        try:
            front = read_front_matter(ledger.parent / draft_dir / "draft.md")
        except (OSError, ValueError, yaml.YAMLError):
            continue
        sources = front.get("source_files")
        db.executemany(
            "INSERT INTO files (submission_id, revision, message_row, name, role, sha256) "
            "VALUES (?, 1, ?, ?, ?, ?)",
            [(submission_id, message_row, str(f.get("name", "")), str(f.get("role", "")),
              str(f["sha256"]))
             for f in (sources if isinstance(sources, list) else [])
             if isinstance(f, dict) and f.get("sha256")])


def _recipient_keys(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 5: the per-sender limit counts by mailbox (see address_key)."""
    rows = db.execute("SELECT id, recipient FROM outbox").fetchall()
    db.executemany("UPDATE outbox SET recipient_key = ? WHERE id = ?",
                   [(address_key(r[1]), r[0]) for r in rows])


def _sent_at_from_drafts(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 7 mends step 6, which was edited after it shipped: a ledger made between the
    two edits is at schema 6 without submissions.sent_at. The column is added where it
    is missing, and filled where empty from each draft's front matter (`sent:`), as the
    upgrade notes promise; a draft missing or unreadable leaves it empty (received then
    stands in for it)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(submissions)")}
    if "sent_at" not in columns:
        db.execute("ALTER TABLE submissions ADD COLUMN sent_at TEXT")
    rows = db.execute("SELECT id, draft_dir, received FROM submissions WHERE sent_at IS NULL "
                      "AND draft_dir IS NOT NULL").fetchall()
    for submission_id, draft_dir, received in rows:
        try:
            sent = read_front_matter(ledger.parent / draft_dir / "draft.md").get("sent")
        except (OSError, ValueError, yaml.YAMLError):
            continue
        if not sent:
            continue
        # YAML may read an ISO time as a datetime: kept as text, never after arrival.
        text = sent.isoformat() if hasattr(sent, "isoformat") else str(sent)
        db.execute("UPDATE submissions SET sent_at = ? WHERE id = ?",
                   (min(text, received) if text[:4].isdigit() else None, submission_id))


def _index_everything(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 8: index every submission there is, from the ledger and its draft."""
    for (submission_id,) in db.execute("SELECT id FROM submissions ORDER BY id").fetchall():
        index_text(db, ledger, submission_id)


def _statistics(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 9: statistics for the query planner, so that the queue's filters choose the
    right index from the start (a bounded sample; PRAGMA optimize keeps them current)."""
    db.execute("PRAGMA analysis_limit = 400")
    db.execute("ANALYZE")


def _signatures(db: sqlite3.Connection, ledger: Path) -> None:
    """Step 11: the similarity signature of every draft kept, so that new submissions are
    compared with the old ones too."""
    from intake.ledger.store import read_body
    from intake.medical.similarity import bands, signature

    rows = db.execute("SELECT id, draft_dir FROM submissions WHERE draft_dir IS NOT NULL "
                      "AND purged_at IS NULL ORDER BY id").fetchall()
    for submission_id, draft_dir in rows:
        try:
            values = signature(read_body(ledger.parent / draft_dir / "draft.md"))
        except (OSError, ValueError):
            continue
        if values is None:
            continue
        db.execute("INSERT OR REPLACE INTO similarity (submission_id, minhash) VALUES (?, ?)",
                   (submission_id, values.tobytes()))
        db.executemany("INSERT INTO similarity_bands (band, hash, submission_id) VALUES "
                       "(?, ?, ?)", [(band, key, submission_id)
                                     for band, key in enumerate(bands(values))])


MIGRATIONS: tuple[Migration, ...] = (
    # 1: the first schema
    Migration("first schema", """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        origin TEXT NOT NULL,
        raw_path TEXT NOT NULL,
        size INTEGER NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        reason TEXT,
        submission_id INTEGER REFERENCES submissions(id),
        fetched_at TEXT NOT NULL,
        processed_at TEXT
    );
    CREATE INDEX messages_state ON messages(state);
    CREATE INDEX messages_message_id ON messages(message_id);

    CREATE TABLE reference_counters (
        prefix TEXT NOT NULL,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (prefix, year)
    );

    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        subject TEXT NOT NULL,
        received TEXT NOT NULL,
        message_id TEXT NOT NULL,
        word_count INTEGER NOT NULL,
        warnings TEXT NOT NULL,
        classification TEXT NOT NULL,
        reason TEXT,
        draft_dir TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_status ON submissions(status, received);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        purpose TEXT NOT NULL,
        template TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (submission_id, purpose)
    );
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        message_row INTEGER REFERENCES messages(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_submission ON events(submission_id, id);
    """),
    # 2: IMAP polling: a cursor per mailbox, which UID became which message, and how each
    # server has been answering (for back-off).
    Migration("imap polling", """
    CREATE TABLE mailboxes (
        name TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL,
        since TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE imap_uids (
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        message_row INTEGER NOT NULL REFERENCES messages(id),
        done_at TEXT,
        done_how TEXT,
        PRIMARY KEY (mailbox, uidvalidity, uid)
    );
    CREATE INDEX imap_uids_undone ON imap_uids(mailbox, uidvalidity, done_at);
    CREATE TABLE server_health (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_error TEXT,
        next_try_at TEXT
    );
    """),
    # 3: threads and revisions: which files each revision brought (duplicates are found by
    # hash), replies found by our own Message-IDs, bounces, acknowledgements per sender.
    Migration("files of revisions", """
    ALTER TABLE submissions ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE outbox ADD COLUMN bounce TEXT;
    CREATE INDEX outbox_message_id ON outbox(message_id);
    CREATE INDEX outbox_recipient ON outbox(recipient, created_at);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        revision INTEGER NOT NULL,
        message_row INTEGER REFERENCES messages(id),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        sha256 TEXT NOT NULL
    );
    CREATE INDEX files_sha256 ON files(sha256);
    CREATE INDEX files_submission ON files(submission_id, revision);
    """, _files_from_drafts),
    # 4: the editors' side: who has a submission, when it was decided, when its files were
    # purged, and when each editor last had a digest.
    Migration("editors", """
    ALTER TABLE submissions ADD COLUMN assignee TEXT;
    ALTER TABLE submissions ADD COLUMN decided_at TEXT;
    ALTER TABLE submissions ADD COLUMN purged_at TEXT;
    CREATE INDEX submissions_assignee ON submissions(assignee, status, received);
    CREATE INDEX submissions_kind ON submissions(kind, status, received);
    CREATE INDEX submissions_decided ON submissions(status, decided_at);
    CREATE INDEX events_recent ON events(event, at);
    CREATE TABLE digests (
        editor TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL
    );
    """),
    # 5: promises under attack. A message's identity is what it says (fingerprint), not its
    # Message-ID; a message whose processing was cut short is counted (attempts); the per-
    # sender limit counts a mailbox, not its +tags (recipient_key, filled in Python); who
    # besides the author may revise a submission (authors).
    Migration("promises under attack", """
    ALTER TABLE messages ADD COLUMN fingerprint TEXT;
    ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_fingerprint ON messages(fingerprint);
    ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
    CREATE INDEX outbox_recipient_key ON outbox(recipient_key, created_at);
    CREATE TABLE authors (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        email TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, email)
    );
    """, _recipient_keys),
    # 6: the desk: what each editor chose to be emailed about at once, and when a
    # submission's mail was sent (its Date, no later than it arrived).
    Migration("the desk", """
    ALTER TABLE submissions ADD COLUMN sent_at TEXT;
    CREATE TABLE notifications (
        editor TEXT PRIMARY KEY,
        follows TEXT NOT NULL,
        notify_assigned INTEGER NOT NULL,
        changed_at TEXT NOT NULL
    );
    """),
    # 7: trust on the desk. Each submission has a version that every change an editor
    # could act on raises, so a form made from an older page is refused; each form that
    # sends mail is used once; sessions live here (only a hash of their token), as do
    # invitation and reset links (hashes too), editors invited from the desk, and each
    # privacy flag an editor chose to keep, with the reason. A message's sender, subject
    # and text as read are kept (shown) for the desk's thread, which never parses again.
    Migration("trust on the desk", """
    ALTER TABLE submissions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE messages ADD COLUMN shown TEXT;
    CREATE TABLE form_uses (
        token TEXT PRIMARY KEY,
        editor TEXT NOT NULL,
        submission_id INTEGER REFERENCES submissions(id),
        action TEXT NOT NULL,
        used_at TEXT NOT NULL
    );
    CREATE TABLE desk_sessions (
        token_hash TEXT PRIMARY KEY,
        editor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        address TEXT NOT NULL,
        agent TEXT NOT NULL,
        second_factor INTEGER NOT NULL DEFAULT 0,
        ended_at TEXT,
        ended_why TEXT
    );
    CREATE INDEX desk_sessions_editor ON desk_sessions(editor, ended_at);
    CREATE TABLE desk_links (
        token_hash TEXT PRIMARY KEY,
        editor TEXT NOT NULL,
        purpose TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE desk_editors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        invited_by TEXT NOT NULL,
        invited_at TEXT NOT NULL
    );
    CREATE TABLE privacy_kept (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        flag TEXT NOT NULL,
        what TEXT NOT NULL,
        excerpt TEXT NOT NULL,
        reason TEXT NOT NULL,
        editor TEXT NOT NULL,
        kept_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, flag)
    );
    """, _sent_at_from_drafts),
    # 8: full-text search over what editors read (ledger.search), accents and case
    # ignored; built here for what the data folder already holds. Saved replies: an
    # editor's own (owner) or everyone's (owner NULL).
    Migration("search", """
    CREATE VIRTUAL TABLE search USING fts5(
        reference, title, author, body, messages, notes,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE saved_replies (
        id INTEGER PRIMARY KEY,
        owner TEXT,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """, _index_everything),
    # 9: an editor's saved views of the queue (a name for a search and its filters);
    # the queue of every status in the orders it is read in (received, sent, title,
    # author), from an index rather than a sort of the whole table.
    Migration("saved views", """
    CREATE INDEX submissions_received ON submissions(received, id);
    CREATE INDEX submissions_sent ON submissions(coalesce(sent_at, received), id);
    CREATE INDEX submissions_title ON submissions(lower(title), id);
    CREATE INDEX submissions_author ON submissions(
        lower(coalesce(nullif(author_name, ''), author_email)), id);
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (owner, name)
    );
    """, _statistics),
    # 10: contests: each entry's contest and its state, the judges each entry is given
    # to, the links judges and outside readers score through (only the token's hash is
    # kept), and their scores and comments. The outbox rebuilt so that an email may
    # belong to no submission (a judge's invitation), each such purpose once.
    Migration("contests", """
    CREATE TABLE contest_entries (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        contest TEXT NOT NULL,
        state TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        blind_sha256 TEXT,
        confirmed_by TEXT,
        confirmed_at TEXT,
        award TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX contest_entries_contest ON contest_entries(contest, state);
    CREATE TABLE judge_assignments (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        reader TEXT NOT NULL,
        contest TEXT NOT NULL,
        assigned_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, reader)
    );
    CREATE INDEX judge_assignments_reader ON judge_assignments(contest, reader);
    CREATE TABLE reader_links (
        token_hash TEXT PRIMARY KEY,
        contest TEXT,
        submission_id INTEGER REFERENCES submissions(id),
        reader TEXT NOT NULL,
        name TEXT NOT NULL,
        rubric TEXT NOT NULL,
        blind INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE INDEX reader_links_reader ON reader_links(reader, contest);
    CREATE TABLE scores (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        reader TEXT NOT NULL,
        criterion TEXT NOT NULL,
        score INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, reader, criterion)
    );
    CREATE TABLE score_comments (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        reader TEXT NOT NULL,
        comment TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (submission_id, reader)
    );
    CREATE TABLE outbox_rebuilt (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        purpose TEXT NOT NULL,
        template TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        bounce TEXT,
        recipient_key TEXT,
        UNIQUE (submission_id, purpose)
    );
    INSERT INTO outbox_rebuilt (id, submission_id, purpose, template, recipient, subject,
        message_id, body, state, attempts, last_error, next_attempt_at, created_at, sent_at,
        bounce, recipient_key)
    SELECT id, submission_id, purpose, template, recipient, subject, message_id, body, state,
        attempts, last_error, next_attempt_at, created_at, sent_at, bounce, recipient_key
    FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_rebuilt RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
    CREATE INDEX outbox_message_id ON outbox(message_id);
    CREATE INDEX outbox_recipient ON outbox(recipient, created_at);
    CREATE INDEX outbox_recipient_key ON outbox(recipient_key, created_at);
    CREATE UNIQUE INDEX outbox_once ON outbox(purpose) WHERE submission_id IS NULL;
    """),
    # 11: a manuscript's article type (medical.types), read from it or set by an editor;
    # each manuscript's MinHash signature and its bands (medical.similarity), made here
    # for the drafts already kept.
    Migration("article types and similarity", """
    ALTER TABLE submissions ADD COLUMN article_type TEXT;
    CREATE TABLE similarity (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        minhash BLOB NOT NULL
    );
    CREATE TABLE similarity_bands (
        band INTEGER NOT NULL,
        hash INTEGER NOT NULL,
        submission_id INTEGER NOT NULL REFERENCES submissions(id)
    );
    CREATE INDEX similarity_bands_hash ON similarity_bands(band, hash);
    CREATE INDEX similarity_bands_submission ON similarity_bands(submission_id);
    """, _signatures),
    # 12: the language an author is answered in (core.languages; NULL: the default), and
    # editors' corrections of a kind, each with what triage read, for `intake model
    # retrain`.
    Migration("languages and corrections", """
    ALTER TABLE submissions ADD COLUMN language TEXT;
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        before TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        document TEXT NOT NULL,
        title TEXT NOT NULL,
        files TEXT NOT NULL,
        sender TEXT NOT NULL,
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX corrections_submission ON corrections(submission_id);
    """),
    # 13: a submission's stage on its kind's own road after intake ([kinds.NAME] stages:
    # a sponsored article quoted, agreed, paid; an application shortlisted, interviewed,
    # offered), and a profile per author's address.
    Migration("stages and authors", """
    ALTER TABLE submissions ADD COLUMN stage TEXT;
    CREATE TABLE author_profiles (
        address_key TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        bio TEXT NOT NULL DEFAULT '',
        institution TEXT NOT NULL DEFAULT '',
        bio_from TEXT,
        edited_by TEXT,
        contributor INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    """),
)
