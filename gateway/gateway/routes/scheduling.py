"""The scheduling API: settings, session types and statuses, sessions (and series), bulk
advance, appointments, calendars, ICS feeds and the scheduling wizard. The scheduling
service validates again and owns every rule."""

import orjson
from flask import Response, current_app, request

from proofsheet_shared.contracts import scheduling as c
from proofsheet_shared.errors import ValidationError

from ..api import Api
from ..auth import rpc
from ..errors import error_response
from .payments import money_context

api = Api("scheduling")
READ, WRITE, CONFIGURE = "scheduling.read", "scheduling.write", "scheduling.configure"
CONFLICT = {
    409: "conflict_mode never: the photographer, assistant, staff or room is booked then (the message "
    "names the other booking)"
}
UNPROCESSABLE = {
    422: "unprocessable: a business rule refused it (inactive client, pre-payment, cancelled ...)"
}
# an advance of 10,000 sessions and the wizard's three services take longer than a read
LONG_TIMEOUT = 60


def _json(body, status=200):
    """Large answers (a month of the master calendar) straight through orjson."""
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


# settings, session types and statuses ---------------------------------------------------------------


@api.route(
    "/settings/scheduling",
    "GET",
    "Conflict mode and the pre-payment rule",
    "settings",
    response=c.SchedulingSettingsSchema,
    permission=READ,
)
def get_scheduling_settings():
    return rpc("scheduling", "get_settings")


@api.route(
    "/settings/scheduling",
    "PATCH",
    "Change the conflict mode (never, warn, allow) and the pre-payment rule",
    "settings",
    body=c.SchedulingSettingsSchema,
    partial=True,
    response=c.SchedulingSettingsSchema,
    permission=CONFIGURE,
)
def patch_scheduling_settings(body):
    return rpc("scheduling", "update_settings", body)


@api.route(
    "/session-types",
    "GET",
    "Session types (duration, price-list items to invoice)",
    "session types",
    response=c.SessionTypeListSchema,
    permission=READ,
)
def get_session_types():
    return rpc("scheduling", "list_session_types")


@api.route(
    "/session-types",
    "POST",
    "Add a session type",
    "session types",
    body=c.SessionTypeInSchema,
    response=c.SessionTypeOutSchema,
    status=201,
    permission=CONFIGURE,
    extra_responses={409: "a type of that name exists"},
)
def post_session_type(body):
    return rpc("scheduling", "create_session_type", body)


@api.route(
    "/session-types/<int:type_id>",
    "GET",
    "One session type",
    "session types",
    response=c.SessionTypeOutSchema,
    permission=READ,
)
def get_session_type(type_id):
    return rpc("scheduling", "get_session_type", type_id)


@api.route(
    "/session-types/<int:type_id>",
    "PATCH",
    "Change a session type",
    "session types",
    body=c.SessionTypeInSchema,
    partial=True,
    response=c.SessionTypeOutSchema,
    permission=CONFIGURE,
)
def patch_session_type(type_id, body):
    return rpc("scheduling", "update_session_type", type_id, body)


@api.route(
    "/session-types/<int:type_id>",
    "DELETE",
    "Remove a session type (refused while sessions use it)",
    "session types",
    status=204,
    permission=CONFIGURE,
    extra_responses={409: "sessions use it"},
)
def delete_session_type(type_id):
    rpc("scheduling", "delete_session_type", type_id)
    return "", 204


@api.route(
    "/session-statuses",
    "GET",
    "The studio's session statuses, in order",
    "session types",
    response=c.SessionStatusListSchema,
    permission=READ,
)
def get_session_statuses():
    return rpc("scheduling", "list_session_statuses")


@api.route(
    "/session-statuses",
    "POST",
    "Add a session status (default: last)",
    "session types",
    body=c.SessionStatusInSchema,
    response=c.SessionStatusOutSchema,
    status=201,
    permission=CONFIGURE,
    extra_responses={409: "a status of that name exists"},
)
def post_session_status(body):
    return rpc("scheduling", "create_session_status", body)


@api.route(
    "/session-statuses/<int:status_id>",
    "PATCH",
    "Rename or reorder a session status",
    "session types",
    body=c.SessionStatusInSchema,
    partial=True,
    response=c.SessionStatusOutSchema,
    permission=CONFIGURE,
)
def patch_session_status(status_id, body):
    return rpc("scheduling", "update_session_status", status_id, body)


@api.route(
    "/session-statuses/<int:status_id>",
    "DELETE",
    "Remove a session status (refused while sessions are in it)",
    "session types",
    status=204,
    permission=CONFIGURE,
    extra_responses={409: "in use"},
)
def delete_session_status(status_id):
    rpc("scheduling", "delete_session_status", status_id)
    return "", 204


# sessions ----------------------------------------------------------------------------------------------


@api.route(
    "/sessions",
    "GET",
    "Sessions by start time: filter by client, type, status, staff, organization, series, from/to",
    "sessions",
    query=c.SessionListArgs,
    response=c.SessionPageSchema,
    permission=READ,
)
def get_sessions(args):
    return rpc("scheduling", "list_sessions", args)


@api.route(
    "/sessions",
    "POST",
    "Book a session, or a series with recurrence.rrule (times without an offset are studio time)",
    "sessions",
    body=c.SessionInSchema,
    response=c.SessionOutSchema,
    status=201,
    permission=WRITE,
    extra_responses={**CONFLICT, **UNPROCESSABLE},
)
def post_session(body):
    return rpc("scheduling", "create_session", body)


@api.route(
    "/sessions/advance-status",
    "POST",
    "Move each listed session to the next status; one result per id",
    "sessions",
    body=c.AdvanceStatusInSchema,
    response=c.AdvanceStatusOutSchema,
    permission=WRITE,
)
def post_advance_status(body):
    return rpc("scheduling", "advance_status", body, timeout=LONG_TIMEOUT)


@api.route(
    "/sessions/<int:session_id>",
    "GET",
    "One session",
    "sessions",
    response=c.SessionOutSchema,
    permission=READ,
)
def get_session(session_id):
    return rpc("scheduling", "get_session", session_id)


@api.route(
    "/sessions/<int:session_id>",
    "PATCH",
    "Change a session (scope following: and the later sessions of its series)",
    "sessions",
    body=c.SessionInSchema,
    partial=True,
    response=c.SessionOutSchema,
    permission=WRITE,
    extra_responses={**CONFLICT, **UNPROCESSABLE},
)
def patch_session(session_id, body):
    return rpc("scheduling", "update_session", session_id, body)


@api.route(
    "/sessions/<int:session_id>/cancel",
    "POST",
    "Cancel a session (scope following: and the later sessions of its series)",
    "sessions",
    body=c.CancelInSchema,
    response=c.CancelOutSchema,
    permission=WRITE,
)
def post_cancel_session(session_id, body):
    return rpc("scheduling", "cancel_session", session_id, body)


# appointments ------------------------------------------------------------------------------------------


@api.route(
    "/appointments",
    "GET",
    "Appointments (internal bookings) by start time",
    "appointments",
    query=c.AppointmentListArgs,
    response=c.AppointmentPageSchema,
    permission=READ,
)
def get_appointments(args):
    return rpc("scheduling", "list_appointments", args)


@api.route(
    "/appointments",
    "POST",
    "Book an appointment of one or more staff (a consultation, a picture day)",
    "appointments",
    body=c.AppointmentInSchema,
    response=c.AppointmentOutSchema,
    status=201,
    permission=WRITE,
    extra_responses=CONFLICT,
)
def post_appointment(body):
    return rpc("scheduling", "create_appointment", body)


@api.route(
    "/appointments/<int:appointment_id>",
    "GET",
    "One appointment",
    "appointments",
    response=c.AppointmentOutSchema,
    permission=READ,
)
def get_appointment(appointment_id):
    return rpc("scheduling", "get_appointment", appointment_id)


@api.route(
    "/appointments/<int:appointment_id>",
    "PATCH",
    "Change an appointment",
    "appointments",
    body=c.AppointmentInSchema,
    partial=True,
    response=c.AppointmentOutSchema,
    permission=WRITE,
    extra_responses=CONFLICT,
)
def patch_appointment(appointment_id, body):
    return rpc("scheduling", "update_appointment", appointment_id, body)


@api.route(
    "/appointments/<int:appointment_id>",
    "DELETE",
    "Delete an appointment (feeds show it cancelled)",
    "appointments",
    status=204,
    permission=WRITE,
)
def delete_appointment(appointment_id):
    rpc("scheduling", "delete_appointment", appointment_id)
    return "", 204


# calendars ---------------------------------------------------------------------------------------------


@api.route(
    "/calendar",
    "GET",
    "Sessions and appointments of one staff member (staff_id) or all (the master "
    "calendar), from/to: dates or timestamps, at most a year",
    "calendars",
    query=c.CalendarArgs,
    response=c.CalendarSchema,
    permission=READ,
)
def get_calendar(args):
    return _json(rpc("scheduling", "get_calendar", args))


def _feed_url(staff_id, token):
    return f"{request.url_root.rstrip('/')}{api.url_prefix}/calendars/{staff_id}.ics?token={token}"


@api.route(
    "/calendars/<int:staff_id>/feed",
    "GET",
    "The subscribable ICS address of a staff member's calendar (the staff member or an admin)",
    "calendars",
    response=c.FeedOutSchema,
    permission=READ,
)
def get_feed(staff_id):
    answer = rpc("scheduling", "get_feed_token", staff_id)
    return {"url": _feed_url(staff_id, answer["token"])}


@api.route(
    "/calendars/<int:staff_id>/feed/rotate",
    "POST",
    "A new ICS address; the old one stops working",
    "calendars",
    response=c.FeedOutSchema,
    permission=READ,
)
def post_rotate_feed(staff_id):
    answer = rpc("scheduling", "rotate_feed_token", staff_id)
    return {"url": _feed_url(staff_id, answer["token"])}


@api.route(
    "/calendars/<int:staff_id>.ics",
    "GET",
    "A staff member's calendar as iCalendar (RFC 5545), for "
    "Google or Apple Calendar; the token authenticates (a wrong one: 404)",
    "calendars",
    query=c.FeedArgs,
    public=True,
    content_type="text/calendar",
)
def get_ics(staff_id, args):
    text = rpc("scheduling", "ics_feed", staff_id, args.get("token"), timeout=30)
    return Response(
        text,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'inline; filename="staff-{staff_id}.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )


# the scheduling wizard ------------------------------------------------------------------------------------


def _idempotency_key():
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= c.IDEMPOTENCY_KEY_MAX):
        raise ValidationError(
            f"Idempotency-Key must be 1 to {c.IDEMPOTENCY_KEY_MAX} characters",
            {"Idempotency-Key": f"1 to {c.IDEMPOTENCY_KEY_MAX} characters"},
        )
    return key


@api.route(
    "/wizards/schedule",
    "POST",
    "Book a session, then optionally invoice it and take a payment, in one "
    "request: a failed step undoes the earlier ones and is named in the error (error.step, "
    "error.undone); with Idempotency-Key a retry returns the first answer and makes nothing",
    "sessions",
    body=c.WizardInSchema,
    response=c.WizardOutSchema,
    status=201,
    permission=WRITE,
    extra_responses={
        409: "conflict, or the Idempotency-Key is in use / was used for another request",
        **UNPROCESSABLE,
    },
)
def post_schedule_wizard(body):
    key = _idempotency_key()
    if body.get("payment") is not None:
        # a payment step changes money: the payments security preference applies (X-Confirm-Password),
        # and the confirmation travels in the call's context through scheduling to payments
        answer = current_app.extensions["proofsheet"].rpc.call(
            "scheduling", "run_schedule_wizard", body, key, context=money_context(), timeout=LONG_TIMEOUT
        )
    else:
        answer = rpc("scheduling", "run_schedule_wizard", body, key, timeout=LONG_TIMEOUT)
    if answer.get("ok"):
        return _json({k: answer.get(k) for k in ("session", "invoice", "payment", "replayed")}, 201)
    error = answer["error"]
    response = error_response(
        answer.get("status") or 500, error["code"], error["message"], error.get("fields")
    )
    body = orjson.loads(response.get_data())
    body["error"].update(step=error.get("step"), undone=error.get("undone"))
    if answer.get("replayed"):
        body["replayed"] = True
    response.set_data(orjson.dumps(body))
    return response
