"""Arena's data layer: models, migrations, rules, queries, reports and sync.

Everything here is plain Python over SQLite (and PostgreSQL for a sync hub, `store.pgshare`). It must
never import textual or rich (a test checks),
so the CLI, the TUI and the nightly sync all obey the same rules through the same functions.
"""
