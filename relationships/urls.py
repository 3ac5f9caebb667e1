from django.urls import path

from . import views

app_name = "relationships"

urlpatterns = [
    path("accounts/<int:pk>/map/", views.relationship_map, name="map"),
    path("accounts/<int:pk>/map/reparent/", views.reparent, name="reparent"),
    path(
        "accounts/<int:pk>/stakeholders/new/", views.stakeholder_create, name="stakeholder_create"
    ),
    path(
        "accounts/<int:pk>/interactions/new/", views.interaction_create, name="interaction_create"
    ),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("stakeholders/<int:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
]
