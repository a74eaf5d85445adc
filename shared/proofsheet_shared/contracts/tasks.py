"""The tasks API: task types, their ordered statuses, tasks (customer-service tickets among
them), the task hub's filters, bulk status advance and a task's history."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import PageArgs, Text

NAME_MAX = 100
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
PRIORITIES = ("low", "normal", "high", "urgent")
ADVANCE_MAX_IDS = 10_000
RECORD_TYPES = ("client", "session", "invoice")


def _id(**kwargs):
    return fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kwargs)


def _sort_order(**kwargs):
    return fields.Integer(validate=validate.Range(min=0, max=1_000_000), **kwargs)


# --- task types and statuses --------------------------------------------------------------


class TaskStatusInSchema(Schema):
    """Create a status of a type (``task_type_id`` required) or PATCH one (partial; the
    type of a status cannot change)."""
    task_type_id = _id(required=True)
    name = Text(NAME_MAX, required=True)
    sort_order = _sort_order(metadata={"description": "position in the type's order; default: last"})
    closed = fields.Boolean(metadata={"description": "a task in this status is closed (done)"})


class TaskStatusInlineSchema(Schema):
    """A status given with a new task type, in order."""
    name = Text(NAME_MAX, required=True)
    closed = fields.Boolean(load_default=False)


class TaskStatusOutSchema(Schema):
    id = fields.Integer()
    task_type_id = fields.Integer()
    name = fields.String()
    sort_order = fields.Integer()
    closed = fields.Boolean()


class TaskStatusListArgs(Schema):
    task_type_id = fields.Integer(load_default=None)


class TaskTypeInSchema(Schema):
    name = Text(NAME_MAX, required=True)
    description = Text(1000, allow_none=True)
    customer_service = fields.Boolean(metadata={
        "description": "tasks of this type are customer-service tickets"})
    sort_order = _sort_order()
    active = fields.Boolean(metadata={"description": "false: no new tasks of this type"})
    statuses = fields.List(fields.Nested(TaskStatusInlineSchema), validate=validate.Length(max=50),
                           metadata={"description": "on create only: the type's statuses, in order"})


class TaskTypeOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    customer_service = fields.Boolean()
    sort_order = fields.Integer()
    active = fields.Boolean()
    statuses = fields.List(fields.Nested(TaskStatusOutSchema))


class TaskTypeListSchema(Schema):
    items = fields.List(fields.Nested(TaskTypeOutSchema))
    next_cursor = fields.String(allow_none=True)


class TaskStatusListSchema(Schema):
    items = fields.List(fields.Nested(TaskStatusOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- tasks ---------------------------------------------------------------------------------


class TaskInSchema(Schema):
    """Create a task (title and type required) or PATCH one (partial)."""
    title = Text(TITLE_MAX, required=True)
    description = Text(DESCRIPTION_MAX, allow_none=True)
    task_type_id = _id(required=True)
    status_id = _id(allow_none=True, metadata={
        "description": "a status of the task's type; default (and on a change of type): its first"})
    priority = fields.String(validate=validate.OneOf(PRIORITIES), metadata={"description": "default normal"})
    due_date = fields.Date(allow_none=True)
    assignee_id = _id(allow_none=True, metadata={"description": "an active staff user"})
    client_id = _id(allow_none=True)
    session_id = _id(allow_none=True)
    invoice_id = _id(allow_none=True)


class HistoryEntrySchema(Schema):
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    field = fields.String(metadata={"description": "status_id, assignee_id or task_type_id"})
    from_ = fields.Integer(allow_none=True, data_key="from")
    to = fields.Integer(allow_none=True)


class TaskOutSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    task_type_id = fields.Integer()
    status_id = fields.Integer()
    priority = fields.String()
    due_date = fields.Date(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    client_id = fields.Integer(allow_none=True)
    session_id = fields.Integer(allow_none=True)
    invoice_id = fields.Integer(allow_none=True)
    open = fields.Boolean(metadata={"description": "false once the task is in a closed status"})
    overdue = fields.Boolean(metadata={"description": "open and due before the studio's today"})
    source = fields.String(allow_none=True, metadata={"description": "the service that created it, if any"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    updated_by = fields.Integer(allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), metadata={
        "description": "GET /tasks/{id} only: status changes, reassignments and type changes, oldest first"})


class TaskListArgs(PageArgs):
    task_type_id = fields.Integer(load_default=None)
    status_id = fields.Integer(load_default=None)
    assignee_id = fields.Integer(load_default=None)
    client_id = fields.Integer(load_default=None)
    session_id = fields.Integer(load_default=None)
    invoice_id = fields.Integer(load_default=None)
    open = fields.Boolean(load_default=None, metadata={"description": "true: open tasks; false: closed"})
    overdue = fields.Boolean(load_default=None, metadata={
        "description": "true: open tasks due before today (studio time zone); false: all others"})
    customer_service = fields.Boolean(load_default=None, metadata={
        "description": "true: tickets (tasks of customer-service types); false: the other tasks"})
    due_from = fields.Date(load_default=None, metadata={"description": "due on or after (YYYY-MM-DD)"})
    due_to = fields.Date(load_default=None, metadata={"description": "due on or before (YYYY-MM-DD)"})

    @validates_schema
    def _range(self, data, **_):
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            raise ValidationError("must not be before due_from", "due_to")


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskOutSchema))
    next_cursor = fields.String(allow_none=True)


class AdvanceStatusInSchema(Schema):
    ids = fields.List(fields.Integer(), required=True,
                      validate=validate.Length(min=1, max=ADVANCE_MAX_IDS),
                      metadata={"description": f"task ids, at most {ADVANCE_MAX_IDS:,}"})


class AdvanceErrorSchema(Schema):
    code = fields.String(metadata={"description": "not_found, unprocessable (at the last status) or "
                                                  "validation_error (listed twice)"})
    message = fields.String()


class AdvanceResultSchema(Schema):
    id = fields.Integer(metadata={"description": "the id as listed"})
    ok = fields.Boolean()
    from_status_id = fields.Integer(allow_none=True)
    status_id = fields.Integer(allow_none=True, metadata={"description": "the status now"})
    open = fields.Boolean(allow_none=True)
    error = fields.Nested(AdvanceErrorSchema, allow_none=True)


class AdvanceStatusOutSchema(Schema):
    items = fields.List(fields.Nested(AdvanceResultSchema), metadata={
        "description": "one per listed id, in the order given"})
    advanced = fields.Integer()
    failed = fields.Integer()
