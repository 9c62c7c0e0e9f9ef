"""A realistic, deterministic demo database, fast enough for 100 000 participants.

Same seed → same rows (ids included). Bulk inserts through the raw sqlite3 connection with
executemany; demo rows are local sample data and are not written to the change log.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from store import access, calendar, changes, clock, db as dbmod, identity, names, schema
from store.staff import DEMO_PIN

FEMALE = ("Anna", "Maria", "Fatima", "Amina", "Sara", "Eva", "Karin", "Åsa", "Ingrid", "Leila", "Hodan", "Zahra",
          "Elin", "Linnéa", "Märta", "Ebba", "Sofia", "Aisha", "Nour", "Mona", "Birgitta", "Johanna", "Ayan",
          "Yasmin", "Malin", "Anna-Karin", "Lena", "Helena", "Rim", "Dalia", "Agnieszka", "Olena", "Tigist", "Ölin")
MALE = ("Mohammed", "Ali", "Ahmed", "Erik", "Lars", "Johan", "Karl", "Hassan", "Omar", "Per-Olof", "Björn",
        "Anders", "Mikael", "Abdi", "Yusuf", "Jonas", "Örjan", "Håkan", "Ibrahim", "Mustafa", "Daniel", "Peter",
        "Nils", "Tomasz", "Dawit", "Ahmad", "Khalid", "Jan-Erik", "Sven", "Ove", "Mehmet", "Andrii", "Göran")
SURNAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
            "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson",
            "Lindberg", "Ek", "Östberg", "Åberg", "Öberg", "Sjöberg", "Ström", "Åström", "Hägg", "Lindqvist",
            "Ali", "Mohamed", "Hassan", "Ahmed", "Abdullahi", "Yilmaz", "Kowalski", "Nguyen", "Haddad", "Rahimi",
            "Müller", "Al-Hashimi", "Berg Svensson", "Lind-Östlund", "Nyström", "Bäckström", "Söderlund",
            "Mäkinen", "Kaya", "Tesfaye", "Warsame", "Osman", "Ibrahim", "Karimi", "Hosseini", "Dahl", "Falk")
CASEWORKERS = (("anna.lind", "Anna Lind"), ("omar.farah", "Omar Farah"), ("karin.ek", "Karin Ek"),
               ("johan.sjoberg", "Johan Sjöberg"), ("leila.haddad", "Leila Haddad"),
               ("per.astrom", "Per Åström"), ("maria.nyberg", "Maria Nyberg"), ("sven.dahl", "Sven Dahl"),
               ("hodan.ali", "Hodan Ali"), ("eva.soder", "Eva Söder"))
SITES = ("Linköping centrum", "Skäggetorp", "Ryd")
# name, kind, hours Mon..Fri
ACTIVITIES = (
    ("Arbetsträning café", "arbetsträning", (6, 6, 6, 6, 6)),
    ("Arbetsträning lager", "arbetsträning", (6, 6, 6, 6, 0)),
    ("Arbetsträning second hand", "arbetsträning", (4, 4, 4, 4, 4)),
    ("Jobbsök", "jobbsök", (3, 0, 3, 0, 3)),
    ("SFI", "sfi", (0, 3, 0, 3, 0)),
    ("Språkpraktik", "språkpraktik", (4, 4, 4, 4, 0)),
    ("Friskvård", "friskvård", (0, 0, 0, 0, 2)),
    ("Kartläggning", "kartläggning", (2, 2, 2, 2, 2)),
    ("Stärkande samtalsgrupp", "stärkande", (0, 2, 0, 2, 0)),
    ("Digital kompetens", "utbildning", (2, 0, 2, 0, 0)),
    ("Trädgård och park", "arbetsträning", (6, 6, 6, 6, 0)),
    ("Körkortsteori", "utbildning", (0, 0, 2, 0, 2)),
)
OUTCOMES = ("arbete", "arbete", "arbete", "studier", "studier", "annan_insats", "flytt", "sjukskrivning",
            "avbrott", "ovrigt")
INTERVENTIONS = ("arbetstraning", "praktik", "sprakpraktik", "sfi", "komvux", "jobbsok", "starkande",
                 "extratjanst", "lonebidrag")


@dataclass
class DemoResult:
    participants: int
    attendance: int


def build(path: str, participants: int = 2000, seed: int = 1, days: int = 40,
          today: dt.date | None = None, *, encrypt: bool = True) -> DemoResult:
    """Create a new demo database at `path` (which must not exist yet), encrypted with the workstation
    key like every database (the key file is made if this is the first); `encrypt=False` for the
    benchmarks' plain scale databases."""
    today = today or clock.today()
    rng = random.Random(seed)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    database = dbmod.open(path, encrypt=encrypt)
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN IMMEDIATE")
        # bulk load first, then the day and session totals in one pass
        for name in (*schema.DAY_TOTAL_TRIGGER_NAMES, *schema.SESSION_TOTAL_TRIGGER_NAMES,
                     *schema.FIGURE_TOTAL_TRIGGER_NAMES):
            cur.execute(f"DROP TRIGGER {name}")
        count_att = _fill(cur, rng, uid, participants, days, today)
        # A demo database says so (every screen shows it) and every user's PIN is the documented demo
        # PIN; a real database is never built here, so it never has a default PIN.
        cur.execute("UPDATE caseworker SET pin_hash = ?", (access.hash_pin(DEMO_PIN),))
        cur.execute("INSERT INTO setting (key, value) VALUES ('demo', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        cur.execute("DELETE FROM attendance_day")
        cur.execute("INSERT INTO attendance_day (date, hours, marks)"
                    " SELECT date, sum(hours), count(*) FROM attendance GROUP BY date")
        schema.create_day_total_triggers(cur)
        schema.fill_session_totals(cur)
        schema.create_session_total_triggers(cur)
        schema.fill_figure_totals(cur)
        schema.create_figure_total_triggers(cur)
        cur.execute("COMMIT")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("ANALYZE")
        cur.close()
    finally:
        raw.close()
        database.dispose()
    return DemoResult(participants, count_att)


def _fill(cur, rng: random.Random, uid, n: int, days: int, today: dt.date) -> int:  # noqa: ANN001, C901
    n_cw = 6 + min(4, n // 400)
    caseworkers = []
    for i, (login, name) in enumerate(CASEWORKERS[:n_cw]):
        cid = uid()
        caseworkers.append(cid)
        cur.execute("INSERT INTO caseworker (id, login, name, role, site) VALUES (?, ?, ?, ?, ?)",
                    (cid, login, name, "admin" if i == 0 else "caseworker", SITES[i % len(SITES)]))
    if n > 5000:  # a large programme has more caseworkers, not larger caseloads (about 80 each)
        for i in range(max(0, n // 80 - len(caseworkers))):
            cid = uid()
            caseworkers.append(cid)
            cur.execute("INSERT INTO caseworker (id, login, name, role, site) VALUES (?, ?, ?, 'caseworker', ?)",
                        (cid, f"handl.{i + 1:04d}", f"Handläggare {i + 1:04d}", SITES[i % len(SITES)]))
    leader_login = "lena.leder"
    leader = uid()
    cur.execute("INSERT INTO caseworker (id, login, name, role, site) VALUES (?, ?, ?, 'leader', ?)",
                (leader, leader_login, "Lena Ledare", SITES[0]))
    logins = {cid: login for cid, (login, _) in zip(caseworkers, CASEWORKERS)}
    logins[leader] = leader_login
    n_act = min(len(ACTIVITIES), 8 + n // 500)
    templates = ACTIVITIES[:n_act]
    # each kind of activity runs in groups of 12-25 people (a new group opens when the others are full)
    groups: dict[int, list[list]] = {i: [] for i in range(n_act)}  # template -> [[aid, capacity, taken, leader]]

    def group_with_room(t: int) -> list:
        for group in groups[t]:
            if group[2] < group[1]:
                return group
        name, kind, hours = templates[t]
        number = len(groups[t]) + 1
        aid = uid()
        lead = leader if t % 3 == 0 else caseworkers[(t + number) % len(caseworkers)]
        capacity = rng.randrange(12, 26)
        cur.execute(
            "INSERT INTO activity (id, name, kind, site, leader_id, capacity, hours_mon, hours_tue, hours_wed,"
            " hours_thu, hours_fri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (aid, name if number == 1 else f"{name} grupp {number}", kind, SITES[(t + number) % len(SITES)], lead,
             capacity, *hours))
        # one all-day session per group, with the activity's id (as the schema-10 migration makes them)
        cur.execute("INSERT INTO activity_session (id, activity_id, name, capacity) VALUES (?, ?, '', ?)",
                    (aid, aid, capacity))
        cur.execute("INSERT INTO session_hours (id, session_id, valid_from, hours_mon, hours_tue, hours_wed,"
                    " hours_thu, hours_fri) VALUES (?, ?, '', ?, ?, ?, ?, ?)",
                    (changes.natural_id("session_hours", aid, ""), aid, *hours))
        group = [aid, capacity, 0, logins.get(lead, leader_login)]
        groups[t].append(group)
        return group

    workdays = calendar.workdays(today - dt.timedelta(days=int(days * 1.6) + 14), today - dt.timedelta(days=1))
    workdays = workdays[-days:] if days else []
    used_numbers: set[str] = set()
    people: list[tuple] = []
    enrol: list[tuple] = []
    milestones: list[tuple] = []
    tokens_rows: list[tuple] = []
    attendance: list[tuple] = []
    vocab: set[str] = set()
    history_start = workdays[0] if workdays else today
    for i in range(n):
        female = rng.random() < 0.45
        first = rng.choice(FEMALE if female else MALE)
        last = rng.choice(SURNAMES)
        born = dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(0, 42 * 365))
        kind = rng.random()
        pnr = None
        reserve = None
        if kind < 0.03:
            reserve = f"RES-{i:06d}"
        else:
            coordination = kind < 0.10
            for _ in range(50):
                birth_no = rng.randrange(1, 1000)
                if (birth_no % 2 == 0) != female:
                    birth_no = birth_no + 1 if birth_no < 999 else birth_no - 1
                day = born.day + (60 if coordination else 0)
                ten = identity.with_check_digit(f"{born:%y%m}{day:02d}{birth_no:03d}")
                canonical = f"{born.year // 100:02d}{ten}"
                if canonical not in used_numbers and ten[6:9] != "000":
                    used_numbers.add(canonical)
                    pnr = canonical
                    break
        referral = today - dt.timedelta(days=rng.randrange(3, 730))
        cw = caseworkers[rng.randrange(len(caseworkers))]
        cap = 8 if rng.random() < 0.7 else rng.choice((4, 6))  # full time, or part time for health reasons
        exited = rng.random() < 0.15 and (today - referral).days > 60
        exit_date = (referral + dt.timedelta(days=rng.randrange(45, (today - referral).days))) if exited else None
        outcome = rng.choice(OUTCOMES) if exited else None
        pid = uid()
        # enrolments: 1-3 activities that never share a day beyond `cap` hours; the weekly plan is what
        # they add up to. Only people whose enrolment reaches the shown weeks take a place in a group.
        start = referral + dt.timedelta(days=rng.randrange(1, 10))
        in_window = exit_date is None or exit_date >= history_start
        wanted = rng.choice((1, 2, 2, 3))
        used = [0, 0, 0, 0, 0]
        chosen: list[tuple[list, tuple]] = []
        for t in rng.sample(range(n_act), k=n_act):
            hours = templates[t][2]
            if len(chosen) < wanted and all(used[d] + hours[d] <= cap for d in range(5)):
                group = group_with_room(t) if in_window else rng.choice(groups[t] or [group_with_room(t)])
                if in_window:
                    group[2] += 1
                chosen.append((group, hours))
                used = [used[d] + hours[d] for d in range(5)]
        plan = tuple(used)
        people.append((pid, pnr, reserve, first, last, "K" if female else "M",
                       born.isoformat() if pnr else None, 1 if rng.random() < 0.02 else 0,
                       f"Storgatan {rng.randrange(1, 90)}, Linköping", f"07{rng.randrange(0, 10**8):08d}",
                       referral.isoformat(), cw, SITES[rng.randrange(len(SITES))], *plan,
                       "exited" if exited else "active", exit_date.isoformat() if exit_date else None, outcome,
                       f"{referral.isoformat()}T08:00:00"))
        toks = sorted(set(names.tokens(f"{first} {last}")))
        vocab.update(toks)
        tokens_rows.extend((t, pid) for t in toks)
        propensity = rng.random() ** 3 * 0.25  # most people rarely skip, a few often
        for group, _ in chosen:
            enrol.append((uid(), pid, group[0], start.isoformat(), exit_date.isoformat() if exit_date else None))
        if start <= today and chosen:
            for d in workdays:
                if d < start or d < history_start or (exit_date and d > exit_date):
                    continue
                # one state per person and day, the same at every activity that day
                r = rng.random()
                if r < propensity:
                    status, reason = "unexcused", "OGILTIG"
                elif r < propensity + 0.06:
                    status, reason = "sick", "SJUK"
                elif r < propensity + 0.08:
                    status, reason = ("vab", "VAB") if female or r < propensity + 0.07 else ("excused", "LAKARE")
                elif r < propensity + 0.10:
                    status, reason = "excused", rng.choice(("LAKARE", "MYNDIGHET", "INTERVJU", "GILTIG"))
                elif r < propensity + 0.14:
                    status, reason = "partial", None
                else:
                    status, reason = "present", None
                late = rng.random() < 0.03  # a paper list typed in a day or two later
                for group, hours in chosen:
                    planned = hours[d.weekday()]
                    if not planned:
                        continue
                    mark, att_h = status, 0.0
                    if status == "present" or (status == "partial" and planned < 2):
                        mark, att_h = "present", float(planned)
                    elif status == "partial":
                        att_h = float(max(0.5, planned - rng.choice((0.5, 1, 2))))
                    # recorded by the group's leader, a few minutes into the session (08:00 or 13:00)
                    begins = 8 if planned >= 4 or d.weekday() % 2 == 0 else 13
                    when = d + dt.timedelta(days=rng.choice((1, 1, 2)) if late else 0)
                    clock_time = f"{begins + (3 if late else 0):02d}:{rng.randrange(5, 50):02d}:00"
                    attendance.append((changes.natural_id("attendance", pid, group[0], d.isoformat()),
                                       pid, group[0], d.isoformat(), mark, att_h, reason if att_h == 0 else None,
                                       "", group[3], f"{min(when, today).isoformat()}T{clock_time}",
                                       1 if late else 0))
        # milestones
        kart = referral + dt.timedelta(days=rng.randrange(7, 21))
        plan_date = kart + dt.timedelta(days=rng.randrange(7, 30))
        ms: list[tuple[str, str, dt.date, dt.date | None]] = [("anvisning", "achieved", referral, referral)]
        horizon = exit_date or today
        if kart <= horizon:
            ms.append(("kartlaggning", "achieved", kart, kart))
        else:
            ms.append(("kartlaggning", "planned", kart, None))
        if plan_date <= horizon and rng.random() < 0.9:
            ms.append(("handlingsplan", "achieved", plan_date, plan_date))
            inter = plan_date + dt.timedelta(days=rng.randrange(3, 20))
            if inter <= horizon:
                ms.append((rng.choice(INTERVENTIONS), "achieved" if exited else "started", inter,
                           inter if exited else None))
        elif kart <= horizon:
            ms.append(("handlingsplan", "planned", plan_date, None))
        if exit_date is not None:  # exited
            ms.append(("avslut", "achieved", exit_date, exit_date))
        for stage, status, planned_d, achieved_d in ms:
            touched = achieved_d or planned_d
            if status == "started":  # open interventions are followed up now and then
                touched = max(planned_d, today - dt.timedelta(days=rng.randrange(0, 120)))
            milestones.append((uid(), pid, stage, status, planned_d.isoformat(),
                               achieved_d.isoformat() if achieved_d else None, cw, "",
                               f"{min(touched, today).isoformat()}T10:00:00"))
        if len(attendance) > 200_000:
            _flush(cur, people, enrol, milestones, tokens_rows, attendance)
    _flush(cur, people, enrol, milestones, tokens_rows, attendance)
    cur.executemany("INSERT OR IGNORE INTO name_vocab (token) VALUES (?)", [(t,) for t in sorted(vocab)])
    variants = sorted({(t, t) for t in vocab} | {(v, t) for t in vocab if len(t) >= names.FUZZY_MIN
                                                  for v in names.deletes(t)})
    cur.executemany("INSERT OR IGNORE INTO token_variant (variant, token) VALUES (?, ?)", variants)
    return cur.execute("SELECT count(*) FROM attendance").fetchone()[0]


def _flush(cur, people: list, enrol: list, milestones: list, tokens_rows: list, attendance: list) -> None:  # noqa: ANN001
    """Insert what is pending, parents first (foreign keys are on), and empty the lists."""
    cur.executemany(
        "INSERT INTO participant (id, personnummer, reserve_number, first_name, last_name, gender, birth_date,"
        " protected, address, phone, referral_date, caseworker_id, site, plan_mon, plan_tue, plan_wed, plan_thu,"
        " plan_fri, status, exit_date, exit_outcome, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
    cur.executemany("INSERT INTO enrolment (id, participant_id, activity_id, start_date, end_date, session_id)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?3)", enrol)
    cur.executemany("INSERT INTO milestone (id, participant_id, stage_code, status, planned_date, achieved_date,"
                    " caseworker_id, note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", milestones)
    cur.executemany("INSERT INTO name_token (token, participant_id) VALUES (?, ?)", tokens_rows)
    cur.executemany(
        "INSERT INTO attendance (id, participant_id, activity_id, session_id, date, status, hours, reason_code, note,"
        " recorded_by, recorded_at, late) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", attendance)
    for pending in (people, enrol, milestones, tokens_rows, attendance):
        pending.clear()
