from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.people_list, name="people"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("quotas/", views.quota_list, name="quotas"),
    path("quotas/<int:user_id>/<int:fy>/", views.quota_edit, name="quota_edit"),
]
