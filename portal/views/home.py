"""The portal's front page."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.selectors import pending_surveys_for_customer
from tickets import selectors

from .. import kb
from ..display import with_customer_status

OPEN_REQUESTS_SHOWN = 5


@require_GET
def home(request):
    """Search with suggestions, the most read articles, the categories, and (signed in) the
    customer's open requests. Anyone may read it: the knowledge base is public."""
    language = request.LANGUAGE_CODE
    customer = selectors.customer_for_user(user=request.user)
    open_requests, pending_surveys = [], []
    if customer is not None:
        pending_surveys = pending_surveys_for_customer(customer=customer, language=language)
        open_requests = with_customer_status(
            list(
                selectors.ticket_list_for_customer(user=request.user, open_only=True)[
                    :OPEN_REQUESTS_SHOWN
                ]
            )
        )
    context = {
        "customer": customer,
        "open_requests": open_requests,
        "pending_surveys": pending_surveys,
        "categories": kb.categories(language=language),
        "top_articles": kb.top_articles(language=language),
        **kb.urls(),
    }
    return render(request, "portal/home.html", context)
