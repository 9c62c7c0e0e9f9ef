"""`python -m tui.cli` is the `arena` command."""
from tui.cli.entry import main

raise SystemExit(main())
