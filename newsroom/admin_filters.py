"""A sidebar filter whose unfiltered state is a chosen default, not "All"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin


class DefaultedListFilter(admin.SimpleListFilter):
    """Shows ``default`` as selected when the URL names no value (and offers no "All").

    Subclasses read the effective value with :meth:`chosen`.
    """

    default: str

    def chosen(self) -> str:
        return self.value() or self.default

    def choices(self, changelist: Any) -> Iterator[Any]:
        current = self.chosen()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }
