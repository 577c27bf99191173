from django.urls import path

from hocvu.campaigns import views

urlpatterns = [
    path("", views.home, name="manage"),
    path("units/<int:unit_id>/", views.unit_dashboard, name="manage-unit"),
    path("units/<int:unit_id>/people/", views.unit_people, name="manage-people"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
]
