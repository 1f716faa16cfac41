"""inbox-worker: a support team's ticket flow, run from a mailbox."""

__version__ = "0.1.0"
