"""Sync from the TUI (`y` on F5, in a worker, progress in the footer line) and the conflicts screen (`k`)."""
from __future__ import annotations

import json

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from store import merge, sync
from store.i18n import t
from tui.dialogs import PromptDialog
from tui.workers import call_store
from tui.footer import ArenaFooter


def start_sync(app: App) -> None:
    """Sync with the share and key remembered from before; each is asked for once (the key only when it
    is not in the data directory), remembered as soon as it is given – a failed sync does not ask again –
    and the result stays visible as F5's sync line."""
    from pathlib import Path

    from tui.paths import default_key

    def run(share_path: str, key_path: str) -> None:
        def job() -> sync.Summary:
            sync.remember(app.db, share_path, key_path)
            key = sync.load_key(key_path)
            share = sync.open_share(share_path)
            try:
                return sync.sync(app.db, share, key)
            finally:
                share.close()

        def done(s: sync.Summary) -> None:
            app.notify(s.line(), timeout=15, severity="information" if s.ok and not s.conflicts else
                       "warning" if s.ok else "error")
            if hasattr(app.screen, "reload"):
                app.screen.reload()

        def failed(message: str) -> None:
            app.notify(message, severity="error", timeout=15)
            if hasattr(app.screen, "reload"):
                app.screen.reload()

        app.notify(t("sync.running"), timeout=3)
        call_store(app, job, done=done, failed=failed, group="sync")

    def with_share(share_path: str) -> None:
        key_path = sync.remembered(app.db, "sync.key")
        if key_path:
            run(share_path, key_path)
        elif default_key().is_file():
            run(share_path, str(default_key()))
        else:
            app.push_screen(PromptDialog(t("sync.key_prompt", path=default_key()), check=_key_file),
                            lambda value: run(share_path, str(value)) if value else None)

    share = sync.remembered(app.db, "sync.share")
    if share:
        with_share(share)
        return
    app.push_screen(PromptDialog(t("sync.share_prompt"), check=lambda s: s.strip() or None),
                    lambda value: with_share(str(value)) if value else None)


def _key_file(text: str) -> str | None:
    from pathlib import Path

    if not text.strip():
        return None
    path = Path(text.strip()).expanduser()
    sync.load_key(path)  # a missing or invalid key is said in the dialog, not after the sync
    return str(path.resolve())


def sync_line(state: sync.Status) -> str:
    """F5's sync line: the last sync's result and what waits now."""
    parts = [t("sync.status_last", at=state.last_at[:16].replace("T", " "), line=state.last_line)
             if state.last_at else t("sync.status_never")]
    parts += [t("sync.status_own", n=state.pending_own)] if state.pending_own else []
    parts += [t("sync.status_waiting", n=state.waiting)] if state.waiting and state.last_at else []
    parts += [t("sync.status_quarantine", detail=str(len(state.quarantined)))] if state.quarantined else []
    return " ".join(parts)


class ConflictsScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", t("key.back"), id="back"),
                Binding("r", "restore", t("key.restore"), id="restore")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("conf.title"), id="conf-title", classes="pane-title")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield ArenaFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, width in (("conf.col.when", 16), ("conf.col.who", 20), ("conf.col.day", 10), ("conf.col.what", 18),
                           ("conf.col.kept", 16), ("conf.col.lost", 16), ("conf.col.by", 12)):
            table.add_column(t(key), width=width)
        table.focus()
        self.reload()

    def reload(self) -> None:
        call_store(self, merge.conflicts, self.app.db, self.app.login, done=self._show, group="conflicts")

    def _show(self, items: list[merge.Conflict]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for c in items:
            table.add_row(c.detected_at[:16].replace("T", " "), c.who or "–", c.day[:10] or "–", c.what,
                          _value(c.kept), Text(_value(c.lost), style="yellow"), c.lost_by, key=c.id)
        self.query_one("#conf-title", Static).update(t("conf.title") + f" ({len(items)})"
                                                     if items else t("conf.none"))

    def action_restore(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        cid = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        db, login = self.app.db, self.app.login
        self.app.write_lane.submit(lambda: merge.restore_conflict(db, login, cid),
                                   lambda _: (self.app.notify(t("conf.restored"), timeout=4), self.reload()),
                                   lambda m: self.app.notify(m, severity="error", timeout=8))


def _value(value: object) -> str:
    if isinstance(value, str) and t(f"st.{value}") != f"st.{value}":
        value = t(f"st.{value}")  # a mark's status in words
    text = "–" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= 30 else text[:29] + "…"
