from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opportunities"
    verbose_name = "Opportunities"

    def ready(self) -> None:
        # The renewal-status rule lives in accounts (the lower app); a won renewal
        # opportunity is one of its clauses, which this app contributes (accounts never
        # imports opportunities).
        from accounts.models import register_renewal_clause

        from .models import won_renewal_q

        register_renewal_clause("opportunities.won_renewal", won_renewal_q)
