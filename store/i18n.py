"""The one catalog of user-facing text: Swedish by default, English with `--lang en`.

Store errors carry a catalog key and parameters, so the CLI and the TUI show the same sentence in the
user's language. Code, identifiers and comments stay English; Swedish words live only here.
"""
from __future__ import annotations

_lang = "sv"

CATALOG: dict[str, tuple[str, str]] = {
    # identity numbers
    "id.empty": ("Ange ett personnummer eller samordningsnummer.", "Enter a personal identity or coordination number."),
    "id.format": ("”{value}” har fel format: skriv ÅÅMMDD-NNNN eller ÅÅÅÅMMDDNNNN.",
                  "“{value}” has the wrong format: use YYMMDD-NNNN or YYYYMMDDNNNN."),
    "id.date": ("”{value}” innehåller inget giltigt födelsedatum.", "“{value}” does not contain a valid date of birth."),
    "id.future": ("”{value}” har ett födelsedatum i framtiden.", "“{value}” has a date of birth in the future."),
    "id.birth_number": ("”{value}”: födelsenumret 000 delas aldrig ut.", "“{value}”: birth number 000 is never issued."),
    "id.check_digit": ("”{value}”: kontrollsiffran stämmer inte (skrivfel?).",
                       "“{value}”: the check digit does not match (typo?)."),
    "id.duplicate": ("Personnumret {value} finns redan i registret.", "Identity number {value} is already registered."),
    # generic store errors
    "err.not_found": ("{what} finns inte.", "{what} does not exist."),
    "err.db_locked": ("Databasen är upptagen av ett annat fönster. Försök igen.",
                      "The database is busy in another window. Try again."),
    "err.db_full": ("Disken är full – ingenting sparades.", "The disk is full – nothing was saved."),
    "err.db_readonly": ("Databasen är skrivskyddad – ingenting sparades.", "The database is read-only – nothing was saved."),
    "err.db_other": ("Kunde inte spara: {detail}", "Could not save: {detail}"),
    "err.db_open": ("Kan inte öppna databasen {path}: {detail}", "Cannot open the database {path}: {detail}"),
    "err.db_newer": ("Databasen {path} kommer från en nyare version av Arena (schema {found}, vi kan {known}).",
                     "The database {path} comes from a newer Arena (schema {found}, we know {known})."),
    "err.bad_date": ("”{value}” är inget datum (ÅÅÅÅ-MM-DD).", "“{value}” is not a date (YYYY-MM-DD)."),
    "err.bad_month": ("”{value}” är ingen månad (ÅÅÅÅ-MM).", "“{value}” is not a month (YYYY-MM)."),
    "err.bad_number": ("”{value}” är inget tal.", "“{value}” is not a number."),
    "err.text_too_long": ("Texten är för lång (högst {max} tecken).", "The text is too long (at most {max} characters)."),
    "err.required": ("{field} måste fyllas i.", "{field} is required."),
    "err.control_chars": ("Texten innehåller otillåtna tecken.", "The text contains characters that are not allowed."),
    # attendance rules
    "att.future": ("{date} har inte hänt än – närvaro kan inte registreras i förväg.",
                   "{date} has not happened yet – attendance cannot be recorded in advance."),
    "att.holiday": ("{date} är {holiday} – inga aktiviteter den dagen.", "{date} is {holiday} – no activities that day."),
    "att.weekend": ("{date} är en helgdag – inga aktiviteter.", "{date} is a weekend – no activities."),
    "att.no_session": ("{activity} har inget pass på {weekday}.", "{activity} has no session on {weekday}."),
    "att.cancelled": ("Passet {date} är inställt – ångra inställningen först.",
                      "The session on {date} is cancelled – undo the cancellation first."),
    "att.not_enrolled": ("{name} är inte inskriven i {activity} {date}.", "{name} is not enrolled in {activity} on {date}."),
    "att.exited": ("{name} har avslutats {date} och kan inte få nya markeringar.",
                   "{name} exited on {date} and cannot get new marks."),
    "att.bad_status": ("Okänd status ”{value}” (present, partial, sick, vab, excused, unexcused).",
                       "Unknown status “{value}” (present, partial, sick, vab, excused, unexcused)."),
    "att.bad_hours": ("Timmar måste vara 0,5–{max} i steg om 0,5.", "Hours must be 0.5–{max} in steps of 0.5."),
    "att.bad_reason": ("Okänd frånvarokod ”{value}”.", "Unknown absence code “{value}”."),
    "att.unknown_person": ("Ingen deltagare med {value}.", "No participant with {value}."),
    "att.unknown_activity": ("Ingen aktivitet som heter ”{value}”.", "No activity named “{value}”."),
    # milestones
    "ms.backwards": ("Att flytta tillbaka status kräver en anledning (rättelse).",
                     "Moving a status back requires a reason (correction)."),
    "ms.future": ("Uppnått-datum {date} ligger i framtiden.", "Achieved date {date} is in the future."),
    "ms.before_referral": ("Datumet {date} är före anvisningen {referral}.", "The date {date} is before the referral {referral}."),
    "ms.exit_outcome": ("Avslut kräver ett utfall.", "An exit requires an outcome."),
    "ms.bad_outcome": ("Okänt utfall ”{value}”.", "Unknown outcome “{value}”."),
    "ms.already_exited": ("{name} är redan avslutad.", "{name} has already exited."),
    "ms.not_exited": ("{name} är inte avslutad.", "{name} has not exited."),
    "ms.bad_stage": ("Okänt steg ”{value}”.", "Unknown stage “{value}”."),
    "ms.bad_status": ("Okänd status ”{value}”.", "Unknown status “{value}”."),
    "ms.stage_exists": ("Steget ”{value}” finns redan.", "The stage “{value}” already exists."),
    "ms.cancel_reason": ("Att avbryta kräver en anledning.", "Cancelling requires a reason."),
    # access
    "acc.reason_required": ("Ärendet ligger utanför din ärendelista – ange en anledning.",
                            "The case is outside your caseload – give a reason."),
    "acc.unknown_user": ("Användaren ”{login}” finns inte i Arena. Be en administratör lägga till dig.",
                         "User “{login}” does not exist in Arena. Ask an administrator to add you."),
    "acc.denied": ("Som {role} får du inte {action}.", "As {role} you may not {action}."),
    "acc.not_your_activity": ("Du är inte ledare för den här aktiviteten.", "You do not lead this activity."),
    "acc.action.case.read": ("läsa ärenden", "read cases"),
    "acc.action.case.write": ("ändra ärenden", "change cases"),
    "acc.action.attendance": ("registrera närvaro", "record attendance"),
    "acc.action.report": ("ta fram rapporter och statistik", "produce reports and figures"),
    "acc.action.admin": ("administrera Arena", "administer Arena"),
    "acc.mode_denied": ("Den delen av Arena är inte öppen för din roll ({role}).",
                        "That part of Arena is not open to your role ({role})."),
    "role.caseworker": ("handläggare", "caseworker"),
    "role.leader": ("aktivitetsledare", "activity leader"),
    "role.admin": ("administratör", "administrator"),
    "user.bad_role": ("Okänd roll ”{value}” (välj bland {roles}).", "Unknown role “{value}” (choose from {roles})."),
    "user.exists": ("Användaren ”{login}” finns redan.", "User “{login}” already exists."),
    "user.not_self": ("Du kan inte ändra din egen roll eller inaktivera dig själv – be en annan administratör.",
                      "You cannot change your own role or deactivate yourself – ask another administrator."),
    "user.active": ("aktiv", "active"), "user.inactive": ("inaktiv", "inactive"),
    "user.pin": ("PIN satt", "PIN set"), "user.no_pin": ("ingen PIN", "no PIN"),
    "gallra.last": ("senaste post {day}", "last entry {day}"),
    "gallra.would": ("Skulle gallra {n} ärenden med senaste post före {cutoff} ({kept} sparas: födda dag 5, 15 "
                     "eller 25). Ingenting är ändrat.",
                     "Would remove {n} cases with their last entry before {cutoff} ({kept} kept: born on day 5, "
                     "15 or 25). Nothing was changed."),
    "gallra.done": ("Gallrade {n} ärenden med senaste post före {cutoff} ({kept} sparas: födda dag 5, 15 eller "
                    "25). Borttagningen når övriga arbetsstationer vid nästa synk.",
                    "Removed {n} cases with their last entry before {cutoff} ({kept} kept: born on day 5, 15 or "
                    "25). Other workstations remove them at their next sync."),
    "user.done": ("Klart: {login}.", "Done: {login}."),
    "err.bad_login": ("”{value}” är ingen giltig inloggning (bokstäver, siffror, . _ - @).",
                      "“{value}” is not a valid login (letters, digits, . _ - @)."),
    "pin.length": ("PIN-koden ska ha {min}–{max} tecken.", "The PIN must have {min}–{max} characters."),
    "pin.too_simple": ("PIN-koden är för enkel (inte samma tecken eller en rak serie).",
                       "The PIN is too simple (not one repeated character or a straight run)."),
    "pin.wrong": ("Fel PIN-kod. {left} försök kvar innan upplåsningen spärras en stund.",
                  "Wrong PIN. {left} tries left before unlocking is blocked for a while."),
    "pin.blocked": ("För många felaktiga försök. Försök igen efter {time}.",
                    "Too many wrong tries. Try again after {time}."),
    "pin.mismatch": ("De två PIN-koderna är olika.", "The two PINs differ."),
    # sync
    "sync.no_key": ("Programnyckeln {path} saknas. Skapa den med ”arena keys new FIL” och kopiera den till varje arbetsstation.",
                    "The programme key {path} is missing. Create it with “arena keys new FILE” and copy it to every workstation."),
    "sync.key_write": ("Kunde inte skriva programnyckeln {path}: {detail}", "Could not write the programme key {path}: {detail}"),
    "sync.bad_key": ("Programnyckeln {path} är ogiltig.", "The programme key {path} is invalid."),
    "sync.share_missing": ("Utdelningen {path} går inte att nå.", "The share {path} cannot be reached."),
    "sync.summary": ("Synk klar: {sent} skickade, {received} mottagna, {conflicts} konflikter, {quarantined} i karantän.",
                     "Sync done: {sent} sent, {received} received, {conflicts} conflicts, {quarantined} quarantined."),
    "sync.own_file_bad": ("Vår egen fil {name} på utdelningen är skadad ({reason}) – kontakta IT.",
                          "Our own file {name} on the share is damaged ({reason}) – contact IT."),
    "sync.read_snapshot": ("Läste ögonblicksbilden {name} ({n} ändringar).",
                           "Read the snapshot {name} ({n} changes)."),
    "sync.snapshot_written": ("Ögonblicksbild publicerad: {name}.", "Snapshot published: {name}."),
    "sync.waiting": ("{n} rader väntar på data från en annan arbetsstation.", "{n} rows wait for data from another workstation."),
    "sync.share_failed": ("Utdelningen {path} kunde inte läsas eller skrivas: {detail}. Inget gick förlorat; kör synken igen.",
                          "The share {path} could not be read or written: {detail}. Nothing was lost; run the sync again."),
    "sync.problem": ("inte tillämpad: {detail}", "not applied: {detail}"),
    "sync.key_exists": ("Filen {path} finns redan – skriver inte över en nyckel.",
                        "The file {path} already exists – not overwriting a key."),
    "sync.key_created": ("Programnyckel skapad: {path}. Kopiera den till varje arbetsstation, aldrig till utdelningen.",
                         "Programme key created: {path}. Copy it to every workstation, never to the share."),
    "act.exists": ("Aktiviteten ”{name}” finns redan.", "The activity “{name}” already exists."),
    # import / export / cli
    "cli.bad_usage": ("Fel användning: {detail}", "Bad usage: {detail}"),
    "cli.file_missing": ("Filen {path} finns inte eller kan inte läsas.", "The file {path} does not exist or cannot be read."),
    "cli.db_missing": ("Databasen {path} finns inte.", "The database {path} does not exist."),
    "cli.db_created": ("Ny tom databas för den här arbetsstationen: {path}", "New empty database for this workstation: {path}"),
    "cli.interrupted": ("Avbrutet.", "Interrupted."),
    "cli.unexpected": ("Oväntat fel: {detail}", "Unexpected error: {detail}"),
    "imp.line": ("rad {line}: {reason}", "line {line}: {reason}"),
    "imp.header": ("Fel rubrikrad: behöver {columns}.", "Wrong header: needs {columns}."),
    "imp.summary": ("{ok} rader importerade, {unchanged} oförändrade, {bad} avvisade.",
                    "{ok} rows imported, {unchanged} unchanged, {bad} rejected."),
    "imp.none": ("Inget importerades (--all-or-nothing) eftersom {bad} rader avvisades.",
                 "Nothing was imported (--all-or-nothing) because {bad} rows were rejected."),
    "demo.built": ("Demodatabas skapad: {path} ({participants} deltagare, {attendance} närvarorader).",
                   "Demo database built: {path} ({participants} participants, {attendance} attendance rows)."),
    "demo.building": ("Skapar demodatabasen {path} första gången …", "Building the demo database {path} on first use …"),
    "demo.exists": ("Databasen {path} finns redan – välj en ny fil.", "The database {path} already exists – choose a new file."),
}


def set_language(lang: str) -> None:
    global _lang
    if lang not in ("sv", "en"):
        raise ValueError(lang)
    _lang = lang


def language() -> str:
    return _lang


def t(key: str, **params: object) -> str:
    """The text for `key` in the current language; an unknown key is returned as-is (never a crash)."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry[0] if _lang == "sv" else entry[1]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


class ArenaError(Exception):
    """An error a caseworker is meant to read: a catalog key plus parameters."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def __str__(self) -> str:
        return t(self.key, **self.params)


# Screens and widgets. Kept in the same catalog so every sentence a user reads has one home.
CATALOG.update({
    "app.title": ("Arena Arbetsmarknad", "Arena Arbetsmarknad"),
    "app.crashed": ("Arena stängdes av ett oväntat fel. Allt som visats som sparat är sparat. Detaljer: {log}",
                    "Arena closed after an unexpected error. Everything shown as saved is saved. Details: {log}"),
    "app.user": ("Användare: {name}", "User: {name}"),
    "key.help": ("Hjälp", "Help"), "key.search": ("Sök", "Search"), "key.attendance": ("Närvaro", "Attendance"),
    "key.milestones": ("Milstolpar", "Milestones"), "key.overview": ("Översikt", "Overview"),
    "key.quit": ("Avsluta", "Quit"), "key.back": ("Tillbaka", "Back"), "key.open": ("Öppna", "Open"),
    "key.present": ("Närvarande", "Present"), "key.partial": ("Delvis", "Partial"), "key.sick": ("Sjuk", "Sick"),
    "key.vab": ("VAB", "VAB"), "key.excused": ("Giltig", "Excused"), "key.unexcused": ("Ogiltig", "Unexcused"),
    "key.clear": ("Rensa", "Clear"), "key.undo": ("Ångra", "Undo"), "key.all_present": ("Alla närv.", "All present"),
    "key.cancel_session": ("Inställt", "Cancelled"), "key.prev_day": ("Föreg. dag", "Prev day"),
    "key.next_day": ("Nästa dag", "Next day"), "key.today": ("Idag", "Today"), "key.week": ("Vecka", "Week"),
    "key.filter": ("Filtrera", "Filter"), "key.note": ("Anteckning", "Note"), "key.prev_week": ("Föreg. v.", "Prev wk"),
    "key.next_week": ("Nästa v.", "Next wk"), "key.new": ("Ny deltagare", "New participant"),
    "key.achieve": ("Uppnådd + nästa", "Achieve + next"), "key.plan_date": ("Planera datum", "Plan date"),
    "key.cancel_ms": ("Avbryt steg", "Cancel stage"), "key.exit": ("Avslut", "Exit"), "key.edit": ("Redigera", "Edit"),
    "key.sync": ("Synka", "Sync"), "key.conflicts": ("Konflikter", "Conflicts"), "key.report": ("Närvarorapport", "Attendance report"),
    "key.figures": ("Programsiffror", "Programme figures"), "key.save": ("Spara", "Save"), "key.lock": ("Lås", "Lock"),
    "key.reenter": ("Återinskriv", "Re-enter"), "key.mark_note": ("Notering", "Note on mark"),
    # status words
    "st.present": ("Närvarande", "Present"), "st.partial": ("Delvis", "Partial"), "st.sick": ("Sjuk", "Sick"),
    "st.vab": ("VAB", "VAB"), "st.excused": ("Giltig frånvaro", "Excused"), "st.unexcused": ("Ogiltig frånvaro", "Unexcused"),
    "st.none": ("–", "–"), "st.saving": ("sparar …", "saving …"),
    "sess.open": ("öppen", "open"), "sess.done": ("klar", "done"), "sess.cancelled": ("inställd", "cancelled"),
    # attendance screen
    "att.title": ("Närvaro", "Attendance"),
    "att.col.activity": ("Aktivitet", "Activity"), "att.col.site": ("Plats", "Site"), "att.col.hours": ("Tim", "Hrs"),
    "att.col.marked": ("Markerade", "Marked"), "att.col.state": ("Status", "State"), "att.col.name": ("Namn", "Name"),
    "att.col.planned": ("Plan h", "Plan h"), "att.col.mark": ("Markering", "Mark"), "att.col.info": ("Info", "Info"),
    "att.no_sessions": ("Inga pass den här dagen.", "No sessions this day."),
    "att.holiday_line": ("{name}: inga aktiviteter.", "{name}: no activities."),
    "att.pick_session": ("Välj ett pass till vänster och tryck Enter.", "Pick a session on the left and press Enter."),
    "att.saved": ("Sparat: {name} – {status}", "Saved: {name} – {status}"),
    "att.failed": ("EJ SPARAT: {name}: {error}", "NOT SAVED: {name}: {error}"),
    "att.undone": ("Ångrat: {name}", "Undone: {name}"), "att.nothing_to_undo": ("Inget att ångra.", "Nothing to undo."),
    "att.confirm_all": ("Markera {n} omarkerade som närvarande?", "Mark {n} unmarked people present?"),
    "att.confirm_cancel": ("Markera passet {activity} {date} som inställt? Ingen blir frånvarande.",
                           "Mark the session {activity} {date} as cancelled? Nobody becomes absent."),
    "att.confirm_uncancel": ("Passet är inställt. Ångra inställningen?", "The session is cancelled. Undo the cancellation?"),
    "att.all_done": ("{n} markerade närvarande.", "{n} marked present."),
    "att.session_cancelled": ("Passet är inställt – ingen frånvaro registreras.", "The session is cancelled – no absence is recorded."),
    "att.hours_prompt": ("Antal närvarotimmar för {name} (0,5–{max}):", "Hours attended by {name} (0.5–{max}):"),
    "att.code_prompt": ("Välj frånvarokod för {name}:", "Choose an absence code for {name}:"),
    "att.note_prompt": ("Notering för {name}:", "Note for {name}:"),
    "att.elsewhere": ("närv. {activity}", "present at {activity}"),
    "att.late": ("efterregistrerad", "recorded late"),
    "att.filter_placeholder": ("Filtrera på namn …", "Filter by name …"),
    "att.future_day": ("Framtida dag – närvaro kan inte registreras.", "Future day – attendance cannot be recorded."),
    "att.roll_header": ("{activity} · {day} · {marked}/{enrolled} markerade", "{activity} · {day} · {marked}/{enrolled} marked"),
    "week.title": ("Veckoöversikt {activity} · vecka {week} {year}", "Week view {activity} · week {week} {year}"),
    "week.legend": ("✓ närvarande · ◐ delvis · S sjuk · B VAB · G giltig · O ogiltig · · omarkerad · ✱ helgdag. "
                    "Pilarna flyttar, bokstaven markerar.",
                    "✓ present · ◐ partial · S sick · B VAB · G excused · O unexcused · · unmarked · ✱ holiday. "
                    "Arrows move, the letter marks."),
    "week.col.plan": ("Plan hittills", "Plan so far"), "week.col.done": ("Utfört", "Done"), "week.col.short": ("Saknas", "Short"),
    # dialogs
    "dlg.yes": ("Ja", "Yes"), "dlg.no": ("Nej", "No"), "dlg.ok": ("OK", "OK"), "dlg.cancel": ("Avbryt", "Cancel"),
    "dlg.reason_title": ("{name} ligger utanför din ärendelista. Ange anledning (loggas):",
                         "{name} is outside your caseload. Give a reason (logged):"),
    "dlg.reason.other": ("Annan anledning (skriv nedan)", "Other reason (type below)"),
    "dlg.reason.cover": ("Vikarierar för ansvarig handläggare", "Covering for the responsible caseworker"),
    "dlg.reason.roll": ("Närvarofråga från aktivitet", "Attendance question from an activity"),
    "dlg.reason.call": ("Deltagaren har kontaktat mig", "The participant contacted me"),
    "dlg.reason.bistand": ("Fråga från biståndshandläggare", "Question from the social-assistance caseworker"),
    "dlg.reason_placeholder": ("Anledning …", "Reason …"),
    # first run
    "first.title": ("Välkommen till Arena", "Welcome to Arena"),
    "first.unknown": ("Inloggningen ”{login}” är inte kopplad till någon användare på den här datorn. "
                      "Välj dig själv och bekräfta med din PIN-kod (saknas du: be en administratör lägga till dig).",
                      "The login “{login}” is not linked to a user on this computer. Pick yourself and confirm "
                      "with your PIN (not listed? ask an administrator to add you)."),
    "first.empty": ("Databasen har inga användare än. Är det här en ny arbetsstation i ett befintligt program: "
                    "avbryt (Esc) och kör ”arena sync” först. Annars blir du (”{login}”) den första användaren, "
                    "med rollen administratör. Ditt namn:",
                    "The database has no users yet. If this is a new workstation of an existing programme, cancel "
                    "(Esc) and run “arena sync” first. Otherwise you (“{login}”) become the first user, as "
                    "administrator. Your name:"),
    "first.created": ("Välkommen, {name}! Du är administratör i Arena.", "Welcome, {name}! You are an administrator in Arena."),
    "first.name_placeholder": ("För- och efternamn", "First and last name"),
    # help
    "help.title": ("Hjälp – alla tangenter", "Help – all keys"),
    "help.global": ("Överallt", "Everywhere"),
    "help.card": ("Akten (Enter på en träff)", "Case card (Enter on a result)"),
    "help.palette": ("Kommandopalett", "Command palette"),
    # search
    "search.placeholder": ("Namn, personnummer eller samordningsnummer …", "Name, personal or coordination number …"),
    "search.col.number": ("Nummer", "Number"), "search.col.age": ("Ålder", "Age"),
    "search.col.cw": ("Handläggare", "Caseworker"), "search.col.status": ("Status", "Status"),
    "search.col.stage": ("Steg", "Stage"), "search.col.why": ("Träff", "Match"),
    "search.none": ("Inga träffar.", "No matches."), "search.count": ("{n} träffar", "{n} matches"),
    "search.hint": ("Skriv minst två tecken. Enter öppnar akten, Ctrl+N registrerar ny deltagare.",
                    "Type at least two characters. Enter opens the case, Ctrl+N registers a new participant."),
    "status.active": ("aktiv", "active"), "status.exited": ("avslutad", "exited"),
    "protected": ("SKYDDAD", "PROTECTED"),
    # register
    "reg.title": ("Registrera deltagare", "Register participant"),
    "reg.number": ("Personnummer / samordningsnummer (valfritt)", "Identity / coordination number (optional)"),
    "reg.first": ("Förnamn", "First name"), "reg.last": ("Efternamn", "Last name"),
    "reg.gender": ("Kön (K/M/X)", "Gender (K/M/X)"), "reg.referral": ("Anvisningsdatum (ÅÅÅÅ-MM-DD)", "Referral date (YYYY-MM-DD)"),
    "reg.caseworker": ("Handläggare", "Caseworker"), "reg.plan": ("Planerade timmar mån–fre (t.ex. 8 8 8 8 8)",
                                                                 "Planned hours Mon–Fri (e.g. 8 8 8 8 8)"),
    "reg.protected": ("Skyddad identitet", "Protected identity"),
    "reg.bad_plan": ("Skriv fem timtal, ett per vardag (t.ex. 8 8 8 8 8).", "Type five hour values, one per weekday (e.g. 8 8 8 8 8)."),
    "reg.duplicates": ("Menade du …?", "Did you mean …?"),
    "reg.open_existing": ("Öppna befintlig", "Open existing"), "reg.create_anyway": ("Skapa ändå", "Create anyway"),
    "reg.saved": ("Deltagaren är registrerad.", "The participant is registered."),
    "dup.number": ("samma nummer", "same number"), "dup.name_birth": ("samma namn och födelsedatum", "same name and birth date"),
    "dup.similar_name_birth": ("liknande namn, samma födelsedatum", "similar name, same birth date"),
    # case card
    "card.tab.overview": ("Översikt", "Overview"), "card.tab.attendance": ("Närvaro", "Attendance"),
    "card.tab.milestones": ("Milstolpar", "Milestones"), "card.tab.notes": ("Anteckningar", "Notes"),
    "card.tab.history": ("Historik", "History"),
    "card.header": ("{name} · {number} · {age} år · {gender} · {cw} · anvisad {referral} · dag {days} i programmet",
                    "{name} · {number} · age {age} · {gender} · {cw} · referred {referral} · day {days} in programme"),
    "card.plan": ("Veckoplan: mån {mon:g} · tis {tue:g} · ons {wed:g} · tor {thu:g} · fre {fri:g} = {total:g} h",
                  "Weekly plan: Mon {mon:g} · Tue {tue:g} · Wed {wed:g} · Thu {thu:g} · Fri {fri:g} = {total:g} h"),
    "card.enrolments": ("Aktiviteter: {list}", "Activities: {list}"),
    "card.last4": ("Senaste 4 veckorna: {attended:g} av {planned:g} h ({rate}), {unexcused} ogiltiga frånvarotillfällen",
                   "Last 4 weeks: {attended:g} of {planned:g} h ({rate}), {unexcused} unexcused absences"),
    "card.current_stage": ("Nuvarande steg: {stage}; nästa: {next}", "Current stage: {stage}; next: {next}"),
    "card.note_added": ("Anteckningen är sparad.", "The note is saved."),
    "card.note_prompt": ("Ny anteckning (sparas direkt, kan inte ändras – rätta med en ny):",
                         "New note (saved at once, cannot be changed – correct with a new one):"),
    "card.exited": ("AVSLUTAD {date} ({outcome})", "EXITED {date} ({outcome})"),
    "card.week_line": ("v. {week}: {attended:g}/{planned:g} h  {cells}", "wk {week}: {attended:g}/{planned:g} h  {cells}"),
    "card.edit_title": ("Ändra uppgifter", "Edit details"), "card.saved": ("Ändringen är sparad.", "The change is saved."),
    "card.unchanged": ("Inget ändrades.", "Nothing changed."),
    "card.col.week": ("Vecka", "Week"), "card.col.achieved": ("Uppnått", "Achieved"), "card.col.period": ("Period", "Period"),
    "card.col.note": ("Anteckning", "Note"), "card.col.when": ("När", "When"), "card.col.who": ("Vem", "Who"),
    "card.col.what": ("Vad", "What"), "card.col.change": ("Ändring (före → efter)", "Change (before → after)"),
    "card.keys": ("Ctrl+E ändra uppgifter · r närvarorapport denna månad · Milstolpar: a p c e · Anteckningar: Ctrl+N",
                  "Ctrl+E edit details · r attendance report this month · Milestones: a p c e · Notes: Ctrl+N"),
    "card.address": ("Adress", "Address"), "card.phone": ("Telefon", "Phone"),
    # milestones
    "ms.title": ("Milstolpar – min ärendelista", "Milestones – my caseload"),
    "ms.col.stage": ("Steg", "Stage"), "ms.col.status": ("Status", "Status"), "ms.col.days": ("Dagar i steg", "Days in stage"),
    "ms.col.planned": ("Planerat", "Planned"), "ms.col.alert": ("Att göra", "To do"),
    "ms.status.planned": ("planerad", "planned"), "ms.status.started": ("pågående", "started"),
    "ms.status.achieved": ("uppnådd", "achieved"), "ms.status.cancelled": ("avbruten", "cancelled"),
    "ms.alert.overdue": ("planerat datum passerat för {days} dagar sedan", "planned date passed {days} days ago"),
    "ms.alert.stale": ("ingen förändring på {days} dagar", "no change for {days} days"),
    "ms.alert.no_plan": ("ingen handlingsplan efter {days} dagar", "no action plan after {days} days"),
    "ms.stage_list": ("{code:14} {label:28} {kind}", "{code:14} {label:28} {kind}"),
    "ms.next_prompt": ("Nästa steg och planerat datum:", "Next stage and planned date:"),
    "ms.date_prompt": ("Planerat datum (ÅÅÅÅ-MM-DD):", "Planned date (YYYY-MM-DD):"),
    "ms.reason_prompt": ("Anledning:", "Reason:"),
    "ms.exit_prompt": ("Avslut: välj utfall och datum", "Exit: pick an outcome and a date"),
    "ms.no_next": ("(inget nytt steg nu)", "(no next stage now)"),
    "ms.achieved_prompt": ("{stage} uppnådd för {name} – datum (ÅÅÅÅ-MM-DD):", "{stage} achieved for {name} – date (YYYY-MM-DD):"),
    "ms.exit_date": ("Avslutsdatum för {name} (ÅÅÅÅ-MM-DD):", "Exit date for {name} (YYYY-MM-DD):"),
    "ms.exited": ("Avslutet är sparat. Deltagaren lämnar närvarolistorna dagen efter avslutsdatumet.",
                  "The exit is saved. The participant leaves the roll calls the day after the exit date."),
    "ms.reenter_prompt": ("Återinskriv {name} från datum (ÅÅÅÅ-MM-DD):", "Re-enter {name} from date (YYYY-MM-DD):"),
    "ms.saved": ("Milstolpen är sparad.", "The milestone is saved."),
    "ms.count": ("{n} aktiva, {alerts} att följa upp", "{n} active, {alerts} to follow up"),
    "ms.none": ("Inga deltagare i din ärendelista.", "No participants in your caseload."),
    # overview
    "ov.title": ("Min dag", "My day"),
    "ov.sessions": ("Dagens pass i mina aktiviteter", "Today's sessions of my activities"),
    "ov.unexcused": ("Ogiltig frånvaro denna vecka", "Unexcused absence this week"),
    "ov.below": ("Under planerade timmar förra veckan", "Below planned hours last week"),
    "ov.alerts": ("Milstolpar att följa upp", "Milestones to follow up"),
    "ov.silent": ("Ingen kontakt på {days} dagar", "No contact for {days} days"),
    "ov.empty": ("Inget här.", "Nothing here."),
    "ov.col.count": ("Antal", "Count"), "ov.col.dates": ("Datum", "Dates"), "ov.col.hours": ("Utfört/plan", "Done/plan"),
    "ov.col.last": ("Senast", "Last"),
    "fig.all_sites": ("Alla platser", "All sites"), "fig.all_caseworkers": ("Alla handläggare", "All caseworkers"),
    "fig.all_activities": ("Alla aktiviteter", "All activities"),
    "fig.women": ("Kvinnor", "Women"), "fig.men": ("Män", "Men"), "fig.other": ("Annat", "Other"),
    "fig.total": ("Totalt", "Total"), "fig.active": ("Aktiva deltagare", "Active participants"),
    "fig.time": ("Tid i programmet", "Time in programme"), "fig.months": ("mån", "months"),
    "fig.exits": ("Avslut i år per utfall", "Exits this year by outcome"),
    "fig.work_study": ("Andel till arbete/studier", "Share to work/studies"),
    "fig.rate": ("Närvaro senaste 4 veckorna (utfört / planerat)", "Attendance last 4 weeks (attended / planned)"),
    "fig.trend": ("Närvarograd per vecka", "Attendance rate per week"),
    "fig.caseloads": ("Ärenden per handläggare (aktiva)", "Caseload per caseworker (active)"),
    "fig.title": ("Programsiffror", "Programme figures"),
    "sync.share_prompt": ("Sökväg till den centrala utdelningen (t.ex. /mnt/arena):",
                          "Path to the central share (e.g. /mnt/arena):"),
    "key.restore": ("Återställ", "Restore"),
    "conf.title": ("Konflikter från synken – värden som skrevs över", "Sync conflicts – values that were overwritten"),
    "conf.none": ("Inga konflikter att granska.", "No conflicts to review."),
    "conf.col.when": ("Upptäckt", "Detected"), "conf.col.what": ("Fält", "Field"), "conf.col.kept": ("Gäller nu", "Current"),
    "conf.col.lost": ("Överskrivet", "Overwritten"), "conf.col.by": ("Av", "By"),
    "conf.restored": ("Värdet är återställt (synkas som en ny ändring).", "The value is restored (syncs as a new change)."),
    "sync.running": ("Synkar …", "Syncing …"),
    "report.summary": ("Närvarorapport {month}: {people} deltagare.", "Attendance report {month}: {people} participants."),
    "report.xlsx_needs_out": ("XLSX kräver --out FIL.", "XLSX needs --out FILE."),
    "stages.code_needed": ("ange stegets kod", "give the stage code"),
    "report.saved": ("Närvarorapporten är sparad: {path}", "The attendance report is saved: {path}"),
    "key.review": ("Granskning", "Access review"),
    "key.outside_only": ("Bara utanför ärendelistan", "Outside caseload only"),
    "rv.title": ("Åtkomstgranskning – vem har läst, sökt och tagit ut vad",
                 "Access review – who read, searched and exported what"),
    "rv.user": ("Användare (inloggning)", "User (login)"), "rv.case": ("Ärende (personnummer)", "Case (id number)"),
    "rv.since": ("Från ÅÅÅÅ-MM-DD", "From YYYY-MM-DD"), "rv.until": ("Till ÅÅÅÅ-MM-DD", "To YYYY-MM-DD"),
    "rv.outside": ("Utanför ärendelistan", "Outside caseload"),
    "rv.outside_short": ("utanför ärendelistan", "outside caseload"),
    "rv.count": ("{n} händelser. Enter i ett fält filtrerar.", "{n} events. Enter in a field filters."),
    "rv.col.at": ("När", "When"), "rv.col.user": ("Användare", "User"), "rv.col.action": ("Händelse", "Event"),
    "rv.col.case": ("Ärende", "Case"), "rv.col.reason": ("Anledning", "Reason"), "rv.col.detail": ("Detalj", "Detail"),
    "audit.action.view": ("Läste ärende", "Read case"), "audit.action.search": ("Sökte", "Searched"),
    "audit.action.export": ("Export", "Export"), "audit.action.report": ("Rapport", "Report"),
    "audit.action.unlock_failed": ("Fel PIN-kod", "Wrong PIN"), "audit.action.pin_set": ("Ny PIN-kod", "New PIN"),
    "audit.action.pin_reset": ("PIN nollställd", "PIN reset"), "audit.action.user_role": ("Ny roll", "New role"),
    "audit.action.user_deactivated": ("Användare inaktiverad", "User deactivated"),
    "audit.action.setting": ("Inställning", "Setting"),
    "audit.action.create_despite_duplicate": ("Registrerad trots dubblett", "Registered despite duplicate"),
    "lock.title": ("Låst", "Locked"),
    "lock.user": ("Användare: {name}", "User: {name}"),
    "lock.prompt": ("Skriv din PIN-kod och tryck Enter.", "Type your PIN and press Enter."),
    "lock.choose": ("Du har ingen PIN-kod än. Välj en (minst 4 tecken), skriv den två gånger.",
                    "You have no PIN yet. Choose one (at least 4 characters) and type it twice."),
    "lock.pin": ("PIN-kod", "PIN"), "lock.pin_again": ("PIN-kod igen", "PIN again"),
})
