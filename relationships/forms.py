"""Forms for the relationship pages. They parse and validate input; the views hand
`service_data(form)` to relationships.services, which own every write and its rules (the
write permission, reports_to inside one account and without a cycle), whose refusals land
back on the form's fields."""

from typing import Any

from django import forms
from django.db.models import Q

from core.forms import PersonChoiceField, VersionedModelForm, apply_bootstrap
from teams.models import User

from .models import ATTITUDE_CHOICES, INFLUENCE_CHOICES, STRENGTH_CHOICES, Interaction, Stakeholder

NOBODY = "— Nobody (top of the chart) —"


def owner_candidates(account) -> Any:
    """Who may own a relationship on `account`: active people who see it through the
    account (its owner and its virtual team). A handful, so a plain select."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk=account.owner_id) | Q(account_memberships__account=account))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def manager_choices(account, exclude=None) -> Any:
    people = Stakeholder.objects.filter(account=account).order_by("name", "pk")
    if exclude is not None and exclude.pk:
        people = people.exclude(pk=exclude.pk)
    return people


def stakeholder_label(person: Stakeholder) -> str:
    return f"{person.name} · {person.title}" if person.title else person.name


class StakeholderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stakeholder) -> str:
        return stakeholder_label(obj)


class StakeholderForm(VersionedModelForm):
    internal_owner = PersonChoiceField(
        queryset=User.objects.none(), required=False, label="Internal owner"
    )
    reports_to = StakeholderChoiceField(
        queryset=Stakeholder.objects.none(), required=False, label="Reports to"
    )
    influence = forms.TypedChoiceField(choices=INFLUENCE_CHOICES, coerce=int)
    attitude = forms.TypedChoiceField(choices=ATTITUDE_CHOICES, coerce=int)
    strength = forms.TypedChoiceField(
        choices=STRENGTH_CHOICES, coerce=int, label="Relationship strength"
    )

    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "title",
            "level",
            "department",
            "reports_to",
            "buying_role",
            "influence",
            "attitude",
            "strength",
            "internal_owner",
            "email",
            "phone",
            "cpe_survey_recipient",
        ]
        labels = {
            "buying_role": "Buying role",
            "cpe_survey_recipient": "Receives the RM (customer satisfaction) survey",
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.instance
        account = person.account
        reports_to = self.fields["reports_to"]
        reports_to.queryset = manager_choices(account, exclude=person)
        reports_to.empty_label = NOBODY
        reports_to.help_text = "Their manager in the customer's organisation: draws the org chart."
        owner = self.fields["internal_owner"]
        owner.queryset = owner_candidates(account)
        owner.empty_label = "— Nobody yet —"
        owner.help_text = "Who on our side owns the relationship."
        if actor.is_am and account.owner_id != actor.pk:
            # An AM on the virtual team edits the people they own, and keeps owning them.
            owner.queryset = User.objects.filter(pk=person.internal_owner_id or actor.pk)
            self.initial["internal_owner"] = person.internal_owner_id or actor.pk
            owner.disabled = True
            owner.help_text = (
                "Only the account's owner, their manager or sales operations hand a "
                "relationship on."
            )
        elif not person.pk and actor.is_am:
            self.initial.setdefault("internal_owner", actor.pk)
        self.fields["buying_role"].choices = [
            ("", "— Not known —"),
            *self.fields["buying_role"].choices[1:],
        ]
        self.fields["influence"].help_text = "1 (little) to 5 (decides)."
        self.fields["attitude"].help_text = "Towards us: detractor (-2) to supporter (+2)."
        apply_bootstrap(self)


class ReparentForm(forms.Form):
    """Move one person under another manager (or to the top) on the map."""

    person = StakeholderChoiceField(queryset=Stakeholder.objects.none(), label="Person")
    reports_to = StakeholderChoiceField(
        queryset=Stakeholder.objects.none(), required=False, label="Now reports to"
    )

    def __init__(self, *args: Any, account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = manager_choices(account)
        self.fields["reports_to"].queryset = manager_choices(account)
        self.fields["reports_to"].empty_label = NOBODY
        apply_bootstrap(self)


class InteractionForm(VersionedModelForm):
    """Log an interaction on one account: its people are chosen among that account's."""

    stakeholders = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Stakeholders",
        help_text="Who took part (Ctrl/Cmd-click for several).",
    )

    class Meta:
        model = Interaction
        fields = ["date", "kind", "stakeholders", "summary", "business_value_discussed"]
        labels = {"business_value_discussed": "Business value discussed"}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = self.fields["stakeholders"]
        people.queryset = manager_choices(self.instance.account)
        people.label_from_instance = stakeholder_label
        apply_bootstrap(self)
