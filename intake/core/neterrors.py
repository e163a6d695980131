"""Network failures in one short phrase an operator can act on."""

from __future__ import annotations

import socket
import ssl


def describe(exc: BaseException) -> str:
    from intake.core.deadline import DeadlinePassed

    for found in (exc, exc.__context__, exc.__cause__):
        if isinstance(found, DeadlinePassed):  # it says which exchange, and how long
            return str(found)
    # smtplib reports a timeout as "Connection unexpectedly closed", raised while
    # handling it: the timeout is the cause worth naming.
    if isinstance(exc, socket.timeout | TimeoutError) or isinstance(
            exc.__context__, socket.timeout | TimeoutError):
        return "timed out: the server accepted the connection but did not answer"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"its TLS certificate is not trusted ({exc.verify_message}); if a private "
                "CA signed it, set ca_file")
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text) or type(exc).__name__
