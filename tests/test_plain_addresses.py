"""A plain address is written as it is, exactly as parsing and formatting it would write it."""

from email.utils import formataddr, parseaddr

import pytest
from flask_mail import sanitize_address
from hypothesis import given
from hypothesis import strategies as st

from tracker.reminders.emails import PLAIN_ADDRESS, encode_address, is_plain_address
from tracker.reminders.smtp import envelope_recipient


@given(st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_what_parsing_it_gives(address):
    assert formataddr(parseaddr(address), charset="utf-8") == address
    assert sanitize_address(address) == address
    assert encode_address(address) == envelope_recipient(address) == address


@pytest.mark.parametrize(
    "address, header, envelope",
    [
        (
            "Follow-up <followup@localhost>",
            "Follow-up <followup@localhost>",
            "=?utf-8?q?Follow-up?= <followup@localhost>",
        ),
        (
            "Jürgen <j@example.org>",
            "=?utf-8?q?J=C3=BCrgen?= <j@example.org>",
            "=?utf-8?q?J=C3=BCrgen?= <j@example.org>",
        ),
        ("a..b@example.org", "a..b@example.org", "a..b@example.org"),
    ],
)
def test_an_address_with_a_name_is_still_parsed(address, header, envelope):
    assert not is_plain_address(address)
    assert encode_address(address) == header
    assert envelope_recipient(address) == envelope
