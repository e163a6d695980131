"""Privacy flags as editors settle them, and the gate that holds a submission until they have.

The screen (drafts.privacy) flags what may identify a patient. Nothing leaves intake
(accept, export, publish) while a flag is open. An editor settles each one, under
their name, in one of two ways:

- removed: they edit the draft (a new version of draft.md, the earlier one kept under
  edits/), or the author sends a revision without it; either way the screen runs again
  on the new text, and what it no longer finds is gone;
- kept, with a reason: the flag stays in the draft's front matter and no longer holds
  the submission. A kept flag is known by what it flagged, so it stays kept in later
  versions that still hold it.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from intake.convert.markdown import count_words
from intake.core.config import Settings
from intake.drafts.privacy import Flag, screen
from intake.editors.workflow import Actor, WorkflowError, find
from intake.ledger import Ledger, Submission
from intake.ledger.desk import KeptFlag
from intake.ledger.events import EventName
from intake.ledger.store import read_draft, render_draft, write_atomic

PRIVACY_WARNING = "Possible patient identifier"
MIN_REASON = 8  # characters: "ok" is not a reason
MAX_DRAFT = 4 * 1024 * 1024  # bytes of Markdown an editor's edit may hold


class PrivacyOpen(WorkflowError):
    """A step that would let the draft leave intake while a privacy flag is open."""


@dataclass(frozen=True)
class FlagView:
    key: str  # stable: what was flagged, not where (see flag_key)
    number: int  # 1, 2, …: as `intake privacy REF` and the desk list them
    what: str
    where: str
    excerpt: str
    match: str
    kept: KeptFlag | None

    @property
    def open(self) -> bool:
        return self.kept is None


def flag_key(what: str, match: str, excerpt: str) -> str:
    """A flag's name across versions: the kind of identifier and the words flagged."""
    digest = hashlib.sha256(f"{what}\0{match or excerpt}".encode()).hexdigest()
    return digest[:10]


def flags_of(ledger: Ledger, settings: Settings, sub: Submission) -> list[FlagView]:
    """The current draft's flags, each with the editor's decision to keep it, if any."""
    draft = _draft_path(settings, sub)
    if draft is None:
        return []
    listed = read_draft(draft)[0].get("privacy")
    kept = ledger.kept_flags(sub.id)
    views: list[FlagView] = []
    seen: set[str] = set()
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        what, match = str(item.get("what", "")), str(item.get("match", ""))
        excerpt = str(item.get("excerpt", ""))
        key = flag_key(what, match, excerpt)
        if key in seen:
            continue
        seen.add(key)
        views.append(FlagView(key, len(views) + 1, what, str(item.get("where", "")),
                              excerpt, match, kept.get(key)))
    return views


def require_clear(ledger: Ledger, settings: Settings, sub: Submission, doing: str) -> None:
    """Refuse a step (accepted, exported, published) while a flag is open."""
    still = [f for f in flags_of(ledger, settings, sub) if f.open]
    if not still:
        return
    listed = "; ".join(f"[{f.number}] {f.what} in {f.where}: \"{f.excerpt}\""
                       for f in still[:3]) + ("; …" if len(still) > 3 else "")
    raise PrivacyOpen(
        f"{sub.reference} cannot be {doing}: {len(still)} privacy flag(s) open ({listed}). "
        "Settle each first: on the desk, edit the draft to remove it or keep it with a "
        f"reason; or intake privacy {sub.reference} --keep N \"reason\"")


def find_flag(ledger: Ledger, settings: Settings, sub: Submission, which: str) -> FlagView:
    """A flag by its number in the list or by its key."""
    flags = flags_of(ledger, settings, sub)
    for flag in flags:
        if which.strip() in (str(flag.number), flag.key):
            return flag
    listed = ", ".join(f"{f.number} ({f.key})" for f in flags) or "none"
    raise WorkflowError(f"{sub.reference} has no privacy flag {which!r}; its flags are "
                        f"{listed} (intake privacy {sub.reference})")


def keep(ledger: Ledger, settings: Settings, reference: str, which: str, reason: str,
         actor: Actor) -> FlagView:
    """Keep a flagged passage, for a reason the history records under the editor's name."""
    sub = find(ledger, reference)
    flag = find_flag(ledger, settings, sub, which)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise WorkflowError(f"say why {flag.what} in {flag.where} may stay (at least "
                            f"{MIN_REASON} characters): for example \"the patient consented "
                            "in writing; consent form on file\"")
    with ledger.transaction():
        ledger.keep_flag(sub.id, flag.key, flag.what, flag.excerpt, reason[:500], actor.id)
        ledger.add_event(EventName.PRIVACY_RESOLVED, submission_id=sub.id, actor=actor.id,
                         flag=flag.key, what=flag.what, how="kept", reason=reason[:500])
    return flag


@dataclass(frozen=True)
class Edited:
    sub: Submission
    edit: int  # the number of this edit; the draft before it is kept as edits/N.md
    removed: list[FlagView]  # flags the edit took out
    found: list[Flag]  # what the screen finds in the new text


def edit_draft(ledger: Ledger, settings: Settings, reference: str, markdown: str,
               actor: Actor) -> Edited:
    """Replace the draft's Markdown with an editor's version: the earlier draft is kept
    under edits/N.md, the screen and the word count run again, and each flag that the new
    text no longer holds is recorded as removed by this editor."""
    sub = find(ledger, reference)
    draft = _draft_path(settings, sub)
    if draft is None:
        raise WorkflowError(f"{sub.reference} has no draft to edit")
    body = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if len(body.encode("utf-8", "surrogatepass")) > MAX_DRAFT:
        raise WorkflowError(f"the edited draft is over {MAX_DRAFT // (1024 * 1024)} MiB")
    if "\x00" in body:
        raise WorkflowError("the edited draft holds a NUL character")
    front, old_body = read_draft(draft)
    if body.strip() == old_body.strip():
        raise WorkflowError("the draft is unchanged: nothing to save")
    before = flags_of(ledger, settings, sub)
    found = screen(body, sub.author_email, sub.author_name)
    now_keys = {flag_key(f.what, f.match, f.excerpt) for f in found}
    removed = [f for f in before if f.key not in now_keys]
    warnings = [w for w in sub.warnings if not w.startswith(PRIVACY_WARNING)]
    warnings += [f.sentence() for f in found]
    words = count_words(body)
    with ledger.transaction():
        number = ledger.count_events(sub.id, EventName.EDITED) + 1
        kept_copy = draft.parent / "edits" / f"{number}.md"
        kept_copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(draft, kept_copy)
        front.update(privacy=[f.as_dict() for f in found], warnings=warnings,
                     word_count=words, edited={"by": actor.id, "edit": number})
        ledger.update_submission(sub.id, warnings=warnings, word_count=words)
        ledger.add_event(EventName.EDITED, submission_id=sub.id, actor=actor.id,
                         edit=number, words_before=count_words(old_body), words_after=words,
                         kept_as=f"edits/{number}.md")
        for flag in removed:
            ledger.add_event(EventName.PRIVACY_RESOLVED, submission_id=sub.id,
                             actor=actor.id, flag=flag.key, what=flag.what, how="removed",
                             edit=number)
        # Last, so that a failure before it leaves the draft as it was.
        write_atomic(draft, render_draft(front, body).encode())
    return Edited(find(ledger, reference), number, removed, found)


def _draft_path(settings: Settings, sub: Submission) -> Path | None:
    if not sub.draft_dir or sub.purged_at:
        return None
    path = settings.data_dir / sub.draft_dir / "draft.md"
    return path if path.is_file() else None
