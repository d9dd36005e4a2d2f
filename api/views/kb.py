"""The knowledge base in the API: suggestions as one types (the portal's new-request form, the
chat bot, the agent reply box), and the record of suggestions shown while a customer writes a
request (deflection)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from knowledge_base import selectors, services

from ..csrf import SameOriginOnly
from ..serializers import SuggestionsShown, SuggestQuery, request_language
from ..throttles import DeflectionThrottle, SuggestThrottle


@extend_schema(parameters=[SuggestQuery], responses={200: dict})
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([SuggestThrottle])
def suggest(request):
    """Public published articles matching `q` in `lang`, best first:
    `{"results": [{"id", "title", "url", "snippet", "score"}]}`; `snippet` is HTML with
    <mark> around the matching words, everything else in it escaped."""
    params = SuggestQuery(data=request.query_params)
    params.is_valid(raise_exception=True)
    hits = selectors.articles_search(
        query=params.validated_data["q"],
        language=params.validated_data.get("lang") or request_language(),
        audience="public",
        limit=params.validated_data["limit"],
    )
    results = [
        {
            "id": hit.article.pk,
            "title": hit.title,
            "url": request.build_absolute_uri(hit.url),
            "snippet": str(hit.snippet),
            "score": hit.score,
        }
        for hit in hits
    ]
    return Response({"results": results}, headers={"Cache-Control": "private, max-age=30"})


@extend_schema(request=SuggestionsShown, responses={200: dict})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([SameOriginOnly])
@throttle_classes([DeflectionThrottle])
def suggestions_shown(request):
    """The portal shows suggestions to a customer writing a request: record them in the
    browser session's deflection record (created on the first call). Answers its token, which
    the new-request form sends back with the request so that it counts as submitted."""
    params = SuggestionsShown(data=request.data)
    params.is_valid(raise_exception=True)
    session = request._request.session
    token = params.validated_data["token"] or session.get(services.DEFLECTION_SESSION_KEY, "")
    deflection = services.deflection_record_shown(
        token=token,
        reader=services.reader_key(session=session, user=request._request.user),
        language=params.validated_data.get("lang") or request_language(),
        query=params.validated_data["query"],
        article_ids=params.validated_data["article_ids"],
    )
    session[services.DEFLECTION_SESSION_KEY] = deflection.token
    return Response({"token": deflection.token}, status=status.HTTP_200_OK)
