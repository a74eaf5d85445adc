"""Invoicing end to end over HTTP: price lists, tax, coupons and each refusal, concurrent
numbering, edits and voiding, bad input (nothing stored), the PDF, and the client check."""

import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest

from stack import Client, Stack, assert_error

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: invoices lock the studio's currency (and change the
    invoicing settings), which other suites on the shared stack expect to be free."""
    running = Stack(tmp_path_factory.mktemp("invoicing-invoices")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    return stack.admin


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def new_client(admin, last_name="Invoiced", **fields):
    return ok(
        admin.post("/api/v1/clients", json=dict({"first_name": "Ivy", "last_name": last_name}, **fields)), 201
    )


@pytest.fixture(scope="module")
def catalog(admin):
    """A tax rate of 8.25 % as the default, a price list with a group, two items."""
    tag = uuid.uuid4().hex[:6]
    rate = ok(admin.post("/api/v1/tax-rates", json={"name": f"State {tag}", "rate_basis_points": 825}), 201)
    ok(admin.patch("/api/v1/settings/invoicing", json={"default_tax_rate_id": rate["id"]}))
    plist = ok(admin.post("/api/v1/price-lists", json={"name": f"Portraits {tag}"}), 201)
    group = ok(admin.post(f"/api/v1/price-lists/{plist['id']}/groups", json={"name": "Sittings"}), 201)
    items = {}
    for code, name, price, taxable in (
        ("SIT", "Session fee", 15000, False),
        ("8X10", "8x10 print", 2499, True),
    ):
        items[code] = ok(
            admin.post(
                "/api/v1/price-list-items",
                json={
                    "price_list_id": plist["id"],
                    "group_id": group["id"],
                    "code": code,
                    "name": name,
                    "price": price,
                    "taxable": taxable,
                },
            ),
            201,
        )
    listed = ok(admin.get(f"/api/v1/price-lists/{plist['id']}/groups"))
    assert [g["name"] for g in listed["items"]] == ["Sittings"]
    return {"rate": rate, "price_list": plist, "group": group, "items": items, "tag": tag}


def promotion(admin, catalog, **rules):
    code = "C" + uuid.uuid4().hex[:8].upper()
    item = ok(
        admin.post(
            "/api/v1/price-list-items",
            json={
                "price_list_id": catalog["price_list"]["id"],
                "code": f"P{code}",
                "name": f"Promo {code}",
                "item_type": "promotional",
                "promotion": dict({"coupon_code": code, "percent_off": 10}, **rules),
            },
        ),
        201,
    )
    return code, item


def test_invoice_from_price_list_items_with_tax_and_a_coupon(admin, catalog):
    client = new_client(admin)
    code, promo = promotion(admin, catalog, max_uses=5)
    currency = ok(admin.get("/api/v1/settings/studio"))["currency"]
    invoice = ok(
        admin.post(
            "/api/v1/invoices",
            json={
                "client_id": client["id"],
                "coupon_code": code.lower(),
                "lines": [
                    {"item_id": catalog["items"]["SIT"]["id"]},
                    {"item_id": catalog["items"]["8X10"]["id"], "quantity": 3},
                    {"description": "Retouching", "unit_price": 1000, "quantity": 2},
                ],
            },
        ),
        201,
    )
    # 15000 + 7497 + 2000 = 24497; 10 % off = 2450 spread 1500 / 750 / 200; tax 8.25 % on the taxable rest
    assert [(ln["discount"], ln["tax"], ln["total"]) for ln in invoice["lines"]] == [
        (1500, 0, 13500),
        (750, 557, 7304),
        (200, 149, 1949),
    ]
    assert (invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"]) == (
        24497,
        2450,
        706,
        22753,
    )
    assert (invoice["paid"], invoice["credited"], invoice["balance"], invoice["status"]) == (
        0,
        0,
        22753,
        "open",
    )
    assert invoice["currency"] == currency and invoice["coupon_code"] == code
    assert invoice["invoice_number"] and invoice["unapplied_deposits"] == []
    fetched = ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))
    assert fetched["total"] == 22753 and len(fetched["lines"]) == 3
    assert ok(admin.get(f"/api/v1/price-list-items/{promo['id']}"))["promotion"]["uses"] == 1
    listed = ok(admin.get("/api/v1/invoices", params={"client_id": client["id"]}))
    assert [i["id"] for i in listed["items"]] == [invoice["id"]]
    # the studio's currency is now locked (the staff service heard invoicing.invoice_created)
    assert ok(admin.get("/api/v1/settings/studio"))["currency"] == currency


@pytest.mark.parametrize(
    "rules, rule",
    [
        ({"starts_on": "2999-01-01"}, "not_started"),
        ({"ends_on": "2000-01-31"}, "expired"),
        ({"max_uses": 1}, "used_up"),
        ({"min_subtotal": 1_000_000}, "below_minimum"),
        (None, "unknown"),
    ],
)
def test_each_coupon_refusal_names_its_rule(admin, catalog, rules, rule):
    client = new_client(admin)
    lines = [{"item_id": catalog["items"]["SIT"]["id"]}]
    if rules is None:
        code = "NOSUCH" + uuid.uuid4().hex[:6].upper()
    else:
        code, _ = promotion(admin, catalog, **rules)
    if rule == "used_up":
        ok(
            admin.post(
                "/api/v1/invoices", json={"client_id": client["id"], "coupon_code": code, "lines": lines}
            ),
            201,
        )
    before = len(ok(admin.get("/api/v1/invoices", params={"client_id": client["id"]}))["items"])
    error = assert_error(
        admin.post("/api/v1/invoices", json={"client_id": client["id"], "coupon_code": code, "lines": lines}),
        422,
        "unprocessable",
        "coupon_code",
    )
    assert error["fields"]["coupon_code"].startswith(rule + ":"), error
    assert code in error["message"]
    assert len(ok(admin.get("/api/v1/invoices", params={"client_id": client["id"]}))["items"]) == before


def test_the_last_coupon_use_goes_to_one_of_many_concurrent_invoices(stack, admin, catalog):
    code, promo = promotion(admin, catalog, max_uses=1)
    client = new_client(admin)

    def attempt(_):
        caller = Client(stack.url, admin.token)
        return caller.post(
            "/api/v1/invoices",
            json={
                "client_id": client["id"],
                "coupon_code": code,
                "lines": [{"item_id": catalog["items"]["SIT"]["id"]}],
            },
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(attempt, range(8)))
    assert sorted(r.status_code for r in responses) == [201] + [422] * 7, [r.text for r in responses]
    assert all(
        r.json()["error"]["fields"]["coupon_code"].startswith("used_up:")
        for r in responses
        if r.status_code == 422
    )
    assert ok(admin.get(f"/api/v1/price-list-items/{promo['id']}"))["promotion"]["uses"] == 1


def test_concurrent_invoice_numbers_have_no_duplicates_and_no_gaps(stack, admin, catalog):
    prefix = "N" + uuid.uuid4().hex[:4].upper() + "-"
    ok(
        admin.patch(
            "/api/v1/settings/invoicing", json={"invoice_number_prefix": prefix, "next_invoice_number": 1}
        )
    )
    client = new_client(admin)
    count = 24

    def create(i):
        caller = Client(stack.url, admin.token)
        return caller.post(
            "/api/v1/invoices",
            json={
                "client_id": client["id"],
                "lines": [{"description": f"Parallel {i}", "unit_price": 100 + i}],
            },
        )

    try:
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(create, range(count)))
        assert all(r.status_code == 201 for r in responses), [
            r.text for r in responses if r.status_code != 201
        ]
        numbers = sorted(int(r.json()["invoice_number"][len(prefix) :]) for r in responses)
        assert numbers == list(range(1, count + 1))
        assert ok(admin.get("/api/v1/settings/invoicing"))["next_invoice_number"] == count + 1
    finally:
        ok(
            admin.patch(
                "/api/v1/settings/invoicing", json={"invoice_number_prefix": "", "next_invoice_number": 5000}
            )
        )


def test_edits_and_voiding(admin, catalog):
    client = new_client(admin)
    invoice = ok(
        admin.post(
            "/api/v1/invoices",
            json={"client_id": client["id"], "lines": [{"item_id": catalog["items"]["8X10"]["id"]}]},
        ),
        201,
    )
    edited = ok(
        admin.patch(
            f"/api/v1/invoices/{invoice['id']}",
            json={
                "lines": [{"item_id": catalog["items"]["8X10"]["id"], "quantity": 2}],
                "notes": "two prints",
            },
        )
    )
    assert (edited["subtotal"], edited["tax"], edited["total"]) == (4998, 412, 5410)
    assert_error(
        admin.patch(f"/api/v1/invoices/{invoice['id']}", json={"total": 1}), 400, "validation_error", "total"
    )
    voided = ok(admin.post(f"/api/v1/invoices/{invoice['id']}/void"))
    assert (voided["status"], voided["invoice_number"], voided["balance"]) == (
        "void",
        invoice["invoice_number"],
        0,
    )
    assert ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))["status"] == "void"
    error = assert_error(
        admin.patch(f"/api/v1/invoices/{invoice['id']}", json={"notes": "x"}), 422, "unprocessable", "status"
    )
    assert "void" in error["message"]
    assert_error(admin.post("/api/v1/invoices/99999999/void"), 404, "not_found")


def test_bad_input_is_refused_clearly_and_nothing_is_stored(admin, catalog):
    client = new_client(admin)
    before = ok(admin.get("/api/v1/settings/invoicing"))["next_invoice_number"]
    item = catalog["items"]["8X10"]["id"]
    cases = [
        ({"lines": [{"item_id": item, "quantity": -2}]}, 400, "validation_error", "lines.0.quantity"),
        (
            {"lines": [{"description": "x", "unit_price": -100}]},
            400,
            "validation_error",
            "lines.0.unit_price",
        ),
        (
            {"lines": [{"description": "x", "unit_price": 12.5}]},
            400,
            "validation_error",
            "lines.0.unit_price",
        ),
        ({"lines": [{"quantity": 1}]}, 400, "validation_error", "lines.0.description"),
        ({"lines": [{"item_id": 99999999}]}, 404, "not_found", "lines.0.item_id"),
        ({"client_id": 99999999, "lines": [{"item_id": item}]}, 404, "not_found", "client_id"),
        ({"lines": [{"item_id": item}], "total": 100}, 400, "validation_error", "total"),
        ({"lines": [{"item_id": item}], "currency": "xxx"}, 422, "unprocessable", "currency"),
        ({"lines": []}, 400, "validation_error", "lines"),
    ]
    for payload, status, code, field in cases:
        body = dict({"client_id": client["id"]}, **payload)
        error = assert_error(admin.post("/api/v1/invoices", json=body), status, code, field)
        assert error["message"], payload
    float_error = assert_error(
        admin.post(
            "/api/v1/invoices",
            json={"client_id": client["id"], "lines": [{"description": "x", "unit_price": 12.5}]},
        ),
        400,
        "validation_error",
    )
    assert "cents" in float_error["fields"]["lines.0.unit_price"]
    assert ok(admin.get("/api/v1/invoices", params={"client_id": client["id"]}))["items"] == []
    assert ok(admin.get("/api/v1/settings/invoicing"))["next_invoice_number"] == before
    assert_error(
        admin.post(
            "/api/v1/price-list-items",
            json={"price_list_id": catalog["price_list"]["id"], "code": "NEG", "name": "neg", "price": -1},
        ),
        400,
        "validation_error",
        "price",
    )
    assert_error(
        admin.post("/api/v1/tax-rates", json={"name": "float", "rate_basis_points": 8.25}),
        400,
        "validation_error",
        "rate_basis_points",
    )


def test_a_client_with_invoices_cannot_be_deleted(admin, catalog):
    client = new_client(admin)
    ok(
        admin.post(
            "/api/v1/invoices",
            json={"client_id": client["id"], "lines": [{"item_id": catalog["items"]["SIT"]["id"]}]},
        ),
        201,
    )
    error = assert_error(admin.delete(f"/api/v1/clients/{client['id']}"), 409, "conflict")
    assert "invoicing.invoices" in error["fields"]


def test_pdf_parses_one_page_per_invoice_and_shows_the_total(admin, catalog):
    client = new_client(
        admin,
        "Printable",
        address={"line1": "77 Aperture Road", "city": "Springfield", "postal_code": "12345"},
    )
    ok(admin.patch("/api/v1/settings/studio", json={"name": "Bright Light Studio"}))
    made = [
        ok(
            admin.post(
                "/api/v1/invoices",
                json={
                    "client_id": client["id"],
                    "lines": [{"item_id": catalog["items"]["8X10"]["id"], "quantity": q}],
                },
            ),
            201,
        )
        for q in (1, 2, 3)
    ]
    response = admin.get(f"/api/v1/invoices/{made[0]['id']}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    total = made[0]["total"]
    currency = made[0]["currency"].upper()
    assert f"{total // 100:,}.{total % 100:02d} {currency}" in text
    assert made[0]["invoice_number"] in text
    assert "77 Aperture Road" in text and "Springfield" in text and "Printable" in text
    batch = admin.get("/api/v1/invoices/print.pdf", params={"ids": ",".join(str(m["id"]) for m in made)})
    assert batch.status_code == 200, batch.text
    pages = pypdf.PdfReader(io.BytesIO(batch.content)).pages
    assert len(pages) == 3
    for page, invoice in zip(pages, made):
        total = invoice["total"]
        assert f"{total // 100:,}.{total % 100:02d} {currency}" in page.extract_text()
    assert_error(admin.get("/api/v1/invoices/99999999.pdf"), 404, "not_found")
    # the studio's name heads the page (services hear of a renamed studio by a broadcast)
    deadline = time.monotonic() + 10
    while "Bright Light Studio" not in pdf_text(admin, made[0]["id"]) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "Bright Light Studio" in pdf_text(admin, made[0]["id"])


def pdf_text(admin, invoice_id):
    response = admin.get(f"/api/v1/invoices/{invoice_id}.pdf")
    return pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_openapi_describes_the_invoicing_api(stack):
    import requests

    spec = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=15).json()
    for path in (
        "/api/v1/price-lists",
        "/api/v1/price-lists/{price_list_id}/groups",
        "/api/v1/price-list-items",
        "/api/v1/price-list-items/{item_id}",
        "/api/v1/tax-rates",
        "/api/v1/invoices",
        "/api/v1/invoices/{invoice_id}",
        "/api/v1/invoices/{invoice_id}/void",
        "/api/v1/invoices/{invoice_id}.pdf",
        "/api/v1/credit-memos",
        "/api/v1/credit-memos/{memo_id}",
        "/api/v1/deposits/{payment_id}/apply",
        "/api/v1/clients/{client_id}/balance",
        "/api/v1/reports/balances",
        "/api/v1/reports/aging",
        "/api/v1/reports/services",
        "/api/v1/settings/invoicing",
    ):
        assert path in spec["paths"], path
    assert {"InvoiceIn", "InvoiceOut", "CreditMemoIn", "PriceListItemIn"} <= set(
        spec["components"]["schemas"]
    )
