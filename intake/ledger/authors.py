"""A profile per author's address: the name, the bio and institution (read from their
"About the author", or set by an editor), and whether they joined as a contributor."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from intake.core.addresses import address_key
from intake.ledger.base import LedgerBase, now_iso


@dataclass(frozen=True)
class Author:
    address_key: str
    email: str
    name: str
    bio: str
    institution: str
    bio_from: str | None  # the reference the bio was read from; None: an editor's words
    edited_by: str | None
    contributor: bool
    updated_at: str


class Authors(LedgerBase):
    def author(self, email: str) -> Author | None:
        row = self.db.execute("SELECT * FROM author_profiles WHERE address_key = ?",
                              (address_key(email),)).fetchone()
        return _author(row) if row else None

    def authors(self) -> list[Author]:
        rows = self.db.execute("SELECT * FROM author_profiles ORDER BY lower(name), "
                               "email").fetchall()
        return [_author(row) for row in rows]

    def remember_author(self, email: str, name: str, bio: str, institution: str,
                        reference: str) -> None:
        """What a submission says of its author; a name, bio or institution an editor set
        is never replaced by what a later submission says."""
        key = address_key(email)
        self.db.execute(
            "INSERT INTO author_profiles (address_key, email, name, bio, institution, bio_from, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address_key) DO UPDATE SET "
            "name = CASE WHEN edited_by IS NULL AND excluded.name != '' THEN excluded.name "
            "ELSE name END, "
            "bio = CASE WHEN edited_by IS NULL AND excluded.bio != '' THEN excluded.bio "
            "ELSE bio END, "
            "bio_from = CASE WHEN edited_by IS NULL AND excluded.bio != '' THEN "
            "excluded.bio_from ELSE bio_from END, "
            "institution = CASE WHEN edited_by IS NULL AND excluded.institution != '' THEN "
            "excluded.institution ELSE institution END, updated_at = excluded.updated_at",
            (key, email, name, bio, institution, reference if bio else None, now_iso()))

    def edit_author(self, email: str, *, name: str, bio: str, institution: str,
                    editor: str, contributor: bool | None = None) -> None:
        key = address_key(email)
        self.db.execute(
            "INSERT INTO author_profiles (address_key, email, name, bio, institution, edited_by, "
            "contributor, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(address_key) DO UPDATE SET name = excluded.name, bio = excluded.bio, "
            "institution = excluded.institution, bio_from = NULL, edited_by = "
            "excluded.edited_by, contributor = CASE WHEN ? IS NULL THEN contributor ELSE "
            "excluded.contributor END, updated_at = excluded.updated_at",
            (key, email, name, bio, institution, editor, int(bool(contributor)), now_iso(),
             None if contributor is None else int(contributor)))

    def make_contributor(self, email: str, name: str) -> None:
        self.db.execute(
            "INSERT INTO author_profiles (address_key, email, name, contributor, "
            "updated_at) VALUES (?, ?, ?, 1, ?) ON CONFLICT (address_key) DO UPDATE SET "
            "contributor = 1, updated_at = excluded.updated_at",
            (address_key(email), email, name, now_iso()))

    def submissions_of_author(self, email: str) -> list[tuple[str, str, str, str]]:
        """(reference, kind, status, title) of each submission from this address (its
        plus-addressed forms too), oldest first."""
        local, _, domain = email.lower().partition("@")
        base = local.partition("+")[0]
        rows = self.db.execute(
            "SELECT reference, kind, status, title, author_email FROM submissions WHERE "
            "lower(author_email) = ? OR lower(author_email) LIKE ? ESCAPE '\\' ORDER BY id",
            (f"{base}@{domain}", _like(base) + "+%@" + _like(domain))).fetchall()
        key = address_key(email)
        return [(r["reference"], r["kind"], r["status"], r["title"]) for r in rows
                if address_key(r["author_email"]) == key]

    def submissions_by_author(self) -> dict[str, list[tuple[str, str, str, str]]]:
        """address key → (reference, kind, status, title) of each submission, oldest first."""
        found: dict[str, list[tuple[str, str, str, str]]] = {}
        for row in self.db.execute("SELECT reference, kind, status, title, author_email FROM "
                                   "submissions ORDER BY id"):
            found.setdefault(address_key(row["author_email"]), []).append(
                (row["reference"], row["kind"], row["status"], row["title"]))
        return found


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _author(r: sqlite3.Row) -> Author:

    return Author(address_key=r["address_key"], email=r["email"], name=r["name"],
                  bio=r["bio"], institution=r["institution"], bio_from=r["bio_from"],
                  edited_by=r["edited_by"], contributor=bool(r["contributor"]),
                  updated_at=r["updated_at"])
