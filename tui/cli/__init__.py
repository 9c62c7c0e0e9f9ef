"""The `arena` command line. Its subcommands never touch Textual (only a bare `arena` starts the app),
and `arena --help` imports neither textual nor SQLAlchemy.

- `entry`: the parser, `main()` (the console script), starting the app, `demo`/`export`/`import`/`find`;
- `programme`: the programme's upkeep – `report`, `stages`, `sync`, `keys`, `users`, `settings`, `gallra`;
- `setup`: setting a programme up – `init`, `activities`, `enrol`/`unenrol`, the parsers of these;
- `common`: what every subcommand shares – who is acting (proven with the PIN), the database, `--out`.

`programme` is imported only when one of its subcommands runs, `setup` (light) for the parser too; each
imports the store modules a subcommand uses inside that subcommand.
"""
from tui.cli.entry import COMMANDS, CSV_DIALECTS, EXPORT_WHAT, PERSON_COMMANDS, build_parser, main

__all__ = ["COMMANDS", "CSV_DIALECTS", "EXPORT_WHAT", "PERSON_COMMANDS", "build_parser", "main"]
