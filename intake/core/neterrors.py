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


# Ports that speak TLS from their first byte.
_TLS_PORTS = {993: "IMAP", 465: "SMTP"}


def security_mismatch(exc: BaseException, security: str, port: int) -> str | None:
    """What the settings most likely have wrong when TLS meets a port that speaks plain
    text first, or STARTTLS (or plain) a port that speaks TLS from its first byte; None
    when nothing points to it. Either is a settings error, not a server down."""
    text = str(exc)
    wrong_version = isinstance(exc, ssl.SSLError) and any(
        sign in text for sign in ("WRONG_VERSION_NUMBER", "wrong version number",
                                  "record layer failure", "packet length too long"))
    if security == "tls" and wrong_version:
        return (f"the server on port {port} answers in plain text, not TLS: it expects "
                "STARTTLS (security = \"starttls\"?), or TLS is on another port (993 for "
                "IMAP, 465 for SMTP)")
    silent = isinstance(exc, socket.timeout | TimeoutError) or isinstance(
        exc.__context__, socket.timeout | TimeoutError)
    if security in ("starttls", "plain") and port in _TLS_PORTS and (silent or wrong_version):
        return (f"port {port} speaks {_TLS_PORTS[port]} over TLS from the first byte, so it "
                f"waits for a TLS handshake that {security} never sends: security = "
                "\"tls\"?")
    return None
