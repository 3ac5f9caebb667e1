"""The relationship map's layout (relationships.map): a tidy org chart from reports_to, no
two cards overlapping, managers above and centred over their reports, many leaf reports
wrapped into rows, loose people under the chart, freshness from the stale setting."""

import datetime
import itertools

import pytest

from relationships.map import (
    CARD_HEIGHT,
    CARD_WIDTH,
    WRAP_COLUMNS,
    build_map,
    freshness,
)
from relationships.models import Stakeholder

TODAY = datetime.date(2026, 11, 30)


def person(pk, manager=None, **kwargs):
    return Stakeholder(pk=pk, name=f"P{pk}", reports_to_id=manager, **kwargs)


def by_id(layout):
    return {card.person.pk: card for card in layout.cards}


def assert_no_overlap(layout):
    for a, b in itertools.combinations(layout.cards, 2):
        apart = (
            a.x + CARD_WIDTH <= b.x
            or b.x + CARD_WIDTH <= a.x
            or a.y + CARD_HEIGHT <= b.y
            or b.y + CARD_HEIGHT <= a.y
        )
        assert apart, (a.person.pk, a.x, a.y, b.person.pk, b.x, b.y)


def assert_inside(layout):
    for card in layout.cards:
        assert card.x >= 0 and card.y >= 0
        assert card.x + CARD_WIDTH <= layout.width
        assert card.y + CARD_HEIGHT <= layout.height


def test_empty_account_draws_nothing():
    layout = build_map([], today=TODAY)
    assert layout.empty and layout.width == 0 and layout.height == 0 and layout.lines == []


def test_small_tree_manager_centred_above_reports_with_one_line_per_report():
    people = [person(1), person(2, 1), person(3, 1), person(4, 2)]
    layout = build_map(people, today=TODAY)
    cards = by_id(layout)
    assert_no_overlap(layout)
    assert_inside(layout)
    # Layers: 1 on top, 2 and 3 below, 4 below 2.
    assert cards[1].y < cards[2].y == cards[3].y < cards[4].y
    # The manager's centre sits between the centres of its reports.
    assert cards[2].centre_x < cards[1].centre_x < cards[3].centre_x
    assert cards[4].centre_x == cards[2].centre_x
    # Two segments per reporting line (down-across, then down): 3 reports -> 6 paths.
    assert len(layout.lines) == 6
    assert all(d.startswith("M") for d in layout.lines)


def test_many_leaf_reports_wrap_into_rows_instead_of_one_wide_row():
    people = [person(1)] + [person(n, 1) for n in range(2, 14)]  # a CIO with 12 heads of
    layout = build_map(people, today=TODAY)
    cards = by_id(layout)
    assert_no_overlap(layout)
    assert_inside(layout)
    rows = sorted({c.y for c in layout.cards if c.person.pk != 1})
    assert len(rows) == 3  # 12 leaves in rows of 4
    assert layout.width < (WRAP_COLUMNS + 1) * (CARD_WIDTH + 40) + 40
    assert all(cards[n].y > cards[1].y for n in range(2, 14))


def test_sixty_people_read_without_overlap_and_stay_narrow():
    # A CEO, 5 executives, each with 3 directors, each with 3 front-line people (+ 4 loose).
    people, pk = [person(1, level="cxo")], 2
    for _ in range(5):
        exec_id = pk
        people.append(person(exec_id, 1))
        pk += 1
        for _ in range(3):
            director = pk
            people.append(person(director, exec_id))
            pk += 1
            for _ in range(2):
                people.append(person(pk, director))
                pk += 1
    while pk <= 60:
        people.append(person(pk))
        pk += 1
    layout = build_map(people, today=TODAY)
    assert len(layout.cards) == 60
    assert_no_overlap(layout)
    assert_inside(layout)
    cards = by_id(layout)
    loose = [cards[n] for n in range(57, 61)]
    assert min(c.y for c in loose) > max(c.y for c in layout.cards if c.person.pk < 57)


def test_loose_people_wrap_under_the_chart():
    layout = build_map([person(n) for n in range(1, 13)], today=TODAY)
    assert_no_overlap(layout)
    assert len({c.y for c in layout.cards}) == 3  # 12 in rows of 5
    assert layout.lines == []


def test_a_cycle_in_stored_data_still_draws_everyone():
    layout = build_map([person(1, 2), person(2, 1), person(3)], today=TODAY)
    assert sorted(c.person.pk for c in layout.cards) == [1, 2, 3]
    assert_no_overlap(layout)


def test_a_manager_on_another_account_is_ignored():
    layout = build_map([person(1, 99), person(2, 1)], today=TODAY)
    cards = by_id(layout)
    assert cards[1].y < cards[2].y


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, "none"),
        (TODAY, "fresh"),
        (TODAY - datetime.timedelta(days=90), "fresh"),
        (TODAY - datetime.timedelta(days=91), "stale"),
    ],
)
def test_freshness_follows_the_stale_setting(settings, last, expected):
    settings.KEYPLAN_STAKEHOLDER_STALE_DAYS = 90
    assert freshness(person(1, last_interaction_at=last), TODAY) == expected


def test_flags_and_attitude_colours():
    blocker = build_map([person(1, buying_role="blocker", attitude=-2)], today=TODAY).cards[0]
    assert blocker.flags == ["Blocker", "Detractor"]
    assert blocker.attitude_class == "kp-att-m2"
    fan = build_map([person(1, attitude=2, influence=4)], today=TODAY).cards[0]
    assert fan.flags == [] and fan.attitude_class == "kp-att-p2"
    assert [on for _, on in fan.pips] == [True, True, True, True, False]
