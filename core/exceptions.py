"""Domain errors that every app raises and every entry point (forms, API) reports clearly."""


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


class PermissionDeniedError(Exception):
    """The actor may see the object but may not perform this change."""
