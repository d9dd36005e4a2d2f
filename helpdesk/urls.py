from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from channels_app import views as contact_views
from demo import views as demo_views
from knowledge_base import views as kb_views
from knowledge_base.sitemaps import ArticleSitemap, CategorySitemap

from . import accounts, healthz, views

admin.site.site_header = _("Jornada administration")
admin.site.site_title = _("Jornada")
admin.site.index_title = _("Help desk administration")
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, accounts.LoginLockoutAdmin)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        accounts.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("channels/", include("channels_app.urls")),
    path("chat/demo/", demo_views.chat_demo, name="chat-demo"),
    path("chat/", include("channels_app.adapters.chat.urls")),
    path("", include("workspace.urls")),
    path("agent/", include("knowledge_base.agent_urls")),
    path("agent/", include("api.page_urls")),
    path("portal/contact/", contact_views.contact, name="contact"),
    path("portal/kb/", include("knowledge_base.urls")),
    path("api/v1/", include("api.urls")),
    path("api/", include("api.docs_urls")),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"articles": ArticleSitemap, "categories": CategorySitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(settings.KB_MEDIA_URL.lstrip("/") + "<path:name>", kb_views.media, name="kb-media"),
    path("portal/", include("portal.urls")),
    path("survey/", include("surveys.urls")),
    path("manager/", include("manager.urls")),
]
# No route serves MEDIA_ROOT, not even with DEBUG: ticket attachments go through the
# permission-checked download view (URL name "attachment") only.

handler403 = "helpdesk.views.permission_denied"
handler404 = "helpdesk.views.page_not_found"
handler500 = "helpdesk.views.server_error"
