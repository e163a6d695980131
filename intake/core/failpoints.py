"""Named points where the crash tests kill the process (INTAKE_FAILPOINT=name).

A fault-injection hook, as databases use: unset in production, where each call
is one dictionary lookup. It lets the tests prove that a SIGKILL at each step of
a run loses nothing and answers nobody twice.
"""

from __future__ import annotations

import os
import signal
import time

# The points: after-fetch, reading (a message is being parsed by the run, in its turn or
# read ahead), reading-ahead (a conversion worker is parsing a message ahead of its turn),
# processing (its outcome is decided), mid-process (after one message is committed),
# after-smtp (the server accepted, our commit not yet made), before-mark.
# INTAKE_FAILPOINT=hang-NAME hangs there instead, as a hostile input would.


def failpoint(name: str) -> None:
    chosen = os.environ.get("INTAKE_FAILPOINT")
    if chosen == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif chosen == f"hang-{name}":
        time.sleep(3600)
