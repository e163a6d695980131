"""Where raw messages come from: local files and folders, or an IMAP mailbox."""
