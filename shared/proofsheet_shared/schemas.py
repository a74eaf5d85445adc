"""Validation at the edges: marshmallow helpers and the field types every service shares."""
import base64
import binascii
import json

from email_validator import EmailNotValidError, validate_email
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from .errors import ValidationError

LIMIT_DEFAULT = 50
LIMIT_MAX = 500


def flatten_messages(messages, prefix=""):
    """marshmallow's nested messages as ``{"dotted.path": "why"}``."""
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            key = str(key)
            if key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else key
            flat.update(flatten_messages(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": " ".join(messages)}
    if isinstance(messages, list):
        flat = {}
        for item in messages:
            flat.update(flatten_messages(item, prefix))
        return flat
    return {prefix or "_schema": str(messages)}


def load(schema, data, partial=False):
    """Validate ``data`` with ``schema``; a :class:`ValidationError` naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object", {"_schema": "expected an object"})
    try:
        return schema.load(data, partial=partial)
    except MarshmallowError as exc:
        fields_ = flatten_messages(exc.messages)
        raise ValidationError("some fields are not valid", fields_) from None


class Text(fields.String):
    """A string, stripped; empty becomes None unless ``required``; bounded length."""

    def __init__(self, max_length=255, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=max_length))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if value == "":
            if self.required:
                raise MarshmallowError("must not be empty")
            return None
        return value

    def _validate(self, value):
        if value is not None:  # blank input became None: nothing for Length to measure
            super()._validate(value)


def normalise_email(value):
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise MarshmallowError(f"'{value}' is not a valid email address: {exc}") from None


class Email(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value:
            return None
        if len(value) > 254:
            raise MarshmallowError("longer than 254 characters")
        return normalise_email(value)


class EmailList(fields.Field):
    """A list of emails; a single string separated by ``;`` (or ``,``) is split."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return []
        if isinstance(value, str):
            value = [part for part in value.replace(",", ";").split(";")]
        if not isinstance(value, list):
            raise MarshmallowError("must be a list of email addresses or a ';'-separated string")
        if len(value) > 10:
            raise MarshmallowError("at most 10 email addresses")
        errors, result = {}, []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                errors[index] = ["must be a string"]
                continue
            item = item.strip()
            if not item:
                continue
            try:
                if len(item) > 254:
                    raise MarshmallowError("longer than 254 characters")
                email = normalise_email(item)
            except MarshmallowError as exc:
                errors[index] = exc.messages
                continue
            if email.lower() not in {e.lower() for e in result}:
                result.append(email)
        if errors:
            raise MarshmallowError(errors)
        return result

    def _serialize(self, value, attr, obj, **kwargs):
        return list(value or [])


class PageArgs(Schema):
    limit = fields.Integer(load_default=LIMIT_DEFAULT, validate=validate.Range(min=1, max=LIMIT_MAX))
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000))


def encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, length):
    """The keyset values a cursor carries; a clear ``cursor`` error if it was tampered with."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise ValidationError("the cursor is not one this API gave out", {"cursor": "invalid cursor"})
    return values
