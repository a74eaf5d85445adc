"""Request and response schemas of the communications API (email settings, templates, form
letters, campaigns, triggers and their runs, the block list, the communication log)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import Email, PageArgs, Text

RECORD_TYPES = ("client", "session", "invoice", "payment")
TLS_MODES = ("none", "starttls", "ssl")
TRIGGER_EVENTS = (
    "session_created",
    "session_status_changed",
    "invoice_created",
    "payment_recorded",
    "client_status_changed",
    "task_status_changed",
)
TRIGGER_DATES = ("session_date", "invoice_due_date", "payment_due_date", "birthday", "anniversary")
TRIGGER_ACTIONS = ("email", "letter", "task")
TRIGGER_MODES = ("auto", "queue")
RUN_STATUSES = ("waiting", "pending", "running", "done", "skipped", "failed")
HTML_MAX = 200_000


# --- settings --------------------------------------------------------------------------------


class EmailSettingsSchema(Schema):
    smtp_host = Text(255, allow_none=True)
    smtp_port = fields.Integer(validate=validate.Range(min=1, max=65535))
    smtp_tls = fields.String(validate=validate.OneOf(TLS_MODES))
    smtp_username = Text(255, allow_none=True)
    smtp_password = fields.String(
        allow_none=True,
        load_only=True,
        validate=validate.Length(max=500),
        metadata={"description": "write-only; read back as smtp_password_set"},
    )
    from_name = Text(255, allow_none=True)
    from_address = Email(allow_none=True)
    reply_to = Email(allow_none=True)
    send_rate_per_minute = fields.Integer(
        validate=validate.Range(min=0, max=1_000_000),
        metadata={
            "description": "campaign messages a minute per service instance; 0 sends as fast as possible"
        },
    )


class EmailSettingsOutSchema(EmailSettingsSchema):
    smtp_password_set = fields.Boolean(dump_only=True)


class EmailTestSchema(Schema):
    to = Email(required=True)


class EmailTestResultSchema(Schema):
    ok = fields.Boolean()
    error = fields.String(allow_none=True)


# --- templates and form letters ------------------------------------------------------------------


class EmailTemplateInSchema(Schema):
    name = Text(200, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=500))
    html = fields.String(required=True, validate=validate.Length(min=1, max=HTML_MAX))
    marketing = fields.Boolean(load_default=False)


class EmailTemplateOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    subject = fields.String()
    html = fields.String()
    marketing = fields.Boolean()
    fields_used = fields.List(fields.String(), metadata={"description": "record types the template reads"})
    created_at = fields.String()
    updated_at = fields.String()


class EmailTemplateListSchema(Schema):
    items = fields.List(fields.Nested(EmailTemplateOutSchema))


class PreviewInSchema(Schema):
    record_type = fields.String(required=True, validate=validate.OneOf(RECORD_TYPES))
    record_id = fields.Integer(required=True, validate=validate.Range(min=1))


class PreviewOutSchema(Schema):
    subject = fields.String()
    html = fields.String()
    text = fields.String()


class FormLetterInSchema(Schema):
    name = Text(200, required=True)
    record_type = fields.String(load_default="client", validate=validate.OneOf(RECORD_TYPES))
    html = fields.String(required=True, validate=validate.Length(min=1, max=HTML_MAX))


class FormLetterOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    record_type = fields.String()
    html = fields.String()
    builtin = fields.String(
        allow_none=True, metadata={"description": "e.g. job_sheet for the built-in letter"}
    )
    created_at = fields.String()
    updated_at = fields.String()


class FormLetterListSchema(Schema):
    items = fields.List(fields.Nested(FormLetterOutSchema))


class RenderArgs(Schema):
    record_type = fields.String(load_default=None, validate=validate.OneOf(RECORD_TYPES))
    record_id = fields.String(
        required=True,
        metadata={"description": "an id, or ids separated by commas (one combined PDF, one record a page)"},
    )


# --- campaigns -------------------------------------------------------------------------------------


def _ids():
    return fields.List(
        fields.Integer(validate=validate.Range(min=1)), load_default=list, validate=validate.Length(max=500)
    )


class AudienceSchema(Schema):
    status_ids = _ids()
    group_ids = _ids()
    organization_ids = _ids()
    lead_source_ids = _ids()
    session_from = fields.Date(load_default=None, allow_none=True)
    session_to = fields.Date(load_default=None, allow_none=True)
    balance_over = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"description": "clients owing more than this (minor units)"},
    )
    client_ids = _ids()

    @validates_schema
    def _range(self, data, **_):
        start, end = data.get("session_from"), data.get("session_to")
        if start and end and end < start:
            raise ValidationError("must not be before session_from", "session_to")


class CampaignInSchema(Schema):
    name = Text(200, required=True)
    template_id = fields.Integer(required=True, validate=validate.Range(min=1))
    marketing = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "skip clients who do not allow marketing (default: the template's marketing flag)"
        },
    )
    audience = fields.Nested(AudienceSchema, load_default=dict)


class CampaignOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    template_id = fields.Integer()
    marketing = fields.Boolean()
    audience = fields.Dict()
    status = fields.String(
        metadata={
            "description": "preparing (audience still being read), sending, completed, cancelled"
        }
    )
    total = fields.Integer()
    queued = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)


class CampaignPageSchema(Schema):
    items = fields.List(fields.Nested(CampaignOutSchema))
    next_cursor = fields.String(allow_none=True)


class CampaignRecipientArgs(PageArgs):
    status = fields.String(
        load_default=None, validate=validate.OneOf(("queued", "sending", "sent", "failed", "skipped"))
    )


class CampaignRecipientSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    email = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    sent_at = fields.String(allow_none=True)


class CampaignRecipientPageSchema(Schema):
    items = fields.List(fields.Nested(CampaignRecipientSchema))
    next_cursor = fields.String(allow_none=True)


# --- triggers --------------------------------------------------------------------------------------


class TriggerFiltersSchema(Schema):
    session_type_ids = _ids()
    client_group_ids = _ids()


class TriggerTaskSchema(Schema):
    title = Text(200, required=True)
    description = Text(5000, allow_none=True)
    task_type_id = fields.Integer(load_default=None, allow_none=True)
    assignee_id = fields.Integer(load_default=None, allow_none=True)
    priority = fields.String(load_default=None, allow_none=True)
    due_in_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=3650))


class TriggerInSchema(Schema):
    name = Text(200, required=True)
    active = fields.Boolean(load_default=True)
    kind = fields.String(required=True, validate=validate.OneOf(("event", "date")))
    event = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRIGGER_EVENTS))
    status_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "for *_status_changed: fire only when the new status is this one"},
    )
    date_field = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRIGGER_DATES))
    offset_days = fields.Integer(
        load_default=0,
        validate=validate.Range(min=-366, max=366),
        metadata={"description": "date triggers: negative = N days before the date, positive = after"},
    )
    filters = fields.Nested(TriggerFiltersSchema, load_default=dict)
    action = fields.String(required=True, validate=validate.OneOf(TRIGGER_ACTIONS))
    template_id = fields.Integer(load_default=None, allow_none=True)
    form_letter_id = fields.Integer(load_default=None, allow_none=True)
    task = fields.Nested(TriggerTaskSchema, load_default=None, allow_none=True)
    mode = fields.String(
        load_default="auto",
        validate=validate.OneOf(TRIGGER_MODES),
        metadata={"description": "auto: runs at once; queue: waits for staff (POST /trigger-runs/process)"},
    )

    @validates_schema
    def _consistent(self, data, partial=False, **_):
        if partial:
            return
        errors = {}
        if data.get("kind") == "event" and not data.get("event"):
            errors["event"] = "an event trigger needs an event"
        if data.get("kind") == "date" and not data.get("date_field"):
            errors["date_field"] = "a date trigger needs a date_field"
        action = data.get("action")
        if action == "email" and not data.get("template_id"):
            errors["template_id"] = "an email action needs a template"
        if action == "letter" and not data.get("form_letter_id"):
            errors["form_letter_id"] = "a letter action needs a form letter"
        if action == "task" and not data.get("task"):
            errors["task"] = "a task action needs the task to create"
        if errors:
            raise ValidationError(errors)


class TriggerOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    active = fields.Boolean()
    kind = fields.String()
    event = fields.String(allow_none=True)
    status_id = fields.Integer(allow_none=True)
    date_field = fields.String(allow_none=True)
    offset_days = fields.Integer()
    filters = fields.Dict()
    action = fields.String()
    template_id = fields.Integer(allow_none=True)
    form_letter_id = fields.Integer(allow_none=True)
    task = fields.Dict(allow_none=True)
    mode = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class TriggerListSchema(Schema):
    items = fields.List(fields.Nested(TriggerOutSchema))


class TriggerRunArgs(PageArgs):
    trigger_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(RUN_STATUSES))
    client_id = fields.Integer(load_default=None)


class TriggerRunSchema(Schema):
    id = fields.Integer()
    trigger_id = fields.Integer()
    occurrence_key = fields.String()
    record_type = fields.String()
    record_id = fields.Integer()
    client_id = fields.Integer(allow_none=True)
    status = fields.String()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.String()
    processed_at = fields.String(allow_none=True)


class TriggerRunPageSchema(Schema):
    items = fields.List(fields.Nested(TriggerRunSchema))
    next_cursor = fields.String(allow_none=True)


class ProcessRunsSchema(Schema):
    action = fields.String(load_default="process", validate=validate.OneOf(("process", "skip")))
    all = fields.Boolean(
        load_default=False, metadata={"description": "every waiting run (of trigger_id if given)"}
    )
    ids = fields.List(
        fields.Integer(validate=validate.Range(min=1)), load_default=list, validate=validate.Length(max=500)
    )
    trigger_id = fields.Integer(load_default=None, allow_none=True)

    @validates_schema
    def _something(self, data, **_):
        if not data.get("all") and not data.get("ids"):
            raise ValidationError("give ids or all: true", "ids")


class ProcessRunsResultSchema(Schema):
    done = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer()
    items = fields.List(fields.Nested(TriggerRunSchema))


class ScanResultSchema(Schema):
    runs = fields.Integer(metadata={"description": "new runs the scan made"})


# --- print queue, block list, log ----------------------------------------------------------------


class PrintQueueArgs(PageArgs):
    status = fields.String(load_default="queued", validate=validate.OneOf(("queued", "printed")))


class PrintQueueItemSchema(Schema):
    id = fields.Integer()
    form_letter_id = fields.Integer()
    record_type = fields.String()
    record_id = fields.Integer()
    client_id = fields.Integer(allow_none=True)
    trigger_id = fields.Integer(allow_none=True)
    status = fields.String()
    created_at = fields.String()
    printed_at = fields.String(allow_none=True)


class PrintQueuePageSchema(Schema):
    items = fields.List(fields.Nested(PrintQueueItemSchema))
    next_cursor = fields.String(allow_none=True)


class PrintRequestSchema(Schema):
    ids = fields.List(
        fields.Integer(validate=validate.Range(min=1)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "empty: every queued letter"},
    )


class BlockedAddressInSchema(Schema):
    email = Email(required=True)
    reason = fields.String(
        load_default="unsubscribed", validate=validate.OneOf(("unsubscribed", "bounced", "manual"))
    )


class BlockedAddressSchema(Schema):
    email = fields.String()
    reason = fields.String()
    detail = fields.String(allow_none=True)
    client_id = fields.Integer(allow_none=True)
    created_at = fields.String()


class BlockedAddressPageSchema(Schema):
    items = fields.List(fields.Nested(BlockedAddressSchema))
    next_cursor = fields.String(allow_none=True)


class CommunicationSchema(Schema):
    id = fields.Integer()
    at = fields.String()
    client_id = fields.Integer(allow_none=True)
    channel = fields.String(metadata={"description": "email or letter"})
    subject = fields.String(allow_none=True)
    to = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "sent, failed or skipped"})
    error = fields.String(allow_none=True)
    template_id = fields.Integer(allow_none=True)
    form_letter_id = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    trigger_id = fields.Integer(allow_none=True)
    message_id = fields.String(allow_none=True)


class CommunicationDetailSchema(CommunicationSchema):
    headers = fields.Dict(allow_none=True)
    html = fields.String(allow_none=True)
    text = fields.String(allow_none=True)


class CommunicationPageSchema(Schema):
    items = fields.List(fields.Nested(CommunicationSchema))
    next_cursor = fields.String(allow_none=True)


class SendEmailSchema(Schema):
    template_id = fields.Integer(required=True, validate=validate.Range(min=1))
    record_type = fields.String(load_default="client", validate=validate.OneOf(RECORD_TYPES))
    record_id = fields.Integer(required=True, validate=validate.Range(min=1))
