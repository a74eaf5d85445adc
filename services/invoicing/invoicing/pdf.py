"""Printable invoices: an HTML template (Jinja2, autoescaped) rendered to PDF by WeasyPrint.

Each invoice starts on a new page, so a batch prints one invoice per page (a long invoice
runs on to more). The studio's name and address head the page; the client's name and
address are the bill-to. WeasyPrint is CPU work: the service runs it in a native thread
(eventlet's tpool) so the rest of its workers keep answering meanwhile.
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


def _address_lines(address):
    address = address or {}
    city = (address.get("city"), address.get("region"), address.get("postal_code"))
    city_line = " ".join(p for p in city if p)
    return [line for line in (address.get("line1"), address.get("line2"), city_line, address.get("country"))
            if line]


def client_name(client):
    if not client:
        return None
    parts = [client.get("salutation"), client.get("first_name"), client.get("last_name")]
    return " ".join(p for p in parts if p) or None


def render_html(invoices, clients, studio):
    """``invoices``: invoice dicts (with lines); ``clients``: ``{client_id: client dict}``;
    ``studio``: the studio settings (name, address, phone, email)."""
    template = _env.get_template("invoice.html")
    pages = []
    for invoice in invoices:
        client = clients.get(invoice["client_id"]) or {}
        name = client_name(client) or f"Client {invoice['client_id']}"
        pages.append({"invoice": invoice, "client_name": name,
                      "client_number": client.get("client_number"),
                      "client_address": _address_lines(client.get("address"))})
    return template.render(pages=pages, studio=studio, studio_address=_address_lines(studio.get("address")),
                           money=lambda cents, inv: format_money(cents, inv["currency"]),
                           percent=lambda bp: f"{bp // 100}.{bp % 100:02d}")


def render_pdf(invoices, clients, studio):
    from weasyprint import HTML  # imported on first use: loading Pango takes a moment

    return HTML(string=render_html(invoices, clients, studio)).write_pdf()
