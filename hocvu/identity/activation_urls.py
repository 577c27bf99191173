from django.urls import path

from hocvu.identity import activation_views

urlpatterns = [
    path("activate/", activation_views.activate_with_code, name="activate-code"),
    path("activate/<str:token>/", activation_views.activate_with_link, name="activate"),
    path(
        "units/<int:unit_id>/activation/",
        activation_views.unit_activation,
        name="unit-activation",
    ),
    path(
        "units/<int:unit_id>/activation/letters.pdf",
        activation_views.unit_activation_letters,
        name="unit-activation-letters",
    ),
    path(
        "units/<int:unit_id>/activation/send/",
        activation_views.unit_activation_send,
        name="unit-activation-send",
    ),
]
