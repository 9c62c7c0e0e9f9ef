"""Sync from the TUI (`y` on F5: asks for the share and key once, syncs in a thread worker, then posts
`Synced` to the screen on top) and the conflicts screen (`k`)."""
from __future__ import annotations

import contextlib
import json
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Static

from store import merge, sync
from tui.keyhelp import help_keys
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures, Synced
from tui.dialogs import DialogFlow, PromptDialog, run_flow
from tui.footer import ArenaFooter
from tui.header import ArenaHeader
from tui.paths import default_key
from tui.workers import failure, show, store_call


def start_sync(app: AppBase) -> None:
    """Sync with the share and key remembered from before; each is asked for once (the key only when it
    is not in the data directory), remembered as soon as it is given – a failed sync does not ask again –
    and the result stays visible as F5's sync line. The questions are a dialog flow; the sync itself
    runs in a thread worker (one at a time)."""

    async def ask(flow: DialogFlow) -> None:
        share_path = await flow.read(sync.remembered, app.db, "sync.share")
        if not share_path:
            share_path = await flow.ask(PromptDialog(t("sync.share_prompt"), check=_share))
        if not share_path:
            return
        key_path = await flow.read(sync.remembered, app.db, "sync.key")
        if not key_path and default_key().is_file():
            key_path = str(default_key())
        if not key_path:
            key_path = await flow.ask(PromptDialog(t("sync.key_prompt", path=default_key()), check=_key_file))
        if not key_path:
            return
        app.notify(t("sync.running"), timeout=3)
        app.run_worker(partial(_sync, app, share_path, key_path), thread=True, group="sync", exclusive=True,
                       exit_on_error=False)

    run_flow(app, ask)


def _sync(app: AppBase, share_path: str, key_path: str) -> None:
    """In a thread worker: remember the share and key, sync, say how it went on the UI thread."""
    summary: sync.Summary | None = None
    severity: SeverityLevel = "error"
    try:
        sync.remember(app.db, share_path, key_path)
        key = sync.load_key(key_path)
        share = sync.open_share(share_path)
        try:
            summary = sync.sync(app.db, share, key)
        finally:
            share.close()
    except Exception as error:  # noqa: BLE001 -- logged by `failure`, said in one line
        line = str(failure(app, error))
    else:
        line = summary.line()
        severity = "information" if summary.ok and not summary.conflicts else "warning" if summary.ok else "error"

    def show() -> None:
        app.notify(line, timeout=15, severity=severity)
        app.screen.post_message(Synced(summary))

    with contextlib.suppress(RuntimeError):  # the app has closed meanwhile: the sync is logged all the same
        app.call_from_thread(show)


def _share(text: str) -> str | None:
    return text.strip() or None


def _key_file(text: str) -> str | None:
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


@help_keys("key.conflicts", rank=90)
class ConflictsScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [Binding("escape", "app.pop_screen", "key.back", id="back"),
                Binding("r", "restore", "key.restore", id="restore")]

    def again(self) -> ConflictsScreen:
        """This list built anew (F12: the new language)."""
        return ConflictsScreen()

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("conf.title"), id="conf-title", classes="pane-title")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield ArenaFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, width in (("conf.col.when", 16), ("conf.col.who", 20), ("conf.col.day", 10), ("conf.col.what", 18),
                           ("conf.col.kept", 16), ("conf.col.lost", 16), ("conf.col.by", 12)):
            table.add_column(t(key), width=width)
        table.focus()
        self.keys_wait_for_first_read()
        self.reload()

    @on(Synced)
    @work(thread=True, group="conflicts", exclusive=True, exit_on_error=False)
    def reload(self) -> None:
        try:
            show(self, self._show, store_call(self.app, merge.conflicts, self.app.db, self.app.login))
        finally:
            self.first_read_shown()

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
        if cid is None:
            return

        def restored(_: object) -> None:
            self.app.notify(t("conf.restored"), timeout=4)
            self.reload()

        self.app.write_lane.submit(lambda: merge.restore_conflict(db, login, cid), restored,
                                   lambda m: self.app.notify(m, severity="error", timeout=8))


def _value(value: object) -> str:
    if isinstance(value, str) and t(f"st.{value}") != f"st.{value}":
        value = t(f"st.{value}")  # a mark's status in words
    text = "–" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= 30 else text[:29] + "…"
