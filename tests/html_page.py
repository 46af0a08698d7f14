"""Read a rendered page as a tree, to check what a screen reader is told about form errors."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None" = None
    children: list = field(default_factory=list)  # Elements and text

    def text(self) -> str:
        """Return the element's text, with runs of white space made one space."""
        parts = [child if isinstance(child, str) else child.text() for child in self.children]
        return " ".join(" ".join(parts).split())

    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def walk(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list:
        return [
            element
            for element in self.walk()
            if (tag is None or element.tag == tag)
            and (class_ is None or class_ in element.classes())
            and all(element.attrs.get(name) == value for name, value in attrs.items())
        ]

    def closest(self, tag: str) -> "Element | None":
        element = self
        while element is not None and element.tag != tag:
            element = element.parent
        return element


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID_ELEMENTS:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(
            Element(tag, {name: value or "" for name, value in attrs}, self.current)
        )

    def handle_endtag(self, tag):
        element = self.current
        while element is not None and element.tag != tag:
            element = element.parent
        if element is not None and element.parent is not None:
            self.current = element.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_page(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def by_id(page: Element, element_id: str) -> Element:
    [element] = page.find_all(id=element_id)
    return element


def error_summary(html: str) -> dict[str, str]:
    """Return the summary's links (href to text); check it takes the focus when the page opens."""
    page = parse_page(html)
    [summary] = page.find_all(class_="error-summary")
    assert summary.attrs.get("tabindex") == "-1"
    assert "autofocus" in summary.attrs
    # Only one element may ask for the focus, or the browser picks the first.
    assert len([e for e in page.walk() if "autofocus" in e.attrs]) == 1
    return {link.attrs["href"]: link.text() for link in summary.find_all("a")}


def field_description(html: str, anchor: str) -> str:
    """Return what aria-describedby tells about the field a summary link points to.

    A group of radio buttons is described as a whole: on its fieldset, as GOV.UK does.
    """
    page = parse_page(html)
    target = by_id(page, anchor)
    holder = target
    if target.attrs.get("type") == "radio":
        holder = target.closest("fieldset")
    assert holder is not None and holder.attrs.get("aria-invalid") == "true", anchor
    ids = holder.attrs.get("aria-describedby", "").split()
    assert ids, f"#{anchor} has no aria-describedby"
    return " ".join(by_id(page, element_id).text() for element_id in ids)


def assert_errors_listed(html: str, expected: dict[str, str]) -> None:
    """Check each field (by id) is linked from the summary and described by its message."""
    links = error_summary(html)
    for anchor, message in expected.items():
        assert message in links.get(f"#{anchor}", ""), (anchor, links)
        assert message in field_description(html, anchor), anchor
