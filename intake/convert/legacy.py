"""Legacy formats through small, long-lived Debian tools, when the machine has them.

Word 97-2003 (.doc) through antiword: the text, in paragraphs. RTF through unrtf,
whose HTML goes through intake's HTML converter: paragraphs, emphasis, breaks.
Each runs with a time limit on a private copy of the file. Without the tool, the
file is kept as received and the draft says it needs converting by hand.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from intake.convert.htmldoc import html_to_markdown
from intake.convert.markdown import escape, escape_line_start
from intake.convert.safety import ConversionError
from intake.core.models import Converted

_ADVICE = "Please send the article again as a .docx file (in Word: File, Save As, Word Document)."


def antiword_available() -> bool:
    return shutil.which("antiword") is not None


def unrtf_available() -> bool:
    return shutil.which("unrtf") is not None


def _kept(name: str, what: str, tool: str) -> Converted:
    return Converted(markdown="", warnings=(
        f"{name} ({what}) is kept as received in original/; it was not converted (install "
        f"{tool} to convert such files) and needs converting by hand.",))


def _run(tool: str, args: list[str], name: str, data: bytes, suffix: str,
         seconds: float) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="intake-legacy-") as folder:
        path = Path(folder) / f"document{suffix}"
        path.write_bytes(data)
        try:
            return subprocess.run([tool, *args, str(path)], capture_output=True,
                                  timeout=seconds, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"{name} took longer than {seconds:.0f} seconds to "
                                  "convert", _ADVICE) from exc


def convert_rtf(name: str, data: bytes, seconds: float = 60.0) -> Converted:
    unrtf = shutil.which("unrtf")
    if unrtf is None:
        return _kept(name, "RTF", "unrtf")
    done = _run(unrtf, ["--html"], name, data, ".rtf", seconds)
    if done.returncode != 0 or not done.stdout.strip():
        raise ConversionError(f"{name} could not be read as RTF", _ADVICE)
    markdown, _ = html_to_markdown(done.stdout.decode("utf-8", "replace"))
    # unrtf writes paragraphs as runs of <br>: two breaks or more end a paragraph.
    markdown = re.sub(r"(?:\\\n\s*){2,}", "\n\n", markdown)
    markdown = re.sub(r"^(?:\\\n\s*)+|(?:\s*\\\n)+$", "", markdown.strip())
    return Converted(markdown=markdown.strip() + "\n" if markdown.strip() else "", warnings=(
        f"{name} is an RTF file, converted by unrtf: paragraphs and emphasis only; compare "
        "with the original.",))


def convert_doc(name: str, data: bytes, seconds: float = 60.0) -> Converted:
    antiword = shutil.which("antiword")
    if antiword is None:
        return _kept(name, "legacy Word .doc", "antiword")
    done = _run(antiword, ["-w", "0", "-m", "UTF-8.txt"], name, data, ".doc", seconds)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ConversionError(f"{name} could not be read as a Word 97-2003 file "
                              f"({detail[0][:120]})", _ADVICE)
    text = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    paragraphs = [" ".join(p.split()) if not p.lstrip().startswith("|") else p.strip()
                  for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "\n\n".join(p if p.startswith("|") else escape_line_start(escape(p))
                       for p in paragraphs)
    return Converted(markdown=body + "\n" if body else "", warnings=(
        f"{name} is a legacy Word (.doc) file, converted by antiword: the text and its "
        "paragraphs only (no headings, emphasis, links or images); compare with the "
        "original.",))
