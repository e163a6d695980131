"""Legacy Word (.doc) through antiword, when the machine has it: the text, in paragraphs.

antiword is a small, long-lived Debian package that reads Word 97-2003 files and
nothing else; it is run with a time limit on a private copy of the file. Without
it, the file is kept as received and the draft says it needs converting by hand.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from intake.convert.markdown import escape, escape_line_start
from intake.convert.safety import ConversionError
from intake.models import Converted

_ADVICE = "Please send the article again as a .docx file (in Word: File, Save As, Word Document)."


def antiword_available() -> bool:
    return shutil.which("antiword") is not None


def convert_doc(name: str, data: bytes, seconds: float = 60.0) -> Converted:
    antiword = shutil.which("antiword")
    if antiword is None:
        return Converted(markdown="", warnings=(
            f"{name} (legacy Word .doc) is kept as received in original/; it was not "
            "converted (install antiword to convert .doc files) and needs converting by hand.",))
    with tempfile.TemporaryDirectory(prefix="intake-doc-") as folder:
        path = Path(folder) / "document.doc"
        path.write_bytes(data)
        try:
            done = subprocess.run([antiword, "-w", "0", "-m", "UTF-8.txt", str(path)],
                                  capture_output=True, timeout=seconds, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"{name} took longer than {seconds:.0f} seconds to convert",
                                  _ADVICE) from exc
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
