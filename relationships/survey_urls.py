from django.urls import path

from . import survey_views

app_name = "rm_survey"

urlpatterns = [
    path("", survey_views.survey_page, name="page"),
    path("export/", survey_views.survey_export, name="export"),
    path("import/", survey_views.survey_import, name="import"),
    path("<int:pk>/score/", survey_views.survey_score, name="score"),
]
