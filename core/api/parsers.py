"""Request parsers: DRF's JSON parser, refusing bodies nested deeper than any resource needs.

Python's JSON decoder recurses once per level, so a few kilobytes of `[[[[...]]]]` would
otherwise raise RecursionError (a 500) while parsing or later in validation.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest resource body is a bulk envelope, {"records": [{"partners": [1]}]}: 3 levels.
MAX_JSON_DEPTH = 32


def _deeper_than(data, limit: int) -> bool:
    """Whether `data` nests objects/arrays more than `limit` levels (iterative, no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class DepthLimitedJSONParser(JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(
            f"JSON parse error - the body is nested more than {self.max_depth} levels deep."
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _deeper_than(data, self.max_depth):
            raise too_deep
        return data
