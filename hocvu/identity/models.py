"""People (the custom user model) and their roles, each scoped to a unit subtree."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hocvu.identity.fields import EncryptedTextField


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    """What a person may do, always within a unit subtree."""

    LEARNER = "learner", _("Learner")
    UNIT_MANAGER = "unit_manager", _("Unit manager")
    AUTHOR = "author", _("Author")
    ASSESSOR = "assessor", _("Assessor")
    MENTOR = "mentor", _("Mentor")
    ADMINISTRATOR = "administrator", _("Administrator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a learner, a manager, an author... identified by a username.

    The national ID number is never stored in plain text: ``national_id`` holds
    AES-GCM ciphertext and ``national_id_index`` a keyed HMAC for lookups.
    """

    username = models.CharField(_("username"), max_length=150, unique=True)
    full_name = models.CharField(_("full name"), max_length=255)
    email = models.EmailField(_("email"), blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    unit = models.ForeignKey(
        "organizations.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("unit"),
    )
    position = models.CharField(_("position"), max_length=255, blank=True)
    job_role = models.CharField(
        _("role profile"),
        max_length=64,
        blank=True,
        help_text=_("The framework role profile whose targets this person must reach."),
    )
    national_id = EncryptedTextField(_("national ID number"), blank=True)
    national_id_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_index"],
                condition=~models.Q(national_id_index=""),
                name="unique_national_id",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.rsplit(" ", 1)[-1] if self.full_name else self.username


class RoleAssignment(models.Model):
    """``user`` holds ``role`` over ``unit`` and every unit below it."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "organizations.Unit",
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("unit"),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="unique_role_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class ActivationToken(models.Model):
    """A one-time, expiring invitation to set a password (hocvu.identity.activation).

    Only hashes are stored: ``token_hash`` of the long token in the activation URL and
    ``code_hash`` of the short code printed in the letter (used only with the username).
    Issuing a new token for a person revokes the older ones.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="activation_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("activation token")
        verbose_name_plural = _("activation tokens")
        indexes = [models.Index(fields=["user", "used_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"activation {self.pk} of {self.user_id}"
