"""The `arena` command line. Twelve of its thirteen subcommands never touch Textual, and `arena --help`
imports neither textual nor SQLAlchemy.

- `entry`: the parser, `main()` (the console script), starting the app, `demo`/`export`/`import`/`find`;
- `programme`: the programme's upkeep – `report`, `stages`, `sync`, `keys`, `users`, `settings`, `gallra`;
- `setup`: setting a programme up – `init`, `activities`, `enrol`/`unenrol`, the parsers of these;
- `common`: what every subcommand shares – who is acting (proven with the PIN), the database, `--out`.

`programme` and `setup` are imported only when one of their subcommands runs.
"""
from tui.cli.entry import COMMANDS, CSV_DIALECTS, EXPORT_WHAT, PERSON_COMMANDS, build_parser, main

__all__ = ["COMMANDS", "CSV_DIALECTS", "EXPORT_WHAT", "PERSON_COMMANDS", "build_parser", "main"]
