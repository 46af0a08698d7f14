"""On a 390 px phone every 0-10 scale is one row of eleven buttons, never 0-5 over 6-10."""

import pytest

from tests.browser import test_checkin_in_browser as checkin_in_browser
from tests.browser.conftest import screenshot
from tests.test_checkin_link import compiled_translations  # noqa: F401  (an autouse fixture)

pytestmark = pytest.mark.browser
SCALES = ("pain", "stiffness", "swelling")
phone = checkin_in_browser.phone  # the 390 px phone fixture
two_week_link = checkin_in_browser.two_week_link


@pytest.mark.parametrize("language", ["en", "ja"])
def test_each_scale_is_one_row_of_eleven_on_a_phone(
    app, phone, live_server, clinic, clinician, backend, language
):
    url, _ = two_week_link(app, clinic, clinician, live_server, language)
    phone.goto(url)

    for name in SCALES:
        boxes = [option.bounding_box() for option in phone.locator(f"#q-{name} .option").all()]
        assert len(boxes) == 11
        tops = {round(box["y"]) for box in boxes}
        assert len(tops) == 1, f"{name}: the scale wraps onto rows at {sorted(tops)}"
        lefts = [box["x"] for box in boxes]
        assert lefts == sorted(lefts)  # 0 on the left, 10 on the right
        for box in boxes:
            # Tall enough for a thumb; wider than WCAG 2.2's 24 px minimum target.
            assert box["height"] >= 44 and box["width"] >= 24, (name, box)
        ends = phone.locator(f"#q-{name} .scale-ends").bounding_box()
        assert boxes[-1]["x"] + boxes[-1]["width"] <= ends["x"] + ends["width"] + 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, f"scale-phone-390-{language}-{backend}")
