"""Domain errors that every app raises and every entry point (forms, API, admin) reports
clearly: the API maps them in core.api.exceptions, the pages in core.pages."""

from django.core.exceptions import PermissionDenied


class StaleVersionError(Exception):
    """Someone else saved this object since the version the caller edited."""

    def __init__(self, *, current_version: int | None, submitted_version: int):
        self.current_version = current_version
        self.submitted_version = submitted_version
        super().__init__(
            "This record was changed by someone else since you opened it "
            f"(you edited version {submitted_version}, it is now at version {current_version}). "
            "Reload it and apply your change again."
        )


class PermissionDeniedError(PermissionDenied):
    """The actor may see the object but may not make this change. The message names the
    rule (domain.md, write permission); the API answers 403 with it, and a page answers
    Django's 403 page (templates/403.html) showing it."""


# What a unique-key clash (an IntegrityError from a row written at the same moment) reads as,
# on the API (409) and on a form.
INTEGRITY_MESSAGE = (
    "This clashes with a record saved a moment ago (for example the same number, name or "
    "external id). Check the values and try again."
)
