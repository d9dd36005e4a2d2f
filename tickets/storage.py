"""Where ticket attachments are kept: a storage of their own (STORAGES["attachments"]), outside
MEDIA_ROOT and with no URL. A customer's file is read only through the permission-checked
download view (URL name `attachment`), so no web server, DEBUG route or admin link can hand it
to someone who may not see the ticket. MEDIA_ROOT and the default storage stay for files anyone
may fetch."""

from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no URL: asking for one is a bug, said loudly."""

    def url(self, name):
        raise ValueError(
            f"{name!r} is private and has no public URL: link to the attachment download view."
        )


def attachment_storage() -> Storage:
    """The storage of Attachment.file (a callable, so the settings choose it and migrations
    name only this function)."""
    return storages["attachments"]
