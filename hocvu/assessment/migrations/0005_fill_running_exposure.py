"""Fill the running exposure counts from the responses and attempts stored so far."""

from django.db import migrations
from django.db.models import Count


def fill(apps, schema_editor):
    Response = apps.get_model("assessment", "Response")
    Attempt = apps.get_model("assessment", "Attempt")
    ItemExposure = apps.get_model("assessment", "ItemExposure")
    PlacementCount = apps.get_model("assessment", "PlacementCount")
    # One response per (attempt, item): the responses of placement attempts count the
    # attempts that showed each item.
    per_item = (
        Response.objects.filter(attempt__kind="placement")
        .values("item_id")
        .annotate(n=Count("id"))
        .values_list("item_id", "n")
    )
    ItemExposure.objects.bulk_create(
        [ItemExposure(item_id=item_id, attempts=n) for item_id, n in per_item], batch_size=2000
    )
    per_version = (
        Attempt.objects.filter(kind="placement")
        .values("framework_version_id")
        .annotate(n=Count("id"))
        .values_list("framework_version_id", "n")
    )
    PlacementCount.objects.bulk_create(
        [PlacementCount(framework_version_id=v, sessions=n) for v, n in per_version]
    )


def empty(apps, schema_editor):
    apps.get_model("assessment", "ItemExposure").objects.all().delete()
    apps.get_model("assessment", "PlacementCount").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0004_running_exposure")]
    operations = [migrations.RunPython(fill, empty)]
