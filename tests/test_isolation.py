"""Conversion runs in a child with a memory and time limit; failures come back as reasons."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.convert.isolated import convert_isolated
from intake.convert.jobs import Limits
from intake.convert.safety import ConversionError
from intake.core.models import FileType
from intake.demo.samples import article_docx
from tests.docgen import docx_from_body, para, run


def _big_docx(paragraphs: int) -> bytes:
    """A document whose XML is tens of MB but compresses like real text (no zip bomb)."""
    rng = random.Random(7)
    words = ["ward", "patient", "round", "consultant", "notes", "sleep", "shift", "study"]
    body = "".join(para(run(" ".join(rng.choice(words) + str(rng.randrange(10**6))
                                     for _ in range(40))))
                   for _ in range(paragraphs))
    return docx_from_body(body)


def test_a_normal_document_converts_in_the_child() -> None:
    result = convert_isolated("a.docx", article_docx("Title", image=True), FileType.DOCX,
                              Limits())
    assert result.title == "Title" and len(result.assets) == 1


def test_the_worker_works_out_what_the_document_tells_triage() -> None:
    """Off the main process, and the same as the main process would have found."""
    from intake.core.models import ParsedMessage
    from intake.rules.features import document_features, message_features

    result = convert_isolated("a.docx", article_docx("Night shifts and sleep", paragraphs=12),
                              FileType.DOCX, Limits())
    assert result.features is not None
    # As a set: concepts come out of a set, in an order that differs between processes.
    assert set(result.features) == set(document_features(result.markdown, result.title))
    assert any(name.startswith("f:doc_") for name in result.features)
    msg = ParsedMessage(sender_name="A", sender_email="a@example.org", recipients=(),
                        subject="Guest post", date=None, message_id="<m@x>", in_reply_to="",
                        references=(), text="Please find my article attached.", html="",
                        attachments=(), headers={})
    given = message_features(msg, result.markdown, result.title, result.features)
    worked_here = message_features(msg, result.markdown, result.title)
    assert given == worked_here


def test_time_limit() -> None:
    with pytest.raises(ConversionError, match="took longer than 0 seconds"):
        convert_isolated("slow.docx", article_docx("T", paragraphs=400), FileType.DOCX,
                         Limits(seconds=0.001))


def test_memory_limit_and_peak_memory_of_a_large_document() -> None:
    data = _big_docx(80_000)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml_size = zf.getinfo("word/document.xml").file_size
    assert xml_size > 40_000_000 and len(data) < 30_000_000
    with pytest.raises(ConversionError, match="needs more than 300 MB of memory"):
        convert_isolated("big.docx", data, FileType.DOCX, Limits(seconds=120, memory_mb=300))
    # With room enough it converts: the limit, not the file, decided.
    result = convert_isolated("big.docx", data, FileType.DOCX,
                              Limits(seconds=300, memory_mb=4096))
    assert result.markdown.count("\n\n") >= 79_000


def test_deep_nesting_is_refused_with_a_reason() -> None:
    deep = "".join("<w:sdt><w:sdtContent>" for _ in range(3000)) + para(run("x")) + "".join(
        "</w:sdtContent></w:sdt>" for _ in range(3000))
    with pytest.raises(ConversionError, match=r"could not be opened.*Excessive depth"):
        convert_isolated("deep.docx", docx_from_body(deep), FileType.DOCX, Limits())


def test_a_converter_bug_is_a_reason_not_a_crash() -> None:
    # Not bytes: the text converter fails as a bug would, inside the child.
    with pytest.raises(ConversionError, match=r"the converter failed on bug.html "
                                              r"\(AttributeError: "):
        convert_isolated("bug.html", 12345, FileType.HTML, Limits())  # type: ignore[arg-type]


def test_the_worker_is_replaced_after_a_failure_and_kept_after_success() -> None:
    from intake.convert import isolated

    isolated._retire()
    doc = article_docx("T", image=False)
    convert_isolated("a.docx", doc, FileType.DOCX, Limits())
    (first,) = isolated._workers
    convert_isolated("b.docx", doc, FileType.DOCX, Limits())
    assert isolated._workers == [first]  # reused: no process start per document
    with pytest.raises(ConversionError):
        convert_isolated("slow.docx", article_docx("T", paragraphs=400), FileType.DOCX,
                         Limits(seconds=0.001))
    assert isolated._workers == []  # the timed-out worker was killed
    assert not first.process.is_alive()
    assert convert_isolated("c.docx", doc, FileType.DOCX, Limits()).title == "T"


def test_a_prefetched_document_is_converted_while_the_caller_works() -> None:
    """The next message's manuscript starts converting in a second worker; asking for it
    takes its answer, and a prefetch nobody asks for never blocks a later conversion."""
    from intake.convert import isolated

    isolated._retire()
    big = article_docx("Ahead", paragraphs=400)
    isolated.prefetch("ahead.docx", big, FileType.DOCX, Limits())
    (ahead,) = isolated._workers

    def pending(worker: isolated._Worker) -> bool:
        return worker.job is not None

    assert pending(ahead)
    assert ahead.conn.poll(60)  # its answer arrives while nobody is asking yet
    assert convert_isolated("ahead.docx", big, FileType.DOCX, Limits()).title == "Ahead"
    assert not pending(ahead) and isolated._workers == [ahead]
    # Two prefetches nobody asks for yet, then an ordinary conversion: it still gets a
    # worker, and the prefetched answers are still there when their messages ask.
    x, y, z = article_docx("X"), article_docx("Y"), article_docx("Z")
    isolated.prefetch("x.docx", x, FileType.DOCX, Limits())
    isolated.prefetch("y.docx", y, FileType.DOCX, Limits())
    assert len(isolated._workers) == 2
    assert convert_isolated("z.docx", z, FileType.DOCX, Limits()).title == "Z"
    assert convert_isolated("y.docx", y, FileType.DOCX, Limits()).title == "Y"
    assert convert_isolated("x.docx", x, FileType.DOCX, Limits()).title == "X"


def test_a_document_asked_for_ahead_goes_to_the_first_worker_that_comes_free() -> None:
    """With both workers busy, a third document waits in a queue, and the worker whose
    answer is taken goes on to it at once, not when the caller next asks for something."""
    from intake.convert import isolated

    isolated._retire()
    docs = [article_docx(f"Doc {n}", paragraphs=300) for n in range(3)]
    for n, doc in enumerate(docs):
        isolated.prefetch(f"{n}.docx", doc, FileType.DOCX, Limits())
    assert len(isolated._workers) == 2 and len(isolated._queued) == 1
    assert convert_isolated("0.docx", docs[0], FileType.DOCX, Limits()).title == "Doc 0"
    assert not isolated._queued
    assert any(w.job is not None and w.job.endswith(":2.docx") for w in isolated._workers)
    assert [convert_isolated(f"{n}.docx", docs[n], FileType.DOCX, Limits()).title
            for n in (2, 1)] == ["Doc 2", "Doc 1"]


def test_workers_stand_back_for_the_processor() -> None:
    """A document using its whole time limit slows the rest of the machine less."""
    import os

    from intake.convert import isolated

    isolated._retire()
    convert_isolated("a.docx", article_docx("A", image=False), FileType.DOCX, Limits())
    (worker,) = isolated._workers
    assert worker.process.pid is not None
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == min(ours + 10, 19)


def test_workers_whose_run_is_killed_end_quietly(tmp_path: Path,
                                                 make_config: Callable[..., Path]) -> None:
    """A run killed while its workers convert the next documents: the workers find their
    parent gone and end without a word (cron would mail a traceback)."""
    import os
    import subprocess
    import sys

    from intake.demo.samples import DOCX, article_docx
    from intake.demo.samples import email as make_email
    from tests.conftest import REPO, eml_folder

    config = make_config()
    mail = [make_email(f"A{n} <a{n}@uni.example>", f"Guest post {n}", "Attached.",
                       attachments=((f"p{n}.docx", DOCX, article_docx(f"Part {n}", 30)),),
                       message_id=f"<quiet{n}@uni>") for n in range(6)]
    folder = eml_folder(tmp_path, mail)
    env = {**os.environ, "INTAKE_FAILPOINT": "processing"}
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "-q",
                           "ingest", str(folder)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, check=False)
    assert done.returncode == -9  # killed at the failpoint, as the crash tests do
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
