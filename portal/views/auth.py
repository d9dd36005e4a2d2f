"""Signing in to the portal: by a link sent by email, or by password."""

import logging

from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_app.throttle import over_limit
from tickets import selectors as ticket_selectors

from .. import services
from ..forms import SignInLinkForm
from ..tasks import send_signin_link

logger = logging.getLogger(__name__)

RATE_WINDOW = 15 * 60
LINKS_PER_ADDRESS = 3  # a mailbox gets at most this many links per window...
LINKS_PER_NETWORK = 10  # ...and one client address may ask for this many (any addresses)
# Django's default backend, named because another one may come first (a lockout backend).
LINK_BACKEND = "django.contrib.auth.backends.ModelBackend"


def landing_url(request, user) -> str:
    """Where a login lands: the page it asked for when that is safe and theirs to see (a
    customer never lands on agent pages), else the portal (customers) or the overview (agents)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    is_agent = ticket_selectors.is_agent(user)
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and wanted and (is_agent or user.is_staff or wanted.startswith(reverse("portal:home"))):
        return wanted
    return reverse("home") if is_agent or user.is_staff else reverse("portal:home")


def _page(request, *, password_form=None, link_form=None, status=200, **context):
    return render(
        request,
        "portal/signin.html",
        {
            "password_form": password_form or AuthenticationForm(request),
            "link_form": link_form or SignInLinkForm(),
            "next": request.POST.get("next") or request.GET.get("next") or "",
            **context,
        },
        status=status,
    )


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request):
    """The sign-in page: an email link (first), or a password. POST signs in by password."""
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect(landing_url(request, request.user))
        return _page(request)
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        return _page(request, password_form=form, status=400)
    auth_login(request, form.get_user())
    return redirect(landing_url(request, form.get_user()))


@require_POST
def signin_link_request(request):
    """Ask for a link. Known address or not, the same page follows and the same work is done
    here: the look-up and the mail happen in a task."""
    form = SignInLinkForm(request.POST)
    if not form.is_valid():
        return _page(request, link_form=form, status=400)
    client = request.META.get("REMOTE_ADDR", "")
    if over_limit(f"portal-signin-ip:{client}", limit=LINKS_PER_NETWORK, window=RATE_WINDOW):
        form.add_error(
            None, _("Too many sign-in requests from your network. Please try again later.")
        )
        return _page(request, link_form=form, status=429)
    email = form.cleaned_data["email"].strip().lower()
    if not over_limit(
        f"portal-signin-address:{email}", limit=LINKS_PER_ADDRESS, window=RATE_WINDOW
    ):
        link_base = request.build_absolute_uri(reverse("portal:signin-link", args=["-"]))[:-2]
        try:
            send_signin_link.delay(email, link_base, request.LANGUAGE_CODE)
        except Exception:
            logger.exception("Could not queue a sign-in link")
    return redirect("portal:signin-link-sent")


@require_GET
def signin_link_sent(request):
    return render(request, "portal/signin_link_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def signin_link(request, token: str):
    """GET asks to confirm (mail scanners open links; only the person's click spends it); POST
    spends the link and signs in."""
    if request.method == "GET":
        valid = services.signin_link_check(token=token)
        return render(
            request, "portal/signin_link.html", {"valid": valid}, status=200 if valid else 400
        )
    user = services.signin_link_redeem(token=token)
    if user is None:
        return render(request, "portal/signin_link.html", {"valid": False}, status=400)
    auth_login(request, user, backend=LINK_BACKEND)
    return redirect("portal:home")
