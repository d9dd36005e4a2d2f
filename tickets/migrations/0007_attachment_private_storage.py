# Attachments move to a private storage (STORAGES["attachments"], under PRIVATE_MEDIA_ROOT): the
# field names the storage callable, and the files stored before sit under MEDIA_ROOT, so they
# are moved there under the same names (a file already moved, or missing, is left alone).

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import migrations, models

import tickets.models.messages
import tickets.storage


def _move(apps, source, target):
    Attachment = apps.get_model("tickets", "Attachment")
    for name in Attachment.objects.exclude(file="").values_list("file", flat=True).iterator():
        if not source.exists(name) or target.exists(name):
            continue
        with source.open(name, "rb") as handle:
            target.save(name, handle)
        source.delete(name)


def to_private(apps, schema_editor):
    _move(apps, FileSystemStorage(location=settings.MEDIA_ROOT), storages["attachments"])


def to_public(apps, schema_editor):
    _move(apps, storages["attachments"], FileSystemStorage(location=settings.MEDIA_ROOT))


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0006_ticket_open_scope_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='attachment',
            name='file',
            field=models.FileField(max_length=500, storage=tickets.storage.attachment_storage, upload_to=tickets.models.messages.attachment_path, verbose_name='file'),
        ),
        migrations.RunPython(to_private, to_public, elidable=True),
    ]
