"""Reading what a resident's bare message gives us to look up (services/inform.py)."""

from __future__ import annotations

from services.inform import Lookup, lookup_in


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value}


def test_a_case_reference_with_a_postcode_is_a_case_not_bin_days():
    found = lookup_in([entity("postcode", "hr1 1hr"), entity("case_reference", "hc 100001")])
    assert found == Lookup("case_reference", "HC-100001")


def test_each_kind_is_read_and_normalised():
    assert lookup_in([entity("planning_reference", "p231456 / f")]) == Lookup(
        "planning_reference", "P231456/F")
    assert lookup_in([entity("postcode", "hr4 9aa")]) == Lookup("postcode", "HR4 9AA")
    assert lookup_in([entity("library", "the one in ross")]) == Lookup("library", "Ross-on-Wye")


def test_an_unreadable_value_is_passed_over_for_the_next_kind():
    found = lookup_in([entity("case_reference", "my case"), entity("postcode", "HR1 2AB")])
    assert found == Lookup("postcode", "HR1 2AB")


def test_a_bare_phrase_or_other_entities_give_nothing_to_look_up():
    assert lookup_in([]) is None
    assert lookup_in([entity("bin_type", "green"), entity("postcode", "")]) is None
    assert lookup_in([entity("library", "the leisure centre")]) is None
