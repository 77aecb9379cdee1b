"""Django's settings for orders, derived from the typed `OrdersSettings` (the one place the
environment is read)."""

from orders.config import OrdersSettings, django_database
from polykit.logs import logging_config

SERVICE_SETTINGS = OrdersSettings.from_env()

SECRET_KEY = SERVICE_SETTINGS.secret_key
DEBUG = False
ALLOWED_HOSTS = SERVICE_SETTINGS.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "orders.apps.OrdersConfig",
]

# The admin's only way in: staff of the users service, by their email and password there. No
# password is kept here; sessions end sooner than Django's two weeks, as staff can lose the role.
AUTHENTICATION_BACKENDS = ["orders.backends.UsersStaffBackend"]
SESSION_COOKIE_AGE = 8 * 3600

# DjangoInstrumentor puts its middleware in front of these, so the observer sits right under the
# request's span.
MIDDLEWARE = [
    "orders.adapter.ObserverMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The admin's CSS and scripts, straight from Django's package: no collectstatic step, so
    # the image's filesystem can stay read-only.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# TLS, its redirect and HSTS belong to the ingress: kubelet probes speak plain HTTP to the pod.
SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVICE_SETTINGS.environment == "production"

ROOT_URLCONF = "orders.urls"
WSGI_APPLICATION = "orders.wsgi.application"
# Routes have no trailing slash; a redirect to one would drop a POST's body.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": django_database(SERVICE_SETTINGS)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's default TIME_ZONE would also change the whole process's local time.
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = False

STATIC_URL = "static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

LOGGING = logging_config(SERVICE_SETTINGS.service_name, SERVICE_SETTINGS.log_level)
# 4xx answers are in the kit's access log already; Django's own line for each would double
# every scanner's probe. Tracebacks of 500s are logged at ERROR and still come through.
LOGGING["loggers"]["django.request"] = {"handlers": [], "propagate": True, "level": "ERROR"}

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "orders.adapter.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Every API needs a valid bearer token unless it says otherwise: public ones set
    # `authentication_classes = ()` and `permission_classes = (AllowAny,)`.
    "DEFAULT_AUTHENTICATION_CLASSES": ["orders.adapter.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "polyshop orders",
    "VERSION": SERVICE_SETTINGS.service_version,
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The document is public: a stale token must not hide it.
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orders.adapter.document_token_problems",
    ],
}
