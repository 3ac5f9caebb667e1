from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("export/", views.account_export, name="export"),
    path("renewals/", views.renewal_list, name="renewals"),
    path("renewals/export/", views.renewal_export, name="renewals_export"),
    path("new/", views.account_create, name="create"),
    path("pick/accounts/", views.pick_account, name="pick_account"),
    path("pick/owners/", views.pick_owner, name="pick_owner"),
    path("<int:pk>/team/pick-users/", views.pick_member, name="pick_member"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/agreements/new/", views.agreement_create, name="agreement_create"),
    path(
        "<int:pk>/agreements/<int:agreement_id>/edit/",
        views.agreement_edit,
        name="agreement_edit",
    ),
    path(
        "<int:pk>/agreements/<int:agreement_id>/delete/",
        views.agreement_delete,
        name="agreement_delete",
    ),
    path("<int:pk>/deployments/new/", views.deployment_create, name="deployment_create"),
    path(
        "<int:pk>/deployments/<int:deployment_id>/edit/",
        views.deployment_edit,
        name="deployment_edit",
    ),
    path(
        "<int:pk>/deployments/<int:deployment_id>/delete/",
        views.deployment_delete,
        name="deployment_delete",
    ),
    path("<int:pk>/team/", views.team_card, name="team"),
    path("<int:pk>/team/new/", views.team_member_create, name="team_member_create"),
    path(
        "<int:pk>/team/<int:member_id>/edit/",
        views.team_member_edit,
        name="team_member_edit",
    ),
    path(
        "<int:pk>/team/<int:member_id>/delete/",
        views.team_member_delete,
        name="team_member_delete",
    ),
]
