"""Forms for the opportunity pages. They parse and validate input; the views hand
`service_data(form)` to opportunities.services, which own every write and its rules (the
write permission, the stage rules), whose refusals land back on the form's fields."""

from typing import Any

from django import forms
from django.db.models import Q

from core.forms import DATE_INPUT, PersonChoiceField, VersionedModelForm, apply_bootstrap
from teams.models import User

from .models import ForecastCategory, Opportunity, Stage
from .selectors import partner_list, stage_list

STAGE_HELP = "From Propose on, a deal needs its business value; Closed lost needs a loss reason."


def owner_candidates(account) -> Any:
    """Who may own a deal on `account`: active AMs who see it (its owner and the AMs on its
    virtual team). A handful of people, so a plain select."""
    return (
        User.objects.filter(is_active=True, role=User.Role.AM)
        .filter(Q(pk=account.owner_id) | Q(account_memberships__account=account))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def agreement_label(agreement) -> str:
    return f"{agreement.kind} {agreement.number} (ends {agreement.end_date:%d %b %Y})"


class OpportunityForm(VersionedModelForm):
    owner = PersonChoiceField(queryset=User.objects.none(), label="Owner")

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "owner",
            "kind",
            "stage",
            "amount",
            "currency",
            "close_date",
            "probability",
            "forecast_category",
            "business_value",
            "loss_reason",
            "partners",
            "licensing_vehicle",
            "agreement",
            "competitor",
        ]
        labels = {
            "amount": "Amount",
            "close_date": "Close date",
            "probability": "Probability override, %",
            "forecast_category": "Forecast category override",
            "business_value": "Business value",
            "loss_reason": "Loss reason",
            "licensing_vehicle": "Licensing vehicle",
            "agreement": "Agreement it renews",
        }
        widgets = {
            "close_date": DATE_INPUT,
            "business_value": forms.Textarea(attrs={"rows": 3}),
            "loss_reason": forms.Textarea(attrs={"rows": 2}),
            "partners": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        opportunity = self.instance
        account = opportunity.account
        owner = self.fields["owner"]
        owner.queryset = owner_candidates(account)
        if actor.is_am and account.owner_id != actor.pk:
            # An AM on the virtual team owns the deals they make there; only the account's
            # owner, their manager or ops hand a deal to someone else.
            owner.queryset = User.objects.filter(pk=opportunity.owner_id or actor.pk)
            self.initial["owner"] = opportunity.owner_id or actor.pk
            owner.disabled = True
            owner.help_text = (
                "Only the account's owner, their manager or sales operations hand a deal on."
            )
        elif not opportunity.pk:
            self.initial.setdefault("owner", actor.pk if actor.is_am else account.owner_id)
        stage = self.fields["stage"]
        stage.queryset = stage_list()
        stage.empty_label = None
        stage.help_text = STAGE_HELP
        self.fields["partners"].queryset = partner_list()
        self.fields["partners"].help_text = "The partners on the deal (Ctrl/Cmd-click for several)."
        self.fields["forecast_category"].choices = [
            ("", "— The stage's default —"),
            *ForecastCategory.choices,
        ]
        agreement = self.fields["agreement"]
        agreement.queryset = account.agreements.order_by("-end_date", "pk")
        agreement.empty_label = "— None —"
        agreement.label_from_instance = lambda a: (
            f"{a.kind} {a.number} (ends {a.end_date:%d %b %Y})"
        )
        agreement.help_text = "For a renewal: the agreement it renews (won, it renews it)."
        vehicle = self.fields["licensing_vehicle"]
        vehicle.choices = [("", "— None —"), *vehicle.choices[1:]]
        self.fields["amount"].widget.attrs.update(
            {"min": "0", "step": "0.01", "inputmode": "decimal"}
        )
        self.fields["probability"].widget.attrs.update({"min": "0", "max": "100"})
        self.fields["currency"].widget.attrs.update(
            {"maxlength": "3", "autocapitalize": "characters", "class": "kp-currency"}
        )
        self.fields["currency"].help_text = "A three-letter code, e.g. USD."
        apply_bootstrap(self)

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()


class StageMoveForm(forms.Form):
    """The board's move (a drop, or the card's stage menu): the stage and the version the
    card showed, so a move based on a stale card is refused."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.all(), to_field_name="slug")
    version = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stage_list()
        self.fields["stage"].error_messages["invalid_choice"] = "Choose one of the stages."


class EscalationForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What do you need the manager to decide?",
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_bootstrap(self)


class ResolveForm(forms.Form):
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Decision", max_length=5000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_bootstrap(self)
