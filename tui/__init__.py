"""Arena's user interfaces: the Textual app (screens, widgets) and the `arena` command line.

Importing this package imports nothing heavy; `tui.cli` (the `arena` command) must not import textual
until the TUI starts.
No SQL lives here: everything goes through the service functions in `store`.
"""
