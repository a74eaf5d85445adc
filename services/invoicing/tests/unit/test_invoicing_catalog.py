"""Tax rates, price lists, groups, items and promotions, settings."""

import pytest

from invoicing import catalog
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError


def test_tax_rates(session):
    rate = catalog.create_tax_rate(session, {"name": "City", "rate_basis_points": 250})
    assert rate == {"id": rate["id"], "name": "City", "rate_basis_points": 250, "active": True}
    with pytest.raises(Conflict):
        catalog.create_tax_rate(session, {"name": " city ", "rate_basis_points": 1})
    for bad, field in (
        ({"name": "X", "rate_basis_points": 8.25}, "rate_basis_points"),
        ({"name": "X", "rate_basis_points": -1}, "rate_basis_points"),
        ({"name": "X", "rate_basis_points": 10001}, "rate_basis_points"),
        ({"rate_basis_points": 1}, "name"),
    ):
        with pytest.raises(ValidationError) as err:
            catalog.create_tax_rate(session, bad)
        assert field in err.value.fields
    assert (
        catalog.update_tax_rate(session, rate["id"], {"rate_basis_points": 300})["rate_basis_points"] == 300
    )
    assert [r["name"] for r in catalog.list_tax_rates(session)["items"]] == ["City"]


def test_settings(session):
    assert catalog.settings_to_dict(catalog.get_settings(session)) == {
        "invoice_number_prefix": "",
        "next_invoice_number": 1000,
        "default_tax_rate_id": None,
        "default_due_days": 30,
    }
    with pytest.raises(NotFound) as err:
        catalog.update_settings(session, {"default_tax_rate_id": 99})
    assert err.value.fields == {"default_tax_rate_id": "not found"}
    rate = catalog.create_tax_rate(session, {"name": "T", "rate_basis_points": 500})
    changed = catalog.update_settings(
        session,
        {
            "invoice_number_prefix": " S- ",
            "next_invoice_number": 7,
            "default_tax_rate_id": rate["id"],
            "default_due_days": 14,
        },
    )
    assert changed == {
        "invoice_number_prefix": "S-",
        "next_invoice_number": 7,
        "default_tax_rate_id": rate["id"],
        "default_due_days": 14,
    }
    with pytest.raises(ValidationError):
        catalog.update_settings(session, {"next_invoice_number": 0})


def test_price_lists_groups_items(session):
    plist = catalog.create_price_list(session, {"name": "Standard"})
    other = catalog.create_price_list(session, {"name": "Schools"})
    with pytest.raises(Conflict):
        catalog.create_price_list(session, {"name": "standard"})
    a = catalog.create_group(session, plist["id"], {"name": "Prints"})
    b = catalog.create_group(session, plist["id"], {"name": "Albums"})
    assert (a["sort_order"], b["sort_order"]) == (10, 20)
    assert [g["name"] for g in catalog.list_groups(session, plist["id"])["items"]] == ["Prints", "Albums"]
    with pytest.raises(NotFound):
        catalog.list_groups(session, 999)
    item = catalog.create_item(
        session,
        {
            "price_list_id": plist["id"],
            "group_id": a["id"],
            "code": "5X7",
            "name": "5x7 print",
            "price": 1299,
        },
    )
    assert item["taxable"] is True and item["item_type"] == "standard" and item["promotion"] is None
    with pytest.raises(Conflict) as err:
        catalog.create_item(session, {"price_list_id": plist["id"], "code": "5x7", "name": "again"})
    assert list(err.value.fields) == ["code"]
    # the same code in another list is fine; a group of another list is not
    catalog.create_item(
        session, {"price_list_id": other["id"], "code": "5X7", "name": "school 5x7", "price": 999}
    )
    with pytest.raises(Unprocessable) as err:
        catalog.create_item(
            session, {"price_list_id": other["id"], "group_id": a["id"], "code": "Z", "name": "Z"}
        )
    assert list(err.value.fields) == ["group_id"]
    patched = catalog.update_item(session, item["id"], {"price": 1399, "active": False})
    assert (patched["price"], patched["active"]) == (1399, False)
    page = catalog.list_items(session, {"price_list_id": plist["id"], "limit": 1})
    assert [i["code"] for i in page["items"]] == ["5X7"] and page["next_cursor"] is None
    assert [i["name"] for i in catalog.list_items(session, {"q": "school"})["items"]] == ["school 5x7"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"price": -1}, "price"),
        ({"price": 12.5}, "price"),
        ({"price": "1250"}, "price"),
        ({"price": True}, "price"),
        ({"item_type": "promotional"}, "promotion"),
        ({"promotion": {"coupon_code": "X", "percent_off": 5}}, "promotion"),
        ({"item_type": "promotional", "promotion": {"coupon_code": "X"}}, "promotion.percent_off"),
        (
            {
                "item_type": "promotional",
                "promotion": {"coupon_code": "X", "percent_off": 5, "amount_off": 5},
            },
            "promotion.percent_off",
        ),
        (
            {"item_type": "promotional", "promotion": {"coupon_code": "X", "percent_off": 101}},
            "promotion.percent_off",
        ),
        (
            {"item_type": "promotional", "promotion": {"coupon_code": "X", "percent_off": 2.5}},
            "promotion.percent_off",
        ),
        (
            {"item_type": "promotional", "promotion": {"coupon_code": "no spaces", "percent_off": 5}},
            "promotion.coupon_code",
        ),
        (
            {
                "item_type": "promotional",
                "promotion": {
                    "coupon_code": "X",
                    "amount_off": 500,
                    "starts_on": "2026-02-01",
                    "ends_on": "2026-01-01",
                },
            },
            "promotion.ends_on",
        ),
    ],
)
def test_bad_items_are_refused_naming_the_field(session, payload, field):
    plist = catalog.create_price_list(session, {"name": "P"})
    with pytest.raises(ValidationError) as err:
        catalog.create_item(
            session, dict({"price_list_id": plist["id"], "code": "C", "name": "N"}, **payload)
        )
    assert field in err.value.fields, err.value.fields
    assert catalog.list_items(session, {})["items"] == []


def test_promotional_items(session):
    plist = catalog.create_price_list(session, {"name": "P"})
    promo = catalog.create_item(
        session,
        {
            "price_list_id": plist["id"],
            "code": "SPRING",
            "name": "Spring sale",
            "item_type": "promotional",
            "promotion": {
                "coupon_code": "spring26",
                "percent_off": 15,
                "starts_on": "2026-03-01",
                "ends_on": "2026-05-31",
                "max_uses": 100,
                "min_subtotal": 5000,
            },
        },
    )
    assert promo["promotion"] == {
        "coupon_code": "SPRING26",
        "percent_off": 15,
        "amount_off": None,
        "starts_on": "2026-03-01",
        "ends_on": "2026-05-31",
        "max_uses": 100,
        "min_subtotal": 5000,
        "uses": 0,
    }
    with pytest.raises(Conflict) as err:
        catalog.create_item(
            session,
            {
                "price_list_id": plist["id"],
                "code": "OTHER",
                "name": "x",
                "item_type": "promotional",
                "promotion": {"coupon_code": "SPRING26", "amount_off": 100},
            },
        )
    assert list(err.value.fields) == ["promotion.coupon_code"]
    changed = catalog.update_item(
        session, promo["id"], {"promotion": {"coupon_code": "SUMMER", "amount_off": 500}}
    )
    assert changed["promotion"]["amount_off"] == 500 and changed["promotion"]["percent_off"] is None
    standard = catalog.update_item(session, promo["id"], {"item_type": "standard"})
    assert standard["promotion"] is None
    with pytest.raises(ValidationError):
        catalog.update_item(session, promo["id"], {"item_type": "promotional"})
    assert catalog.list_items(session, {"item_type": "promotional"})["items"] == []
