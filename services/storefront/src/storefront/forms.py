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


class RemoveForm(FlaskForm):
    """Only the CSRF token: the line to remove is in the URL."""


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so another site cannot do it for the shopper."""


def apply_field_errors(form: FlaskForm, errors: Iterable[FieldError]) -> None:
    """A service's 422 shown where the shopper typed: `body.email` or `/email` lands on the
    email field; an error the form has no field for is shown above the form."""
    for error in errors:
        name = error.field.replace("/", ".").rsplit(".", 1)[-1]
        field = form._fields.get(name)
        if field is not None and name not in {"csrf_token", "next"}:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)
