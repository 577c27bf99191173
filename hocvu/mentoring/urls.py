"""Mentoring, under /learn/help/."""

from django.urls import path

from hocvu.mentoring import views

urlpatterns = [
    path("help/", views.home, name="mentoring"),
    path("help/ask/<str:code>/", views.ask, name="mentoring-ask"),
    path("help/<int:request_id>/", views.request_detail, name="mentoring-request"),
    path("help/<int:request_id>/<slug:action>/", views.act, name="mentoring-act"),
]
