"""The clients API: clients, family members, lookups, numbering settings, search."""
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..schemas import Email, EmailList, PageArgs, Text

NAME_MAX = 100
LOOKUP_KINDS = ("client-statuses", "lead-sources", "client-groups", "organizations",
                "relationships", "phone-labels")


class PhoneSchema(Schema):
    label = Text(40, allow_none=True, load_default=None)
    number = Text(40, required=True)

    @validates("number")
    def _has_digits(self, value, **_):
        if sum(ch.isdigit() for ch in value) < 3:
            raise ValidationError("a phone number needs at least 3 digits")


class AddressSchema(Schema):
    line1 = Text(200, allow_none=True)
    line2 = Text(200, allow_none=True)
    city = Text(100, allow_none=True)
    region = Text(100, allow_none=True)
    postal_code = Text(20, allow_none=True)
    country = Text(100, allow_none=True)


class SecondaryContactSchema(Schema):
    family_member_id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)


def _id(**kwargs):
    return fields.Integer(allow_none=True, validate=validate.Range(min=1), **kwargs)


class ClientInSchema(Schema):
    """Create (all optional but a name) or PATCH (partial) a client."""
    auto_capitalize = fields.Boolean(load_default=None, metadata={
        "description": "false keeps the names exactly as typed"})
    client_number = Text(40, allow_none=True)
    salutation = Text(40, allow_none=True)
    first_name = Text(NAME_MAX, allow_none=True)
    last_name = Text(NAME_MAX, allow_none=True)
    emails = EmailList(metadata={"description": "a list, or one string separated by ';'"})
    phones = fields.List(fields.Nested(PhoneSchema), validate=validate.Length(max=10))
    address = fields.Nested(AddressSchema, allow_none=True)
    status_id = _id()
    status_due_date = fields.Date(allow_none=True)
    lead_source_id = _id()
    referred_by_id = _id()
    organization_id = _id()
    group_ids = fields.List(fields.Integer(validate=validate.Range(min=1)),
                            validate=validate.Length(max=100))
    birthday = fields.Date(allow_none=True)
    anniversary = fields.Date(allow_none=True)
    contract_date = fields.Date(allow_none=True)
    custom_dates = fields.List(fields.Date(allow_none=True), validate=validate.Length(max=2))
    custom_texts = fields.List(Text(255, allow_none=True), validate=validate.Length(max=4))
    call_warning = Text(500, allow_none=True)
    saturday_only = fields.Boolean()
    allow_marketing = fields.Boolean()
    inactive_date = fields.Date(allow_none=True)
    notes = Text(20000, allow_none=True)

    @validates_schema
    def _named(self, data, partial=False, **_):
        if partial:
            return
        if not data.get("first_name") and not data.get("last_name"):
            raise ValidationError("a client needs a first or a last name", "last_name")


class ClientOutSchema(Schema):
    id = fields.Integer()
    client_number = fields.String()
    salutation = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    emails = fields.List(fields.String())
    phones = fields.List(fields.Nested(PhoneSchema))
    address = fields.Nested(AddressSchema)
    status_id = fields.Integer(allow_none=True)
    status_due_date = fields.Date(allow_none=True)
    lead_source_id = fields.Integer(allow_none=True)
    referred_by_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    group_ids = fields.List(fields.Integer())
    birthday = fields.Date(allow_none=True)
    anniversary = fields.Date(allow_none=True)
    contract_date = fields.Date(allow_none=True)
    custom_dates = fields.List(fields.Date(allow_none=True))
    custom_texts = fields.List(fields.String(allow_none=True))
    call_warning = fields.String(allow_none=True)
    saturday_only = fields.Boolean()
    allow_marketing = fields.Boolean()
    inactive_date = fields.Date(allow_none=True)
    active = fields.Boolean(metadata={"description": "false once the inactive date has passed"})
    notes = fields.String(allow_none=True)
    secondary_contact = fields.Nested(SecondaryContactSchema, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    possible_duplicates = fields.List(fields.Dict(), metadata={
        "description": "on create: existing clients with the same name and a shared phone or email"})


class ClientSearchArgs(PageArgs):
    q = Text(100, allow_none=True, load_default=None, metadata={
        "description": "name prefix, full name, client number, phone digits or email"})
    status_id = fields.Integer(load_default=None)
    group_id = fields.Integer(load_default=None)
    organization_id = fields.Integer(load_default=None)
    lead_source_id = fields.Integer(load_default=None)


class ClientPageSchema(Schema):
    items = fields.List(fields.Nested(ClientOutSchema))
    next_cursor = fields.String(allow_none=True)


class FamilyMemberInSchema(Schema):
    first_name = Text(NAME_MAX, allow_none=True)
    last_name = Text(NAME_MAX, allow_none=True)
    relationship = Text(100, allow_none=True, metadata={"description": "a name from /relationships"})
    birthday = fields.Date(allow_none=True)
    phones = fields.List(fields.Nested(PhoneSchema), validate=validate.Length(max=10))
    email = Email(allow_none=True)
    secondary_contact = fields.Boolean()
    auto_capitalize = fields.Boolean(load_default=None)

    @validates_schema
    def _named(self, data, partial=False, **_):
        if partial:
            return
        if not data.get("first_name") and not data.get("last_name"):
            raise ValidationError("a family member needs a first or a last name", "first_name")


class FamilyMemberOutSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    relationship = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    phones = fields.List(fields.Nested(PhoneSchema))
    email = fields.String(allow_none=True)
    secondary_contact = fields.Boolean()


class LookupInSchema(Schema):
    name = Text(100, required=True)
    sort_order = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    active = fields.Boolean()


class LookupOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    sort_order = fields.Integer()
    active = fields.Boolean()


class ClientSettingsSchema(Schema):
    client_number_prefix = fields.String(validate=validate.Length(max=10), allow_none=True)
    next_client_number = fields.Integer(validate=validate.Range(min=1, max=10**12))
    auto_capitalize = fields.Boolean()
