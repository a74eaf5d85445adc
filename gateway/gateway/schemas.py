"""Request and response schemas the gateway owns: auth, users, studio settings, errors."""
import re
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates

from proofsheet_shared.contracts.clients import AddressSchema
from proofsheet_shared.schemas import Email, PageArgs, Text

from .permissions import ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
CURRENCY = re.compile(r"^[a-z]{3}$")
PASSWORD_MIN = 10


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserOutSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    permissions = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class LoginResultSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserOutSchema)


class UserInSchema(Schema):
    username = fields.String(required=True)
    name = Text(200, required=True)
    email = Email(allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))
    active = fields.Boolean()
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=PASSWORD_MIN, max=1024,
                                                      error="must be {min} to {max} characters"))

    @validates("username")
    def _username(self, value, **_):
        if not USERNAME.match(value):
            raise ValidationError("3-64 characters: lower-case letters, digits, '.', '_' or '-'")


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserOutSchema))
    next_cursor = fields.String(allow_none=True)


class StudioSettingsSchema(Schema):
    name = Text(200, required=True)
    address = fields.Nested(AddressSchema, allow_none=True)
    phone = Text(40, allow_none=True)
    email = Email(allow_none=True)
    time_zone = fields.String(validate=validate.Length(max=64))
    currency = fields.String()

    @validates("time_zone")
    def _zone(self, value, **_):
        if value not in _zones():
            raise ValidationError(f"'{value}' is not an IANA time zone (e.g. America/New_York)")

    @validates("currency")
    def _currency(self, value, **_):
        if not CURRENCY.match(value or ""):
            raise ValidationError("an ISO 4217 code in lower case, e.g. 'usd'")


_ZONES = None


def _zones():
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)


class UserListArgs(PageArgs):
    active = fields.Boolean(load_default=None)
