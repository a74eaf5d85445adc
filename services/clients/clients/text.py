"""Name capitalisation, search keys and the search terms of a client."""
import re
import unicodedata

_WORD_START = re.compile(r"(^|[\s\-])(\w)")
TERM_MAX = 120
PHONE_FRAGMENT_MIN = 3


def capitalise(name):
    """Upper-case the first letter of each word, keeping inner capitals.

    >>> capitalise("mary ann mcDonald")
    'Mary Ann McDonald'
    """
    if not name:
        return name
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), name)


def key(text):
    """Case- and accent-insensitive form used for sorting and matching names."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())[:TERM_MAX]


def digits(text):
    return "".join(ch for ch in (text or "") if ch.isdigit())


def looks_like_phone(q):
    """A query of digits and phone punctuation only, with at least three digits."""
    return len(digits(q)) >= PHONE_FRAGMENT_MIN and all(ch.isdigit() or ch in " +-().-/" for ch in q)


def name_terms(first, last):
    first_key, last_key = key(first), key(last)
    terms = set()
    for part in (first_key, last_key):
        if part:
            terms.add(part)
            terms.update(part.split())
    if first_key and last_key:
        terms.add(f"{first_key} {last_key}")
        terms.add(f"{last_key} {first_key}")
    return terms


def phone_terms(number):
    """Every suffix of the number's digits, so any fragment of 3+ digits is a prefix."""
    number_digits = digits(number)
    return {number_digits[i:] for i in range(0, max(len(number_digits) - PHONE_FRAGMENT_MIN + 1, 0))}


def client_terms(client):
    """``{(term, kind)}`` for a client: n=name, c=number, e=email, p=phone, s=secondary contact."""
    terms = {(t, "n") for t in name_terms(client.first_name, client.last_name)}
    terms |= {(t, "s") for t in name_terms(client.secondary_first_name, client.secondary_last_name)}
    terms.add((key(client.client_number), "c"))
    terms |= {(e.lower()[:TERM_MAX], "e") for e in client.emails or []}
    for phone in client.phones or []:
        terms |= {(t, "p") for t in phone_terms(phone.get("number"))}
    best = {}
    for term, kind in terms:
        if term and (term not in best or kind < best[term]):
            best[term] = kind
    return best


def prefix_range(prefix):
    """The half-open range of binary strings that start with ``prefix``."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
