"""A realistic, deterministic demo database, fast enough for 100 000 participants.

Same seed → same rows (ids included). Bulk inserts through the raw sqlite3 connection with
executemany. The change log holds every row's history as real work would have written it, on the days
it happened, by whoever did it (store.changes.PastLog): the case card's history, the merge and the
tamper check read it like any other. The users themselves are not logged (their PINs are set after).

What it looks like: every activity runs in groups of 8–25 people per session (as many groups as needed,
people spread evenly, so the last group is not a remnant); half-day activities meet in a morning (fm) and
an afternoon (em) session, full-day ones all day, and nobody is booked into two sessions at the same time.
A person has one state per day at every session (never sick in one and present in the other); marks are
recorded by the group's leader minutes after the session begins, a few from paper a day or two later.
Cases have the milestones and notes their dates call for (follow-up notes every one to four months).
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from store import calendar, changes, clock, db as dbmod, identity, names, schema
from store.pins import DEMO_PIN, hash_pin
from store.tables import WEEKDAYS

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
FOLLOW_UPS = ("Uppföljningssamtal: trivs på aktiviteten, vill prova fler timmar.",
              "Uppföljning med handledaren: fungerar bra, behöver stöd med tider.",
              "Uppföljningssamtal: sömnen bättre, planen ligger kvar.",
              "Ringde deltagaren efter frånvaro, kommer tillbaka på måndag.",
              "Trepartssamtal med Arbetsförmedlingen om nästa steg.",
              "Uppföljning: har sökt tre jobb sedan förra samtalet.",
              "Deltagaren önskar byta aktivitet, tas upp vid nästa samtal.",
              "Avstämning med SFI-läraren: närvaron har blivit jämnare.")
# the programme's activity leaders (handledare); a large programme has more, numbered
LEADERS = (("lena.leder", "Lena Ledare"), ("mats.berg", "Mats Berg"), ("amal.yusuf", "Amal Yusuf"),
           ("pia.holm", "Pia Holm"), ("kenneth.lund", "Kenneth Lund"), ("sara.nordin", "Sara Nordin"),
           ("tomas.wik", "Tomas Wik"), ("fadumo.nur", "Fadumo Nur"), ("jessica.blom", "Jessica Blom"),
           ("reza.amini", "Reza Amini"), ("ulla.stark", "Ulla Stark"), ("bengt.falk", "Bengt Falk"),
           ("nina.ros", "Nina Ros"), ("jamal.said", "Jamal Said"), ("ingela.ek", "Ingela Ek"),
           ("stefan.alm", "Stefan Alm"), ("marta.kowalska", "Marta Kowalska"), ("hamid.noori", "Hamid Noori"),
           ("camilla.berg", "Camilla Berg"), ("ola.lindgren", "Ola Lindgren"))
_HOURS = ", ".join(f"hours_{day}" for day in WEEKDAYS)  # an activity's or a session's hours, Monday to Friday
_EACH_DAY = ", ".join("?" for _ in WEEKDAYS)
SLOT_TIMES = {"day": ("08:00", "15:00"), "fm": ("08:00", "12:00"), "em": ("12:30", "16:30")}
INTERVENTIONS = ("arbetstraning", "praktik", "sprakpraktik", "sfi", "komvux", "jobbsok", "starkande",
                 "extratjanst", "lonebidrag")


@dataclass
class _Person:
    """What the first pass decides about a person: who, when, and which sessions (template, slot)."""

    i: int
    female: bool
    first: str
    last: str
    born: dt.date
    pnr: str | None
    reserve: str | None
    referral: dt.date
    cw: str
    exited: bool
    exit_date: dt.date | None
    start: dt.date
    chosen: list[tuple[int, str]]
    in_window: bool


class _Staffing:
    """Who leads each group: nobody leads two sessions that meet at the same time. A caseworker leads at
    most one small half-day group (a few hours a week beside the caseload); the rest are led by the
    activity leaders, as many as the groups need (a full-day group five days a week is one leader's week)."""

    WINDOW = 40  # the leaders tried before a new one is taken on (most recent first)

    def __init__(self, cur, rng: random.Random, first_leader: str, caseworkers: list[str]) -> None:  # noqa: ANN001
        self.cur, self.rng = cur, rng
        self.leaders = [first_leader]
        self.caseworkers = caseworkers
        self.busy: dict[str, set[tuple[int, str]]] = {first_leader: set()}
        self.logins: dict[str, str] = {}

    def lead(self, t: int, number: int, hours: tuple, slots: list[str]) -> str:
        meets = [d for d in range(5) if hours[d]]
        halves = {h for slot in slots for h in (("fm", "em") if slot == "day" else (slot,))}
        need = {(d, h) for d in meets for h in halves}
        if sum(hours) <= 4 and "day" not in slots:
            cw = self.caseworkers[(t + number) % len(self.caseworkers)]
            if not self.busy.get(cw):
                self.busy[cw] = need
                return cw
        for who in reversed(self.leaders[-self.WINDOW:]):
            if not self.busy[who] & need:
                self.busy[who] |= need
                return who
        who = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        k = len(self.leaders)
        login, name = LEADERS[k] if k < len(LEADERS) else (f"ledare.{k + 1:04d}", f"Handledare {k + 1:04d}")
        self.cur.execute("INSERT INTO caseworker (id, login, name, role, site) VALUES (?, ?, ?, 'leader', ?)",
                         (who, login, name, SITES[k % len(SITES)]))
        self.leaders.append(who)
        self.busy[who] = set(need)
        self.logins[who] = login
        return who

    def login(self, who: str, logins: dict[str, str]) -> str:
        return logins.get(who) or self.logins[who]


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
        cur.execute("UPDATE caseworker SET pin_hash = ?", (hash_pin(DEMO_PIN),))
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
    logins = {cid: login for cid, (login, _) in zip(caseworkers, CASEWORKERS)}
    logins.update({cid: f"handl.{i + 1:04d}" for i, cid in enumerate(caseworkers[len(CASEWORKERS):])})
    leader_login = LEADERS[0][0]
    leader = uid()
    cur.execute("INSERT INTO caseworker (id, login, name, role, site) VALUES (?, ?, ?, 'leader', ?)",
                (leader, leader_login, LEADERS[0][1], SITES[0]))
    logins[leader] = leader_login
    staff = _Staffing(cur, random.Random(n * 7_919 + days), leader, caseworkers)
    n_act = min(len(ACTIVITIES), 8 + n // 500)
    templates = ACTIVITIES[:n_act]
    workdays = calendar.workdays(today - dt.timedelta(days=int(days * 1.6) + 14), today - dt.timedelta(days=1))
    workdays = workdays[-days:] if days else []
    history_start = workdays[0] if workdays else today
    # the demo is built "now", some time today: everything it writes (marks, milestones, notes, the change
    # log) happened by the end of yesterday, so nothing is stamped later than the clock
    yesterday = today - dt.timedelta(days=1)

    # 1. who is in the programme and which sessions each person is booked into. A full-day activity
    # (6 h) takes the whole day; a half-day one meets in the morning (fm) or the afternoon (em), and a
    # person's sessions never meet at the same time on a day. The hours of a day stay within the plan.
    used_numbers: set[str] = set()
    persons: list[_Person] = []
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
        while not calendar.is_workday(referral):  # the Arbetsförmedlingen refers on working days
            referral -= dt.timedelta(days=1)
        cw = caseworkers[rng.randrange(len(caseworkers))]
        cap = 8 if rng.random() < 0.7 else rng.choice((4, 6))  # full time, or part time for health reasons
        exited = rng.random() < 0.15 and (today - referral).days > 60
        exit_date = (referral + dt.timedelta(days=rng.randrange(45, (today - referral).days))) if exited else None
        start = referral + dt.timedelta(days=rng.randrange(1, 10))
        wanted = rng.choice((1, 2, 2, 3))
        used = [0, 0, 0, 0, 0]
        taken: list[set[str]] = [set() for _ in range(5)]  # per weekday: 'fm', 'em'
        chosen: list[tuple[int, str]] = []  # (template, 'day' | 'fm' | 'em')
        for t in rng.sample(range(n_act), k=n_act):
            hours = templates[t][2]
            if len(chosen) >= wanted or not all(used[d] + hours[d] <= cap for d in range(5)):
                continue
            meets = [d for d in range(5) if hours[d]]
            slots = (("fm", "em") if rng.random() < 0.6 else ("em", "fm")) if max(hours) <= 4 else ("day",)
            for slot in slots:
                need = {"fm", "em"} if slot == "day" else {slot}
                if all(not (taken[wd] & need) for wd in meets):
                    chosen.append((t, slot))
                    for wd in meets:
                        taken[wd] |= need
                    used = [used[d] + hours[d] for d in range(5)]
                    break
        persons.append(_Person(i, female, first, last, born, pnr, reserve, referral, cw, exited, exit_date, start,
                               chosen, exit_date is None or exit_date >= history_start))

    # 2. groups: each (activity, fm/em/day) has as many groups as 8-25 people per session need, with the
    # people spread evenly over them, so the last group is no smaller than the others. A group is an
    # activity ("Jobbsök grupp 2") with a morning and an afternoon session when it has people for both.
    members: dict[tuple[int, str], list[int]] = {}
    for p in persons:
        if p.in_window:
            for t, slot in p.chosen:
                members.setdefault((t, slot), []).append(p.i)
    few = {key for key, who in members.items() if len(who) < 8}  # too few for a group: not booked there
    groups_of: dict[int, int] = {}
    per_slot: dict[tuple[int, str], int] = {}
    for (t, slot), who in members.items():
        if (t, slot) not in few:
            per_slot[(t, slot)] = -(-len(who) // 22)
            groups_of[t] = max(groups_of.get(t, 0), per_slot[(t, slot)])
    session_of: dict[tuple[int, str, int], tuple[str, str, str]] = {}  # (t, slot, k) -> (aid, sid, leader login)
    for t in range(n_act):
        act_name, act_kind, act_hours = templates[t]
        for k in range(groups_of.get(t, 0)):
            number = k + 1
            aid = uid()
            group_slots = [slot for slot in ("day", "fm", "em") if k < per_slot.get((t, slot), 0)]
            lead = staff.lead(t, number, act_hours, group_slots)
            sizes = {slot: len(members[(t, slot)]) // per_slot[(t, slot)] + 1 for slot in group_slots}
            capacity = min(25, max(sizes.values()) + rng.randrange(0, 4))
            cur.execute(
                f"INSERT INTO activity (id, name, kind, site, leader_id, capacity, {_HOURS})"
                f" VALUES (?, ?, ?, ?, ?, ?, {_EACH_DAY})",
                (aid, act_name if number == 1 else f"{act_name} grupp {number}", act_kind, SITES[(t + number) % len(SITES)], lead,
                 capacity, *act_hours))
            for slot in group_slots:
                # a full-day group's one session has the activity's id (as the schema-10 migration makes them)
                sid = aid if slot == "day" else uid()
                begin, end = SLOT_TIMES[slot]
                cur.execute("INSERT INTO activity_session (id, activity_id, name, start_time, end_time, capacity)"
                            " VALUES (?, ?, ?, ?, ?, ?)", (sid, aid, "" if slot == "day" else slot, begin, end,
                                                          min(25, sizes[slot] + rng.randrange(0, 4))))
                cur.execute(f"INSERT INTO session_hours (id, session_id, valid_from, {_HOURS})"
                            f" VALUES (?, ?, '', {_EACH_DAY})",
                            (changes.natural_id("session_hours", sid, ""), sid, *act_hours))
                session_of[(t, slot, k)] = (aid, sid, staff.login(lead, logins))
    group_index: dict[tuple[int, str, int], int] = {}  # (t, slot, person) -> group number
    for (t, slot), who in members.items():
        if (t, slot) not in few:
            for j, person in enumerate(who):
                group_index[(t, slot, person)] = j % per_slot[(t, slot)]

    # 3. each person's rows: the case, the enrolments, the marks, the milestones and the notes
    people: list[tuple] = []
    enrol: list[tuple] = []
    milestones: list[tuple] = []
    tokens_rows: list[tuple] = []
    notes: list[tuple] = []
    # notes and re-planned dates come from their own generator
    story = random.Random(n * 1_000_003 + days)

    def uid_note() -> str:
        return str(uuid.UUID(int=story.getrandbits(128), version=4))
    attendance: list[tuple] = []
    vocab: set[str] = set()
    # the change log: every row above as real work would have logged it, on this workstation
    workstation = cur.execute("SELECT id FROM workstation WHERE is_local = 1").fetchone()[0]
    history = changes.PastLog(cur, workstation, random.Random(n * 31 + days))
    for p in persons:
        i, female, first, last, born = p.i, p.female, p.first, p.last, p.born
        referral, cw, exited, exit_date, start = p.referral, p.cw, p.exited, p.exit_date, p.start
        outcome = rng.choice(OUTCOMES) if exited else None
        pid = uid()
        booked: list[tuple[tuple[str, str, str], tuple, str]] = []  # ((aid, sid, leader), hours, slot)
        for t, slot in p.chosen:
            if (t, slot) in few:
                continue
            if p.in_window:
                k = group_index[(t, slot, i)]
            elif per_slot.get((t, slot)):
                k = rng.randrange(per_slot[(t, slot)])  # an earlier enrolment, ended before these weeks
            else:
                continue
            booked.append((session_of[(t, slot, k)], templates[t][2], slot))
        plan = tuple(sum(hours[d] for _, hours, _ in booked) for d in range(5))
        people.append((pid, p.pnr, p.reserve, first, last, "K" if female else "M",
                       born.isoformat() if p.pnr else None, 1 if rng.random() < 0.02 else 0,
                       f"Storgatan {rng.randrange(1, 90)}, Linköping", f"07{rng.randrange(0, 10**8):08d}",
                       referral.isoformat(), cw, SITES[rng.randrange(len(SITES))], *plan,
                       "exited" if exited else "active", exit_date.isoformat() if exit_date else None, outcome,
                       f"{referral.isoformat()}T08:00:00"))
        toks = sorted(set(names.tokens(f"{first} {last}")))
        vocab.update(toks)
        tokens_rows.extend((tok, pid) for tok in toks)
        propensity = rng.random() ** 3 * 0.25  # most people rarely skip, a few often
        for (aid, sid, _), _, _ in booked:
            enrol.append((uid(), pid, aid, start.isoformat(), exit_date.isoformat() if exit_date else None, sid))
        first_mark = len(attendance)
        if start <= today and booked:
            for d in workdays:
                if d < start or d < history_start or (exit_date and d > exit_date):
                    continue
                # one state per person and day, the same at every session that day
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
                typed = d + dt.timedelta(days=rng.choice((1, 1, 2))) if late else d
                while not calendar.is_workday(typed):  # typed in at the office, on a working day
                    typed += dt.timedelta(days=1)
                late = late and typed < today  # nothing is written later than the moment the demo is built
                for (aid, sid, lead_login), hours, slot in booked:
                    planned = hours[d.weekday()]
                    if not planned:
                        continue
                    mark, att_h = status, 0.0
                    if status == "present" or (status == "partial" and planned < 2):
                        mark, att_h = "present", float(planned)
                    elif status == "partial":
                        att_h = float(max(0.5, planned - rng.choice((0.5, 1, 2))))
                    # recorded by the group's leader a few minutes into the session, or later from paper
                    begins, minute = (12, rng.randrange(35, 59)) if slot == "em" else (8, rng.randrange(5, 50))
                    when = typed if late else d
                    clock_time = f"{begins + (3 if late else 0):02d}:{minute:02d}:00"
                    attendance.append((changes.natural_id("attendance", pid, aid, d.isoformat()) if sid == aid
                                       else changes.natural_id("attendance", pid, aid, sid, d.isoformat()),
                                       pid, aid, d.isoformat(), mark, att_h, reason if att_h == 0 else None,
                                       "", lead_login, f"{when.isoformat()}T{clock_time}",
                                       1 if late else 0, sid))
        # milestones: the stages in order, each booked when the one before was reached and reached a few
        # days around its planned date (or not yet); every step is a change-log entry of its day
        author = logins[cw]
        horizon = exit_date or yesterday  # nothing is stamped later than the moment the demo is built
        mine: list[tuple] = []  # this case's change-log entries: (at, by, table, row id, changes)

        def stamp(day: dt.date, hour: int | None = None) -> str:
            hour = story.randrange(9, 16) if hour is None else hour
            return f"{day.isoformat()}T{hour:02d}:{story.randrange(0, 60):02d}:{story.randrange(0, 60):02d}"

        def shift(day: dt.date, low: int, high: int) -> dt.date:
            return day + dt.timedelta(days=story.randrange(low, high + 1))

        def stage(code: str, planned: dt.date, booked: str, reached: dt.date | None, *,
                  rebooked: dt.date | None = None, status: str = "achieved") -> dt.date | None:
            """One milestone's life: booked for `planned`, perhaps booked again, reached on `reached` if that
            is by the horizon, else cancelled at the exit or still planned. Returns the day it was reached."""
            values = {"participant_id": pid, "stage_code": code, "status": "planned", "planned_date": planned.isoformat(),
                      "achieved_date": None, "caseworker_id": cw, "note": "", "updated_at": booked}
            steps: list[tuple[str, dict]] = [(booked, dict(values))]
            if rebooked is not None:
                when = stamp(max(dt.date.fromisoformat(booked[:10]), shift(planned, -3, -1)))
                if when[:10] <= horizon.isoformat():
                    values.update(planned_date=rebooked.isoformat(), updated_at=when)
                    steps.append((when, dict(values)))
            if reached is not None and reached <= horizon:
                when = stamp(reached)
                values.update(status=status, achieved_date=None if status == "started" else reached.isoformat(),
                              updated_at=when)
                steps.append((when, dict(values)))
            else:
                reached = None
                if exit_date is not None:
                    when = stamp(exit_date)
                    values.update(status="cancelled", updated_at=when)
                    steps.append((when, dict(values)))
            mid = uid()
            milestones.append((mid, *values.values()))
            _steps(mine, "milestone", mid, author, steps)
            return reached

        referred = f"{referral.isoformat()}T08:00:00"
        stage("anvisning", referral, referred, referral)
        kart_plan = shift(referral, 7, 21)
        kart = stage("kartlaggning", kart_plan, stamp(referral, 8), max(shift(kart_plan, -2, 5), referral))
        plan_done = inter = None
        if kart is not None:
            plan_plan = shift(kart, 7, 30)
            late_plan = shift(plan_plan, 7, 35) if story.random() < 0.15 else None  # booked again once
            plan_done = stage("handlingsplan", plan_plan, stamp(kart), max(shift(late_plan or plan_plan, -3, 5), kart),
                              rebooked=late_plan)
        if plan_done is not None:
            inter_plan = shift(plan_done, 3, 20)
            inter = stage(story.choice(INTERVENTIONS), inter_plan, stamp(plan_done),
                          max(shift(inter_plan, -2, 4), plan_done), status="achieved" if exited else "started")
        if exit_date is not None:
            latest = max(d for d in (referral, kart, plan_done, inter) if d is not None)
            # the final talk booked a week or two ahead, held on that day or moved a few days
            held = max(shift(exit_date, -4, 3), latest)
            stage("avslut", held, stamp(max(latest, shift(exit_date, -14, -5))), exit_date)
        # the case's notes, on the days its history says something happened, by its caseworker

        def note(day: dt.date, text: str) -> None:
            if day <= yesterday:
                at = stamp(day)
                nid = uid_note()
                notes.append((nid, pid, author, at, text))
                _steps(mine, "note", nid, author, [(at, {"participant_id": pid, "author_login": author,
                                                         "created_at": at, "text": text})])

        note(referral, "Anvisad från Arbetsförmedlingen. Första kontakt per telefon, tid för kartläggning bokad.")
        if kart is not None:
            note(kart, "Kartläggningssamtal genomfört: arbetslivserfarenhet, språk och hälsa.")
        if plan_done is not None:
            note(plan_done, "Handlingsplan upprättad tillsammans med deltagaren.")
        follow = shift(kart_plan, 40, 100)  # follow-ups after the kartläggning
        while follow < horizon:
            note(follow, story.choice(FOLLOW_UPS))
            follow = shift(follow, 45, 120)
        if exited and exit_date:
            note(exit_date, f"Avslut ({outcome}). Slutsamtal genomfört.")
        # the person, the enrolments and the marks as the change log has them
        case = dict(zip(PARTICIPANT_COLUMNS[1:], people[-1][1:]))
        lived = [(referred, {**case, "status": "active", "exit_date": None, "exit_outcome": None})]
        if exit_date is not None:
            lived.append((stamp(exit_date, 15), case))
        _steps(mine, "participant", pid, author, lived)
        for row in enrol[-len(booked):] if booked else ():
            values = dict(zip(ENROLMENT_COLUMNS[1:], row[1:]))
            lived = [(stamp(min(yesterday, max(referral, shift(start, -3, -1)))), {**values, "end_date": None})]
            if exit_date is not None:
                lived.append((stamp(exit_date, 15), values))
            _steps(mine, "enrolment", row[0], author, lived)
        for row in attendance[first_mark:]:
            values = dict(zip(ATTENDANCE_COLUMNS[1:], row[1:]))
            _steps(mine, "attendance", row[0], values["recorded_by"], [(values["recorded_at"], values)])
        mine.sort(key=lambda entry: entry[0])
        history.extend(mine)
        if len(attendance) > 200_000:
            _flush(cur, people, enrol, milestones, tokens_rows, attendance, notes, history)
    _flush(cur, people, enrol, milestones, tokens_rows, attendance, notes, history)
    history.finish()
    cur.executemany("INSERT OR IGNORE INTO name_vocab (token) VALUES (?)", [(t,) for t in sorted(vocab)])
    variants = sorted({(t, t) for t in vocab} | {(v, t) for t in vocab if len(t) >= names.FUZZY_MIN
                                                  for v in names.deletes(t)})
    cur.executemany("INSERT OR IGNORE INTO token_variant (variant, token) VALUES (?, ?)", variants)
    return cur.execute("SELECT count(*) FROM attendance").fetchone()[0]


# the columns of the rows as the generator makes them (the id first)
PARTICIPANT_COLUMNS = ("id", "personnummer", "reserve_number", "first_name", "last_name", "gender", "birth_date",
                       "protected", "address", "phone", "referral_date", "caseworker_id", "site",
                       *(f"plan_{day}" for day in WEEKDAYS), "status", "exit_date", "exit_outcome", "created_at")
ENROLMENT_COLUMNS = ("id", "participant_id", "activity_id", "start_date", "end_date", "session_id")
MILESTONE_COLUMNS = ("id", "participant_id", "stage_code", "status", "planned_date", "achieved_date",
                     "caseworker_id", "note", "updated_at")
ATTENDANCE_COLUMNS = ("id", "participant_id", "activity_id", "date", "status", "hours", "reason_code", "note",
                      "recorded_by", "recorded_at", "late", "session_id")
NOTE_COLUMNS = ("id", "participant_id", "author_login", "created_at", "text")


def _steps(entries: list, table: str, row_id: str, by: str, steps: list[tuple[str, dict]]) -> None:
    """A row's life as change-log entries: created with its first values, then each later step's changed
    fields with their old and new value (what store.changes.upsert logs); the last step is the row."""
    before: dict | None = None
    for at, values in steps:
        if before is None:
            changed = {c: [None, v] for c, v in values.items()}
        else:
            changed = {c: [before[c], v] for c, v in values.items() if before[c] != v}
        if changed:
            entries.append((at, by, table, row_id, changed))
        before = values


def _insert(cur, table: str, columns: tuple[str, ...], rows: list) -> None:  # noqa: ANN001
    cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def _flush(cur, people: list, enrol: list, milestones: list, tokens_rows: list, attendance: list,  # noqa: ANN001
           notes: list, history: changes.PastLog) -> None:
    """Insert what is pending, parents first (foreign keys are on), and empty the lists."""
    _insert(cur, "participant", PARTICIPANT_COLUMNS, people)
    _insert(cur, "enrolment", ENROLMENT_COLUMNS, enrol)
    _insert(cur, "milestone", MILESTONE_COLUMNS, milestones)
    cur.executemany("INSERT INTO name_token (token, participant_id) VALUES (?, ?)", tokens_rows)
    _insert(cur, "attendance", ATTENDANCE_COLUMNS, attendance)
    _insert(cur, "note", NOTE_COLUMNS, notes)
    history.write()
    for pending in (people, enrol, milestones, tokens_rows, attendance, notes):
        pending.clear()
