"""Normalizing the values that identify a customer, so the same person is found on every channel."""

import phonenumbers

from .models import CustomerIdentity

Kind = CustomerIdentity.Kind
PHONE_KINDS = frozenset({Kind.WHATSAPP, Kind.PHONE})
DEFAULT_PHONE_REGION = "BR"


class InvalidIdentity(ValueError):
    pass


def normalize_phone(value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (`+5511987654321`). Numbers without a country code are read as Brazilian."""
    raw = value.strip()
    if raw.isdigit() and len(raw) > 11:
        raw = "+" + raw  # provider ids such as WhatsApp's wa_id carry the country code without "+"
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(f"Not a phone number: {value!r}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidIdentity(f"Not a possible phone number: {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_equivalents(value: str) -> tuple[str, ...]:
    """The E.164 forms of one phone: itself and, for a Brazilian mobile, the same number with or
    without the ninth digit. WhatsApp ids of accounts older than the ninth digit still lack it
    (`+551187654321` is `+5511987654321`); mobiles are the numbers starting 6-9 after it."""
    if not value.startswith("+55"):
        return (value,)
    national = value[3:]
    if len(national) == 10 and national[2] in "6789":
        return (value, f"+55{national[:2]}9{national[2:]}")
    if len(national) == 11 and national[2] == "9" and national[3] in "6789":
        return (value, f"+55{national[:2]}{national[3:]}")
    return (value,)


def normalize_identity_value(kind: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidIdentity("An identity needs a value.")
    if kind == Kind.EMAIL:
        if "@" not in value:
            raise InvalidIdentity(f"Not an email address: {value!r}")
        return value.lower()
    if kind in PHONE_KINDS:
        return normalize_phone(value)
    return value
