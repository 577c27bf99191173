"""Certificate URLs: the DID document, status lists, verification (public); the PDF."""

from django.urls import path

from hocvu.credentials import views

urlpatterns = [
    path(".well-known/did.json", views.did_document, name="did-document"),
    path("credentials/status/<int:list_id>", views.status_list, name="status-list"),
    path("verify/", views.verify_form, name="verify"),
    path("verify/<uuid:credential_id>/", views.verify_credential, name="verify-credential"),
    path("learn/credentials/<uuid:credential_id>.pdf", views.credential_pdf, name="credential-pdf"),
]
