from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from opportunities import api as opportunities_api
from relationships import api as relationships_api
from teams import api as teams_api

router = DefaultRouter()
teams_api.register(router)
accounts_api.register(router)
opportunities_api.register(router)
relationships_api.register(router)

urlpatterns = [
    path("", include(router.urls)),
]
