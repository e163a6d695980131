"""What a conversion job is told (its limits) and the key it goes by: shared by the main
process (intake.convert.isolated) and the workers (intake.convert.worker)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from intake.core.models import FileType


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0
    memory_mb: int = 1024


def job_key(name: str, data: bytes, file_type: FileType, limits: Limits) -> str:
    """What a document's conversion goes by: the same in the main process and in a worker
    that chose the document itself (a message read ahead: prepare)."""
    digest = hashlib.sha256(data if isinstance(data, bytes) else repr(data).encode())
    return f"{digest.hexdigest()}:{file_type.value}:{limits}:{name}"
