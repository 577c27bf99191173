"""The project's URLs. Every route that shows a unit or a person goes through
``hocvu.identity.access`` (a test walks all of them with every role)."""

from django.contrib import admin
from django.urls import include, path

from hocvu.content import authoring
from hocvu.content import views as content_views
from hocvu.framework import case_views
from hocvu.framework import views as framework_views
from hocvu.identity import views as identity_views
from hocvu.organizations import views as unit_views
from hocvu.web import pwa, views
from hocvu.web.api import api

admin.site.site_header = "hocvu"
admin.site.site_title = "hocvu"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("framework/", framework_views.framework_overview, name="framework"),
    path("framework/competences/<str:code>/", framework_views.competence_detail, name="competence"),
    path("framework/roles/", framework_views.role_profiles, name="role-profiles"),
    path("framework/roles/<slug:code>/", framework_views.role_profile_detail, name="role-profile"),
    path("ims/case/v1p1/", include(case_views.urlpatterns)),
    path("units/", unit_views.unit_list, name="units"),
    path("units/<int:unit_id>/", unit_views.unit_detail, name="unit"),
    path("people/<int:person_id>/", identity_views.person_detail, name="person"),
    path("people/<int:person_id>/edit/", identity_views.person_edit, name="person-edit"),
    path("me/", identity_views.my_profile, name="me"),
    path("learn/", include("hocvu.learning.urls")),
    path("learn/", include("hocvu.certification.urls")),
    path("learn/", include("hocvu.mentoring.urls")),
    path("", include("hocvu.credentials.urls")),
    path("", include("hocvu.identity.activation_urls")),
    path("manage/", include("hocvu.campaigns.urls")),
    path("manage/roster/", include("hocvu.roster.urls")),
    path("content/media/<str:name>", content_views.media, name="content-media"),
    path(
        "learn/lessons/<int:lesson_id>/recording/<str:variant>",
        content_views.lesson_media,
        name="lesson-media",
    ),
    path("", include("hocvu.identity.oidc_urls")),  # national e-ID login, logout
    path("", include("hocvu.identity.password_reset")),  # before Django's, same names
    path("", include("hocvu.identity.second_factor")),  # two-step login for staff
    path("", include("hocvu.privacy.urls")),  # privacy notice, my data, requests
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin-tools/preview/", authoring.preview, name="authoring-preview"),
    path("admin/", admin.site.urls),
]
