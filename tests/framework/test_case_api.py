"""The CASE 1.1 REST endpoints: public, the published framework only, 404 JSON otherwise;
every alignment URL of an issued certificate answers 200 with the CASE item."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from tests.credentials.test_vc import issued  # noqa: F401  (fixture: an issued certificate)

BASE = "/ims/case/v1p1"


def _get(client: Client, url: str) -> tuple[int, Any]:
    response = client.get(urlsplit(url).path if url.startswith("http") else url)
    assert response["Content-Type"].startswith("application/json"), url
    return response.status_code, json.loads(response.content)


def test_every_alignment_url_of_a_certificate_answers_with_its_item(issued: Any) -> None:  # noqa: F811
    credential = issued
    from hocvu.framework.case import export_package

    client = Client()  # anyone: no login
    alignments = credential.document["credentialSubject"]["achievement"]["alignment"]
    assert alignments
    package = export_package(credential.achievement.role_profile.version)
    statements = {i["identifier"]: i for i in package["CFItems"]}
    for alignment in alignments:
        status, body = _get(client, alignment["targetUrl"])
        assert status == 200, alignment
        assert body["uri"] == alignment["targetUrl"]
        assert body["humanCodingScheme"] == alignment["targetCode"]
        assert body["fullStatement"] == statements[body["identifier"]]["fullStatement"]
        assert body["CFDocumentURI"]["identifier"] == package["CFDocument"]["identifier"]


def test_documents_packages_associations_and_definitions(published_framework: Any) -> None:
    from hocvu.framework.case import export_package

    client = Client()
    package = export_package(published_framework)
    doc_id = package["CFDocument"]["identifier"]
    status, body = _get(client, f"{BASE}/CFDocuments")
    assert status == 200
    assert [d["identifier"] for d in body["CFDocuments"]] == [doc_id]
    status, body = _get(client, f"{BASE}/CFDocuments/{doc_id}")
    assert status == 200 and body["caseVersion"] == "1.1"
    assert body["CFPackageURI"]["uri"].endswith(f"/CFPackages/{doc_id}")
    status, body = _get(client, body["CFPackageURI"]["uri"])
    assert status == 200 and body == json.loads(json.dumps(package, ensure_ascii=False))
    association = package["CFAssociations"][0]
    status, body = _get(client, association["uri"])
    assert status == 200 and body["associationType"] == association["associationType"]
    item = package["CFItems"][0]
    status, body = _get(client, item["CFItemTypeURI"]["uri"])
    assert status == 200 and body["identifier"] == item["CFItemTypeURI"]["identifier"]
    status, body = _get(client, f"{BASE}/CFItemAssociations/{item['identifier']}")
    assert status == 200 and body["CFItem"]["identifier"] == item["identifier"]
    assert body["CFAssociations"]


def test_unknown_ids_and_drafts_are_404_json(published_framework: Any) -> None:
    from hocvu.framework import services

    client = Client()
    for path in (
        "CFItems/00000000-0000-4000-8000-000000000000",
        "CFItems/not-a-uuid",
        "CFItems/' OR 1=1 --",
        "CFAssociations/00000000-0000-4000-8000-000000000000",
        "CFDocuments/00000000-0000-4000-8000-000000000000",
        "CFPackages/x",
        "CFItemTypes/x",
        "CFAssociationGroupings/x",
    ):
        status, body = _get(client, f"{BASE}/{path}")
        assert status == 404, path
        assert body["imsx_codeMajor"] == "failure"
        assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
            "unknownobject"
        )
    # A draft (a new version of the framework being written) is not served.
    draft = services.new_draft(published_framework.framework, label="2")
    status, _body = _get(client, f"{BASE}/CFDocuments/{draft.uuid}")
    assert status == 404
    status, body = _get(client, f"{BASE}/CFDocuments")
    assert str(draft.uuid) not in {d["identifier"] for d in body["CFDocuments"]}
    assert client.post(f"{BASE}/CFDocuments").status_code == 405
