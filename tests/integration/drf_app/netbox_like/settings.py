"""A small Django REST framework API shaped like NetBox's, for trueup's
integration tests (tests/integration/drf_server.py starts it).

SQLite in the directory named by DRF_TEST_DIR; token authentication
(`Authorization: Token KEY`), trailing-slash URLs, DRF's own pagination
classes (ipam/pagination.py) with NetBox's page size cap of 1,000.
"""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("DRF_TEST_DIR", BASE_DIR)

SECRET_KEY = "trueup-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
APPEND_SLASH = True
ROOT_URLCONF = "netbox_like.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "ipam",
]
MIDDLEWARE = ["ipam.writelog.WriteLogMiddleware",
              "django.middleware.common.CommonMiddleware"]
# set by `manage.py serve` (ipam/management/commands/serve.py)
WRITE_LOG = ""
WRITE_DELAY_MS = 0

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(DATA_DIR, "db.sqlite3"),
        # trueup writes concurrently; SQLite takes one writer at a time
        "OPTIONS": {"timeout": 60},
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"]},
}
