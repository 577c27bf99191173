from django.urls import path

from hocvu.identity import oidc_views

urlpatterns = [
    path("eid/login/", oidc_views.eid_login, name="eid-login"),
    path("eid/callback/", oidc_views.eid_callback, name="eid-callback"),
    # Ahead of django.contrib.auth.urls: ends the provider's session too after an e-ID login.
    path("accounts/logout/", oidc_views.logout, name="logout"),
]
