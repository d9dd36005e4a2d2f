"""Logging in safely: password guessing is locked out by django-axes (configured in settings),
which takes the client's address from here, answers a lockout with a page of ours, and offers
an unlock in the admin; password reset requests are throttled per address and per email."""

import hashlib

from axes.admin import AccessAttemptAdmin
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

RESET_PER_EMAIL = 3  # reset emails one address receives...
RESET_PER_IP = 10  # ...and reset requests one network address makes...
RESET_WINDOW = 3600  # ...per hour


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, which only our trusted proxies rewrite
    (FORWARDED_ALLOW_IPS: helpdesk/wsgi.py, uvicorn --proxy-headers). Never a header the client
    sends itself."""
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login gets (AXES_LOCKOUT_CALLABLE): a page that says why and for how
    long, and where to go next."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def reset_ip_key(ip: str) -> str:
    return f"password-reset:ip:{ip}"


def reset_email_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"password-reset:email:{digest}"


def _over_limit(key: str, limit: int) -> bool:
    """Count one more request under `key` in this hour; True past `limit`."""
    cache.add(key, 0, RESET_WINDOW)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RESET_WINDOW)
        return False


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, throttled: one network address may ask RESET_PER_IP times an
    hour (then 429), and one email address receives at most RESET_PER_EMAIL mails an hour (later
    requests get the usual answer and send nothing, so the page tells no one anything)."""

    def form_valid(self, form):
        if _over_limit(reset_ip_key(client_ip(self.request)), RESET_PER_IP):
            form.add_error(
                "email",
                _("Too many password reset requests from your network. Please try again later."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if _over_limit(reset_email_key(form.cleaned_data["email"]), RESET_PER_EMAIL):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class LoginLockoutAdmin(AccessAttemptAdmin):
    """django-axes' failed login attempts, with an action that unlocks the selected ones."""

    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description=gettext_lazy("Unlock the selected logins"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = queryset.delete()[1].get(queryset.model._meta.label, 0)
        self.message_user(
            request,
            ngettext("%(count)d login unlocked.", "%(count)d logins unlocked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
