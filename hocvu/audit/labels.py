"""What each audit action code means, in words people read (Vietnamese first, by gettext).

The codes stay in the log (they are what the hash chain covers and what tools filter on);
screens show these labels. ``tests/audit/test_labels.py`` fails when code records an action
that has no label here.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "admin.add": _("Added in the administration"),
    "admin.change": _("Changed in the administration"),
    "admin.delete": _("Deleted in the administration"),
    "admin.action": _("Bulk action in the administration"),
    "attempt.finish": _("Placement test finished"),
    "auth.eid_login": _("Logged in with the national e-ID"),
    "auth.eid_refused": _("National e-ID login refused"),
    "bank.recalibrate": _("Item bank recalibrated"),
    "campaigns.create": _("Campaign created"),
    "campaigns.export": _("Campaign report exported"),
    "content.install": _("Curriculum installed"),
    "content.install_exam_pool": _("Secure exam pool installed"),
    "credential.eid_retry": _("Certificate resent to the national e-ID"),
    "credentials.issue": _("Certificate issued"),
    "credentials.key_create": _("Signing key created"),
    "credentials.key_retire": _("Signing key retired"),
    "credentials.key_revoke": _("Signing key revoked"),
    "credentials.revoke": _("Certificate revoked"),
    "document.create": _("Legal document added"),
    "document.edit": _("Legal document edited"),
    "document.replace": _("Legal document marked as replaced"),
    "exam.finish": _("Certification exam finished"),
    "exam.start": _("Certification exam started"),
    "framework.draft": _("Framework draft created"),
    "framework.publish": _("Framework published"),
    "identity.activation.issue": _("Activation code issued"),
    "identity.activation.use": _("Account activated"),
    "identity.second_factor.enrolled": _("Second factor set up"),
    "identity.second_factor.new_recovery_codes": _("New recovery codes made"),
    "identity.second_factor.recovery_used": _("Recovery code used"),
    "identity.second_factor.reset": _("Second factor reset"),
    "item.create": _("Question created"),
    "item.edit": _("Question edited"),
    "item.status": _("Question status changed"),
    "item.enemies": _("Questions linked as testing the same thing"),
    "lesson.draft.edit": _("Lesson draft edited"),
    "lesson.publish": _("Lesson published"),
    "mentoring.accept": _("Help request accepted"),
    "mentoring.ask": _("Help requested"),
    "mentoring.close": _("Help request closed"),
    "mentoring.decline": _("Help request declined"),
    "mentoring.session": _("Mentoring session recorded"),
    "messaging.retry": _("Message resent"),
    "person.create": _("Person created"),
    "person.national_id": _("National ID number set"),
    "person.update": _("Person's record changed"),
    "placement.start": _("Placement test started"),
    "platform.backup": _("Backup made"),
    "platform.restore": _("Restored from a backup"),
    "privacy.consent": _("Privacy notice accepted"),
    "privacy.request": _("Personal-data request made"),
    "privacy.request_handled": _("Personal-data request handled"),
    "role.assign": _("Role assigned"),
    "roster.import": _("Roster imported"),
}


def action_label(code: str) -> str:
    """The words for ``code``; the code itself only for an action no one labelled."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_type_label(label: str) -> str:
    """``app.model`` as the model's name (``framework.frameworkversion`` → "phiên bản khung")."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return str(model._meta.verbose_name)
