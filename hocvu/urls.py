"""The project's URLs. Every route that shows a unit or a person goes through
``hocvu.identity.access`` (a test walks all of them with every role)."""

from django.contrib import admin
from django.urls import include, path

from hocvu.content import authoring
from hocvu.content import views as content_views
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
    path("framework/", views.framework_overview, name="framework"),
    path("framework/competences/<str:code>/", views.competence_detail, name="competence"),
    path("framework/roles/", views.role_profiles, name="role-profiles"),
    path("framework/roles/<slug:code>/", views.role_profile_detail, name="role-profile"),
    path("units/", views.unit_list, name="units"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path("me/", views.my_profile, name="me"),
    path("learn/", include("hocvu.learning.urls")),
    path("", include("hocvu.credentials.urls")),
    path("content/media/<str:name>", content_views.media, name="content-media"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin-tools/preview/", authoring.preview, name="authoring-preview"),
    path("admin/", admin.site.urls),
]
