"""Rounding: half up to the cent, per line; discounts spread so the lines add up exactly."""

import pytest

from invoicing import money


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [
        (0, 100, 0),
        (49, 100, 0),
        (50, 100, 1),
        (51, 100, 1),
        (149, 100, 1),
        (150, 100, 2),
        (6185025, 10000, 619),
        (825000, 10000, 83),  # 7497 × 8.25 % = 618.50 → 619; 1000 × 8.25 % = 82.5 → 83
    ],
)
def test_round_half_up(numerator, denominator, expected):
    assert money.round_half_up(numerator, denominator) == expected


def test_round_half_up_refuses_negatives():
    with pytest.raises(ValueError):
        money.round_half_up(-1, 100)


def test_spread_adds_up_and_favours_larger_remainders_then_earlier_lines():
    assert money.spread(100, [1, 1, 1]) == [34, 33, 33]
    assert money.spread(10, [5000, 3000, 2000]) == [5, 3, 2]
    assert money.spread(7, [0, 0]) == [0, 0]
    assert money.spread(0, [3, 4]) == [0, 0]
    shares = money.spread(999, [1234, 5678, 91011, 1])
    assert sum(shares) == 999 and shares[3] == 0


def test_compute_discount_before_tax_tax_per_line():
    lines = [(3, 2499, True), (1, 15000, False), (2, 1000, True)]  # 7497 + 15000 + 2000 = 24497
    discount = money.coupon_discount(24497, percent_off=10)  # 2449.7 → 2450
    assert discount == 2450
    totals = money.compute(lines, 825, discount)
    assert [line.discount for line in totals.lines] == [750, 1500, 200]
    # taxes on the discounted amounts: 6747 × .0825 = 556.63 → 557; 1800 × .0825 = 148.5 → 149
    assert [line.tax for line in totals.lines] == [557, 0, 149]
    assert (totals.subtotal, totals.discount, totals.tax) == (24497, 2450, 706)
    assert totals.total == sum(line.total for line in totals.lines) == 24497 - 2450 + 706


def test_amount_off_is_capped_at_the_subtotal():
    assert money.coupon_discount(1500, amount_off=2000) == 1500
    totals = money.compute([(1, 1500, True)], 1000, 1500)
    assert (totals.discount, totals.tax, totals.total) == (1500, 0, 0)


def test_no_floats_anywhere():
    totals = money.compute([(7, 333, True)], 725)
    assert all(isinstance(v, int) for v in (totals.subtotal, totals.discount, totals.tax, totals.total))
