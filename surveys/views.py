"""The page an invitation link opens: no login, nothing shown beyond the ticket's subject. A GET
only shows the form (with the score of the clicked link chosen): mail scanners follow links, so
only the POST records the answer. A forged, altered or expired link is a 404 or a closed page."""

import json

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tickets.errors import TicketError

from . import services


class AnswerForm(forms.Form):
    score = forms.IntegerField(min_value=0, max_value=10)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


def _chosen(value: str | None, scale: range) -> int | None:
    try:
        score = int(value or "")
    except ValueError:
        return None
    return score if score in scale else None


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    language = invitation.ticket.language if invitation.ticket else invitation.customer.language
    with translation.override(language):
        return _answer_page(request, invitation, language)


def _answer_page(request: HttpRequest, invitation, language: str) -> HttpResponse:
    survey = invitation.survey
    question, comment_prompt = survey.wording(language)
    error = ""
    previous = getattr(invitation, "response", None) if invitation.status == "answered" else None
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.survey_answer(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except TicketError as exc:
                error = exc.message
            else:
                return redirect(f"{request.path}?thanks=1")
        else:
            error = services.ScoreInvalid().message
    chosen = _chosen(request.POST.get("score") or request.GET.get("score"), survey.scale)
    if chosen is None and previous is not None:
        chosen = previous.score
    context = {
        "question": question,
        "comment_prompt": comment_prompt,
        "subject": invitation.ticket.subject if invitation.ticket else "",
        "scale": survey.scale,
        "chosen": chosen,
        "comment": request.POST.get("comment", previous.comment if previous else ""),
        "open": invitation.is_open,
        "thanks": request.GET.get("thanks") == "1" and invitation.status == "answered",
        "error": error,
        "kind": survey.kind,
    }
    response = render(request, "surveys/answer.html", context, status=200 if not error else 400)
    # The token must not leak to another site ("no-referrer" would make the form's own POST
    # carry Origin: null, which the CSRF check refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@csrf_exempt  # the signed token is the only credential: no cookie is read, nothing to forge
@require_POST
def survey_answer_json(request: HttpRequest, token: str) -> JsonResponse:
    """The chat widget's form (surveys/chat.py): the same token, the same one-response rule and
    deadline as the emailed link's page. JSON or form fields `score`, `comment`."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _json_error("not_found", "", 404)
    language = invitation.ticket.language if invitation.ticket else invitation.customer.language
    try:
        data = json.loads(request.body) if request.content_type == "application/json" else None
    except ValueError:
        data = None
    form = AnswerForm(data if isinstance(data, dict) else request.POST)
    with translation.override(language):
        if not form.is_valid():
            return _json_error("survey_score_invalid", services.ScoreInvalid().message, 400)
        try:
            response = services.survey_answer(
                invitation=invitation,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except TicketError as exc:
            status = 410 if exc.code == services.SurveyClosed.code else 400
            return _json_error(exc.code, str(exc.message), status)
    answer = JsonResponse({"ok": True, "score": response.score})
    answer["X-Robots-Tag"] = "noindex"
    return answer
