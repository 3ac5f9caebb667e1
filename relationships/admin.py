from django.contrib import admin

from core.admin import ServiceModelAdmin
from core.api.viewsets import ServiceSet

from . import services
from .models import Interaction, Stakeholder, SurveyResponse


@admin.register(Stakeholder)
class StakeholderAdmin(ServiceModelAdmin):
    list_display = ["name", "account", "title", "level", "strength", "internal_owner"]
    list_filter = ["level", "buying_role", "strength", "cpe_survey_recipient"]
    search_fields = ["name", "title", "email", "account__name"]
    raw_id_fields = ["account", "reports_to", "internal_owner"]
    fields = [
        *services.STAKEHOLDER_FIELDS,
        "last_interaction_at",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["last_interaction_at", "version", "created_at", "updated_at"]
    services = ServiceSet(
        create=services.stakeholder_create,
        update=services.stakeholder_update,
        delete=services.stakeholder_delete,
    )


@admin.register(Interaction)
class InteractionAdmin(ServiceModelAdmin):
    list_display = ["date", "account", "kind", "business_value_discussed", "logged_by"]
    list_filter = ["kind", "business_value_discussed"]
    search_fields = ["summary", "account__name"]
    raw_id_fields = ["account", "stakeholders"]
    fields = [
        "account",
        *services.INTERACTION_FIELDS,
        "logged_by",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["logged_by", "version", "created_at", "updated_at"]
    services = ServiceSet(
        create=services.interaction_create,
        update=services.interaction_update,
        delete=services.interaction_delete,
    )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ServiceModelAdmin):
    list_display = ["fiscal_year", "account", "stakeholder", "score"]
    list_filter = ["fiscal_year", "score"]
    search_fields = ["account__name", "stakeholder__name"]
    raw_id_fields = ["account", "stakeholder"]
    fields = ["account", *services.SURVEY_FIELDS, "version", "created_at", "updated_at"]
    readonly_fields = ["version", "created_at", "updated_at"]
    services = ServiceSet(
        create=services.survey_create,
        update=services.survey_update,
        delete=services.survey_delete,
    )
