"""The storefront's pages and its two JSON endpoints."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from prometheus_client import Counter

from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    Conflict,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from polykit.health import Readiness
from polykit.info import service_info
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version
from storefront import services
from storefront.clients import (
    CardDeclined,
    CartClient,
    CatalogClient,
    OrdersClient,
    ServiceDirectory,
    UsersClient,
)
from storefront.forms import (
    AddToCartForm,
    CartLineForm,
    CheckoutForm,
    LoginForm,
    LogoutForm,
    RegisterForm,
    RemoveForm,
    SearchForm,
    apply_field_errors,
)
from storefront.schemas import Card, ShippingAddress, StoreStatus
from storefront.services import CartView, Shopper
from storefront.settings import StorefrontSettings

bp = Blueprint("storefront", __name__)

# Endpoint → the `page` label of polyshop_page_views_total: a fixed set, never a raw path.
PAGES = {
    "storefront.home": "home",
    "storefront.product": "product",
    "storefront.cart_page": "cart",
    "storefront.checkout": "checkout",
    "storefront.orders_page": "orders",
    "storefront.order_page": "order",
    "storefront.login": "login",
    "storefront.register": "register",
    "storefront.status_page": "status",
}
# Pages whose header shows the cart count (the cart page counts its own lines).
COUNTED_PAGES = frozenset(
    {
        "storefront.home",
        "storefront.product",
        "storefront.status_page",
        "storefront.orders_page",
        "storefront.order_page",
    }
)
ORDERS_PAGE_SIZE = 10
FORM_SENT_BEFORE = "This form was sent before with other details. Check it and place the order."
IMAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class Collaborators:
    settings: StorefrontSettings
    readiness: Readiness
    directory: ServiceDirectory
    users: UsersClient
    catalog: CatalogClient
    cart: CartClient
    orders: OrdersClient
    page_views: Counter


def _deps() -> Collaborators:
    return current_app.extensions["polyshop"]


class LoginRequired(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _shopper_token(message: str) -> str:
    token = session.get("token")
    if not token:
        raise LoginRequired(message)
    return token


def _return_to() -> str:
    """Where the shopper was: this page for a GET, or where its form sent them back to."""
    if "return_to" in g:
        return g.return_to
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return url_for(".home")


def _to_login(message: str, category: str) -> Response:
    flash(message, category)
    return redirect(url_for(".login", next=_return_to()))


@bp.errorhandler(LoginRequired)
def _login_required(exc: LoginRequired) -> Response:
    return _to_login(exc.message, "info")


@bp.errorhandler(Unauthorized)
def _session_expired(exc: Unauthorized) -> Response:
    # Access tokens live 15 minutes; whatever the session still holds is no use now.
    session.clear()
    return _to_login("Your session has expired. Please log in again.", "error")


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError) -> tuple[str, int]:
    problem = BadRequest("This form has expired. Go back, reload the page and try again.")
    return render_template("error.html", problem=problem), 400


@bp.before_request
def _load_cart_count() -> None:
    # The endpoint is checked first: touching the session adds `Vary: Cookie`, which images
    # must not carry.
    if request.method == "GET" and request.endpoint in COUNTED_PAGES and "token" in session:
        g.cart_count = services.cart_count(cart=_deps().cart, token=session["token"])


@bp.after_request
def _count_page_view(response: Response) -> Response:
    page = PAGES.get(request.endpoint or "")
    if page and request.method == "GET" and response.status_code == 200:
        _deps().page_views.labels(page).inc()
    return response


@bp.app_context_processor
def _header() -> dict[str, Any]:
    signed_in = "token" in session
    return {
        "shopper_name": session.get("name") if signed_in else None,
        "cart_count": g.get("cart_count"),
        "logout_form": LogoutForm() if signed_in else None,
    }


@bp.app_template_filter("money")
def _money(cents: int, currency: str) -> str:
    return services.money_format(cents=cents, currency=currency)


@bp.app_template_filter("order_status")
def _order_status(status: str) -> str:
    return services.order_status_label(status=status)


@bp.app_template_filter("short_id")
def _short_id(order_id: str) -> str:
    """The first block of an order's UUID: enough for a person to tell their orders apart."""
    return order_id.split("-", 1)[0].upper()


@bp.app_template_filter("image_src")
def _image_src(image_url: str | None) -> str | None:
    """catalog's image path, as this site serves it (see `image` below)."""
    if not image_url:
        return None
    return url_for("storefront.image", name=image_url.rstrip("/").rsplit("/", 1)[-1])


def _start_session(shopper: Shopper) -> None:
    # A fresh session on login, so nothing set before it (a planted id, an old CSRF token) lives on.
    session.clear()
    session.update(token=shopper.token, user_id=shopper.user_id, name=shopper.name)


def _too_many(exc: TooManyRequests) -> str:
    wait = services.wait_format(seconds=int(exc.headers["Retry-After"]))
    return f"Too many attempts. Please wait {wait} and try again."


def _render_form(
    template: str, form: FlaskForm, status: int, headers: dict[str, str] | None = None
):
    return render_template(template, form=form), status, headers or {}


# --- browsing -----------------------------------------------------------------------------


@bp.get("/")
def home() -> str:
    form = SearchForm(formdata=request.args)
    form.validate()
    browse = services.catalog_browse(
        catalog=_deps().catalog,
        q="" if form.q.errors else form.q.data,
        category=form.category.data or "",
        page=1 if form.page.errors or not form.page.data else form.page.data,
        page_size=_deps().settings.page_size,
    )
    return render_template("home.html", form=form, browse=browse)


@bp.get("/products/<sku>")
def product(sku: str) -> str:
    view = services.product_get(catalog=_deps().catalog, sku=sku)
    return render_template("product.html", view=view, form=AddToCartForm())


@bp.get("/images/<name>")
def image(name: str) -> Response:
    """catalog's product images, so that the browser never needs catalog's address."""
    if not IMAGE_NAME.fullmatch(name):
        raise NotFound("No such image.")
    stream = _deps().catalog.image(
        name=name,
        if_none_match=request.headers.get("If-None-Match"),
        accept_encoding=request.headers.get("Accept-Encoding"),
    )
    body = stream.chunks if stream.status == 200 else b""
    response = Response(body, status=stream.status, headers=stream.headers)
    response.call_on_close(stream.close)
    return response


# --- the cart -----------------------------------------------------------------------------


@bp.post("/products/<sku>/add")
def add_to_cart(sku: str):
    g.return_to = url_for(".product", sku=sku)
    token = _shopper_token("Log in to add this to your cart.")
    form = AddToCartForm()
    if not form.validate_on_submit():
        view = services.product_get(catalog=_deps().catalog, sku=sku)
        return render_template("product.html", view=view, form=form), 422
    held = services.cart_add_item(
        cart=_deps().cart, token=token, sku=sku, quantity=form.quantity.data
    )
    flash(f"Added to your cart. You now have {held} of these.", "success")
    return redirect(g.return_to)


@bp.get("/cart")
def cart_page() -> str:
    token = _shopper_token("Log in to see your cart.")
    view = services.cart_show(cart=_deps().cart, catalog=_deps().catalog, token=token)
    g.cart_count = view.item_count
    lines = [(line, CartLineForm(quantity=line.quantity)) for line in view.lines]
    return render_template("cart.html", view=view, lines=lines, remove_form=RemoveForm())


@bp.post("/cart/items/<sku>")
def cart_update(sku: str) -> Response:
    g.return_to = url_for(".cart_page")
    token = _shopper_token("Log in to change your cart.")
    form = CartLineForm()
    if not form.validate_on_submit():
        flash(f"Choose a quantity from 1 to {services.MAX_QUANTITY}.", "error")
        return redirect(g.return_to)
    try:
        services.cart_set_quantity(
            cart=_deps().cart, token=token, sku=sku, quantity=form.quantity.data
        )
    except NotFound:
        flash("That product is no longer sold; you can remove it from your cart.", "error")
    else:
        flash("Your cart is updated.", "success")
    return redirect(g.return_to)


@bp.post("/cart/items/<sku>/remove")
def cart_remove(sku: str) -> Response:
    g.return_to = url_for(".cart_page")
    token = _shopper_token("Log in to change your cart.")
    # A line that is already gone is what the shopper wanted.
    with contextlib.suppress(NotFound):
        services.cart_remove_item(cart=_deps().cart, token=token, sku=sku)
    flash("Removed from your cart.", "success")
    return redirect(g.return_to)


# --- checkout and orders -----------------------------------------------------------------


def _checkout_page(
    form: CheckoutForm,
    token: str,
    status: int,
    view: CartView | None = None,
    declined_order: str | None = None,
):
    if view is None:
        try:
            view = services.cart_show(cart=_deps().cart, catalog=_deps().catalog, token=token)
        except ServiceUnavailable:
            # The form still shows, with what went wrong; only the summary is missing.
            view = CartView(lines=[], item_count=0, subtotals=[], details_missing=True)
    g.cart_count = view.item_count
    page = render_template("checkout.html", form=form, view=view, declined_order=declined_order)
    # Back to this page after ordering fetches it anew (a new key, or the empty cart) rather
    # than showing the spent form from the browser's cache.
    return page, status, {"Cache-Control": "no-store"}


def _fresh_key(form: CheckoutForm) -> None:
    # orders has answered this key for good (a decline, a refusal): the corrected form is a
    # new request, and the same key with a different body would be refused.
    form.idempotency_key.data = services.idempotency_key_new()


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    g.return_to = url_for(".checkout")
    token = _shopper_token("Log in to check out.")
    deps = _deps()
    form = CheckoutForm(this_year=datetime.now(UTC).year)
    if request.method == "GET":
        view = services.cart_show(cart=deps.cart, catalog=deps.catalog, token=token)
        if not view.lines:
            flash("Your cart is empty: add something before checking out.", "info")
            return redirect(url_for(".cart_page"))
        form.idempotency_key.data = services.idempotency_key_new()
        return _checkout_page(form, token, 200, view)
    if not form.validate_on_submit():
        if form.idempotency_key.errors:
            form.form_errors.append("This form is out of date: please check the details again.")
            _fresh_key(form)
        return _checkout_page(form, token, 422)
    try:
        order = services.order_place(
            orders=deps.orders,
            token=token,
            idempotency_key=form.idempotency_key.data,
            card=Card(
                number=form.number.data,
                exp_month=int(form.exp_month.data),
                exp_year=int(form.exp_year.data),
                cvc=form.cvc.data,
            ),
            shipping_address=ShippingAddress(
                name=form.name.data,
                line1=form.line1.data,
                line2=form.line2.data or None,
                city=form.city.data,
                postal_code=form.postal_code.data,
                country=form.country.data,
            ),
        )
    except CardDeclined as exc:
        form.form_errors.append(services.decline_message(decline_code=exc.decline_code))
        _fresh_key(form)
        return _checkout_page(form, token, 402, declined_order=exc.order_id)
    except Conflict as exc:
        if services.checkout_still_running(conflict=exc):
            flash("Your order is still being placed: it will appear here in a moment.", "info")
            return redirect(url_for(".orders_page"), 303)
        if services.checkout_key_refused(problem=exc):
            form.form_errors.append(FORM_SENT_BEFORE)
            _fresh_key(form)
            return _checkout_page(form, token, 409)
        flash(services.checkout_refusal(conflict=exc, catalog=deps.catalog), "error")
        return redirect(url_for(".cart_page"), 303)
    except ValidationFailed as exc:
        if services.checkout_key_refused(problem=exc):
            form.form_errors.append(FORM_SENT_BEFORE)
        else:
            apply_field_errors(form, exc.errors)
        _fresh_key(form)
        return _checkout_page(form, token, 422)
    except ServiceUnavailable:
        # The key stays: if the order went through after all, sending this form again replays
        # it rather than charging twice.
        form.form_errors.append(
            "Checkout is not answering right now. Please try again in a moment; "
            "if it keeps failing, check your orders before trying again."
        )
        return _checkout_page(form, token, 503)
    flash(f"Thank you! Order {_short_id(order.id)} is placed and paid.", "success")
    return redirect(url_for(".order_page", order_id=order.id), 303)


@bp.get("/orders")
def orders_page() -> str:
    token = _shopper_token("Log in to see your orders.")
    page = request.args.get("page", 1, type=int)
    history = services.orders_list(
        orders=_deps().orders,
        token=token,
        page=page if 1 <= page <= 10_000 else 1,
        page_size=ORDERS_PAGE_SIZE,
    )
    return render_template("orders.html", history=history)


@bp.get("/orders/<order_id>")
def order_page(order_id: str) -> str:
    token = _shopper_token("Log in to see your order.")
    order = services.order_get(orders=_deps().orders, token=token, order_id=order_id)
    return render_template("order.html", order=order)


@bp.get("/session/socket")
def session_socket() -> Response:
    """The notifications socket's address and the shopper's token, for notifications.js: a
    same-origin read, so no other site gets the token."""
    token = session.get("token")
    grant = None
    if token:
        grant = services.socket_grant(
            token=token, url=_deps().settings.notifications_public_url, now=time.time()
        )
    if grant is None:
        problem = Unauthorized("Log in to receive order notifications.")
        response = jsonify(problem.body(instance=request.path))
        response.status_code = problem.status
        response.content_type = PROBLEM_CONTENT_TYPE
        response.headers.update(problem.headers)
    else:
        response = jsonify(grant.model_dump())
    response.headers["Cache-Control"] = "no-store"
    return response


# --- accounts -----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = services.redirect_target(candidate=form.next.data)
    if request.method == "GET" and "token" in session:
        return redirect(target)
    if not form.validate_on_submit():
        return _render_form("login.html", form, 422 if form.is_submitted() else 200)
    try:
        shopper = services.account_login(
            users=_deps().users,
            email=form.email.data,
            password=form.password.data,
            address=request.remote_addr,
        )
    except Unauthorized:
        form.form_errors.append("That email and password do not match an account.")
        return _render_form("login.html", form, 422)
    except ValidationFailed as exc:
        apply_field_errors(form, exc.errors)
        return _render_form("login.html", form, 422)
    except TooManyRequests as exc:
        form.form_errors.append(_too_many(exc))
        return _render_form("login.html", form, 429, exc.headers)
    except ServiceUnavailable:
        form.form_errors.append("Logging in is not answering right now. Please try again soon.")
        return _render_form("login.html", form, 503)
    _start_session(shopper)
    flash(f"Welcome back, {shopper.name}.", "success")
    return redirect(target)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = services.redirect_target(candidate=form.next.data)
    if not form.validate_on_submit():
        return _render_form("register.html", form, 422 if form.is_submitted() else 200)
    try:
        shopper = services.account_register(
            users=_deps().users,
            email=form.email.data,
            password=form.password.data,
            name=form.name.data.strip(),
            address=request.remote_addr,
        )
    except Conflict:
        form.email.errors.append("An account with this email already exists. Log in instead?")
        return _render_form("register.html", form, 409)
    except ValidationFailed as exc:
        apply_field_errors(form, exc.errors)
        return _render_form("register.html", form, 422)
    except TooManyRequests as exc:
        form.form_errors.append(_too_many(exc))
        return _render_form("register.html", form, 429, exc.headers)
    except ServiceUnavailable:
        form.form_errors.append("Accounts are not answering right now. Please try again soon.")
        return _render_form("register.html", form, 503)
    _start_session(shopper)
    flash(f"Welcome to polyshop, {shopper.name}.", "success")
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        session.clear()
        flash("You have logged out.", "success")
    return redirect(url_for(".home"))


# --- operations ---------------------------------------------------------------------------


def _own_info() -> dict[str, Any]:
    deps = _deps()
    ready, _ = deps.readiness.check()
    return service_info(
        deps.settings, framework="flask", framework_version=framework_version("flask"), ready=ready
    )


@bp.get("/api/info")
def api_info() -> Response:
    """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
    return jsonify(_own_info())


@bp.get("/api/status")
def api_status() -> Response:
    """---
    get:
      summary: Every service's /api/info, asked concurrently, with its latency
      responses:
        "200":
          description: One row per service, storefront first
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StoreStatus"}
    """
    rows = services.status_collect(directory=_deps().directory, own_info=_own_info())
    return jsonify(services=rows)


@bp.get("/status")
def status_page() -> str:
    rows = services.status_collect(directory=_deps().directory, own_info=_own_info())
    return render_template("status.html", rows=rows, all_ready=all(r["ready"] for r in rows))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(
        spec_from_docstrings(
            title="polyshop storefront",
            version=_deps().settings.service_version,
            paths={"/api/info": INFO_OPERATIONS, "/api/status": api_status},
            models=(StoreStatus,),
        )
    )
