"""The storefront's forms. Every form that changes something carries Flask-WTF's CSRF token;
the search form is a GET (bookmarkable, nothing changes) and so carries none."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from polykit.errors import FieldError
from storefront.services import MAX_QUANTITY

# Enough to catch a typo; users has the last word, and its 422 lands back on the field.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address.")


def _printable(value: str | None) -> str:
    """A query as typed, less the control characters that no product name holds."""
    return "".join(char for char in value or "" if char.isprintable()).strip()


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        "Search",
        filters=[_printable],
        validators=[Optional(), Length(max=100, message="Search for at most 100 characters.")],
    )
    category = HiddenField(validators=[Optional(), Length(max=64)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)], default=1)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", validators=[InputRequired("Enter your email."), EMAIL_SHAPE, Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password."), Length(max=128)]
    )
    next = HiddenField()


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Tell us your name."), Length(max=100)])
    email = EmailField(
        "Email", validators=[InputRequired("Enter your email."), EMAIL_SHAPE, Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Choose a password."),
            Length(min=8, max=128, message="Use 8 to 128 characters."),
        ],
    )
    next = HiddenField()


class AddToCartForm(FlaskForm):
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired("Choose a quantity."),
            NumberRange(min=1, max=MAX_QUANTITY, message=f"Choose 1 to {MAX_QUANTITY}."),
        ],
    )


class CartLineForm(FlaskForm):
    quantity = SelectField(
        "Quantity",
        coerce=int,
        choices=[SelectChoice(n, str(n)) for n in range(1, MAX_QUANTITY + 1)],
        validate_choice=True,
    )


# A few destinations, ISO 3166-1 alpha-2; orders has the last word on the address.
COUNTRIES = [
    SelectChoice(code, name)
    for code, name in (
        ("US", "United States"),
        ("CA", "Canada"),
        ("GB", "United Kingdom"),
        ("IE", "Ireland"),
        ("DE", "Germany"),
        ("FR", "France"),
        ("NL", "Netherlands"),
        ("ES", "Spain"),
        ("IT", "Italy"),
        ("AU", "Australia"),
        ("JP", "Japan"),
    )
]
MONTHS = [SelectChoice("", "MM"), *(SelectChoice(f"{m:02d}", f"{m:02d}") for m in range(1, 13))]
CARD_YEARS_AHEAD = 15


def _digits(value: str | None) -> str:
    """A card number as people type it (`4242 4242-4242 4242`), as digits."""
    return "".join(char for char in value or "" if char not in " -")


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class SecretField(StringField):
    """A text field that never writes its value back into the page: a re-rendered checkout
    form must not echo the card number or CVC, even when another field was wrong."""

    def _value(self) -> str:
        return ""


class CheckoutForm(FlaskForm):
    """Shipping address and card. The browser gets hints (inputmode, autocomplete, pattern);
    what counts is checked here and then by orders and payments (Luhn, expiry), whose 422s
    land back on these fields."""

    idempotency_key = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f-]{36}$")])
    name = StringField(
        "Full name",
        filters=[_stripped],
        validators=[InputRequired("Tell us who receives the parcel."), Length(max=100)],
    )
    line1 = StringField(
        "Address",
        filters=[_stripped],
        validators=[InputRequired("Enter the street and number."), Length(max=200)],
    )
    line2 = StringField(
        "Apartment, suite (optional)", filters=[_stripped], validators=[Length(max=200)]
    )
    city = StringField(
        "City", filters=[_stripped], validators=[InputRequired("Enter the city."), Length(max=100)]
    )
    postal_code = StringField(
        "Postal code",
        filters=[_stripped],
        validators=[InputRequired("Enter the postal code."), Length(max=16)],
    )
    country = SelectField("Country", choices=COUNTRIES, default="US", validate_choice=True)
    number = SecretField(
        "Card number",
        filters=[_digits],
        validators=[
            InputRequired("Enter the card number."),
            Regexp(r"^[0-9]{12,19}$", message="Enter the 12 to 19 digits on the card."),
        ],
    )
    exp_month = SelectField(
        "Month", choices=MONTHS, validators=[InputRequired("Choose the month.")]
    )
    exp_year = SelectField("Year", validators=[InputRequired("Choose the year.")])
    cvc = SecretField(
        "Security code",
        filters=[_stripped],
        validators=[
            InputRequired("Enter the security code."),
            Regexp(r"^[0-9]{3,4}$", message="Enter the 3 or 4 digits on the back."),
        ],
    )

    def __init__(self, *args, this_year: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        years = range(this_year, this_year + CARD_YEARS_AHEAD + 1)
        self.exp_year.choices = [
            SelectChoice("", "YYYY"),
            *(SelectChoice(str(y), str(y)) for y in years),
        ]


class RemoveForm(FlaskForm):
    """Only the CSRF token: the line to remove is in the URL."""


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so another site cannot do it for the shopper."""


def apply_field_errors(form: FlaskForm, errors: Iterable[FieldError]) -> None:
    """A service's 422 shown where the shopper typed: `body.email` or `/email` lands on the
    email field, `card.number` on the number field; an error the form has no field for is
    shown above the form."""
    for error in errors:
        name = error.field.replace("/", ".").rsplit(".", 1)[-1]
        field = form._fields.get(name)
        if field is not None and field.type not in {"HiddenField", "CSRFTokenField"}:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)
