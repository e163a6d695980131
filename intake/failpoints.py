"""Named points where the crash tests kill the process (INTAKE_FAILPOINT=name).

A fault-injection hook, as databases use: unset in production, where each call
is one dictionary lookup. It lets the tests prove that a SIGKILL at each step of
a run loses nothing and answers nobody twice.
"""

from __future__ import annotations

import os
import signal

# The points: after-fetch, mid-process (after one message is committed), after-smtp
# (the server accepted, our commit not yet made), before-mark.


def failpoint(name: str) -> None:
    if os.environ.get("INTAKE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
