"""Settings, read from the environment (see README.md, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accounts import sso_providers

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


# On for the developer's entry points (manage.py, tests, shells); the served application
# (learning/wsgi.py, learning/asgi.py) defaults it to off before these settings are read.
DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(DEBUG=true allows a development key)."
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set ALLOWED_HOSTS to the host names the service answers to "
        "(comma-separated), or every request is refused."
    )
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DISTRICT_NAME = os.environ.get("DISTRICT_NAME", "Birmingham Public Schools")
# The domain part of calendar UIDs; fixed once meetings exist, so it is not derived from SITE_URL.
CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "pl.bps.example")
# The public catalog feed's window: Google Calendar takes feeds up to about 1 MB.
CALENDAR_FEED_DAYS_BACK = int(os.environ.get("CALENDAR_FEED_DAYS_BACK", "30"))
CALENDAR_FEED_DAYS_AHEAD = int(os.environ.get("CALENDAR_FEED_DAYS_AHEAD", "365"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's second-factor and sessions pages say "2 hours ago".
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "core",
    "learning",
    "catalog",
    "enrollment",
    "calendars",
    "imports",
    "audit",
    "plan",
    "demo",
    "backups",
    "worker",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "allauth.usersessions",
    # After allauth's: its admin is replaced by accounts/admin.py.
    "accounts",
    "accounts.providers.district_oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Answers for a signed-in person are "private, no-store" unless the view chose a policy.
    "core.private_responses.PrivateResponsesMiddleware",
    # Names the request's user and source (page, admin, API) on the changes it makes.
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Power roles signed in with a password or a code set up a second factor before anything else.
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database outage in a view answers 503 with Retry-After, not a server error.
    "core.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "learning.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "learning.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "learning.wsgi.application"

# HTTPS. Secure by default when DEBUG is off; a reverse proxy that terminates TLS must set
# X-Forwarded-Proto and BEHIND_TLS_PROXY=true, or every request looks like plain HTTP.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the csrftoken cookie: forms carry {% csrf_token %}, and the browsable API and
# the API docs page are given the token in the page.
CSRF_COOKIE_HTTPONLY = True
# A refused form gets the site's own page saying what to do; the API its JSON error.
CSRF_FAILURE_VIEW = "core.csrf_failure.csrf_failure"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Both are the district's choice for its domain: `check --deploy` warns while they are off and
# unset, and stops once the deployment sets them, to true or deliberately to false.
SILENCED_SYSTEM_CHECKS = [
    check
    for name, check in (
        ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "security.W005"),
        ("SECURE_HSTS_PRELOAD", "security.W021"),
    )
    if os.environ.get(name, "").strip()
]
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts and styles only from the service's own static files, never
# inline, so an injected <script> or on*= attribute does not run. Images also as data: URIs
# (the Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failed sign-ins for one username from one
# address lock that pair out for LOGIN_LOCKOUT_MINUTES, on the site's form and the admin's alike;
# a successful sign-in clears the count. The lockout page (core/lockout.py) answers 429.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # django-allauth's: a username and password, a sign-in code by mail, a provider's sign-in.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
# Behind nginx every request comes from 127.0.0.1: the client is the address nginx appended to
# X-Forwarded-For (the right-most entry; those before it are whatever the client sent).
# TRUSTED_PROXY_COUNT counts the proxies that append, when a load balancer sits before nginx.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip_address"
# The name typed at sign-in, cut to what django-axes can store (a longer one failed to save).
AXES_USERNAME_CALLABLE = "core.lockout.attempted_username"

# Password reset by mail (/accounts/password_reset/): PASSWORD_RESET_ENABLED=false turns it off
# (its pages answer 404 and the sign-in page offers no link), e.g. for a district whose
# passwords are kept elsewhere. At most PASSWORD_RESET_EMAIL_LIMIT mails to one address and
# PASSWORD_RESET_CLIENT_LIMIT requests from one client address (counted as the login throttle
# counts it) in any hour, over every worker and app server (learning.services). A link works
# once, within PASSWORD_RESET_TIMEOUT (Django's, 3 days).
PASSWORD_RESET_ENABLED = env_bool("PASSWORD_RESET_ENABLED", default=True)
PASSWORD_RESET_EMAIL_LIMIT = env_int("PASSWORD_RESET_EMAIL_LIMIT", 3, minimum=1)
PASSWORD_RESET_CLIENT_LIMIT = env_int("PASSWORD_RESET_CLIENT_LIMIT", 10, minimum=1)


# Database: an SQLite file by default; PostgreSQL (or another server) when DATABASE_URL says so.
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DEFAULT_SQLITE_PATH}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    sqlite_path = DATABASES["default"]["NAME"]
    if sqlite_path and sqlite_path != ":memory:":
        Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so concurrent writers queue on the busy timeout instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too, not the default shared-cache in-memory database: there a second
    # writer gets "database table is locked" at once (table locks ignore the busy timeout), so
    # the concurrency tests could not show how the service behaves. One file per test process,
    # so runs at the same time never clobber each other's database; Django deletes it after.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "POSTGRES_JIT", default=False
):
    # PostgreSQL compiles a query to machine code once its estimated cost passes jit_above_cost,
    # and the correlated subqueries of a feed's version estimate high: compiling took 60 of the
    # 68 ms the query took. The service's queries are short; they run better interpreted.
    database_options = DATABASES["default"].setdefault("OPTIONS", {})
    database_options["options"] = f"{database_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Prepared statements for the queries that ask for one (core.db.compiled: the feed poll,
    # planned once per connection instead of on every poll); Django's own queries bind their
    # parameters on the client and are never prepared. psycopg's threshold, which Django turns
    # off by default for connection poolers: PgBouncer in transaction mode keeps them from
    # 1.21 on, with max_prepared_statements set. DATABASE_PREPARED_STATEMENTS=false goes without.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# The feed's hot reads compiled once and run with new values (core.db.compiled), which leans
# on Django internals; off, the plain ORM runs the same reads (a Django upgrade that changes
# one of those internals fails the system check core.E001 until this is set false or the
# module is brought up to date).
COMPILED_QUERIES = env_bool("COMPILED_QUERIES", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (rendered calendar feeds): Redis when CACHE_URL names one, so every worker and every app
# server shares it; otherwise each process keeps its own in memory. REDIS_URL is read when
# CACHE_URL is not set, the name hosting platforms give a Redis they provide.
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or os.environ.get("REDIS_URL", "").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        # Django's backend, but for the client it would build anew for each operation.
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL in {"", "locmem://"}:
    # A feed takes three entries (its bytes, when its version was first seen, its latest
    # version); Django's default of 300 entries would evict feeds after a hundred subscribers.
    # Each worker keeps its own copy: beyond a couple of thousand subscribers, use Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "6000"))},
        }
    }
else:
    raise ImproperlyConfigured(
        "CACHE_URL (or REDIS_URL) must be a redis://, rediss:// or unix:// URL (or empty for an "
        "in-memory cache)."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Sign-in (docs/sign-in.md) --------------------------------------------------------------------
# Every login comes from the roster (accounts/): a person signs in through the district's
# identity provider, or with a code mailed to their roster address, and is matched to their
# staff record; nobody makes accounts by hand.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.SignInForm",
    "request_login_code": "accounts.forms.RosterLoginCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Signed in for the session cookie's life (two weeks), as before; no "Remember me" box.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_USER_DISPLAY = "accounts.selectors.display_name"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = True
# Who signs in with a password: "everyone" (the demo, a district without single sign-on) or
# "administrators" (superusers only, as break-glass accounts, once everyone else signs in through
# the district's provider or with a code).
PASSWORD_SIGN_IN = os.environ.get("PASSWORD_SIGN_IN", "everyone").strip().lower()
if PASSWORD_SIGN_IN not in {"everyone", "administrators"}:
    raise ImproperlyConfigured(
        f'PASSWORD_SIGN_IN must be "everyone" or "administrators", not {PASSWORD_SIGN_IN!r}.'
    )
# A code mailed to the person's roster address, valid for SIGN_IN_CODE_MINUTES and for
# SIGN_IN_CODE_ATTEMPTS tries; at most SIGN_IN_CODE_EMAIL_LIMIT codes to one address and
# SIGN_IN_CODE_CLIENT_LIMIT requests from one client address an hour, and
# SIGN_IN_CLIENT_LIMIT_PER_MINUTE sign-ins of any kind from one client address a minute (counted
# in the cache: use Redis with more than one app server).
EMAIL_CODE_SIGN_IN = env_bool("EMAIL_CODE_SIGN_IN", default=True)
ACCOUNT_LOGIN_BY_CODE_ENABLED = EMAIL_CODE_SIGN_IN
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 60 * env_int("SIGN_IN_CODE_MINUTES", 15, minimum=1)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = env_int("SIGN_IN_CODE_ATTEMPTS", 3, minimum=1)
SIGN_IN_CODE_EMAIL_LIMIT = env_int("SIGN_IN_CODE_EMAIL_LIMIT", 5, minimum=1)
# A school's staff often reach the service from one address (the building's network): the
# limits per client address are sized for a building signing in at the start of a PD day.
SIGN_IN_CODE_CLIENT_LIMIT = env_int("SIGN_IN_CODE_CLIENT_LIMIT", 300, minimum=1)
SIGN_IN_CLIENT_LIMIT_PER_MINUTE = env_int("SIGN_IN_CLIENT_LIMIT_PER_MINUTE", 300, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "request_login_code": (f"{SIGN_IN_CODE_CLIENT_LIMIT}/h/ip,{SIGN_IN_CODE_EMAIL_LIMIT}/h/key"),
    "login": f"{SIGN_IN_CLIENT_LIMIT_PER_MINUTE}/m/ip",
    "login_failed": False,  # django-axes counts failed passwords (AXES_* above)
}
# Administrators, HR and district PD who sign in with a password or a code must use a second
# factor (an authenticator app's codes, recovery codes, or a passkey); single sign-on relies on
# the provider's.
SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", default=True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", f"{DISTRICT_NAME} Professional Learning")
# Passkeys over plain http work only on localhost (the development server).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
USERSESSIONS_TRACK_ACTIVITY = False
# Whom a person is told to contact when the roster does not let them in.
SIGN_IN_HELP_CONTACT = os.environ.get(
    "SIGN_IN_HELP_CONTACT", "Human Resources, who keep the staff roster"
)
# Addresses a provider's sign-in may come from (comma-separated domains; empty: any).
SSO_ALLOWED_EMAIL_DOMAINS = [d.lower().lstrip("@") for d in env_list("SSO_ALLOWED_EMAIL_DOMAINS")]
# The claim (or SAML attribute) that carries HR's employee id, matched before the email.
SSO_EMPLOYEE_ID_CLAIM = os.environ.get("SSO_EMPLOYEE_ID_CLAIM", "employee_id").strip()
# Roles from the provider's group claim: "provider group=HR;other group=District PD". Off
# (empty) by default: an administrator grants roles in /admin/.
SSO_GROUP_CLAIM = os.environ.get("SSO_GROUP_CLAIM", "groups").strip()
SSO_GROUP_ROLES: dict[str, str] = {}
for _pair in (item for item in os.environ.get("SSO_GROUP_ROLES", "").split(";") if item.strip()):
    _claimed, _sep, _role = _pair.partition("=")
    if not _sep or not _claimed.strip() or _role.strip() not in {"HR", "District PD"}:
        raise ImproperlyConfigured(
            'SSO_GROUP_ROLES must read "provider group=HR;provider group=District PD", '
            f"not {_pair!r}."
        )
    SSO_GROUP_ROLES[_claimed.strip()] = _role.strip()
# OpenID Connect (Google Workspace, Microsoft Entra ID, any certified provider): the issuer, and
# the client registered there. Authorization code with PKCE, a nonce, and the ID token's
# signature, issuer and audience always checked.
SSO_OIDC_ISSUER = os.environ.get("SSO_OIDC_ISSUER", "").strip().rstrip("/")
SSO_OIDC_CLIENT_ID = os.environ.get("SSO_OIDC_CLIENT_ID", "").strip()
SSO_OIDC_CLIENT_SECRET = os.environ.get("SSO_OIDC_CLIENT_SECRET", "").strip()
SSO_OIDC_NAME = os.environ.get("SSO_OIDC_NAME", "your district account").strip()
# Microsoft Entra ID sends no email_verified claim: a district whose tenant owns its addresses
# (and lists its domains in SSO_ALLOWED_EMAIL_DOMAINS) takes the provider's address as verified.
SSO_OIDC_TRUST_EMAIL = env_bool("SSO_OIDC_TRUST_EMAIL", default=False)
if SSO_OIDC_TRUST_EMAIL and not env_list("SSO_ALLOWED_EMAIL_DOMAINS"):
    raise ImproperlyConfigured(
        "SSO_OIDC_TRUST_EMAIL takes the provider's addresses as verified: set "
        "SSO_ALLOWED_EMAIL_DOMAINS to the district's domains with it."
    )
# SAML 2.0 (ClassLink, ADFS, Shibboleth): the identity provider's metadata URL and entity id.
SSO_SAML_METADATA_URL = os.environ.get("SSO_SAML_METADATA_URL", "").strip()
SSO_SAML_ENTITY_ID = os.environ.get("SSO_SAML_ENTITY_ID", "").strip()
SSO_SAML_NAME = os.environ.get("SSO_SAML_NAME", "your district account (SAML)").strip()
SSO_SAML_ORGANIZATION = os.environ.get("SSO_SAML_ORGANIZATION", "district").strip()
# The identity provider's sign-in address, when it is on another host than its metadata (the
# sign-in page's Content-Security-Policy lets its button lead there).
SSO_SAML_SIGN_IN_URL = os.environ.get("SSO_SAML_SIGN_IN_URL", "").strip()
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if SSO_OIDC_ISSUER:
    if not (SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "SSO_OIDC_ISSUER is set: set SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET to the "
            "client registered with the provider."
        )
    SOCIALACCOUNT_PROVIDERS.update(
        sso_providers.openid_connect(
            issuer=SSO_OIDC_ISSUER,
            client_id=SSO_OIDC_CLIENT_ID,
            secret=SSO_OIDC_CLIENT_SECRET,
            name=SSO_OIDC_NAME,
        )
    )
if SSO_SAML_METADATA_URL:
    if not SSO_SAML_ENTITY_ID:
        raise ImproperlyConfigured(
            "SSO_SAML_METADATA_URL is set: set SSO_SAML_ENTITY_ID to the identity provider's "
            "entity id (its metadata's entityID)."
        )
    SOCIALACCOUNT_PROVIDERS.update(
        sso_providers.saml(
            metadata_url=SSO_SAML_METADATA_URL,
            entity_id=SSO_SAML_ENTITY_ID,
            name=SSO_SAML_NAME,
            organization=SSO_SAML_ORGANIZATION,
            site_url=SITE_URL,
        )
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Detroit")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
if DEBUG:
    # Whitenoise also serves STATIC_ROOT and warns when it is missing; development never
    # runs collectstatic.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Evidence of outside learning (enrollment.OutsideActivity) is personal: kept outside the web
# root, with no URL of its own, and served only by the view that checks who asks.
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT", str(BASE_DIR / "var" / "evidence")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Mail: printed on the console unless an SMTP server is configured.
# A request waiting for a building leader's approval holds its seat this long, then lapses.
APPROVAL_HOLD_DAYS = int(os.environ.get("APPROVAL_HOLD_DAYS", "5"))
# Facilitators see a session's evaluation results only from this many responses up, so no single
# answer can be traced back to the person who gave it.
EVALUATION_MIN_RESPONSES = int(os.environ.get("EVALUATION_MIN_RESPONSES", "3"))
# Outside learning (enrollment.OutsideActivity): the largest evidence file taken, and the most
# hours a day of an activity may claim.
OUTSIDE_EVIDENCE_MAX_BYTES = int(
    os.environ.get("OUTSIDE_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))
)
OUTSIDE_MAX_HOURS_PER_DAY = int(os.environ.get("OUTSIDE_MAX_HOURS_PER_DAY", "10"))
# Self check-in (enrollment/checkin.py): open from so many minutes before a meeting starts to so
# many after it ends; the code on the facilitator's screen changes every so many seconds; a
# person may try so many codes in CHECK_IN_TRIES_MINUTES.
CHECK_IN_OPENS_MINUTES_BEFORE = int(os.environ.get("CHECK_IN_OPENS_MINUTES_BEFORE", "15"))
CHECK_IN_CLOSES_MINUTES_AFTER = int(os.environ.get("CHECK_IN_CLOSES_MINUTES_AFTER", "30"))
CHECK_IN_CODE_SECONDS = int(os.environ.get("CHECK_IN_CODE_SECONDS", "300"))
CHECK_IN_MAX_TRIES = int(os.environ.get("CHECK_IN_MAX_TRIES", "10"))
CHECK_IN_TRIES_MINUTES = int(os.environ.get("CHECK_IN_TRIES_MINUTES", "10"))

# Imports (roster, completions): files larger than IMPORT_MAX_BYTES or with more data rows than
# IMPORT_MAX_ROWS are refused before any row is checked; a workbook (a zip) whose members would
# unpack to more than IMPORT_MAX_UNCOMPRESSED_BYTES is refused as a zip bomb. A roster sync that
# would deactivate more than IMPORT_SYNC_DEACTIVATE_CAP_PERCENT of active staff needs an explicit
# confirmation, so a truncated export cannot empty the district.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(256 * 1024 * 1024))
)
IMPORT_SYNC_DEACTIVATE_CAP_PERCENT = int(os.environ.get("IMPORT_SYNC_DEACTIVATE_CAP_PERCENT", "10"))
# A workbook is read in a child process (imports/workbook_child.py) that may use at most
# IMPORT_READER_MEMORY_MB of address space and IMPORT_READER_SECONDS of time, so no file can
# abort or exhaust the server that reads it. A sheet whose used area reaches beyond
# IMPORT_MAX_SHEET_ROWS rows, IMPORT_MAX_SHEET_COLUMNS columns or IMPORT_MAX_SHEET_CELLS cells
# (rows x columns, the block the reader allocates) is refused, naming the far cell.
IMPORT_READER_MEMORY_MB = int(os.environ.get("IMPORT_READER_MEMORY_MB", "2048"))
IMPORT_READER_SECONDS = int(os.environ.get("IMPORT_READER_SECONDS", "90"))
IMPORT_MAX_SHEET_ROWS = int(os.environ.get("IMPORT_MAX_SHEET_ROWS", str(2 * IMPORT_MAX_ROWS)))
IMPORT_MAX_SHEET_COLUMNS = int(os.environ.get("IMPORT_MAX_SHEET_COLUMNS", "500"))
IMPORT_MAX_SHEET_CELLS = int(os.environ.get("IMPORT_MAX_SHEET_CELLS", "10000000"))
# Large imports run in the worker, with a progress page (and mail when done): files from
# IMPORT_BACKGROUND_MIN_BYTES (about 10,000 roster rows) are previewed there, and commits of
# IMPORT_BACKGROUND_MIN_CHANGES changes or more. Smaller ones take a second in the request.
IMPORT_BACKGROUND_MIN_BYTES = env_int("IMPORT_BACKGROUND_MIN_BYTES", 1024 * 1024)
IMPORT_BACKGROUND_MIN_CHANGES = env_int("IMPORT_BACKGROUND_MIN_CHANGES", 5000)
# A completions workbook of this many people-requirement rows or more (a district of about
# 5,000 staff with four requirements) is written by the worker, with a progress page.
WORKBOOK_BACKGROUND_MIN_ROWS = env_int("WORKBOOK_BACKGROUND_MIN_ROWS", 20000)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", f"Professional Learning <no-reply@{urlsplit(SITE_URL).hostname}>"
)
# An answer the mail server has not given in this many seconds is a failed attempt (retried).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)

# The mail outbox (core/outbox.py). MAIL_ENABLED=false records no mail at all (a district
# loading history it must not announce). A failed attempt is retried after
# MAIL_OUTBOX_RETRY_SECONDS, doubling up to MAIL_OUTBOX_RETRY_MAX_SECONDS, until the message is
# MAIL_OUTBOX_GIVE_UP_HOURS old; a message a worker claimed MAIL_OUTBOX_CLAIM_SECONDS ago and
# never finished (the worker died) is sent again, with the same Message-ID.
MAIL_ENABLED = env_bool("MAIL_ENABLED", default=True)
MAIL_OUTBOX_BATCH = env_int("MAIL_OUTBOX_BATCH", 100, minimum=1)
MAIL_OUTBOX_RETRY_SECONDS = env_int("MAIL_OUTBOX_RETRY_SECONDS", 30, minimum=1)
MAIL_OUTBOX_RETRY_MAX_SECONDS = env_int("MAIL_OUTBOX_RETRY_MAX_SECONDS", 900, minimum=1)
MAIL_OUTBOX_GIVE_UP_HOURS = env_int("MAIL_OUTBOX_GIVE_UP_HOURS", 72, minimum=1)
MAIL_OUTBOX_CLAIM_SECONDS = env_int("MAIL_OUTBOX_CLAIM_SECONDS", 900, minimum=1)

# Background work (DESIGN.md): Django's Tasks API with its database backend, run by
# `manage.py run_worker`. TASKS_BACKEND names another backend (docs/deployment.md: RQ on
# Redis); "django_tasks.backends.immediate.ImmediateBackend" runs each task in the process
# that enqueues it, with no worker (the tests do).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
if TASKS["default"]["BACKEND"].startswith("django_tasks_rq."):
    # RQ on Redis (docs/deployment.md): RQ_URL, else the cache's Redis; `rqworker --job-class
    # django_tasks_rq.backend.Job default` runs the tasks.
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": os.environ.get("RQ_URL", "").strip() or CACHE_URL}}
# The worker says it is alive every WORKER_HEARTBEAT_SECONDS; one not heard from in
# WORKER_LOST_SECONDS is taken for dead (its tasks run again; readiness says so).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
WORKER_LOST_SECONDS = env_int("WORKER_LOST_SECONDS", 120, minimum=2)
# The worker's schedule (worker/schedule.py), in TIME_ZONE: reminders and report subscriptions
# go out each morning.
REMINDERS_AT = os.environ.get("REMINDERS_AT", "06:00")
REPORTS_AT = os.environ.get("REPORTS_AT", "06:30")
# Sent mail and finished tasks are kept this many days, then pruned by the worker.
MAIL_OUTBOX_KEEP_DAYS = env_int("MAIL_OUTBOX_KEEP_DAYS", 90, minimum=1)
TASKS_KEEP_DAYS = env_int("TASKS_KEEP_DAYS", 30, minimum=1)
# Files long jobs made (workbooks, full exports) are deleted after this many hours.
JOB_FILES_KEEP_HOURS = env_int("JOB_FILES_KEEP_HOURS", 24, minimum=1)
# Readiness (/health/ready, check_health) reports "degraded" when the oldest task waiting to run
# or the oldest mail due has waited longer than these.
HEALTH_QUEUE_MAX_AGE_SECONDS = env_int("HEALTH_QUEUE_MAX_AGE_SECONDS", 300, minimum=1)
HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 900, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, answering a failed CSRF check with the code csrf_failed.
        "core.api.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "core.api.autoschema.ErrorResponsesAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Professional Learning API",
    "DESCRIPTION": (
        "The district's professional learning plan, course catalog, sessions and meetings, "
        "enrollments, attendance, evaluations, completions and transcripts. "
        "Authenticate with a browser session or `Authorization: Token <key>`. Errors answer "
        "`{code, message}` (refusals of the enrollment rules: 400, 403, 404 or 409); invalid "
        "fields answer 400 with `{field: [messages]}`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # WCAG 2.1 AA: Swagger UI's deep links put a link inside each operation's toggle button (a
    # control nested in a control), and its default code theme colours numbers below 4.5:1.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": {"theme": "monokai"}},
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` or `source`: name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "catalog.choices.SessionStatus",
        "MeetingStatusEnum": "catalog.choices.MeetingStatus",
        "EnrollmentStatusEnum": "enrollment.choices.EnrollmentStatus",
        "EnrollmentSourceEnum": "enrollment.choices.EnrollmentSource",
        "CompletionSourceEnum": "enrollment.choices.CompletionSource",
        "ImportKindEnum": "imports.choices.ImportKind",
        "ImportOutcomeEnum": "imports.choices.ImportOutcome",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A personal calendar feed's URL is its secret: request log lines show it masked.
    "filters": {"mask_feed_keys": {"()": "calendars.log.MaskFeedKeys"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # Django's own runserver log, redefined here only to add the filter.
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes announces itself at every start; its refused sign-ins still log.
        "axes.apps": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF certificate it draws.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "django.request": {"filters": ["mask_feed_keys"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["mask_feed_keys"],
        },
    },
}
