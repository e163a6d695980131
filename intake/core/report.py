"""What one run did, counted: the summary line cron mails and the exit code it ends with."""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.core.errors import ExitCode


@dataclass
class RunReport:
    fetched: int = 0  # messages read from the source
    known: int = 0  # read before (same bytes): nothing new
    new: int = 0  # new submissions
    revisions: int = 0  # new versions of submissions, sent in reply
    replies: int = 0  # text-only replies kept as correspondence
    bounced: int = 0  # our own emails that came back undelivered
    duplicates: int = 0  # same Message-ID as one already taken
    ignored: int = 0
    quarantined: int = 0
    sent: int = 0
    failed: int = 0  # deliveries given up this run
    pending: int = 0
    delivery_problem: str | None = None
    source_problem: str | None = None  # the mailbox could not be read this run
    mark_problem: str | None = None  # read and kept, but not yet moved or flagged
    # What the settings must change before it can work (a refused login, TLS on the
    # wrong port): not temporary, so said at once, even under -q.
    settings_problem: str | None = None
    stopped: str | None = None  # what ended the run early (its error, said once)
    # The server said NO to moving or flagging what was taken (permission, quota, ACL):
    # nothing lost, not temporary; a person must look.
    refused_problem: str | None = None
    quarantines: list[str] = field(default_factory=list)  # each: reference and reason

    def summary(self) -> str:
        parts = [f"fetched {self.fetched}", f"new {self.new}", f"revisions {self.revisions}",
                 f"ignored {self.ignored}", f"quarantined {self.quarantined}",
                 f"sent {self.sent}", f"pending {self.pending}"]
        if self.replies:
            parts.append(f"replies {self.replies}")
        if self.bounced:
            parts.append(f"bounced {self.bounced}")
        if self.known or self.duplicates:
            parts.append(f"already had {self.known + self.duplicates}")
        if self.failed:
            parts.append(f"failed {self.failed}")
        return " · ".join(parts)

    def exit_code(self) -> ExitCode:
        if self.settings_problem:
            return ExitCode.USAGE
        # An acknowledgement that came back (a delivery report) failed for good just as
        # one the server refused did: a person should look.
        if self.quarantined or self.failed or self.bounced or self.refused_problem:
            return ExitCode.NEEDS_ATTENTION
        if self.delivery_problem or self.source_problem or self.mark_problem:
            return ExitCode.TEMPORARY
        return ExitCode.OK
