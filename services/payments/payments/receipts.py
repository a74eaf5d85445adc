"""Printable receipts: an HTML template (Jinja2, autoescaped) rendered to PDF by WeasyPrint,
as invoicing prints invoices (its helpers are copied here, small, rather than shared: the
two services deploy separately). A void payment prints with a VOID stamp; a refund prints as
a refund receipt. WeasyPrint is CPU work: the service runs it in a native thread (eventlet's
tpool) so its other workers keep answering meanwhile.
"""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "vnd", "vuv",
                "xaf", "xof", "xpf"}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def format_money(cents, currency):
    """``123456, 'usd'`` → ``'1,234.56 USD'`` (no decimals for zero-decimal currencies)."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    code = (currency or "").upper()
    if (currency or "").lower() in ZERO_DECIMAL:
        return f"{sign}{cents:,} {code}".strip()
    return f"{sign}{cents // 100:,}.{cents % 100:02d} {code}".strip()


def address_lines(address):
    address = address or {}
    city = " ".join(p for p in (address.get("city"), address.get("region"), address.get("postal_code")) if p)
    lines = (address.get("line1"), address.get("line2"), city, address.get("country"))
    return [line for line in lines if line]


def client_name(client):
    parts = [(client or {}).get(k) for k in ("salutation", "first_name", "last_name")]
    return " ".join(p for p in parts if p) or None


def render_html(payment, client, invoice, studio):
    """``payment``: the payment dict; ``client``: the client (or None); ``invoice``: invoicing's
    ``invoice_balance`` answer for its invoice (or None); ``studio``: the studio settings."""
    client = client or {}
    return _env.get_template("receipt.html").render(
        payment=payment, studio=studio or {}, studio_address=address_lines((studio or {}).get("address")),
        client_name=client_name(client) or f"Client {payment['client_id']}",
        client_number=client.get("client_number"), client_address=address_lines(client.get("address")),
        invoice=invoice, money=lambda cents: format_money(cents, payment["currency"]))


def render_pdf(payment, client, invoice, studio):
    from weasyprint import HTML  # imported on first use: loading Pango takes a moment

    return HTML(string=render_html(payment, client, invoice, studio)).write_pdf()
