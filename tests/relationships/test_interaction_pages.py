"""Logging interactions from the pages: the quick-add form (date, kind, the account's people,
summary, business value discussed) goes through the service, updates the people's last
interaction and shows on the map page's timeline with the business-value rate; a person of
another account, or an account outside the user's view, is refused."""

import datetime

import pytest
from django.urls import reverse

from relationships.models import Interaction
from tests.html_forms import form_data
from tests.relationships.factories import InteractionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def log_url(account):
    return reverse("relationships:interaction_create", args=[account.pk])


def test_log_an_interaction_and_see_it_on_the_timeline(client, vt_am, account):
    ana = StakeholderFactory(account=account, name="Ana Obi")
    StakeholderFactory(account=account, name="Ben Eze")
    client.force_login(vt_am)
    data = form_data(client.get(log_url(account)).content.decode())
    data.update(
        {
            "date": ["01/11/2026"],
            "kind": ["briefing"],
            "stakeholders": [str(ana.pk)],
            "summary": ["Digital banking roadmap"],
            "business_value_discussed": ["on"],
        }
    )
    response = client.post(log_url(account), data)
    assert response.status_code == 302 and response["Location"].endswith("#interactions")
    interaction = Interaction.objects.get()
    assert interaction.logged_by == vt_am and list(interaction.stakeholders.all()) == [ana]
    ana.refresh_from_db()
    assert ana.last_interaction_at == datetime.date(2026, 11, 1)

    html = client.get(reverse("relationships:map", args=[account.pk])).content.decode()
    timeline = html.split('id="interactions"')[1].split("</section>")[0]
    assert "Digital banking roadmap" in timeline and "Ana Obi" in timeline
    assert "business value discussed in 1 of 1" in timeline


def test_another_accounts_person_or_account_is_refused(client, am, account, other_account):
    stranger = StakeholderFactory(account=other_account)
    client.force_login(am)
    data = form_data(client.get(log_url(account)).content.decode())
    data.update({"date": ["01/11/2026"], "stakeholders": [str(stranger.pk)]})
    response = client.post(log_url(account), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert client.get(log_url(other_account)).status_code == 404
    assert client.post(log_url(other_account), data).status_code == 404
    assert not Interaction.objects.exists()


def test_bad_date_is_a_form_error(client, am, account):
    client.force_login(am)
    data = form_data(client.get(log_url(account)).content.decode())
    data.update({"date": ["31/02/2026"]})
    response = client.post(log_url(account), data)
    assert response.status_code == 200
    assert not Interaction.objects.exists()


def test_map_page_query_count_is_constant_as_interactions_grow(
    client, am, account, django_assert_max_num_queries
):
    people = StakeholderFactory.create_batch(3, account=account)
    client.force_login(am)
    url = reverse("relationships:map", args=[account.pk])
    InteractionFactory(account=account, logged_by=am).stakeholders.set(people[:1])
    with django_assert_max_num_queries(25) as small:
        client.get(url)
    for _ in range(25):
        InteractionFactory(account=account, logged_by=am).stakeholders.set(people)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["timeline"]) == 20
