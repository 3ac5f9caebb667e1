"""The admin (ops' emergency tool) saves relationships through the same services."""

import pytest
from django.urls import reverse

from relationships.models import Stakeholder
from relationships.services import CYCLE_MESSAGE
from tests.html_forms import form_data
from tests.relationships.factories import InteractionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _change(client, obj):
    url = reverse(f"admin:relationships_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return url, form_data(response.content.decode(), f"{obj._meta.model_name}_form")


def test_an_admin_edit_goes_through_the_service_and_its_rules(client, ops, account):
    boss = StakeholderFactory(account=account, name="Boss")
    report = StakeholderFactory(account=account, name="Report", reports_to=boss)
    client.force_login(ops)
    url, data = _change(client, boss)
    response = client.post(url, {**data, "reports_to": [str(report.pk)]}, follow=True)
    assert response.redirect_chain == [(url, 302)]  # back to the form, with the refusal
    assert CYCLE_MESSAGE in response.content.decode()
    assert Stakeholder.objects.get(pk=boss.pk).reports_to is None
    response = client.post(url, {**data, "strength": ["5"]})
    assert response.status_code == 302
    boss.refresh_from_db()
    assert (boss.strength, boss.version) == (5, 2)


def test_the_admin_lists_open(client, ops, account, am):
    InteractionFactory(account=account, logged_by=am)
    client.force_login(ops)
    for model in ("stakeholder", "interaction", "surveyresponse"):
        assert client.get(reverse(f"admin:relationships_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:relationships_{model}_add")).status_code == 200
