"""Templates users write: Jinja2 in its sandbox, autoescaped, strict about unknown names.

Email templates and form letters are written by studio staff, so they are treated as
untrusted code: they render in :class:`jinja2.sandbox.SandboxedEnvironment` (no attributes
starting with ``_``, no unsafe callables), HTML is autoescaped (a client named
``<script>`` prints as text), and a name the template does not know raises instead of
printing nothing (``StrictUndefined``).

:func:`check_template` runs when a template is saved and reports, with its line, a syntax
error, an unknown merge field (``{{ client.frist_name }}``), an attribute the sandbox refuses
(``{{ ''.__class__ }}``) or any other error the template raises on sample data, naming the
field (``html``, ``subject``) that holds it.

An email is rendered to HTML, its ``<style>`` rules are inlined into ``style`` attributes
(css-inline, remote stylesheets never fetched), and a plain-text part is made from the result
(html2text).
"""

import functools
import hashlib

import css_inline
import html2text
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from proofsheet_shared.errors import ValidationError

ADDRESS = ("line1", "line2", "city", "region", "postal_code", "country")

# The merge fields each kind of record offers (``{{ client.first_name }}``), and what
# nested objects offer (``{{ client.address.city }}``).
FIELDS = {
    "client": (
        "id",
        "client_number",
        "salutation",
        "first_name",
        "last_name",
        "name",
        "full_name",
        "email",
        "emails",
        "phones",
        "phone",
        "address",
        "status_id",
        "status_due_date",
        "lead_source_id",
        "referred_by_id",
        "organization_id",
        "group_ids",
        "birthday",
        "anniversary",
        "contract_date",
        "custom_dates",
        "custom_texts",
        "call_warning",
        "saturday_only",
        "allow_marketing",
        "inactive_date",
        "active",
        "notes",
        "secondary_contact",
    ),
    "session": (
        "id",
        "client_id",
        "session_type_id",
        "session_type",
        "status_id",
        "status",
        "starts_at",
        "ends_at",
        "date",
        "start_time",
        "end_time",
        "photographer_id",
        "photographer",
        "assistant_id",
        "assistant",
        "room",
        "organization_id",
        "notes",
    ),
    "invoice": (
        "id",
        "invoice_number",
        "client_id",
        "session_id",
        "invoice_date",
        "due_date",
        "status",
        "currency",
        "subtotal",
        "discount",
        "tax",
        "total",
        "paid",
        "refunded",
        "credited",
        "balance",
        "notes",
        "lines",
        "coupon_code",
    ),
    "payment": (
        "id",
        "kind",
        "client_id",
        "invoice_id",
        "payment_date",
        "amount",
        "method_id",
        "method_type",
        "check_number",
        "card_type",
        "card_last4",
        "authorization_code",
        "future",
        "due_date",
        "status",
        "currency",
    ),
    "studio": ("name", "address", "phone", "email", "time_zone", "currency"),
}
NESTED = {("client", "address"): ADDRESS, ("studio", "address"): ADDRESS}
PLAIN_NAMES = ("unsubscribe_url", "today", "now")
KNOWN_NAMES = frozenset(FIELDS) | frozenset(PLAIN_NAMES)
RECORD_TYPES = ("client", "session", "invoice", "payment")

# What a record of each type brings into a template besides the studio.
ROOTS_FOR = {
    "client": {"client"},
    "session": {"client", "session"},
    "invoice": {"client", "invoice"},
    "payment": {"client", "payment", "invoice"},
}

ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "isk",
    "jpy",
    "kmf",
    "krw",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}


def format_money(cents, currency="usd"):
    """``123456`` → ``'1,234.56'`` (no decimals for zero-decimal currencies); None stays empty."""
    if cents is None or cents == "":
        return ""
    try:
        cents = int(cents)
    except (TypeError, ValueError):
        return str(cents)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    if (currency or "").lower() in ZERO_DECIMAL:
        return f"{sign}{cents:,}"
    return f"{sign}{cents // 100:,}.{cents % 100:02d}"


def _environment(autoescape):
    env = SandboxedEnvironment(
        autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, cache_size=400
    )
    env.filters["money"] = format_money
    return env


HTML_ENV = _environment(True)
TEXT_ENV = _environment(False)


class RenderError(Exception):
    """A template failed while rendering a record (a missing record, a field it lacks...)."""


# --- checking at save time -----------------------------------------------------------------


def _problems(source, env):
    """``(line, message)`` of everything wrong with ``source``; empty when it is fine."""
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [(exc.lineno, f"syntax error: {exc.message}")]
    try:
        env.from_string(source)  # unknown filters and tests fail here
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as exc:
        return [(exc.lineno, f"syntax error: {exc.message}")]
    problems = []
    declared = _locally_assigned(tree)
    undeclared -= declared
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in undeclared and node.name not in KNOWN_NAMES:
            problems.append((node.lineno, f"unknown merge field '{node.name}'"))
            undeclared.discard(node.name)
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            problems.append((node.lineno, f"the attribute '{node.attr}' is not allowed"))
            continue
        if isinstance(node.node, nodes.Name) and node.node.name in FIELDS and node.node.name not in declared:
            root = node.node.name
            if node.attr not in FIELDS[root]:
                problems.append((node.lineno, f"unknown merge field '{root}.{node.attr}'"))
        elif (
            isinstance(node.node, nodes.Getattr)
            and isinstance(node.node.node, nodes.Name)
            and (node.node.node.name, node.node.attr) in NESTED
            and node.node.node.name not in declared
        ):
            allowed = NESTED[(node.node.node.name, node.node.attr)]
            if node.attr not in allowed:
                problems.append(
                    (node.lineno, f"unknown merge field '{node.node.node.name}.{node.node.attr}.{node.attr}'")
                )
    for node in tree.find_all(nodes.Getitem):
        if (
            isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
            and node.arg.value.startswith("_")
        ):
            problems.append((node.lineno, f"the attribute '{node.arg.value}' is not allowed"))
    if problems:
        return sorted(problems)
    try:
        env.from_string(source).render(sample_context())
    except SecurityError as exc:
        return [(_line_of(exc), f"not allowed: {exc}")]
    except UndefinedError as exc:
        return [(_line_of(exc), f"unknown merge field: {exc.message}")]
    except Exception:  # noqa: BLE001 - sample data cannot foresee every record; those errors show at render
        pass
    return []


def _locally_assigned(tree):
    names = set()
    for node in tree.find_all((nodes.Assign, nodes.For, nodes.AssignBlock)):
        target = node.target
        for name in target.find_all(nodes.Name) if not isinstance(target, nodes.Name) else [target]:
            names.add(name.name)
    for node in tree.find_all((nodes.Macro, nodes.CallBlock)):
        for arg in getattr(node, "args", []):
            names.add(arg.name)
    for node in tree.find_all(nodes.Macro):
        names.add(node.name)
    return names


def _line_of(exc):
    """The template line an exception was raised on (from its traceback), or None."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_template(fields):
    """``fields``: ``{"html": source, "subject": source}`` (those present); a
    :class:`ValidationError` naming each field with the line of its first problem."""
    errors = {}
    for name, source in fields.items():
        if source is None:
            continue
        env = TEXT_ENV if name == "subject" else HTML_ENV
        problems = _problems(source, env)
        if problems:
            line, message = problems[0]
            where = f"line {line}: " if line else ""
            errors[name] = f"{where}{message}"
    if errors:
        raise ValidationError("the template has an error", errors)


def roots_used(*sources):
    """The record types (``client``, ``session``...) the templates take fields from."""
    used = set()
    for source in sources:
        if not source:
            continue
        tree = HTML_ENV.parse(source)
        used |= meta.find_undeclared_variables(tree) & set(FIELDS)
    return used - {"studio"}


# --- sample data (preview of a template without a record, and the save-time trial) -------------


def sample_context():
    address = {
        "line1": "1 Main Street",
        "line2": None,
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    client = {name: None for name in FIELDS["client"]}
    client.update(
        {
            "id": 1,
            "client_number": "1001",
            "first_name": "Ann",
            "last_name": "Example",
            "name": "Ann Example",
            "full_name": "Ann Example",
            "email": "ann@example.com",
            "emails": ["ann@example.com"],
            "phones": [],
            "address": address,
            "group_ids": [],
            "custom_dates": [None, None],
            "custom_texts": [None] * 4,
            "allow_marketing": True,
            "active": True,
        }
    )
    session = {name: None for name in FIELDS["session"]}
    session.update(
        {
            "id": 1,
            "client_id": 1,
            "session_type": "Portrait",
            "status": "Booked",
            "date": "2026-06-15",
            "start_time": "10:00",
            "end_time": "11:00",
        }
    )
    invoice = {name: None for name in FIELDS["invoice"]}
    invoice.update(
        {
            "id": 1,
            "invoice_number": "1001",
            "client_id": 1,
            "total": 10000,
            "paid": 0,
            "balance": 10000,
            "currency": "usd",
            "lines": [],
        }
    )
    payment = {name: None for name in FIELDS["payment"]}
    payment.update({"id": 1, "client_id": 1, "amount": 5000, "currency": "usd"})
    studio = {
        "name": "Studio",
        "address": address,
        "phone": None,
        "email": None,
        "time_zone": "UTC",
        "currency": "usd",
    }
    return {
        "client": client,
        "session": session,
        "invoice": invoice,
        "payment": payment,
        "studio": studio,
        "unsubscribe_url": "https://example.com/unsubscribe/sample",
        "today": "2026-06-15",
        "now": "2026-06-15T10:00:00+00:00",
    }


# --- rendering -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compiled(source, html):
    return (HTML_ENV if html else TEXT_ENV).from_string(source)


_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False)


def _texter():
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.unicode_snob = True
    return converter


def render(source, context, html=True):
    """``source`` rendered with ``context``; :class:`RenderError` in plain words if it fails."""
    try:
        return _compiled(source, html).render(context)
    except SecurityError as exc:
        raise RenderError(f"the template reaches for something it may not: {exc}") from None
    except UndefinedError as exc:
        raise RenderError(f"the template uses a field this record does not have: {exc.message}") from None
    except TemplateError as exc:
        raise RenderError(f"the template failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - user code: any failure is the template's
        raise RenderError(f"the template failed: {type(exc).__name__}: {exc}") from None


def inline_css(html):
    try:
        return _INLINER.inline(html)
    except Exception:  # noqa: BLE001 - malformed CSS: send the HTML as written
        return html


def html_to_text(html):
    return _texter().handle(html).strip() + "\n"


def render_email(subject, html, context):
    """``(subject, html, text)`` of one message: subject on one line, CSS inlined, text part."""
    subject_text = " ".join(render(subject, context, html=False).split())
    body = inline_css(render(html, context))
    return subject_text, body, html_to_text(body)


def digest(*parts):
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()
