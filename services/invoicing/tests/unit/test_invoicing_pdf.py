"""The printable invoice: it parses as a PDF, one page per invoice, with the studio's name,
the client's address and the total."""

import datetime as dt
import io

import pypdf

from invoicing import invoices, pdf

TODAY = dt.date(2026, 6, 15)
STUDIO = {
    "name": "Bright Light Studio",
    "address": {"line1": "9 Shutter Lane", "city": "Portland", "region": "OR", "postal_code": "97201"},
    "phone": "555-0100",
    "email": "hello@example.com",
    "currency": "usd",
}


def test_money_format():
    assert pdf.format_money(123456, "usd") == "1,234.56 USD"
    assert pdf.format_money(-5, "eur") == "-0.05 EUR"
    assert pdf.format_money(1500, "jpy") == "1,500 JPY"


def test_pdf_one_page_per_invoice_with_names_address_and_total(db, session, shop, clients):
    made = [
        invoices.create_invoice(
            db,
            {
                "client_id": client_id,
                "coupon_code": None,
                "notes": "<b>thanks</b>",
                "lines": [{"item_id": shop["items"]["ALBUM"]["id"], "quantity": q}],
            },
            7,
            TODAY,
            "usd",
            clients,
        )
        for client_id, q in ((1, 1), (2, 2), (1, 3))
    ]
    found = invoices.get_invoices(session, [m["id"] for m in made])
    document = pdf.render_pdf(found, clients.known, STUDIO)
    reader = pypdf.PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 3
    texts = [page.extract_text() for page in reader.pages]
    for text, invoice in zip(texts, made):
        assert "Bright Light Studio" in text
        assert invoice["invoice_number"] in text
        assert pdf.format_money(invoice["total"], "usd") in text
    assert "12 Analytical Way" in texts[0] and "London" in texts[0] and "Ada Lovelace" in texts[0]
    assert "<b>thanks</b>" in texts[0]  # escaped, shown as typed
    single = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(found[:1], clients.known, STUDIO)))
    assert len(single.pages) == 1
