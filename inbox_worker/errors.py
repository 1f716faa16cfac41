"""The project's exceptions: one root, specific subclasses.

The CLI turns every `InboxWorkerError` into one line on stderr and a non-zero exit code;
anything else is a bug and is allowed to show its traceback.
"""


class InboxWorkerError(Exception):
    """Root of every error the worker reports to its user."""

    exit_code = 1


class ConfigError(InboxWorkerError):
    """The configuration file or environment is invalid."""

    exit_code = 2


class UsageError(InboxWorkerError):
    """A command was given a value it does not take (an unknown status, state...)."""

    exit_code = 2


class MailboxError(InboxWorkerError):
    """The mailbox (IMAP server or Maildir) cannot be reached or used."""

    exit_code = 3


class MailboxAuthError(MailboxError):
    """The mailbox refused our credentials."""


class StoreError(InboxWorkerError):
    """The database cannot be reached or is in an unexpected state."""

    exit_code = 4


class UnknownTicketError(InboxWorkerError):
    """No ticket has the reference the user gave."""

    exit_code = 5


class UnparseableMail(InboxWorkerError):
    """A mail that cannot be turned into a ticket entry; it goes to quarantine with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

