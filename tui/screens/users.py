"""User administration (`u` on F5, administrators): every user with role, whether active and whether a
PIN is set; add a user, reset a PIN, change a role, deactivate. The same store calls as `arena users …`
(`store.staff`), which check the administrator's right themselves. A new user and a reset PIN get a
one-time setup code, shown once, here, for the administrator to hand over in person."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from store import access, pins, staff, validate
from store.db import Database
from store.i18n import ArenaError
from tui.keyhelp import help_keys
from tui.footer import ArenaFooter
from tui.header import ArenaHeader
from tui.text import t
from tui.appbase import ArenaScreen, AppBase, SaysWorkerFailures
from tui.dialogs import ChoiceDialog, ConfirmDialog, Dialog, DialogFlow, FormDialog, Saved, run_flow
from tui.labels import add_columns
from tui.workers import StoreFailed, show, store_call


class SetupCodeDialog(Dialog[None]):
    """The one-time setup code, shown once: Enter or Esc closes it, and it is not shown again."""

    BINDINGS = [Binding("escape,enter", "close", "dlg.ok")]

    def __init__(self, login: str, code: str) -> None:
        super().__init__()
        self.login, self.code = login, code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("usr.code_title", login=self.login), classes="dialog-question")
            yield Static(self.code, id="usr-code", classes="pane-title")
            yield Static(t("usr.code_hint"), classes="muted")

    def action_close(self) -> None:
        self.dismiss(None)


@help_keys("key.users", " (u)", rank=110)
class UsersScreen(SaysWorkerFailures, ArenaScreen):
    app: AppBase

    BINDINGS = [
        Binding("escape", "app.pop_screen", "key.back", id="back"),
        Binding("ctrl+n", "add_user", "key.new_user", id="new_user"),
        Binding("p", "reset_pin", "key.reset_pin", id="reset_pin"),
        Binding("r", "set_role", "key.set_role", id="set_role"),
        Binding("d", "deactivate", "key.deactivate", id="deactivate"),
    ]

    def __init__(self, row: int = 0) -> None:
        super().__init__()
        self.users: dict[str, tuple[staff.Caseworker, bool, bool]] = {}
        self.first_row = row  # where the cursor goes when the list is first shown

    def again(self) -> UsersScreen:
        """This list built anew (F12: the new language), the cursor on the same row."""
        return UsersScreen(self.query_one(DataTable).cursor_row)

    def compose(self) -> ComposeResult:
        yield ArenaHeader()
        yield Static(t("usr.title"), classes="pane-title")
        yield DataTable(id="usr-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="usr-status", classes="muted")
        yield ArenaFooter()

    def on_mount(self) -> None:
        add_columns(self.query_one(DataTable), ("login", "usr.col.login", 20), ("name", "usr.col.name", 24),
                    ("role", "usr.col.role", 16), ("active", "usr.col.active", 8), ("pin", "usr.col.pin", None))
        self.query_one(DataTable).focus()
        self.keys_wait_for_first_read()
        self.reload()

    def reload(self) -> None:
        self._read(self.app.db, self.app.login)

    @work(thread=True, group="users", exclusive=True, exit_on_error=False)
    def _read(self, db: Database, login: str) -> None:
        try:
            show(self, self._show, store_call(self.app, staff.all_users, db, login))
        except StoreFailed as failed:  # said under the table (logged already)
            show(self, self._refused, str(failed))
        finally:
            self.first_read_shown()

    def _refused(self, message: str) -> None:
        self.query_one("#usr-status", Static).update(message)

    def _show(self, found: list[tuple[staff.Caseworker, bool, bool]]) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row if table.row_count else self.first_row
        table.clear()
        self.users = {}
        for user, active, has_pin in found:
            self.users[user.login] = (user, active, has_pin)
            table.add_row(user.login, user.name, t(f"role.{user.role}"),
                          t("user.active") if active else t("user.inactive"),
                          t("user.pin") if has_pin else t("user.no_pin"), key=user.login)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.query_one("#usr-status", Static).update(t("usr.count", n=len(found)))

    def current(self) -> tuple[staff.Caseworker, bool, bool] | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.users.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"add_user", "reset_pin", "set_role", "deactivate"}:
            return self.app.may(access.ADMIN)
        return super().check_action(action, parameters)

    def _write(self, fn, done) -> None:  # noqa: ANN001 -- a store call and what to do with its result
        def saved(result: object) -> None:
            done(result)
            self.reload()

        self.app.write_lane.submit(fn, saved, lambda m: self.app.notify(m, severity="error", timeout=8))

    async def _show_code(self, flow: DialogFlow, login: str, code: str) -> None:
        """The setup code of a write that has been committed, shown once (the list reads again beneath)."""
        self.reload()
        await flow.ask(SetupCodeDialog(login, code))

    # ------------------------------------------------------------------ actions
    def action_add_user(self) -> None:
        db, login = self.app.db, self.app.login

        names = {**{r: r for r in staff.ROLES}, **{t(f"role.{r}").lower(): r for r in staff.ROLES}}
        shown = ", ".join(t(f"role.{r}") for r in staff.ROLES)

        def check(v: dict[str, str]) -> dict[str, str]:
            typed = " ".join(v["role"].split()).lower()
            role = names.get(typed or "caseworker")
            if role is None:
                raise ArenaError("user.bad_role", value=v["role"].strip()[:40], roles=shown)
            return {"login": validate.login(v["login"]), "name": validate.text(v["name"], t("usr.f.name"),
                                                                                  max_len=120, required=True),
                    "role": role, "site": v["site"]}

        def save(v: dict[str, str]) -> str:
            return staff.add(db, login, v["login"], v["name"], v["role"], v["site"])

        async def steps(flow: DialogFlow) -> None:
            made = await flow.ask(FormDialog(t("usr.new"), [
                ("login", t("usr.f.login"), "", False), ("name", t("usr.f.name"), "", False),
                ("role", t("usr.f.role", roles=shown), t("role.caseworker"), False),
                ("site", t("usr.f.site"), "", False)], check, write=save))
            if isinstance(made, Saved):  # saved from the dialog: committed before the code is shown
                await self._show_code(flow, made.value["login"], made.outcome)

        run_flow(self, steps)

    def action_reset_pin(self) -> None:
        found = self.current()
        if found is None:
            return
        user = found[0]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            if await flow.ask(ConfirmDialog(t("usr.reset_q", login=user.login, name=user.name))):
                code = await flow.write(lambda: pins.reset_pin(db, login, user.login))
                await self._show_code(flow, user.login, str(code))

        run_flow(self, steps)

    def action_set_role(self) -> None:
        found = self.current()
        if found is None:
            return
        user = found[0]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            role = await flow.ask(ChoiceDialog(t("usr.role_q", login=user.login),
                                               [(r, t(f"role.{r}")) for r in staff.ROLES]))
            if role is not None and role != user.role:
                self._write(lambda: staff.set_role(db, login, user.login, role),
                            lambda _: self.app.notify(t("usr.role_set", login=user.login, role=t(f"role.{role}")),
                                                      timeout=3))

        run_flow(self, steps)

    def action_deactivate(self) -> None:
        found = self.current()
        if found is None or not found[1]:
            return
        user = found[0]
        db, login = self.app.db, self.app.login

        async def steps(flow: DialogFlow) -> None:
            if await flow.ask(ConfirmDialog(t("usr.deactivate_q", login=user.login, name=user.name))):
                self._write(lambda: staff.deactivate(db, login, user.login),
                            lambda _: self.app.notify(t("usr.deactivated", login=user.login), timeout=3))

        run_flow(self, steps)
