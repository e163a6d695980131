"""settings.toml: validated once, every error names the file, the key and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from intake.core.config import load_settings
from intake.core.errors import SettingsError
from tests.conftest import REPO, CliResult


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = '[smtp]\nfrom = "Ed <ed@example.org>"\nhost = "smtp.example.org"\n'


def test_the_documented_example_is_valid() -> None:
    settings = load_settings(REPO / "settings.toml")
    assert settings.imap is not None and settings.imap.host
    assert settings.intake.reference_prefix == "JPMS"
    assert {k.name for k in settings.kinds} >= {"guest_post", "sponsored", "application",
                                                 "contest", "other"}


def test_relative_paths_are_taken_from_the_settings_folder(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, MINIMAL + '[intake]\ndata_dir = "store"\n'))
    assert settings.data_dir == tmp_path.resolve() / "store"


@pytest.mark.parametrize(("text", "expected"), [
    (MINIMAL + "[smtp.extra]\n", "[smtp] unknown key 'extra'"),
    (MINIMAL + '[editors."Ana Lima"]\nname = "A"\nemail = "a@b.org"\n',
     "[editors.Ana Lima]: an editor's id is lower-case"),
    (MINIMAL + '[editors.ana]\nname = "Ana"\n', "[editors.ana] email is missing"),
    (MINIMAL + '[editors.ana]\nname = "Ana"\nemail = "ana"\n',
     "[editors.ana] email: expected an address such as ana@example.org, got 'ana'"),
    (MINIMAL + '[reasons]\nscope = 3\n', "[reasons] scope: expected the sentence"),
    (MINIMAL + '[review]\nretention_days = 0\n', "[review] retention_days: expected at least 1"),
    (MINIMAL.replace("host", "hots"), "unknown key 'hots' (did you mean 'host'?)"),
    (MINIMAL + "port = \"smtp\"\n", "[smtp] port: expected a whole number"),
    (MINIMAL + "port = 70000\n", "[smtp] port: expected a TCP port from 1 to 65535, got 70000"),
    (MINIMAL + 'security = "ssl"\n', "[smtp] security: expected \"tls\", \"starttls\""),
    (MINIMAL.replace('from = "Ed <ed@example.org>"\n', ""), "[smtp] from is missing"),
    ('[intake]\ndata_dir = "var"\n', "[smtp] is missing"),
    (MINIMAL + '[intake]\nreference_prefix = "jp"\n',
     "[intake] reference_prefix: expected 2 to 10 capital letters or digits, got 'jp'"),
    (MINIMAL + 'security = "plain"\n', 'security = "plain" is allowed only for a loopback'),
    (MINIMAL + 'password_env = "X"\n', "[smtp] username is missing"),
    (MINIMAL + 'username = "u"\npassword_env = "X"\npassword_file = "f"\n',
     "set only one of password_env, password_file"),
    (MINIMAL + "[imap]\nport = 993\n", "[imap] host is missing"),
    (MINIMAL + "[kinds.Guest]\nlabel = \"x\"\n", "[kinds.Guest]: a kind's name is lower-case"),
    (MINIMAL + "[kinds.essay]\nlabel = \"Essay\"\nsubjects = [\"x\"]\n",
     "[kinds.essay] unknown key 'subjects' (did you mean 'subject'?)"),
    (MINIMAL + "[kinds.essay]\nlabel = \"Essay\"\n", "[triage] default_kind: expected one of"),
    (MINIMAL + "[drafts]\nmin_body_words = true\n", "[drafts] min_body_words: expected a whole"),
    ("[smtp\n", "not valid TOML"),
])
def test_errors_name_file_key_and_expectation(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_cli_reports_settings_errors_with_exit_2(tmp_path: Path,
                                                 cli: Callable[..., CliResult]) -> None:
    path = _write(tmp_path, MINIMAL.replace("host", "hots"))
    result = cli("--config", path, "queue")
    assert result.code == 2
    assert "did you mean 'host'" in result.err
    assert "Traceback" not in result.err
    missing = cli("--config", tmp_path / "nope.toml", "queue")
    assert missing.code == 2 and "no such settings file" in missing.err


def test_config_from_environment(tmp_path: Path, cli: Callable[..., CliResult],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, MINIMAL)
    monkeypatch.setenv("INTAKE_CONFIG", str(path))
    result = cli("queue")
    assert result.code == 0 and "nothing in the queue" in result.out


def test_secrets_are_read_only_when_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = load_settings(_write(tmp_path, MINIMAL + 'username = "u"\n'
                                    'password_file = "secret"\n'))
    assert settings.smtp.credentials("smtp").password() == "s3cret"

    settings = load_settings(_write(tmp_path, MINIMAL + 'username = "u"\n'
                                    'password_env = "INTAKE_NOT_SET"\n'))
    monkeypatch.delenv("INTAKE_NOT_SET", raising=False)
    with pytest.raises(SettingsError, match=r"\$INTAKE_NOT_SET, which is not set"):
        settings.smtp.credentials("smtp").password()

    settings = load_settings(_write(tmp_path, MINIMAL + 'username = "u"\n'
                                    'password_command = "printf from-command"\n'))
    assert settings.smtp.credentials("smtp").password() == "from-command"
    settings = load_settings(_write(tmp_path, MINIMAL + 'username = "u"\n'
                                    'password_command = "false"\n'))
    with pytest.raises(SettingsError, match="password_command exited with 1"):
        settings.smtp.credentials("smtp").password()


def test_example_matches_the_built_in_kinds_and_documents_every_key() -> None:
    """The example is the documentation: every setting appears in it, and its kinds
    are the defaults that apply when [kinds] is left out."""
    from dataclasses import fields

    from intake.core.config import (
        DEFAULT_KINDS,
        DraftsSection,
        Editor,
        ImapSection,
        IntakeSection,
        KindRule,
        RepliesSection,
        ReviewSection,
        SmtpSection,
        TriageSection,
        settings_from_dict,
    )

    text = (REPO / "settings.toml").read_text(encoding="utf-8")
    for section in (IntakeSection, ImapSection, SmtpSection, DraftsSection, KindRule,
                    TriageSection, RepliesSection, Editor, ReviewSection):
        for f in fields(section):
            key = f.metadata.get("key") or f.name
            # Both are the table's own name ([kinds.NAME], [editors.ID]), not a key.
            if not (key == "id" or (key == "name" and section is KindRule)):
                assert f"{key} =" in text, f"{section.__name__}.{key} is not documented"
    example = load_settings(REPO / "settings.toml")
    built_in = settings_from_dict(
        {"smtp": {"from": "a@b.example", "host": "h"}, "kinds": DEFAULT_KINDS},
        REPO / "settings.toml")
    assert example.kinds == built_in.kinds
    assert example.triage == built_in.triage and example.replies == built_in.replies


def test_the_wordpress_example_reads_and_its_mistakes_are_named(tmp_path: Path) -> None:
    text = (REPO / "settings.toml").read_text(encoding="utf-8")
    start = text.index("# [publish.wordpress]")
    tail = text[start:]
    for key in ("[publish.wordpress]", "url = ", "username = ", "password_file = ",
                "[publish.wordpress.categories]", "guest_post = ", "status = ", "tags = "):
        tail = tail.replace("# " + key, key)
    path = tmp_path / "settings.toml"
    path.write_text(text[:start] + tail, encoding="utf-8")
    found = load_settings(path).wordpress
    assert found is not None and found.url == "https://blog.example.org"
    assert found.categories == {"guest_post": "Guest posts"} and found.status == "draft"
    for wrong, says in (
            ('url = "https://blog.example.org"', 'url = "http://blog.example.org"'),
            ('guest_post = "Guest posts"', 'essays = "Essays"'),
            ('status = "draft"', 'status = "live"')):
        path.write_text(text[:start] + tail.replace(wrong, says), encoding="utf-8")
        with pytest.raises(SettingsError, match=r"\[publish.wordpress\]"):
            load_settings(path)
