"""What a browser would post back from a form on a page, read from the HTML itself: every
named input, select and textarea of the form, as loaded. Admin tests use it, since the admin's
change forms carry many generated fields (inline management forms, split date-times)."""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: dict | None = None
        self._textarea: dict | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or attrs.get("id") == self.form_id
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            multiple = "multiple" in attrs
            self._select = {"name": name, "multiple": multiple, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["chosen"]
            if not chosen and not select["multiple"] and select["first"] is not None:
                chosen = [select["first"]]  # a single select posts its first option
            for value in chosen:
                self._add(select["name"], value)
        elif tag == "textarea" and self._textarea is not None:
            textarea, self._textarea = self._textarea, None
            # A browser drops the one newline that follows <textarea>.
            self._add(textarea["name"], textarea["text"].removeprefix("\n"))


def form_data(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """The values the form (the one with `form_id`, else every form) posts as loaded."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.data
