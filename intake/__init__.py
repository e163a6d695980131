"""intake: emailed submissions in, drafts for review and answers to authors out."""

__version__ = "0.4.0"
