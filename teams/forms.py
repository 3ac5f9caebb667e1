"""Forms for the people pages (teams.views): parse and validate; teams.services write."""

from typing import Any

from django import forms

from core.forms import PersonChoiceField, VersionedModelForm, apply_bootstrap

from .models import Quota, Team, User


class PersonForm(VersionedModelForm):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "title", "role", "team"]
        labels = {"first_name": "First name", "last_name": "Last name"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].empty_label = "— No team —"
        self.fields["team"].help_text = "Account managers report to their team's manager."
        if self.instance.pk:
            self.fields["is_active"] = forms.BooleanField(
                required=False,
                initial=self.instance.is_active,
                label="Active (can sign in)",
                help_text="Deactivate people who leave; their records stay.",
            )
        else:
            self.fields["password"] = forms.CharField(
                required=False,
                widget=forms.PasswordInput(render_value=False),
                help_text="Leave empty to let them set one through the admin later.",
            )
        apply_bootstrap(self)


class TeamForm(VersionedModelForm):
    manager = PersonChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Team
        fields = ["name", "territory", "manager"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = User.objects.filter(role=User.Role.MANAGER, is_active=True)
        if self.instance.manager_id:
            managers = managers | User.objects.filter(pk=self.instance.manager_id)
        self.fields["manager"].queryset = managers.order_by("first_name", "last_name")
        self.fields["manager"].empty_label = "— No manager yet —"
        apply_bootstrap(self)


class QuotaForm(VersionedModelForm):
    """An AM's quota for one fiscal year, with the optional quarterly split."""

    class Meta:
        model = Quota
        fields = ["amount", "q1", "q2", "q3", "q4"]
        labels = {"amount": "Quota for the year", "q1": "Q1", "q2": "Q2", "q3": "Q3", "q4": "Q4"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("q1", "q2", "q3", "q4"):
            self.fields[name].help_text = ""
        self.fields["q1"].help_text = "Give all four quarters or none; they add up to the year."
        apply_bootstrap(self)
