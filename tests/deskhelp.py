"""What the desk's tests share: a desk over submissions the real pipeline made, and the
forms a page carries (their CSRF token, version and one-time token), read from the page
as a browser would."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.shared import Inches
from flask import Flask
from flask.testing import FlaskClient

from intake.core.config import load_settings
from intake.demo.samples import DOCX, tiny_png
from intake.demo.samples import email as make_email
from intake.web.app import create_app
from tests.conftest import CliResult, eml_folder

Cli = Callable[..., CliResult]
PASSWORD = "correct horse battery"
EDITORS = {"editors.ana": {"name": "Ana Lima", "email": "ana@j.example.org", "admin": True},
           "editors.ben": {"name": "Ben Okafor", "email": "ben@j.example.org"}}


def set_password(cli: Cli, config: Path, editor: str, password: str,
                 monkeypatch: pytest.MonkeyPatch) -> CliResult:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli("--config", config, "passwd", editor)


def make_desk(make_config: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch,
              messages: Sequence[bytes], **sections: dict[str, Any]) -> tuple[Flask, Path]:
    """Editors ana (an admin) and ben with PASSWORD, the messages ingested, and the app."""
    config = make_config(**{**EDITORS, **sections})
    if messages:
        assert cli("--config", config, "ingest", eml_folder(config.parent, messages)).code == 0
    for editor in ("ana", "ben"):
        assert set_password(cli, config, editor, PASSWORD, monkeypatch).code == 0
    app = create_app(load_settings(config))
    app.config["TESTING"] = True
    return app, config


def fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>',
                     page, re.S)
    assert form, (action, page[:3000])
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                           form.group(1)))


def form(client: FlaskClient, path: str, action: str) -> dict[str, str]:
    return fields(client.get(path).get_data(as_text=True), action)


def token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(client: FlaskClient, editor: str = "ana", password: str = PASSWORD) -> int:
    return client.post("/sign-in", data={"editor": editor, "password": password,
                                         "csrf_token": token(client)}).status_code


def case_report_docx() -> bytes:
    """A case report that names its patient everywhere an author might: the text, a date
    of birth, a record number, a phone number, a photo's alt text and its caption."""
    doc = docx.Document()
    doc.add_heading("A rash that taught me to look twice", level=0)
    doc.add_paragraph("Mrs Jane Doe, a 67-year-old retired teacher, presented to our clinic "
                      "with a spreading rash. Her date of birth, 14/02/1958, and her MRN "
                      "4839201 were on every form we signed that week.")
    doc.add_paragraph("Her daughter could be reached on +44 7700 900123, and the ward on "
                      "(415) 555-0123; her own address is jane.doe@home.example.org.")
    doc.add_picture(io.BytesIO(tiny_png(40, 30)), width=Inches(2))
    doc.inline_shapes[-1]._inline.docPr.set("descr", "Mrs Jane Doe's forearm on admission")
    doc.add_paragraph("Figure 1: the rash of Mrs Jane Doe on the second day.")
    doc.add_heading("What I learnt", level=1)
    for _ in range(8):
        doc.add_paragraph("Looking twice at a common finding is a habit worth building on "
                          "every ward, and it costs a minute at most.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def case_report_email(message_id: str = "<case@uni>") -> bytes:
    return make_email("Sam Okafor <sam@uni.example.org>", "Guest post: a case report",
                      "Please find my case report attached.",
                      attachments=(("case.docx", DOCX, case_report_docx()),),
                      message_id=message_id)
