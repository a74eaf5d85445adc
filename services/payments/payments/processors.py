"""The processor step: what takes the money (or gives it back) for a payment or refund.

Every payment and refund passes through exactly one processor, chosen by its method's type,
after it has been checked and before it is written: the processor may refuse it (a declined
card) or add what it learned (authorization code, reference, card brand and last 4). The
processor runs inside the payment's transaction and is given the request's idempotency key,
so a processor that charges online (Stripe, PayPal, the counter swiper: later) must pass that
key on and never charge twice for one key; the payments service itself does not rely on the
processor for idempotency (localstripe ignores the key).

``manual`` is the first processor: nothing is charged online. Cash, checks, cards taken on a
terminal outside the system and "other" are recorded as the staff member entered them.
"""
from dataclasses import dataclass, field

from proofsheet_shared.errors import Unprocessable


@dataclass(frozen=True)
class Charge:
    """What a processor is asked to do."""
    kind: str                 # "payment" (take money) or "refund" (give it back)
    amount: int               # cents, > 0
    currency: str
    method_type: str
    client_id: int
    details: dict = field(default_factory=dict)   # the method's fields as entered
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the processor did: the fields it sets on the payment."""
    authorization_code: str | None = None
    reference: str | None = None
    card_type: str | None = None
    card_last4: str | None = None


class Processor:
    """The interface: ``take`` a payment, ``give_back`` a refund; raise a domain error to refuse."""

    name = "processor"

    def take(self, charge):
        raise NotImplementedError

    def give_back(self, charge):
        raise NotImplementedError


class ManualProcessor(Processor):
    """Money handled outside the system: the record is what the staff member entered."""

    name = "manual"

    def _record(self, charge):
        details = charge.details
        return Outcome(authorization_code=details.get("authorization_code"),
                       card_type=details.get("card_type"), card_last4=details.get("card_last4"))

    take = _record
    give_back = _record


PROCESSORS = {"manual": ManualProcessor()}
# which processor a method type goes through; a type whose processor is not registered yet
# (stripe, paypal: later issues) is refused
TYPE_PROCESSOR = {"cash": "manual", "check": "manual", "card": "manual", "other": "manual",
                  "stripe": "stripe", "paypal": "paypal"}


def register(processor):
    PROCESSORS[processor.name] = processor


def processor_for(method_type, field="method_id"):
    name = TYPE_PROCESSOR.get(method_type)
    processor = PROCESSORS.get(name)
    if processor is None:
        raise Unprocessable(f"{method_type} payments go through the {name} processor, which is not set up",
                            {field: f"the {name} processor is not set up"})
    return processor


def run(processor, charge):
    return processor.give_back(charge) if charge.kind == "refund" else processor.take(charge)
