"""The scheduling API: session types, the studio's ordered session statuses, sessions (one-off
or a recurring series), appointments (internal bookings), calendars and ICS feeds, the
scheduling settings (conflict mode, pre-payment rule) and the scheduling wizard.

Times: ``starts_at`` / ``ends_at`` are ISO 8601. A time with an offset (``...-05:00`` or
``Z``) is that instant; a time without one is wall-clock time in the studio's time zone.
Responses show every time in the studio's time zone, with its offset. They are stored in UTC.
"""

import datetime as dt
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import PageArgs, Text

NAME_MAX = 100
TITLE_MAX = 200
NOTES_MAX = 20_000
ROOM_MAX = 100
ADVANCE_MAX_IDS = 10_000
CONFLICT_MODES = ("never", "warn", "allow")
SCOPES = ("this", "following")
MONEY_MAX = 10**12
SESSION_MAX_HOURS = 24
APPOINTMENT_MAX_DAYS = 31
CALENDAR_MAX_DAYS = 366
STAFF_MAX = 50
RRULE_MAX = 500
WIZARD_STEPS = ("session", "invoice", "payment")
IDEMPOTENCY_KEY_MAX = 255
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _id(**kwargs):
    kwargs.setdefault("allow_none", True)
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), **kwargs)


def _sort_order(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000), **kwargs)


class Timestamp(fields.Field):
    """ISO 8601 date and time; with an offset it is that instant, without one it is wall-clock
    time in the studio's time zone. Loads as a ``datetime`` (aware or naive)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or DATE_ONLY.match(value.strip()):
            raise ValidationError(
                "must be an ISO 8601 date and time, e.g. 2026-03-10T10:00:00-05:00 "
                "(without an offset: the studio's time zone)"
            )
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"'{value[:40]}' is not an ISO 8601 date and time") from None
        return parsed.replace(second=parsed.second, microsecond=0)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if isinstance(value, dt.datetime) else value


class DateOrTimestamp(fields.Field):
    """``YYYY-MM-DD`` (a day in the studio's time zone) or an ISO 8601 timestamp."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp")
        text = value.strip()
        try:
            if DATE_ONLY.match(text):
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                f"'{text[:40]}' is not a date (YYYY-MM-DD) or an ISO 8601 timestamp"
            ) from None


# --- settings ----------------------------------------------------------------------------------


class SchedulingSettingsSchema(Schema):
    conflict_mode = fields.String(
        validate=validate.OneOf(CONFLICT_MODES),
        metadata={
            "description": "a photographer, assistant or room booked twice at overlapping times: never "
            "(409 naming the other booking), warn (booked, with conflicts in the response), allow"
        },
    )
    prepayment_required = fields.Boolean(
        metadata={"description": "book a session only if the client's credit on account covers the threshold"}
    )
    prepayment_threshold = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MONEY_MAX),
        metadata={"description": "in the currency's smallest unit (3000 = 30.00)"},
    )


# --- session types and statuses ------------------------------------------------------------------


class SessionTypeInSchema(Schema):
    name = Text(NAME_MAX, required=True)
    duration_minutes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=5, max=SESSION_MAX_HOURS * 60)
    )
    price_item_ids = fields.List(
        _id(allow_none=False),
        validate=validate.Length(max=50),
        metadata={"description": "price-list items an invoice for a session of this type lists"},
    )
    sort_order = _sort_order()
    active = fields.Boolean(metadata={"description": "false: no new sessions of this type"})


class SessionTypeOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    duration_minutes = fields.Integer()
    price_item_ids = fields.List(fields.Integer())
    sort_order = fields.Integer()
    active = fields.Boolean()


class SessionTypeListSchema(Schema):
    items = fields.List(fields.Nested(SessionTypeOutSchema))
    next_cursor = fields.String(allow_none=True)


class SessionStatusInSchema(Schema):
    name = Text(NAME_MAX, required=True)
    sort_order = _sort_order(metadata={"description": "position in the studio's order; default: last"})


class SessionStatusOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    sort_order = fields.Integer()


class SessionStatusListSchema(Schema):
    items = fields.List(fields.Nested(SessionStatusOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- sessions --------------------------------------------------------------------------------------


class RecurrenceSchema(Schema):
    rrule = fields.String(
        required=True,
        validate=validate.Length(min=1, max=RRULE_MAX),
        metadata={
            "description": "an RRULE subset: FREQ=WEEKLY|MONTHLY, INTERVAL, COUNT or UNTIL, BYDAY; "
            "e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10. Expanded in the studio's time zone"
        },
    )


class SessionInSchema(Schema):
    """Book a session (client, type and start required) or PATCH one (partial)."""

    client_id = _id(required=True, allow_none=False)
    session_type_id = _id(required=True, allow_none=False)
    status_id = _id(metadata={"description": "default: the first status"})
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(allow_none=True, metadata={"description": "default: starts_at + the type's duration"})
    photographer_id = _id(metadata={"description": "an active staff user"})
    assistant_id = _id(metadata={"description": "an active staff user"})
    room = Text(ROOM_MAX, allow_none=True)
    organization_id = _id(metadata={"description": "the school or organization the session is for"})
    notes = Text(NOTES_MAX, allow_none=True)
    recurrence = fields.Nested(
        RecurrenceSchema,
        allow_none=True,
        metadata={"description": "on create: the series of sessions to book"},
    )
    scope = fields.String(
        validate=validate.OneOf(SCOPES),
        metadata={
            "description": "PATCH of a series' session: this (default) or following (this and later ones)"
        },
    )

    @validates_schema
    def _order(self, data, **_):
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None and (starts.tzinfo is None) == (ends.tzinfo is None):
            if ends <= starts:
                raise ValidationError("must be after starts_at", "ends_at")


class ConflictSchema(Schema):
    field = fields.String(metadata={"description": "photographer_id, assistant_id, room or staff_ids.N"})
    kind = fields.String(metadata={"description": "session or appointment"})
    id = fields.Integer()
    starts_at = fields.String()
    ends_at = fields.String()
    occurrence = fields.Integer(allow_none=True, metadata={"description": "index in a new series"})


class WarningSchema(Schema):
    code = fields.String(metadata={"description": "e.g. saturday_only"})
    field = fields.String()
    message = fields.String()


class SeriesOutSchema(Schema):
    id = fields.Integer()
    rrule = fields.String()
    session_ids = fields.List(fields.Integer())
    occurrences = fields.List(fields.Dict())


class SessionOutSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    client_name = fields.String(allow_none=True)
    session_type_id = fields.Integer()
    status_id = fields.Integer()
    starts_at = fields.String(metadata={"description": "in the studio's time zone, with its offset"})
    ends_at = fields.String()
    time_zone = fields.String()
    photographer_id = fields.Integer(allow_none=True)
    assistant_id = fields.Integer(allow_none=True)
    room = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    series_id = fields.Integer(allow_none=True)
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True)
    cancelled = fields.Boolean()
    cancelled_at = fields.String(allow_none=True)
    sequence = fields.Integer(metadata={"description": "bumped on every change (the ICS SEQUENCE)"})
    created_at = fields.String()
    updated_at = fields.String()
    created_by = fields.Integer(allow_none=True)
    updated_by = fields.Integer(allow_none=True)
    conflicts = fields.List(
        fields.Nested(ConflictSchema),
        metadata={"description": "writes under conflict_mode warn: the overlapping bookings"},
    )
    warnings = fields.List(fields.Nested(WarningSchema))
    series = fields.Nested(SeriesOutSchema, metadata={"description": "a new series: its sessions"})
    updated_sessions = fields.List(
        fields.Integer(), metadata={"description": "scope=following: the ids of the sessions changed"}
    )


class SessionListArgs(PageArgs):
    client_id = fields.Integer(load_default=None)
    session_type_id = fields.Integer(load_default=None)
    status_id = fields.Integer(load_default=None)
    photographer_id = fields.Integer(load_default=None)
    assistant_id = fields.Integer(load_default=None)
    organization_id = fields.Integer(load_default=None)
    series_id = fields.Integer(load_default=None)
    cancelled = fields.Boolean(load_default=None, metadata={"description": "default: both"})
    starts_from = DateOrTimestamp(load_default=None, data_key="from")
    starts_to = DateOrTimestamp(load_default=None, data_key="to")


class SessionPageSchema(Schema):
    items = fields.List(fields.Nested(SessionOutSchema))
    next_cursor = fields.String(allow_none=True)


class CancelInSchema(Schema):
    scope = fields.String(
        load_default="this",
        validate=validate.OneOf(SCOPES),
        metadata={"description": "this (default) or following: this and the later sessions of its series"},
    )
    reason = Text(500, allow_none=True)


class CancelOutSchema(Schema):
    cancelled = fields.List(fields.Integer(), metadata={"description": "ids of the sessions cancelled"})
    session = fields.Nested(SessionOutSchema)


class AdvanceStatusInSchema(Schema):
    ids = fields.List(
        fields.Integer(),
        required=True,
        validate=validate.Length(min=1, max=ADVANCE_MAX_IDS),
        metadata={"description": f"session ids, at most {ADVANCE_MAX_IDS:,}"},
    )


class AdvanceErrorSchema(Schema):
    code = fields.String(
        metadata={
            "description": "not_found, unprocessable (last status, or cancelled) "
            "or validation_error (listed twice)"
        }
    )
    message = fields.String()


class AdvanceResultSchema(Schema):
    id = fields.Integer()
    ok = fields.Boolean()
    result = fields.String(
        metadata={"description": "advanced, already_last, cancelled, not_found, duplicate"}
    )
    from_status_id = fields.Integer(allow_none=True)
    status_id = fields.Integer(allow_none=True)
    error = fields.Nested(AdvanceErrorSchema, allow_none=True)


class AdvanceStatusOutSchema(Schema):
    items = fields.List(
        fields.Nested(AdvanceResultSchema), metadata={"description": "one per listed id, in order"}
    )
    advanced = fields.Integer()
    failed = fields.Integer()


# --- appointments ----------------------------------------------------------------------------------


class AppointmentInSchema(Schema):
    """An internal booking: a consultation, a picture-day block. PATCH is partial."""

    title = Text(TITLE_MAX, required=True)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    staff_ids = fields.List(
        _id(allow_none=False), required=True, validate=validate.Length(min=1, max=STAFF_MAX)
    )
    client_id = _id()
    organization_id = _id(
        metadata={
            "description": "a school's picture day: its sessions show once, "
            "inside this appointment, on the calendar"
        }
    )
    room = Text(ROOM_MAX, allow_none=True)
    notes = Text(NOTES_MAX, allow_none=True)

    @validates_schema
    def _order(self, data, **_):
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None and (starts.tzinfo is None) == (ends.tzinfo is None):
            if ends <= starts:
                raise ValidationError("must be after starts_at", "ends_at")


class AppointmentOutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    time_zone = fields.String()
    staff_ids = fields.List(fields.Integer())
    client_id = fields.Integer(allow_none=True)
    client_name = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    room = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    sequence = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    conflicts = fields.List(fields.Nested(ConflictSchema))


class AppointmentListArgs(PageArgs):
    staff_id = fields.Integer(load_default=None)
    client_id = fields.Integer(load_default=None)
    organization_id = fields.Integer(load_default=None)
    starts_from = DateOrTimestamp(load_default=None, data_key="from")
    starts_to = DateOrTimestamp(load_default=None, data_key="to")


class AppointmentPageSchema(Schema):
    items = fields.List(fields.Nested(AppointmentOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- calendars ---------------------------------------------------------------------------------------


class CalendarArgs(Schema):
    staff_id = fields.Integer(
        load_default=None, metadata={"description": "one staff member; without it: the master calendar"}
    )
    from_ = DateOrTimestamp(
        required=True,
        data_key="from",
        metadata={"description": "a date (the start of that day, studio time) or a timestamp"},
    )
    to = DateOrTimestamp(
        required=True,
        metadata={
            "description": "a date (the end of that day, studio time) or a timestamp; "
            "at most a year after from"
        },
    )
    include_cancelled = fields.Boolean(load_default=False)


class CalendarItemSchema(Schema):
    kind = fields.String(metadata={"description": "session or appointment"})
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    client_id = fields.Integer(allow_none=True)
    client_name = fields.String(allow_none=True)
    session_type_id = fields.Integer(allow_none=True)
    status_id = fields.Integer(allow_none=True)
    staff_ids = fields.List(fields.Integer())
    photographer_id = fields.Integer(allow_none=True)
    assistant_id = fields.Integer(allow_none=True)
    room = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    cancelled = fields.Boolean()
    session_count = fields.Integer(
        metadata={
            "description": "an appointment of an organization: its sessions shown inside it, not one by one"
        }
    )


class CalendarSchema(Schema):
    staff_id = fields.Integer(allow_none=True)
    time_zone = fields.String()
    starts_at = fields.String(attribute="from", data_key="from")
    ends_at = fields.String(attribute="to", data_key="to")
    items = fields.List(fields.Nested(CalendarItemSchema))


class FeedOutSchema(Schema):
    url = fields.String(metadata={"description": "the subscribable ICS address, with its token"})


class FeedArgs(Schema):
    token = fields.String(load_default=None, validate=validate.Length(max=200))


# --- the scheduling wizard -------------------------------------------------------------------------


class WizardInvoiceSchema(Schema):
    lines = fields.List(
        fields.Dict(),
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "invoice lines as POST /invoices takes them; default: the session type's items"
        },
    )
    coupon_code = Text(40, allow_none=True)
    invoice_date = fields.Date()
    due_date = fields.Date()
    tax_rate_id = _id()
    notes = Text(5000, allow_none=True)


class WizardInSchema(Schema):
    client_id = _id(required=True, allow_none=False)
    session = fields.Dict(
        required=True,
        metadata={"description": "a session as POST /sessions takes it (client_id: the wizard's)"},
    )
    invoice = fields.Nested(WizardInvoiceSchema, allow_none=True, load_default=None)
    payment = fields.Dict(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "a payment as POST /payments takes it (client and invoice: the wizard's; "
            "amount: default the invoice's balance)"
        },
    )


class WizardOutSchema(Schema):
    session = fields.Nested(SessionOutSchema)
    invoice = fields.Dict(allow_none=True)
    payment = fields.Dict(allow_none=True)
    replayed = fields.Boolean(
        metadata={"description": "true: the answer to an earlier request with this Idempotency-Key"}
    )
