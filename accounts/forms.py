"""Forms for accounts and the objects on the account page.

The forms parse and validate input; the views hand `service_data(form)` to accounts.services,
which own every write. The optimistic-lock machinery they stand on lives in core.forms.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse

from core.forms import (
    PersonChoiceField,
    VersionedModelForm,
    apply_bootstrap,
    display_date,
    person_label,
)
from core.pickers import ReferenceField, person_exact_q
from teams.models import User

from . import selectors
from .access import assignable_owners, can_reassign, member_candidates
from .catalogues import kind_of, normalise
from .models import Account, AccountTeamMember, Agreement, ProductDeployment

PERSON_SEARCH = ["username", "first_name", "last_name", "email"]


def account_label(account: Account) -> str:
    return f"{account.name} ({account.external_id})" if account.external_id else account.name


def account_picker(*, user: User, account: Account | None, **kwargs) -> ReferenceField:
    """A visible account, never `account` itself (its parent, say), picked by typing."""
    url = reverse("accounts:pick_account")
    if account is not None and account.pk:
        url += f"?exclude={account.pk}"
    return ReferenceField(
        queryset=lambda: selectors.account_parent_choices(user=user, account=account),
        search=["name", "external_id"],
        display=account_label,
        url=url,
        **kwargs,
    )


def person_picker(*, queryset, url: str, **kwargs) -> ReferenceField:
    return ReferenceField(
        queryset=queryset,
        search=PERSON_SEARCH,
        exact=["username", "email"],
        exact_q=person_exact_q,
        display=person_label,
        url=url,
        **kwargs,
    )


class CatalogueChoiceField(forms.ModelChoiceField):
    """A select of catalogue values (option values are ids); a posted slug or name
    (case-insensitive) is understood too, e.g. from a link or a script."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            text = normalise(value)
            match = self.queryset.filter(Q(slug=text.lower()) | Q(name__iexact=text)).first()
            if match is None:
                raise
            return match


def catalogue_choices(form: forms.ModelForm, name: str) -> None:
    """A catalogue field offers the active values, and the row's current one even when
    sales operations have since deactivated it (saving the form again keeps it)."""
    old = form.fields[name]
    model = old.queryset.model
    current = getattr(form.instance, f"{name}_id", None)
    condition = Q(is_active=True) | Q(pk=current) if current else Q(is_active=True)
    field = form.fields[name] = CatalogueChoiceField(
        queryset=model.objects.filter(condition),
        required=old.required,
        label=old.label,
        help_text=old.help_text,
    )
    field.empty_label = f"— Choose a {kind_of(model).noun} —" if field.required else "—"
    if not field.help_text:
        field.help_text = "Sales operations manage this list."


class AccountForm(VersionedModelForm):
    owner = PersonChoiceField(
        queryset=User.objects.none(), help_text="The account manager who owns the account."
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "external_id",
            "parent",
            "segment",
            "ltp",
            "industry",
            "sector",
            "territory",
            "owner",
            "is_active",
            "description",
        ]
        labels = {
            "external_id": "External id",
            "parent": "Parent account",
            "ltp": "Long-term potential (LTP)",
            "is_active": "Active account",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.instance
        self.parent_hidden = False
        if (
            account.parent_id
            and selectors.account_visible_parent(user=user, account=account) is None
        ):
            # The current parent is outside the user's view: leave it untouched, unnamed.
            del self.fields["parent"]
            self.parent_hidden = True
        else:
            self.fields["parent"] = account_picker(
                user=user,
                account=account,
                required=False,
                label="Parent account",
                help_text=(
                    "The HQ or multinational this account is downstream of. Type part of its "
                    "name or external id; leave empty for a top-level account."
                ),
            )

        owner = self.fields["owner"]
        may_choose = can_reassign(user, account) if account.pk else not user.is_am
        if may_choose:

            def owners():
                queryset = assignable_owners(user=user)
                if account.owner_id:
                    queryset = queryset | User.objects.filter(pk=account.owner_id)
                return queryset

            self.fields["owner"] = person_picker(
                queryset=owners,
                url=reverse("accounts:pick_owner"),
                label="Owner",
                help_text="The account manager who owns the account. Type a name.",
            )
        else:
            # An AM owns their own accounts; reassigning is their manager's call.
            owner_id = account.owner_id or user.pk
            owner.queryset = User.objects.filter(pk=owner_id)
            self.initial["owner"] = owner_id
            owner.disabled = True
            owner.help_text = "Only the owning team's manager or sales operations reassign it."
        self.fields[
            "description"
        ].help_text = "What the customer does and what matters to them this year."
        for name in ("sector", "industry", "territory"):
            catalogue_choices(self, name)
        apply_bootstrap(self)


class AgreementForm(VersionedModelForm):
    class Meta:
        model = Agreement
        fields = ["kind", "number", "start_date", "end_date", "annual_value", "renews"]
        labels = {
            "start_date": "Start date",
            "end_date": "End date",
            "annual_value": "Annual value",
            "renews": "Renews",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agreement = self.instance
        renews = self.fields["renews"]
        queryset = Agreement.objects.filter(account_id=agreement.account_id).order_by(
            "-end_date", "pk"
        )
        if agreement.pk:
            queryset = queryset.exclude(pk=agreement.pk)
        renews.queryset = queryset
        renews.empty_label = "— Nothing (a new agreement) —"
        renews.label_from_instance = lambda a: (
            f"{a.kind} {a.number} (ends {display_date(a.end_date)})"
        )
        apply_bootstrap(self)


class DeploymentForm(VersionedModelForm):
    class Meta:
        model = ProductDeployment
        fields = ["product", "licensed_seats", "active_seats", "is_current_version"]
        labels = {
            "licensed_seats": "Licensed seats",
            "active_seats": "Active seats",
            "is_current_version": "On the current version",
        }
        help_texts = {
            "licensed_seats": "Seats the customer has bought.",
            "active_seats": "Seats in use. Adoption = active / licensed.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        catalogue_choices(self, "product")
        apply_bootstrap(self)


class TeamMemberForm(VersionedModelForm):
    user = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Keyplan user",
        help_text="A Keyplan user; members on the team see the account.",
    )

    class Meta:
        model = AccountTeamMember
        fields = ["user", "name", "email", "role", "notes"]
        labels = {"name": "Name", "email": "Email"}
        help_texts = {"notes": "What they bring to this account."}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the people the actor may add (accounts.access.member_candidates).
        member = self.instance

        def candidates():
            queryset = member_candidates(actor)
            if member.user_id:
                queryset = queryset | User.objects.filter(pk=member.user_id)
            return queryset

        self.fields["user"] = person_picker(
            queryset=candidates,
            url=reverse("accounts:pick_member", args=[member.account_id]),
            required=False,
            label="Keyplan user",
            help_text=(
                "A Keyplan user: type a name. Members on the team see the account. Leave "
                "empty for someone without a Keyplan login, and give their name below."
            ),
        )
        self.fields["role"].choices = [("", "— Choose a role —"), *AccountTeamMember.Role.choices]
        apply_bootstrap(self)


class CatalogueEntryForm(VersionedModelForm):
    class Meta:
        fields = ["name", "slug", "order", "is_active"]
        labels = {"is_active": "Active (offered in forms and filters)"}
        help_texts = {
            "slug": "Used in links and by API clients. Made from the name when left empty.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        apply_bootstrap(self)


def catalogue_form(model) -> type[CatalogueEntryForm]:
    """The add/edit form of one catalogue."""
    return forms.modelform_factory(model, form=CatalogueEntryForm)
