"""Sending the outbox: each email recorded as sent the moment the server takes it.

One connection serves a whole run. A poll sends a little at a time while the workers
convert the next documents (time the main process would otherwise spend waiting for
them), and the rest at the end; every other command sends all at the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from intake.core.failpoints import failpoint
from intake.core.report import RunReport
from intake.ledger import OutboxItem, now_iso
from intake.ledger.events import EventName
from intake.mail.outbox import ACK
from intake.mail.smtp import DeliveryError, Transport, TransportRefused, TransportUnavailable

if TYPE_CHECKING:
    from intake.pipeline.run import Intake

log = logging.getLogger(__name__)

# A connection left unused this long is closed and opened again before the next email:
# servers close idle ones (RFC 5321 asks them to wait 5 minutes; some wait less).
IDLE_SECONDS = 30.0
_EVERYTHING = "9999-12-31T23:59:59+00:00"


class Delivery:
    """now: everything pending, back-off or not (the operator says the server is fixed)."""

    def __init__(self, app: Intake, transport: Transport, report: RunReport, *,
                 now: bool = False) -> None:
        self.app = app
        self.transport = transport
        self.report = report
        self.now = now
        self.connection: Transport | None = None
        self.used_at = 0.0
        self.acks_sent = 0  # this run: automatic answers are capped per run (backscatter)
        self.unavailable: str | None = None  # the server could not be used this run

    def send_while(self, busy: Callable[[], bool]) -> None:
        """Send due emails, one after another, while busy() says there is time."""
        cap = self.app.settings.replies.max_per_run
        while self.unavailable is None and busy():
            due = self.app.ledger.due_outbox(now_iso(), limit=1)
            if not due or (due[0].purpose.startswith(ACK) and self.acks_sent >= cap):
                return  # the rest, and the reason some wait, is for finish()
            try:
                self._send(self._connected(), due[0])
            except TransportUnavailable as exc:
                self._unusable(exc)

    def finish(self) -> None:
        """Send what is due now, and close the connection."""
        try:
            if self.unavailable is None:
                self._send_due()
        except TransportUnavailable as exc:
            self._unusable(exc)
        finally:
            self.close()
        if self.unavailable is not None and self.report.settings_problem is None:
            self.report.delivery_problem = self.unavailable
        self.report.pending = self.app.ledger.outbox_counts().get("pending", 0)

    def _send_due(self) -> None:
        due = self.app.ledger.due_outbox(_EVERYTHING if self.now else now_iso())
        cap = max(0, self.app.settings.replies.max_per_run - self.acks_sent)
        held = {i.id for i in [i for i in due if i.purpose.startswith(ACK)][cap:]}
        if held:
            due = [i for i in due if i.id not in held]
            log.warning("%d acknowledgement(s) wait for the next run: one run sends at most "
                        "%d ([replies] max_per_run); a flood of submissions?", len(held),
                        self.app.settings.replies.max_per_run)
        for item in due:
            self._send(self._connected(), item)

    def _connected(self) -> Transport:
        if self.connection is not None and time.monotonic() - self.used_at > IDLE_SECONDS:
            self.close()
        if self.connection is None:
            self.connection = self.transport.__enter__()
        self.used_at = time.monotonic()
        return self.connection

    def close(self) -> None:
        """Close the connection, if one is open."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.__exit__(None, None, None)

    def _unusable(self, exc: TransportUnavailable) -> None:
        self.unavailable = str(exc)
        if isinstance(exc, TransportRefused):
            self.report.settings_problem = f"mail not delivered: {exc}"
        self.close()
        # The run's last line says it (once); here only for -v and log collectors.
        log.info("mail not delivered, will retry next run: %s", exc,
                 extra={"event": "delivery_deferred", "error": str(exc)})

    def _send(self, transport: Transport, item: OutboxItem) -> None:
        ledger, report = self.app.ledger, self.report
        try:
            transport.send(item)
        except DeliveryError as exc:
            attempts = item.attempts + 1
            with ledger.transaction():
                if exc.temporary and attempts < self.app.settings.smtp.max_attempts:
                    delay = timedelta(minutes=min(5 * 2 ** (attempts - 1), 6 * 60))
                    retry_at = (datetime.now(UTC) + delay).isoformat(timespec="seconds")
                    ledger.outbox_retry(item.id, str(exc), retry_at)
                    ledger.add_event(EventName.DELIVERY_DEFERRED,
                                     submission_id=item.submission_id, to=item.recipient,
                                     error=str(exc), retry_at=retry_at)
                    log.warning("delivery to %s deferred (%s); retry after %s", item.recipient,
                                exc, retry_at)
                else:
                    ledger.outbox_failed(item.id, str(exc))
                    ledger.add_event(EventName.DELIVERY_FAILED,
                                     submission_id=item.submission_id, to=item.recipient,
                                     error=str(exc), attempts=attempts)
                    report.failed += 1
                    log.error("delivery to %s failed for good: %s", item.recipient, exc,
                              extra={"event": "delivery_failed", "recipient": item.recipient,
                                     "error": str(exc)})
            return
        # The window between the server's acceptance and this commit is the one place a
        # crash can send an email twice; it is as short as one local transaction.
        failpoint("after-smtp")
        with ledger.transaction():
            ledger.outbox_sent(item.id)
            ledger.add_event(EventName.EMAIL_DELIVERED, submission_id=item.submission_id,
                             purpose=item.purpose, to=item.recipient,
                             message_id=item.message_id)
        report.sent += 1
        if item.purpose.startswith(ACK):
            self.acks_sent += 1
