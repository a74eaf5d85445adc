"""Amounts and rounding. Everything is an integer number of cents; no floats anywhere.

How an invoice (or credit memo) is computed, line by line:

1. ``amount = quantity × unit_price`` (exact).
2. A coupon's discount is taken from the line subtotal before tax:
   ``percent_off`` (a whole percent) gives ``round_half_up(subtotal × percent / 100)``;
   ``amount_off`` gives ``min(amount_off, subtotal)``. The discount is spread over the lines
   in proportion to their amounts by the largest-remainder method, so the lines' discounts
   add up to the invoice's exactly (ties go to the earlier line).
3. Tax per line: ``tax = round_half_up((amount - discount) × rate_basis_points / 10000)`` for
   taxable lines, 0 otherwise. Rounding happens once per line, half up to the cent
   (0.5 cent and above rounds up).
4. ``line total = amount - discount + tax``; the invoice's subtotal, discount, tax and total
   are the sums of its lines' (so the total is always the sum of the line totals).
"""
from dataclasses import dataclass


def round_half_up(numerator, denominator):
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def spread(total, weights):
    """Split ``total`` over ``weights`` in proportion (largest remainder; ties to the first)."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    shares, remainders = [], []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, index))
    for _, index in sorted(remainders)[:total - sum(shares)]:
        shares[index] += 1
    return shares


def tax_for(net, rate_basis_points):
    return round_half_up(net * rate_basis_points, 10_000)


def coupon_discount(subtotal, percent_off=None, amount_off=None):
    if percent_off:
        return round_half_up(subtotal * percent_off, 100)
    if amount_off:
        return min(amount_off, subtotal)
    return 0


@dataclass
class LineAmounts:
    amount: int
    discount: int
    tax: int
    total: int


@dataclass
class Totals:
    lines: list
    subtotal: int
    discount: int
    tax: int
    total: int


def compute(lines, rate_basis_points, discount=0):
    """``lines``: ``(quantity, unit_price, taxable)`` tuples; ``discount``: the coupon's discount
    in cents (at most the subtotal). Returns per-line and invoice amounts."""
    amounts = [quantity * unit_price for quantity, unit_price, _ in lines]
    subtotal = sum(amounts)
    discount = min(discount, subtotal)
    discounts = spread(discount, amounts)
    result = []
    for (_quantity, _unit_price, taxable), amount, line_discount in zip(lines, amounts, discounts):
        net = amount - line_discount
        tax = tax_for(net, rate_basis_points) if taxable else 0
        result.append(LineAmounts(amount, line_discount, tax, net + tax))
    return Totals(result, subtotal, sum(r.discount for r in result), sum(r.tax for r in result),
                  sum(r.total for r in result))
