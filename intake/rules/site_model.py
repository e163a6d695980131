"""Where the site's retrained triage model lives (intake.rules.retrain writes it), and
which model a run uses. Light on purpose: a poll's main process imports it, and must not
import the converters that training reads the corpus with."""

from __future__ import annotations

from pathlib import Path

from intake.core.config import Settings
from intake.rules.learned import BUILTIN

MODEL_DIR = "model"


def installed(data_dir: Path) -> Path:
    return data_dir / MODEL_DIR / "triage.json"


def previous(data_dir: Path) -> Path:
    return data_dir / MODEL_DIR / "previous.json"


def model_path(settings: Settings) -> Path | None:
    """The model triage uses: none ("off"), the file named, or with "builtin" the site's
    retrained model when one is installed, else the one shipped."""
    if settings.triage.model == "off":
        return None
    if settings.triage.model != "builtin":
        return Path(settings.triage.model)
    site = installed(settings.data_dir)
    return site if site.is_file() else BUILTIN
