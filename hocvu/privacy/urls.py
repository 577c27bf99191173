from django.urls import path

from hocvu.privacy import views

urlpatterns = [
    path("privacy/", views.notice, name="privacy-notice"),
    path("privacy/my-data/", views.my_data, name="privacy-my-data"),
    path("privacy/my-data.json", views.my_data_json, name="privacy-my-data-json"),
    path("privacy/my-data/print/", views.my_data_readable, name="privacy-my-data-readable"),
    path("manage/privacy/", views.request_list, name="privacy-requests"),
    path(
        "manage/privacy/<int:data_request_id>/",
        views.request_detail,
        name="privacy-request",
    ),
]
