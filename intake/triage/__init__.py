"""Working out what a message is: automatic mail, and which kind of submission."""
