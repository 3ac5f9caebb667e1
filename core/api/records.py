"""Plain-Python validation of bulk records: a DRF serializer per record costs more than the
database write itself (a 1000-record upload spent more time building serializer fields than
upserting), so bulk endpoints describe each record as a `RecordSchema` of small parsers.

    SCHEMA = RecordSchema(
        period=Date(),
        amount=DecimalValue(max_digits=14, decimal_places=2),
        source=Text(max_length=60, default="manual"),
        account=Integer(required=False),
    )
    data, errors = SCHEMA.parse(raw)   # errors: {"field": ["message"]} in DRF's words

Each parser answers the messages DRF's field of the same kind would, so a client sees the
same errors from a bulk record as from a single POST.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

REQUIRED = "This field is required."
NULL = "This field may not be null."
MISSING = object()


class Invalid(ValueError):
    """A value a parser refuses; the message is the client's."""


@dataclass(frozen=True)
class Field:
    required: bool = True
    default: Any = MISSING
    allow_null: bool = False

    def parse(self, value: Any) -> Any:  # pragma: no cover - every parser overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Field):
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, value: Any) -> int:
        if isinstance(value, bool):
            raise Invalid("A valid integer is required.")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        else:
            raise Invalid("A valid integer is required.")
        if self.minimum is not None and number < self.minimum:
            raise Invalid(f"Ensure this value is greater than or equal to {self.minimum}.")
        if self.maximum is not None and number > self.maximum:
            raise Invalid(f"Ensure this value is less than or equal to {self.maximum}.")
        if abs(number) > 2**63 - 1:
            raise Invalid("A valid integer is required.")
        return number


@dataclass(frozen=True)
class Choice(Field):
    """One of `choices` (the stored values), as DRF's ChoiceField words a refusal."""

    choices: tuple[str, ...] = ()
    allow_blank: bool = False

    def parse(self, value: Any) -> str:
        if value == "" and self.allow_blank:
            return ""
        if not isinstance(value, str) or value not in self.choices:
            raise Invalid(f'"{value}" is not a valid choice.')
        return value


@dataclass(frozen=True)
class ListOf(Field):
    """A JSON list whose items `item` parses; the first bad item is named by its index."""

    item: Field = None  # type: ignore[assignment]
    max_items: int = 1000

    def parse(self, value: Any) -> list:
        if not isinstance(value, list):
            raise Invalid(f'Expected a list of items but got type "{type(value).__name__}".')
        if len(value) > self.max_items:
            raise Invalid(f"Ensure this field has no more than {self.max_items} elements.")
        parsed = []
        for index, item in enumerate(value):
            try:
                parsed.append(self.item.parse(item))
            except Invalid as exc:
                raise Invalid(f"Item {index}: {exc}") from None
        return parsed


@dataclass(frozen=True)
class Text(Field):
    max_length: int | None = None
    allow_blank: bool = False

    def parse(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise Invalid("Not a valid string.")
        text = str(value).strip()
        if "\x00" in text:
            raise Invalid("Null characters are not allowed.")
        if not text and not self.allow_blank:
            raise Invalid("This field may not be blank.")
        if self.max_length is not None and len(text) > self.max_length:
            raise Invalid(f"Ensure this field has no more than {self.max_length} characters.")
        return text


@dataclass(frozen=True)
class Date(Field):
    def parse(self, value: Any) -> datetime.date:
        if not isinstance(value, str):
            raise Invalid("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
            ) from None


@dataclass(frozen=True)
class DecimalValue(Field):
    max_digits: int = 14
    decimal_places: int = 2
    minimum: Decimal | None = None

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Invalid("A valid number is required.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Invalid("A valid number is required.") from None
        if not number.is_finite():
            raise Invalid("A valid number is required.")
        sign, digits, exponent = number.as_tuple()
        places = max(0, -exponent)
        whole = len(digits) - places if exponent < 0 else len(digits) + exponent
        if places > self.decimal_places:
            raise Invalid(
                f"Ensure that there are no more than {self.decimal_places} decimal places."
            )
        if whole > self.max_digits - self.decimal_places:
            raise Invalid(
                "Ensure that there are no more than "
                f"{self.max_digits - self.decimal_places} digits before the decimal point."
            )
        if self.minimum is not None and number < self.minimum:
            raise Invalid(f"Ensure this value is greater than or equal to {self.minimum}.")
        return number.quantize(Decimal(1).scaleb(-self.decimal_places))


class RecordSchema:
    """Named parsers for one record; `parse(raw)` -> (data, errors)."""

    def __init__(self, **fields: Field):
        self.fields = fields

    def parse(self, raw: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
        if not isinstance(raw, dict):
            return {}, {"non_field_errors": ["Each record must be an object."]}
        data: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            value = raw.get(name, MISSING)
            if value is MISSING:
                if field.default is not MISSING:
                    data[name] = field.default
                elif field.required:
                    errors[name] = [REQUIRED]
                continue
            if value is None:
                if field.allow_null:
                    data[name] = None
                else:
                    errors[name] = [NULL]
                continue
            try:
                data[name] = field.parse(value)
            except Invalid as exc:
                errors[name] = [str(exc)]
        return data, errors
