"""`python -m intake`: the command line, where the `intake` script is not on PATH."""

from intake.cli import main

raise SystemExit(main())
