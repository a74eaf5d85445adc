"""Generated clients, and the rows the clients service's write path would store for them.

:func:`generate` makes one client as an API payload (``POST /api/v1/clients``) plus its
family members (``POST /api/v1/clients/{id}/family-members``). :func:`build_rows` turns the
same record into the rows of ``clients``, ``family_members``, ``client_search_terms`` and
``client_group_members`` with the service's own code (``clients.records.capitalise_names``,
``clients.text.key``, ``clients.text.client_terms``, ``clients.serialize.ADDRESS_FIELDS``), so
the bulk path stores what the write path would. :func:`compare_with_database` proves it on
clients created through the API.
"""
import datetime as dt
import json
import random
import types
import unicodedata
from itertools import accumulate

from clients.models import Client, FamilyMember, SearchTerm, client_group_members
from clients.records import capitalise_names
from clients.serialize import ADDRESS_FIELDS
from clients.text import client_terms, key

from . import names

TODAY = dt.date(2026, 11, 21)
EPOCH = dt.datetime(2016, 1, 1, tzinfo=dt.timezone.utc)
SPAN_SECONDS = int((dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc) - EPOCH).total_seconds())
FIRST_NUMBER = 1000  # the migration's starting client_settings.next_client_number
BULK_USER_ID = 1     # the admin the stack creates (what the API path records as created_by)


def _cum(population, exponent):
    """Zipf-like cumulative weights: the first names of a list are the most common."""
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(population))))


LAST_CUM = _cum(names.LAST_NAMES, 0.5)  # Smith ~1% of all clients, as in the US census
FEMALE_CUM = _cum(names.FEMALE_FIRST, 0.6)
MALE_CUM = _cum(names.MALE_FIRST, 0.6)


def _ascii(text):
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum()).lower()


class Lookups:
    """Ids of the studio's lists, as the running service has them."""

    def __init__(self, statuses, lead_sources, groups, organizations, relationships, phone_labels):
        self.statuses = statuses            # name -> id
        self.lead_sources = list(lead_sources.values())
        self.groups = list(groups.values())
        self.organizations = list(organizations.values())
        self.relationships = relationships  # name -> id
        self.phone_labels = phone_labels    # names as stored

    def as_dict(self):
        return {"statuses": self.statuses, "lead_sources": self.lead_sources, "groups": self.groups,
                "organizations": self.organizations, "relationships": self.relationships,
                "phone_labels": self.phone_labels}


class Generator:
    def __init__(self, lookups, seed):
        self.lookups = lookups
        self.rng = random.Random(seed)
        status_names = list(lookups.statuses)
        weights = {"Client": 60, "Booked": 15, "Prospect": 25}
        self.status_ids = [lookups.statuses[n] for n in status_names]
        self.status_cum = list(accumulate(weights.get(n, 5) for n in status_names))
        self.prospect_id = lookups.statuses.get("Prospect")
        self.booked_id = lookups.statuses.get("Booked")

    # pieces
    def _first(self, female):
        if female:
            return self.rng.choices(names.FEMALE_FIRST, cum_weights=FEMALE_CUM)[0]
        return self.rng.choices(names.MALE_FIRST, cum_weights=MALE_CUM)[0]

    def _last(self):
        if self.rng.random() < names.COMMON_LAST_NAME_SHARE:
            return self.rng.choices(names.LAST_NAMES, cum_weights=LAST_CUM)[0]
        return self.rng.choice(names.TAIL_LAST_NAMES)

    def _date_between(self, start, end):
        return start + dt.timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    def _phone(self, area_codes):
        rng = self.rng
        area, exchange, line = rng.choice(area_codes), rng.randint(200, 999), rng.randint(0, 9999)
        style = rng.random()
        if style < 0.5:
            return f"({area}) {exchange}-{line:04d}"
        if style < 0.8:
            return f"{area}-{exchange}-{line:04d}"
        if style < 0.9:
            return f"{area}.{exchange}.{line:04d}"
        return f"+1 {area} {exchange} {line:04d}"

    def _email(self, first, last, taken):
        rng = self.rng
        f, la = _ascii(first) or "client", _ascii(last) or "studio"
        style = rng.randint(0, 4)
        local = (f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}{rng.randint(1, 99)}", f"{f}_{la}{rng.randint(60, 99)}",
                 f"{la}.{f}{rng.randint(1, 999)}")[style]
        email = f"{local}@{rng.choice(names.EMAIL_DOMAINS)}"
        while email in taken:
            email = f"{local}{rng.randint(1, 9999)}@{rng.choice(names.EMAIL_DOMAINS)}"
        taken.add(email)
        return email

    def client(self, max_existing_id=0):
        """One client: ``{"payload": <POST body with Python dates>, "family": [<POST bodies>]}``."""
        rng = self.rng
        lk = self.lookups
        female = rng.random() < 0.55
        first, last = self._first(female), self._last()
        if rng.random() < 0.05:  # typed in lower case; the service capitalises
            first, last = first.lower(), last.lower()
        city, region, zip3, area_codes = rng.choice(names.PLACES)
        phones = []
        for index in range(rng.choices((1, 2, 3), cum_weights=(50, 85, 100))[0]):
            label = ("Mobile", "Home", "Work")[index] if rng.random() < 0.9 else None
            phones.append({"label": label, "number": self._phone(area_codes)})
        taken = set()
        email_count = rng.choices((1, 2), cum_weights=(80, 100))[0]
        emails = [self._email(first, last, taken) for _ in range(email_count)]
        status_id = rng.choices(self.status_ids, cum_weights=self.status_cum)[0]
        payload = {
            "first_name": first,
            "last_name": last,
            "emails": emails,
            "phones": phones,
            "status_id": status_id,
            "allow_marketing": rng.random() < 0.85,
        }
        if rng.random() < 0.25:
            payload["salutation"] = (("Ms.", "Mrs.", "Miss", "Dr.") if female else ("Mr.", "Dr."))[
                rng.randint(0, 3 if female else 1)]
        if rng.random() < 0.85:
            payload["address"] = {
                "line1": (f"{rng.randint(1, 9999)} {rng.choice(names.STREETS)} "
                          f"{rng.choice(names.STREET_KINDS)}"),
                "line2": f"Apt {rng.randint(1, 40)}" if rng.random() < 0.1 else None,
                "city": city, "region": region, "postal_code": f"{zip3}{rng.randint(0, 99):02d}",
                "country": "US"}
        if status_id in (self.prospect_id, self.booked_id) and rng.random() < 0.3:
            payload["status_due_date"] = self._date_between(TODAY, TODAY + dt.timedelta(days=120))
        if lk.lead_sources and rng.random() < 0.7:
            payload["lead_source_id"] = rng.choice(lk.lead_sources)
        if max_existing_id > 0 and rng.random() < 0.05:
            payload["referred_by_id"] = rng.randint(1, max_existing_id)
        if lk.organizations and rng.random() < 0.08:
            payload["organization_id"] = rng.choice(lk.organizations)
        if lk.groups and rng.random() < 0.3:
            payload["group_ids"] = rng.sample(lk.groups, min(len(lk.groups), 1 if rng.random() < 0.8 else 2))
        if rng.random() < 0.5:
            payload["birthday"] = self._date_between(dt.date(1946, 1, 1), dt.date(2008, 1, 1))
        if rng.random() < 0.25:
            payload["anniversary"] = self._date_between(dt.date(1975, 1, 1), dt.date(2026, 6, 1))
        if rng.random() < 0.3:
            payload["contract_date"] = self._date_between(dt.date(2021, 1, 1), TODAY)
        if rng.random() < 0.04:
            payload["inactive_date"] = self._date_between(dt.date(2018, 1, 1), TODAY)
        if rng.random() < 0.1:
            payload["notes"] = rng.choice(names.NOTES)
        if rng.random() < 0.02:
            payload["call_warning"] = rng.choice(names.CALL_WARNINGS)
        if rng.random() < 0.03:
            payload["saturday_only"] = True
        if rng.random() < 0.05:
            payload["custom_texts"] = [f"Grad year {rng.randint(2024, 2030)}"]
        return {"payload": payload, "family": self._family(female, last, area_codes, taken)}

    def _family(self, client_female, last, area_codes, taken):
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), cum_weights=(40, 70, 90, 100))[0]
        members = []
        for index in range(count):
            if index == 0 and (count > 1 or rng.random() < 0.5):
                relationship = rng.choices(("Spouse", "Partner"), cum_weights=(85, 100))[0]
                female = not client_female if rng.random() < 0.9 else client_female
                member = {"first_name": self._first(female),
                          "last_name": last if rng.random() < 0.8 else self._last(),
                          "relationship": relationship,
                          "birthday": self._date_between(dt.date(1950, 1, 1), dt.date(2004, 1, 1))
                          if rng.random() < 0.5 else None}
                if rng.random() < 0.5:
                    member["phones"] = [{"label": "Mobile", "number": self._phone(area_codes)}]
                if rng.random() < 0.4:
                    member["email"] = self._email(member["first_name"], member["last_name"], taken)
                if rng.random() < 0.5:
                    member["secondary_contact"] = True
            else:
                relationship = rng.choices(("Child", "Parent", "Sibling", "Other"),
                                           cum_weights=(80, 88, 96, 100))[0]
                member = {"first_name": self._first(rng.random() < 0.5), "last_name": last,
                          "relationship": relationship}
                if relationship == "Child":
                    member["birthday"] = self._date_between(dt.date(2008, 1, 1), dt.date(2026, 9, 1))
            if member.get("relationship") not in self.lookups.relationships:
                member["relationship"] = None
            members.append(member)
        return members


def json_payload(payload):
    """A generated payload as JSON for the API (dates as ISO strings)."""
    def convert(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return convert(payload)


# ---------------------------------------------------------------- rows of the write path

CLIENT_COLUMNS = [c.name for c in Client.__table__.columns]
FAMILY_COLUMNS = [c.name for c in FamilyMember.__table__.columns]
TERM_COLUMNS = [c.name for c in SearchTerm.__table__.columns]
GROUP_COLUMNS = [c.name for c in client_group_members.columns]


def _phones(phones):
    return [{"label": p.get("label"), "number": p["number"]} for p in phones or []]


def build_rows(record, client_id, client_number, family_ids, created_at, updated_at, lookups):
    """``(client, family_rows, terms, group_rows)`` as the write path stores them:
    ``create_client`` then ``add_family_member`` for each member (``_sync_secondary`` for the
    one marked secondary contact)."""
    data = dict(record["payload"])
    capitalise_names(data, True)  # records.create_client: studio default auto_capitalize
    address = data.get("address") or {}
    custom_dates = list(data.get("custom_dates") or []) + [None, None]
    client = {
        "id": client_id, "client_number": client_number,
        "salutation": data.get("salutation"), "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "first_key": key(data.get("first_name")), "last_key": key(data.get("last_name")),
        "emails": list(data.get("emails") or []), "phones": _phones(data.get("phones")),
        # records._apply writes the address only when the payload has one (else the default {})
        "address": {f: address.get(f) for f in ADDRESS_FIELDS} if "address" in data else {},
        "status_id": data.get("status_id"), "status_due_date": data.get("status_due_date"),
        "lead_source_id": data.get("lead_source_id"), "referred_by_id": data.get("referred_by_id"),
        "organization_id": data.get("organization_id"),
        "group_ids": sorted(set(data.get("group_ids") or [])),
        "birthday": data.get("birthday"), "anniversary": data.get("anniversary"),
        "contract_date": data.get("contract_date"),
        "custom_date_1": custom_dates[0], "custom_date_2": custom_dates[1],
        "custom_texts": list(data.get("custom_texts") or [])[:4],
        "call_warning": data.get("call_warning"), "saturday_only": bool(data.get("saturday_only", False)),
        "allow_marketing": bool(data.get("allow_marketing", True)),
        "inactive_date": data.get("inactive_date"),
        "notes": data.get("notes"),
        "secondary_contact_id": None, "secondary_first_name": None, "secondary_last_name": None,
        "created_at": created_at, "updated_at": updated_at, "deleted_at": None,
        "created_by": BULK_USER_ID, "updated_by": BULK_USER_ID,
    }
    family_rows = []
    for member_id, member in zip(family_ids, record["family"]):
        member = dict(member)
        capitalise_names(member, True, fields=("first_name", "last_name"))  # family._apply
        row = {"id": member_id, "client_id": client_id, "first_name": member.get("first_name"),
               "last_name": member.get("last_name"),
               "relationship_id": (lookups.relationships[member["relationship"]]
                                   if member.get("relationship") else None),
               "birthday": member.get("birthday"), "email": member.get("email"),
               "phones": _phones(member.get("phones")),
               "secondary_contact": bool(member.get("secondary_contact", False))}
        if row["secondary_contact"]:  # family._sync_secondary: the newest one wins
            for earlier in family_rows:
                earlier["secondary_contact"] = False
            client["secondary_contact_id"] = member_id
            client["secondary_first_name"] = row["first_name"]
            client["secondary_last_name"] = row["last_name"]
        family_rows.append(row)
    terms = client_terms(types.SimpleNamespace(**client))
    group_rows = [{"client_id": client_id, "group_id": g} for g in client["group_ids"]]
    return client, family_rows, terms, group_rows


# ---------------------------------------------------------------- COPY text format

def _escape(text):
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _json(value):
    return _escape(json.dumps(value))  # SQLAlchemy's default JSON serializer is json.dumps


_FORMATS = {
    str: _escape, int: str, bool: lambda v: "t" if v else "f", type(None): lambda v: "\\N",
    dt.date: dt.date.isoformat, dt.datetime: dt.datetime.isoformat, list: _json, dict: _json,
}


def copy_value(value):
    """One value in PostgreSQL's COPY text format."""
    try:
        return _FORMATS[type(value)](value)
    except KeyError:
        raise TypeError(f"no COPY form for {type(value).__name__}") from None


def copy_line(row, columns):
    return "\t".join([copy_value(row[c]) for c in columns]) + "\n"


def terms_lines(client_id, terms, last_key, first_key):
    """COPY lines for ``client_search_terms`` (in TERM_COLUMNS order): each term with its
    client's sort keys."""
    keys = f"\t{_escape(last_key)}\t{_escape(first_key)}\n"
    cid = f"\t{client_id}\t"
    text = "".join([term + cid + kind + keys for term, kind in terms.items()])
    if (text.count("\t") != 4 * len(terms) or text.count("\n") != len(terms) or "\\" in text
            or "\r" in text):  # a term with a special character: escape each
        text = "".join([_escape(term) + cid + kind + keys for term, kind in terms.items()])
    return text


# ---------------------------------------------------------------- proof

def compare_with_database(cur, client_id, expected):
    """Differences between what ``build_rows`` gives and what the API stored for ``client_id``."""
    client, family_rows, terms, group_rows = expected
    diffs = []
    cur.execute(f"SELECT {', '.join(CLIENT_COLUMNS)} FROM clients WHERE id = %s", (client_id,))
    row = cur.fetchone()
    if row is None:
        return [f"client {client_id} not in the database"]
    stored = dict(zip(CLIENT_COLUMNS, row))
    for column in CLIENT_COLUMNS:
        if column in ("created_at", "updated_at"):
            continue
        if stored[column] != client[column]:
            diffs.append(f"clients.{column}: stored {stored[column]!r}, bulk {client[column]!r}")
    cur.execute(f"SELECT {', '.join(FAMILY_COLUMNS)} FROM family_members WHERE client_id = %s ORDER BY id",
                (client_id,))
    stored_family = [dict(zip(FAMILY_COLUMNS, r)) for r in cur.fetchall()]
    if stored_family != family_rows:
        diffs.append(f"family_members: stored {stored_family!r}, bulk {family_rows!r}")
    cur.execute("SELECT term, kind FROM client_search_terms WHERE client_id = %s", (client_id,))
    stored_terms = dict(cur.fetchall())
    if stored_terms != terms:
        only_db = sorted(set(stored_terms.items()) - set(terms.items()))
        only_bulk = sorted(set(terms.items()) - set(stored_terms.items()))
        diffs.append(f"client_search_terms: only stored {only_db}, only bulk {only_bulk}")
    cur.execute("SELECT client_id, group_id FROM client_group_members WHERE client_id = %s ORDER BY group_id",
                (client_id,))
    stored_groups = [{"client_id": a, "group_id": b} for a, b in cur.fetchall()]
    if stored_groups != group_rows:
        diffs.append(f"client_group_members: stored {stored_groups!r}, bulk {group_rows!r}")
    return diffs
