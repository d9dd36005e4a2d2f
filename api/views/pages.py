"""The agent's own API tokens, in the browser: list, create (the token is shown once, on the
page that answers the POST), revoke. Served by the api app at /agent/api-tokens/."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tickets import selectors

from ..forms import TokenForm
from ..models import ApiToken
from ..tokens import api_token_create, api_token_revoke


def _agent(request):
    if not selectors.is_agent(request.user):
        raise Http404


@login_required
def tokens(request):
    _agent(request)
    created = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, created = api_token_create(
            user=request.user,
            scopes=form.scopes(),
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        form = TokenForm()
    mine = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "api/tokens.html", {"form": form, "created": created, "tokens": mine})


@login_required
@require_POST
def token_revoke(request, pk: int):
    _agent(request)
    api_token_revoke(token=get_object_or_404(ApiToken, pk=pk, user=request.user))
    return redirect("api-tokens")
