"""settings.toml → frozen, validated settings.

Each section is a frozen dataclass; a field's metadata carries its help text,
which is also what an error says was expected. Validation happens once, at
start, and every problem names the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import shlex
import subprocess
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date, datetime
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from intake.core.errors import SettingsError

if typing.TYPE_CHECKING:
    from intake.contests.settings import Contest
    from intake.medical.settings import TypeRule

Security = Literal["tls", "starttls", "plain"]
AfterProcessing = Literal["move", "keyword", "leave"]
Transport = Literal["smtp", "file"]
LinkBuying = Literal["ignore", "mark", "refuse"]
MAX_TERMS_BYTES = 5 * 1024 * 1024


def _opt(help: str, default: Any = MISSING, key: str | None = None) -> Any:
    """A settings field: help text, optional default, optional TOML key name."""
    meta = {"help": help, "key": key}
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """Where a password comes from; none of these puts the secret in the file."""

    username: str | None
    password_env: str | None
    password_file: Path | None
    password_command: str | None
    section: str

    @property
    def configured(self) -> bool:
        return any((self.password_env, self.password_file, self.password_command))

    def password(self) -> str:
        """Read the secret now (at connect time, never at start-up)."""
        where = f"[{self.section}]"
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise SettingsError(
                    f"{where} password_env names ${self.password_env}, which is not set"
                )
            return value
        if self.password_file:
            try:
                return self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SettingsError(
                    f"{where} password_file {self.password_file} cannot be read: {exc.strerror}"
                ) from exc
        if self.password_command:
            return _run_secret_command(self.password_command, f"{where} password_command")
        raise SettingsError(f"{where} has a username but no password_env, password_file "
                            "or password_command")


def _run_secret_command(command: str, what: str) -> str:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SettingsError(f"{what} could not run: {exc}") from exc
    if done.returncode != 0:
        # stderr may be useful ("gpg: decryption failed") and holds no secret.
        detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SettingsError(f"{what} exited with {done.returncode}: {detail[0]}")
    return done.stdout.rstrip("\r\n")


@dataclass(frozen=True, kw_only=True)
class IntakeSection:
    data_dir: Path = _opt("folder for the ledger, raw messages and drafts", Path("var"))
    reference_prefix: str = _opt(
        "2 to 10 capital letters or digits; references look like PREFIX-2026-0001", "JPMS"
    )
    publication: str = _opt("the publication's name, as authors know it", "our publication")
    templates_dir: Path | None = _opt(
        "folder of Jinja2 templates; the bundled templates when unset", None
    )
    max_message_bytes: int = _opt(
        "largest message processed, in bytes; larger ones are kept and quarantined",
        30 * 1024 * 1024,
    )
    message_seconds: float = _opt(
        "time the processing of one message may take; past it the message is quarantined",
        180.0)
    quiet_minutes: int = _opt(
        "with -q, a condition that heals by itself (another run holds the lock, a server "
        "backing off) prints nothing until it has lasted this long", 60)
    metrics_file: Path | None = _opt(
        "after each run, the figures of `intake status` in Prometheus text format, for "
        "node_exporter's textfile collector; none when unset", None)
    metrics_mode: str = _opt(
        "the metrics file's permissions, in octal: it holds counts, no mail; 0644 lets "
        "node_exporter, which runs as another user, read it", "0644")
    metrics_group: str | None = _opt(
        "a group to give the metrics file to (with metrics_mode = \"0640\", only that "
        "group reads it); unset: intake's own", None)
    group: str | None = _opt(
        "a Unix group whose members (editors, the desk's account) may read the data folder; "
        "unset: the data is this account's alone", None)


@dataclass(frozen=True, kw_only=True)
class ServerSection:
    """What IMAP and SMTP share: where the server is and how to log in."""

    host: str = _opt("the server's host name")
    port: int = _opt("TCP port, 1 to 65535")
    security: Security = _opt('"tls", "starttls", or "plain" (loopback only)', "tls")
    username: str | None = _opt("login name; no login when unset", None)
    password_env: str | None = _opt("environment variable that holds the password", None)
    password_file: Path | None = _opt("file whose first line is the password", None)
    password_command: str | None = _opt("command that prints the password", None)
    ca_file: Path | None = _opt("PEM file of CA certificates to trust instead of the system's",
                                None)
    timeout: float = _opt("seconds to wait for the server before giving up", 30.0)

    def credentials(self, section: str) -> Credentials:
        return Credentials(username=self.username, password_env=self.password_env,
                           password_file=self.password_file,
                           password_command=self.password_command, section=section)


@dataclass(frozen=True, kw_only=True)
class ImapSection(ServerSection):
    port: int = _opt("TCP port, 1 to 65535", 993)
    oauth2_token_command: str | None = _opt(
        "command that prints an OAuth2 access token (XOAUTH2 login instead of a password)",
        None)
    folder: str = _opt("folder to read submissions from", "INBOX")
    processed_folder: str = _opt("folder processed messages are moved to", "Intake/Processed")
    after: AfterProcessing = _opt(
        '"move" to processed_folder, "keyword" to flag in place, or "leave" (ledger only)',
        "move")
    keyword: str = _opt("the keyword set when after = \"keyword\"", "$IntakeDone")
    since: date | None = _opt(
        "a date (2026-11-01): messages that arrived before it are never taken", None)
    first_run_max: int = _opt(
        "on the first run, more messages than this already in the folder need --since "
        "or a yes on a terminal", 20)
    batch_size: int = _opt("messages fetched per FETCH command", 50)
    run_budget: float = _opt("seconds one poll may spend fetching before it stops for "
                             "this run", 240.0)


@dataclass(frozen=True, kw_only=True)
class SmtpSection(ServerSection):
    transport: Transport = _opt('"smtp", or "file" to write .eml files (demo, dry runs)',
                                "smtp")
    host: str = _opt("the server's host name", "localhost")
    port: int = _opt("TCP port, 1 to 65535", 465)
    sender: str = _opt('the From address, e.g. "Editorial team <submissions@example.org>"',
                       key="from")
    reply_to: str | None = _opt("Reply-To address; replies go to From when unset", None)
    file_dir: Path | None = _opt('folder for .eml files when transport = "file"', None)
    max_attempts: int = _opt("delivery attempts before a message is marked failed", 8)


@dataclass(frozen=True, kw_only=True)
class DraftsSection:
    min_body_words: int = _opt(
        "a message body at least this long is taken as the manuscript when nothing is attached",
        250,
    )
    convert_seconds: float = _opt("time one document may take to convert", 60.0)
    convert_memory_mb: int = _opt("memory one document's conversion may use, in MB", 1024)


@dataclass(frozen=True, kw_only=True)
class KindRule:
    """One kind of submission: the signals that point to it and the guidelines it is held to."""

    name: str
    label: str = _opt("how the kind is named to authors and editors")
    addresses: tuple[str, ...] = _opt("receiving addresses that mean this kind", ())
    subject: tuple[str, ...] = _opt("phrases in the subject that point to this kind", ())
    body: tuple[str, ...] = _opt("phrases in the body that point to this kind", ())
    attachments: tuple[str, ...] = _opt(
        "words in attachment file names that point to this kind (cv, resume)", ()
    )
    attachments_together: tuple[str, ...] = _opt(
        "words that, all found among the attachment names (cv and cover), decide this kind",
        ())
    needs_manuscript: bool = _opt("whether a missing manuscript is asked for", False)
    acknowledge: bool = _opt("whether the author gets an acknowledgement", True)
    response_days: int = _opt(
        "days within which authors are told to expect an answer; 0 to promise no time", 14)
    # Guidelines: checked on the manuscript, reported to the editor and the author.
    min_words: int | None = _opt("fewest words, references left out", None)
    max_words: int | None = _opt("most words, references left out", None)
    require_title: bool = _opt("whether the manuscript must carry its own title", False)
    require_bio: bool = _opt("whether the manuscript must have an author bio", False)
    max_images: int | None = _opt("most images in and with the manuscript", None)
    max_image_kb: int | None = _opt("largest image, in KB", None)
    max_links: int | None = _opt("most links to other sites, references left out", None)
    medical_checks: bool = _opt(
        "whether its manuscripts get the medical checks: article type, statements (consent, "
        "ethics, conflicts of interest, funding, AI), references ([types.NAME])", False)
    require_disclosure: bool = _opt(
        "whether the text must say it is sponsored (one of disclosure_phrases)", False)
    terms_file: Path | None = _opt(
        "a file (a rate card, the terms: PDF or similar, at most 5 MB) attached to this "
        "kind's acknowledgement", None)
    link_buying: LinkBuying = _opt(
        'an offer to buy links ("link insertion", "dofollow", "add our link to an existing '
        'post", in five languages): "ignore", "mark" (a warning for the editors), or '
        '"refuse" (marked, and answered with the polite standard refusal, '
        'refused_link_buying, instead of the acknowledgement)', "ignore")
    stages: tuple[str, ...] = _opt(
        "its own road after intake, in order (the first is where a new one stands); an "
        "editor moves it along, with an email from stage_NAME templates where one exists",
        ())
    disclosure_phrases: tuple[str, ...] = _opt(
        "phrases that count as a disclosure statement",
        ("sponsored by", "sponsored post", "sponsored article", "sponsored content",
         "this article is sponsored", "this post is sponsored", "paid partnership",
         "in partnership with", "advertisement", "advertorial", "disclosure",
         "conflict of interest", "conflicts of interest", "funded by", "paid for by"))


@dataclass(frozen=True, kw_only=True)
class TriageSection:
    default_kind: str = _opt("the kind a message gets when no signal matches", "other")
    model: str = _opt(
        'what decides the kind beside the rules: "builtin" (a model learned from the labelled '
        'messages shipped with intake), the path of a model file written by `make model`, '
        'or "off" (the phrase rules alone)', "builtin")
    min_confidence: int = _opt(
        "a decision the model is less sure of than this (a percentage) goes to triage "
        "for an editor", 50)
    min_score: int = _opt("a decision scoring less than this goes to triage for an editor", 3)
    margin: int = _opt(
        "a decision fewer points than this ahead of the runner-up goes to triage", 2)
    deny: tuple[str, ...] = _opt(
        "senders (name@example.org) and domains (example.org) whose mail is kept but "
        "never answered", ())


@dataclass(frozen=True, kw_only=True)
class LanguagesSection:
    offered: tuple[str, ...] = _opt(
        "the languages authors are answered in (codes: en, es, fr, pt, de); each author "
        "is answered in the one their message is written in, or in default",
        ("en", "es", "fr", "pt", "de"))
    default: str = _opt("the language of an answer when the author's is not offered, or "
                        "cannot be told", "en")


@dataclass(frozen=True, kw_only=True)
class RepliesSection:
    max_per_sender: int = _opt(
        "emails one author's address may receive per period; past that, none is sent "
        "(editors' notifications: max_notifications_per_run)", 5)
    period_hours: int = _opt("the period max_per_sender counts over, in hours", 24)
    max_per_run: int = _opt(
        "acknowledgements one run sends at most; the rest wait for the next run", 100)
    max_notifications_per_run: int = _opt(
        "emails one editor gets about new submissions and authors' replies in one run; "
        "past that, the rest of the run's come as one summary", 3)


@dataclass(frozen=True, kw_only=True)
class Editor:
    """One editor, declared as [editors.ID]; commands name editors by ID (--as ID)."""

    id: str
    name: str = _opt("the editor's full name, as authors see it under a decision")
    email: str = _opt("the editor's address, where `intake digest` sends their summary")
    follows: tuple[str, ...] = _opt(
        "kinds of submission the editor is emailed about the moment one arrives", ())
    notify_assigned: bool = _opt(
        "whether the editor is emailed at once when the author of a submission assigned to "
        "them replies or sends a new version", False)
    admin: bool = _opt(
        "whether the editor may invite new editors to the desk and send password reset "
        "links", False)
    require_totp: bool = _opt(
        "whether signing in to the desk needs a code from an authenticator app (TOTP) "
        "besides the password; the editor enrols at their next sign-in", False)


@dataclass(frozen=True, kw_only=True)
class ReviewSection:
    retention_days: int = _opt(
        "days after a rejection or withdrawal before `intake purge` deletes the raw "
        "messages and drafts (the ledger row stays)", 365)


@dataclass(frozen=True, kw_only=True)
class WebSection:
    """The editors' desk (`intake serve`)."""

    secure_cookies: bool = _opt(
        "true when editors reach the desk over HTTPS (behind a reverse proxy): the session "
        "cookie is then only ever sent over HTTPS", False)
    session_hours: int = _opt("hours an editor stays signed in, however active, before "
                              "signing in again", 12)
    idle_minutes: int = _opt("minutes without a page viewed after which an editor is signed "
                             "out", 60)
    public_url: str | None = _opt(
        "the desk's address as editors reach it (https://desk.example.org), for links in "
        "the emails editors get", None)


PostStatus = Literal["draft", "pending", "private", "publish"]


@dataclass(frozen=True, kw_only=True)
class WordPressSection:
    """[publish.wordpress]: where `intake publish` sends accepted articles."""

    url: str = _opt("the site's address (https://blog.example.org); the REST API root is "
                    "found from it")
    username: str = _opt("the WordPress user intake publishes as (an editor)")
    password_env: str | None = _opt("environment variable that holds the user's "
                                    "Application Password", None)
    password_file: Path | None = _opt("file whose first line is the Application Password",
                                      None)
    password_command: str | None = _opt("command that prints the Application Password", None)
    status: PostStatus = _opt('the new post\'s status: "draft" (default), "pending", '
                              '"private" or "publish"', "draft")
    tags: tuple[str, ...] = _opt("tags every published post gets", ())
    byline: str = _opt('where the author\'s name goes: "content" (a first paragraph), '
                       '"meta:KEY" (a custom field the site registers), or "none"', "content")
    timeout: float = _opt("seconds to wait for the site before giving up", 30.0)
    sponsored_kinds: tuple[str, ...] = _opt(
        "kinds whose posts are paid for: each carries the disclosure line at the top, the "
        "sponsored category, and rel=\"sponsored\" on every link to another site",
        ("sponsored",))
    disclosure: str = _opt(
        "the line at the top of every sponsored post (\"Sponsored: …\"); a sponsored "
        "submission is not published without one", "")
    sponsored_category: str = _opt("the category every sponsored post is put in",
                                   "Sponsored")
    # [publish.wordpress.categories]: kind → the category its posts go in.
    categories: dict[str, str] = field(default_factory=dict)

    def credentials(self) -> Credentials:
        return Credentials(username=self.username, password_env=self.password_env,
                           password_file=self.password_file,
                           password_command=self.password_command,
                           section="publish.wordpress")


@dataclass(frozen=True, kw_only=True)
class Settings:
    path: Path
    intake: IntakeSection
    smtp: SmtpSection
    imap: ImapSection | None
    drafts: DraftsSection
    kinds: tuple[KindRule, ...]
    triage: TriageSection
    replies: RepliesSection
    editors: tuple[Editor, ...] = ()
    review: ReviewSection = field(default_factory=ReviewSection)
    web: WebSection = field(default_factory=WebSection)
    wordpress: WordPressSection | None = None  # [publish.wordpress]
    # Rejection reasons: a short name (--reason NAME) → the wording the author reads.
    reasons: dict[str, str] = field(default_factory=dict)
    contests: tuple[Contest, ...] = ()  # [contests.ID]
    types: dict[str, TypeRule] = field(default_factory=dict)  # [types.NAME] (article types)
    languages: LanguagesSection = field(default_factory=LanguagesSection)
    # A reason's wording in other languages: name → {language: wording}.
    reason_translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in self.contests if c.id == contest_id), None)

    def kind(self, name: str) -> KindRule:
        for rule in self.kinds:
            if rule.name == name:
                return rule
        raise KeyError(name)

    @property
    def data_dir(self) -> Path:
        return self.intake.data_dir

    @property
    def default_kind(self) -> str:
        return self.triage.default_kind


DEFAULT_KINDS: dict[str, dict[str, Any]] = {
    "guest_post": {
        "label": "Guest post",
        "subject": ["guest post", "guest article", "guest blog", "article submission",
                    "submission", "manuscript", "blog post", "my article", "article proposal",
                    "write for you"],
        "body": ["guest post", "guest article", "submit my article", "submit an article",
                 "submitting my article", "attached my article", "attached article",
                 "please find attached my", "for your consideration", "for publication",
                 "publish my article", "i wrote an article", "i have written",
                 "write for your blog", "my essay", "my piece"],
        "needs_manuscript": True,
        "min_words": 800, "max_words": 2500, "require_title": True, "require_bio": True,
        "max_images": 6, "max_image_kb": 5120, "max_links": 10, "medical_checks": True,
    },
    "sponsored": {
        "label": "Sponsored article",
        "subject": ["sponsored", "sponsorship", "paid article", "paid post", "paid guest post",
                    "advertorial", "advertising", "advertise", "partnership", "collaboration",
                    "link insertion", "business proposal", "media kit"],
        "body": ["sponsored", "paid article", "paid post", "advertorial", "advertise",
                 "advertising", "our rates", "your rates", "your price", "pricing", "fee",
                 "how much", "budget", "backlink", "backlinks", "do-follow", "dofollow",
                 "link insertion", "on behalf of our client", "our client", "our brand",
                 "promote our", "media kit", "marketing", "seo", "we will pay", "we can pay",
                 "compensation"],
        "require_disclosure": True, "max_links": 3, "link_buying": "refuse",
        "stages": ["enquiry", "quoted", "agreed", "paid", "manuscript received", "published"],
    },
    "application": {
        "label": "Application to join",
        "subject": ["application", "apply", "applying", "join the team", "join your team",
                    "editor position", "contributor position", "volunteer", "editorial board",
                    "vacancy", "become an editor", "become a contributor"],
        "body": ["my cv", "my resume", "curriculum vitae", "cover letter", "join your team",
                 "join the team", "apply for", "applying for", "position of", "become an editor",
                 "become a contributor", "volunteer", "the role of", "vacancy"],
        "attachments": ["cv", "resume", "curriculum", "cover", "motivation"],
        "attachments_together": ["cv|resume|curriculum", "cover|motivation"],
        "response_days": 21,
        "stages": ["received", "shortlisted", "interview", "offered", "joined", "declined"],
    },
    "contest": {
        "label": "Contest entry",
        "subject": ["contest", "competition", "essay prize", "entry", "prize", "award"],
        "body": ["contest", "competition", "my entry", "essay prize", "submit my entry",
                 "entry for", "prize"],
        "needs_manuscript": True,
        "min_words": 800, "max_words": 2000, "require_title": True,
        "response_days": 30, "medical_checks": True,
    },
    "other": {
        "label": "Message",
        "response_days": 7,
    },
}

_T = TypeVar("_T")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_PREFIX = re.compile(r"[A-Z0-9]{2,10}")
_KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_STAGE = re.compile(r"[a-z][a-z0-9]*(?: [a-z0-9]+){0,3}")
_EDITOR_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_ANSWERABLE = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DENY_ENTRY = re.compile(r"([^@\s]+@)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def default_config_path() -> Path:
    return Path(os.environ.get("INTAKE_CONFIG") or "settings.toml")


def load_settings(path: Path) -> Settings:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such settings file (pass --config PATH or set "
                            "INTAKE_CONFIG)") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    return settings_from_dict(data, path)


def settings_from_dict(data: dict[str, Any], path: Path) -> Settings:
    """Validate a parsed settings table; relative paths are taken from path's folder."""
    base = path.resolve().parent
    ctx = _Context(path, base)
    ctx.check_keys(data, {"intake", "imap", "smtp", "drafts", "triage", "replies", "kinds",
                          "editors", "review", "web", "reasons", "publish", "contests", "types",
                          "languages"},
                   "")
    intake = ctx.build(IntakeSection, ctx.table(data, "intake"), "intake")
    if not _PREFIX.fullmatch(intake.reference_prefix):
        ctx.fail("intake", "reference_prefix", "2 to 10 capital letters or digits",
                 intake.reference_prefix)
    if intake.max_message_bytes < 1024:
        ctx.fail("intake", "max_message_bytes", "at least 1024", intake.max_message_bytes)
    if intake.message_seconds < 1:
        ctx.fail("intake", "message_seconds", "at least 1", intake.message_seconds)
    if intake.data_dir.exists() and not intake.data_dir.is_dir():
        raise SettingsError(f"{path}: [intake] data_dir: {intake.data_dir} is a file, not a "
                            "folder: name a folder (intake creates it) for the ledger, raw "
                            "mail and drafts")
    if not re.fullmatch(r"0?[0-7]{3}", intake.metrics_mode) or \
            int(intake.metrics_mode, 8) & 0o133:
        ctx.fail("intake", "metrics_mode", "an octal mode no more open than \"0644\" (such as "
                 "\"0644\" or \"0640\")", intake.metrics_mode)

    if "smtp" not in data:
        raise SettingsError(f"{path}: [smtp] is missing: intake needs somewhere to send "
                            "acknowledgements (see the example settings.toml)")
    smtp = ctx.build(SmtpSection, ctx.table(data, "smtp"), "smtp")
    ctx.check_server(smtp, "smtp")
    if "@" not in parseaddr(smtp.sender)[1]:
        ctx.fail("smtp", "from", "an address such as \"Editorial team <ed@example.org>\"",
                 smtp.sender)
    if smtp.transport == "file" and smtp.file_dir is None:
        raise SettingsError(f'{path}: [smtp] file_dir is missing: transport = "file" writes '
                            ".eml files there")
    if smtp.max_attempts < 1:
        ctx.fail("smtp", "max_attempts", "at least 1", smtp.max_attempts)

    imap = None
    if "imap" in data:
        imap = ctx.build(ImapSection, ctx.table(data, "imap"), "imap")
        ctx.check_server(imap, "imap")
        if imap.oauth2_token_command and imap.credentials("imap").configured:
            raise SettingsError(f"{path}: [imap] set either oauth2_token_command or a "
                                "password, not both")
        for key in ("first_run_max", "batch_size"):
            if getattr(imap, key) < 1:
                ctx.fail("imap", key, "at least 1", getattr(imap, key))

    drafts = ctx.build(DraftsSection, ctx.table(data, "drafts"), "drafts")
    if drafts.min_body_words < 1:
        ctx.fail("drafts", "min_body_words", "at least 1", drafts.min_body_words)
    if drafts.convert_memory_mb < 128:
        ctx.fail("drafts", "convert_memory_mb", "at least 128", drafts.convert_memory_mb)

    kinds_table = ctx.table(data, "kinds") if "kinds" in data else DEFAULT_KINDS
    kinds: list[KindRule] = []
    for name, table in ctx.named_tables(kinds_table, "kinds", _KIND_NAME,
                                        "a kind's name is lower-case letters, digits and _ "
                                        "(such as guest_post)", "a table of signals"):
        rule = ctx.build(KindRule, {**table, "name": name}, f"kinds.{name}")
        for key in ("min_words", "max_words", "max_images", "max_image_kb", "max_links",
                    "response_days"):
            value = getattr(rule, key)
            if value is not None and value < 0:
                ctx.fail(f"kinds.{name}", key, "0 or more", value)
        if any(not _STAGE.fullmatch(stage) for stage in rule.stages) or \
                len(set(rule.stages)) != len(rule.stages):
            ctx.fail(f"kinds.{name}", "stages", "different names of lower-case words "
                     "(such as \"manuscript received\")", list(rule.stages))
        if rule.terms_file is not None:
            terms = rule.terms_file
            if not terms.is_file() or terms.stat().st_size > MAX_TERMS_BYTES:
                ctx.fail(f"kinds.{name}", "terms_file", "a readable file of at most 5 MB",
                         str(terms))
        if rule.min_words and rule.max_words and rule.min_words > rule.max_words:
            ctx.fail(f"kinds.{name}", "min_words", f"at most max_words ({rule.max_words})",
                     rule.min_words)
        kinds.append(rule)

    triage = ctx.build(TriageSection, ctx.table(data, "triage"), "triage")
    if triage.default_kind not in {k.name for k in kinds}:
        ctx.fail("triage", "default_kind", "one of the kinds declared under [kinds]",
                 triage.default_kind)
    if not 0 <= triage.min_confidence <= 100:
        ctx.fail("triage", "min_confidence", "a percentage from 0 to 100", triage.min_confidence)
    if triage.model not in ("builtin", "off"):
        from intake.rules.learned import ModelError, load

        where = (path.parent / triage.model).resolve()
        try:
            load(where)
        except ModelError as exc:
            raise SettingsError(f"{path}: [triage] model: {exc}") from exc
        triage = replace(triage, model=str(where))
    for entry in triage.deny:
        if not _DENY_ENTRY.fullmatch(entry.strip()):
            ctx.fail("triage", "deny", "addresses (name@example.org) or domains (example.org)",
                     entry)
    replies = ctx.build(RepliesSection, ctx.table(data, "replies"), "replies")
    for key in ("max_per_sender", "period_hours", "max_per_run", "max_notifications_per_run"):
        if getattr(replies, key) < 1:
            ctx.fail("replies", key, "at least 1", getattr(replies, key))

    editors: list[Editor] = []
    for key, table in ctx.named_tables(ctx.table(data, "editors"), "editors", _EDITOR_ID,
                                       "an editor's id is lower-case letters, digits, . _ "
                                       "and - (such as ana or ana.lima)",
                                       "a table with name and email"):
        editor = ctx.build(Editor, {**table, "id": key}, f"editors.{key}")
        if not _ANSWERABLE.fullmatch(editor.email):
            ctx.fail(f"editors.{key}", "email", "an address such as ana@example.org",
                     editor.email)
        unknown = [k for k in editor.follows if k not in {rule.name for rule in kinds}]
        if unknown:
            ctx.fail(f"editors.{key}", "follows",
                     f"kinds among {', '.join(rule.name for rule in kinds)}", unknown)
        editors.append(editor)
    review = ctx.build(ReviewSection, ctx.table(data, "review"), "review")
    if review.retention_days < 1:
        ctx.fail("review", "retention_days", "at least 1", review.retention_days)
    web = ctx.build(WebSection, ctx.table(data, "web"), "web")
    if web.session_hours < 1:
        ctx.fail("web", "session_hours", "at least 1", web.session_hours)
    wordpress = _wordpress(ctx, ctx.table(data, "publish"), {k.name for k in kinds})
    languages = _languages(ctx, ctx.table(data, "languages"))
    reasons, translations = _reasons(ctx, ctx.table(data, "reasons"), languages)
    from intake.contests.settings import parse as parse_contests

    contests = parse_contests(path, data.get("contests"))
    from intake.medical.settings import parse as parse_types

    types = parse_types(path, data.get("types"))
    if contests and "contest" not in {k.name for k in kinds}:
        raise SettingsError(f"{path}: [contests] needs a kind named contest under [kinds] "
                            "(its entries are that kind)")

    return Settings(
        path=path,
        intake=intake,
        smtp=smtp,
        imap=imap,
        drafts=drafts,
        kinds=tuple(kinds),
        triage=triage,
        replies=replies,
        editors=tuple(editors),
        review=review,
        web=web,
        wordpress=wordpress,
        reasons=reasons,
        contests=contests,
        types=types,
        languages=languages,
        reason_translations=translations,
    )


def _languages(ctx: _Context, table: dict[str, Any]) -> LanguagesSection:
    from intake.core.languages import NAMES

    languages = ctx.build(LanguagesSection, table, "languages")
    codes = ", ".join(NAMES)
    unknown = [code for code in languages.offered if code not in NAMES]
    if unknown or not languages.offered:
        ctx.fail("languages", "offered", f"a list of languages among {codes}", unknown or [])
    if languages.default not in languages.offered:
        ctx.fail("languages", "default", "one of the offered languages "
                 f"({', '.join(languages.offered)})", languages.default)
    return replace(languages, offered=tuple(dict.fromkeys(languages.offered)))


def _reasons(ctx: _Context, table: dict[str, Any], languages: LanguagesSection
             ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """[reasons]: name = "wording", or name = { en = "…", fr = "…" } with the default
    language's wording, which is also what an author in any other language reads."""
    reasons: dict[str, str] = {}
    translations: dict[str, dict[str, str]] = {}
    for key, text in table.items():
        if not _KIND_NAME.fullmatch(key):
            raise SettingsError(f"{ctx.path}: [reasons] {key}: a reason's name is lower-case "
                                "letters, digits and _ (such as out_of_scope)")
        if isinstance(text, dict):
            worded = {lang: value.strip() for lang, value in text.items()
                      if isinstance(value, str) and value.strip()}
            if len(worded) != len(text) or set(worded) - set(languages.offered) or \
                    languages.default not in worded:
                ctx.fail("reasons", key, "a sentence, or a table of sentences by offered "
                         f"language with one for {languages.default}", text)
            reasons[key] = worded[languages.default]
            translations[key] = worded
            continue
        if not isinstance(text, str) or not text.strip():
            ctx.fail("reasons", key, "the sentence the author reads", text)
        reasons[key] = text.strip()
    return reasons, translations


def _wordpress(ctx: _Context, publish: dict[str, Any], kinds: set[str]
               ) -> WordPressSection | None:
    ctx.check_keys(publish, {"wordpress"}, "publish")
    if "wordpress" not in publish:
        return None
    table = dict(ctx.table(publish, "wordpress"))
    categories = table.pop("categories", {})
    if not isinstance(categories, dict) or not all(
            isinstance(v, str) and v.strip() for v in categories.values()):
        ctx.fail("publish.wordpress", "categories",
                 "a table of kind = \"Category name\"", categories)
    unknown = sorted(set(categories) - kinds)
    if unknown:
        ctx.fail("publish.wordpress", "categories", f"kinds among {', '.join(sorted(kinds))}",
                 ", ".join(unknown))
    section = ctx.build(WordPressSection, table, "publish.wordpress")
    if not section.url.startswith(("https://", "http://")):
        ctx.fail("publish.wordpress", "url", "an http(s) address", section.url)
    if section.url.startswith("http://") and not _is_loopback(
            section.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]):
        raise SettingsError(f"{ctx.path}: [publish.wordpress] url: an Application Password "
                            "goes with every request, so only https:// (or a loopback "
                            "address, for tests) is allowed")
    unknown_sponsored = sorted(set(section.sponsored_kinds) - kinds)
    if unknown_sponsored and "sponsored_kinds" not in table:  # the default, kind removed
        section = replace(section, sponsored_kinds=tuple(
            k for k in section.sponsored_kinds if k in kinds))
    elif unknown_sponsored:
        ctx.fail("publish.wordpress", "sponsored_kinds",
                 f"kinds among {', '.join(sorted(kinds))}", ", ".join(unknown_sponsored))
    if not section.sponsored_category.strip():
        ctx.fail("publish.wordpress", "sponsored_category", "a category name",
                 section.sponsored_category)
    if not (section.byline in ("content", "none") or section.byline.startswith("meta:")):
        ctx.fail("publish.wordpress", "byline", '"content", "meta:KEY" or "none"',
                 section.byline)
    sources = [k for k in ("password_env", "password_file", "password_command")
               if getattr(section, k)]
    if len(sources) != 1:
        raise SettingsError(f"{ctx.path}: [publish.wordpress] set exactly one of "
                            "password_env, password_file or password_command (an Application "
                            "Password: Users → Profile → Application Passwords)")
    return replace(section, categories={k: v.strip() for k, v in categories.items()})


@dataclass
class _Context:
    path: Path
    base: Path

    def fail(self, section: str, key: str, expected: str, got: Any) -> typing.NoReturn:
        raise SettingsError(f"{self.path}: [{section}] {key}: expected {expected}, "
                            f"got {got!r}")

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise SettingsError(f"{self.path}: {name} must be a table ([{name}]), "
                                f"got {value!r}")
        return value

    def named_tables(self, tables: dict[str, Any], section: str, pattern: re.Pattern[str],
                     rule: str, expected: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """[section.NAME] tables: each name checked against pattern, each value a table."""
        for name, table in tables.items():
            if not pattern.fullmatch(name):
                raise SettingsError(f"{self.path}: [{section}.{name}]: {rule}")
            if not isinstance(table, dict):
                self.fail(section, name, expected, table)
            yield name, table

    def check_keys(self, table: dict[str, Any], known: set[str], section: str) -> None:
        for key in table:
            if key in known:
                continue
            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            where = f"[{section}] " if section else ""
            raise SettingsError(
                f"{self.path}: {where}unknown key '{key}'{hint}; known keys: "
                f"{', '.join(sorted(known))}"
            )

    def build(self, cls: type[_T], table: dict[str, Any], section: str) -> _T:
        hints = typing.get_type_hints(cls)
        spec = {(f.metadata.get("key") or f.name): f for f in fields(cls)}  # type: ignore[arg-type]
        self.check_keys(table, set(spec), section)
        values: dict[str, Any] = {}
        for key, f in spec.items():
            if key in table:
                values[f.name] = self.convert(table[key], hints[f.name], section, key,
                                              f.metadata.get("help", ""))
            elif f.default is MISSING and f.default_factory is MISSING:
                raise SettingsError(f"{self.path}: [{section}] {key} is missing: "
                                    f"{f.metadata.get('help', 'required')}")
        return cls(**values)

    def convert(self, value: Any, hint: Any, section: str, key: str, help: str) -> Any:
        origin = get_origin(hint)
        if origin in (types.UnionType, typing.Union):
            inner = [a for a in get_args(hint) if a is not type(None)]
            return self.convert(value, inner[0], section, key, help)
        if origin is Literal:
            if value not in get_args(hint):
                self.fail(section, key, help, value)
            return value
        if origin is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(section, key, f"a list of strings ({help})", value)
            return tuple(value)
        if hint is bool:
            if not isinstance(value, bool):
                self.fail(section, key, "true or false", value)
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(section, key, f"a whole number ({help})", value)
            return value
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                self.fail(section, key, f"a positive number ({help})", value)
            return float(value)
        if hint is str:
            if not isinstance(value, str) or not value.strip():
                self.fail(section, key, f"a non-empty string ({help})", value)
            return value
        if hint is date:
            if isinstance(value, datetime) or not isinstance(value, date):
                self.fail(section, key, f"a date written as 2026-11-01, no quotes ({help})",
                          value)
            return value
        if hint is Path:
            if not isinstance(value, str) or not value.strip():
                self.fail(section, key, f"a path ({help})", value)
            return self.base / Path(value).expanduser()
        raise TypeError(f"no conversion for {hint!r}")  # a programming error, not a user's

    def check_server(self, section: ServerSection, name: str) -> None:
        if not 1 <= section.port <= 65535:
            self.fail(name, "port", "a TCP port from 1 to 65535", section.port)
        sources = [k for k in ("password_env", "password_file", "password_command")
                   if getattr(section, k)]
        if len(sources) > 1:
            raise SettingsError(f"{self.path}: [{name}] set only one of {', '.join(sources)}")
        if sources and not section.username:
            raise SettingsError(f"{self.path}: [{name}] username is missing: a password "
                                "is configured but no login name")
        ca_file = getattr(section, "ca_file", None)
        if ca_file is not None and not Path(ca_file).is_file():
            raise SettingsError(f"{self.path}: [{name}] ca_file: {ca_file} is not a file: "
                                "give the path of the PEM file of the CA that signed the "
                                "server's certificate, or remove ca_file to trust the "
                                "system's CAs")
        if section.security == "plain" and not _is_loopback(section.host):
            raise SettingsError(
                f"{self.path}: [{name}] security = \"plain\" is allowed only for a loopback "
                f"host (127.0.0.1, localhost), not {section.host!r}: use \"tls\" or \"starttls\""
            )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sender_address(settings: Settings) -> Address:
    name, addr = parseaddr(settings.smtp.sender)
    user, _, domain = addr.partition("@")
    return Address(display_name=name, username=user, domain=domain)
