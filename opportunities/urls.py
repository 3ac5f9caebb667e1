from django.urls import path

from . import views

app_name = "opportunities"

urlpatterns = [
    path("", views.pipeline_list, name="list"),
    path("export/", views.pipeline_export, name="export"),
    path("board/", views.board, name="board"),
    path("new/", views.opportunity_create, name="create"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/delete/", views.opportunity_delete, name="delete"),
    path("<int:pk>/move/", views.stage_move, name="move"),
    path("<int:pk>/escalations/", views.escalation_raise, name="escalation_raise"),
    path(
        "<int:pk>/escalations/<int:escalation_id>/resolve/",
        views.escalation_resolve,
        name="escalation_resolve",
    ),
]
