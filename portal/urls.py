from django.urls import path

from .views import auth, home, requests

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.signin, name="signin"),
    path("login/link/", auth.signin_link_request, name="signin-link-request"),
    path("login/link/sent/", auth.signin_link_sent, name="signin-link-sent"),
    path("login/link/<str:token>/", auth.signin_link, name="signin-link"),
    path("requests/", requests.request_list, name="request-list"),
    path("requests/new/", requests.request_new, name="request-new"),
    path("requests/sent/<uuid:submission_id>/", requests.request_sent, name="request-sent"),
    path("requests/<int:number>/", requests.request_detail, name="request-detail"),
    path("requests/<int:number>/reply/", requests.request_reply, name="request-reply"),
    path("requests/<int:number>/solve/", requests.request_solve, name="request-solve"),
]
