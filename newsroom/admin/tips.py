"""The editors' review queue. Ciphertext is never listed, searched or filtered.

The page reads through selectors and changes state only through services; the
tip page itself and its buttons are :class:`newsroom.admin.tip_page.TipPageMixin`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from intake.models import Tip

from ..actor import acting_user
from ..forms.review import MoveForm
from ..selectors.retention import RETENTION_SETTINGS, tip_retention
from ..selectors.tips import (
    CONTENT_SEARCH_LIMIT,
    tip_previews,
    tips_matching_text,
    tips_visible_to,
)
from ..services.review import tips_delete, tips_move, tips_transition
from ..services.tips import tips_previewed_record, tips_searched_record
from ..unlocked_key import unlocked_key
from .filters import AgeFilter, ClaimFilter, DeskFilter, ProofFilter, QueueStatusFilter
from .tip_page import TipPageMixin

Status = Tip.Status
#: The POST field of the queue's search box, and the request mark of a text search.
TEXT_SEARCH_FIELD = "pista_search"
TEXT_SEARCH_ATTR = "_pista_text_search"
_REFERENCE = re.compile(r"^[23456789A-Za-z]{10}$")


def retention_phrase(status: str, days: int) -> str:
    """Say how long a status is kept ("spam is kept 7 days"), for the tip page."""
    phrases = {
        Status.SPAM: ngettext("spam is kept %(days)d day", "spam is kept %(days)d days", days),
        Status.REJECTED: ngettext(
            "rejected tips are kept %(days)d day", "rejected tips are kept %(days)d days", days
        ),
        Status.DUPLICATE: ngettext(
            "duplicates are kept %(days)d day", "duplicates are kept %(days)d days", days
        ),
        Status.ARCHIVED: ngettext(
            "archived tips are kept %(days)d day", "archived tips are kept %(days)d days", days
        ),
    }
    return phrases[Status(status)] % {"days": days}


class TipChangeList(ChangeList):
    """Decrypts a preview for the rows of the current page only.

    A text search arrives in a POST body (see :meth:`TipAdmin.changelist_view`) and is
    kept out of every link the page builds: sort, filter and page links, and the tips'
    own links, carry no search words.
    """

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.text_search = bool(getattr(request, TEXT_SEARCH_ATTR, False))
        super().__init__(request, *args, **kwargs)

    def get_query_string(
        self, new_params: dict[str, Any] | None = None, remove: Iterable[str] | None = None
    ) -> str:
        """Every link the page builds (sort, filters, facets, pages) goes through here,
        some while the list is still being set up: none may carry the search words.
        (Django drops every parameter that starts with a removed name; no filter of the
        queue starts with "q".)"""
        return super().get_query_string(new_params, [*(remove or []), SEARCH_VAR])

    def get_results(self, request: HttpRequest) -> None:
        if self.text_search:
            self.list_per_page = CONTENT_SEARCH_LIMIT  # every match on one page
        super().get_results(request)
        page = self.result_list
        if page.query.is_sliced:
            # Pick the page's ids from the queue index (visibility and filters apply there),
            # then load only those rows, in one query: sorting every waiting tip together
            # with its ciphertext costs SQLite ~0.1 s at 100,000 tips.
            self.result_list = (
                Tip.objects.filter(pk__in=page.values("pk"))
                .select_related("desk", "claimed_by")  # as TipAdmin.list_select_related
                .order_by(*page.query.order_by)
            )
        previews = tip_previews(
            tips=self.result_list,
            user=acting_user(request),
            personal_private_key=unlocked_key(request),
        )
        for tip in self.result_list:
            tip.preview_text = previews.get(tip.pk)
        if previews:
            # Even a one-line preview is a decryption: record whose, once per page.
            shown = [t.reference for t in self.result_list if t.pk in previews]
            tips_previewed_record(
                actor=acting_user(request),
                # After a text search, naming the tips shown would name the ones that
                # matched, and so link the words searched for to those tips.
                references=[] if self.text_search else shown,
                count=len(shown),
            )


@admin.register(Tip)
class TipAdmin(TipPageMixin):
    list_display = (
        "reference",
        "preview",
        "status",
        # Beside the status, where the table does not scroll it out of view at 1280 px.
        "proof",
        "desk_name",
        "holder",
        "unread",
        "age",
        "received",
        "contact_left",
    )
    list_display_links = ("reference",)
    list_filter = (
        QueueStatusFilter,
        ProofFilter,
        DeskFilter,
        AgeFilter,
        ClaimFilter,
        "has_contact",
    )
    list_select_related = ("desk", "claimed_by")
    list_per_page = 50
    search_fields = ("=reference",)
    search_help_text = _(
        "A reference finds that tip; any other words search the text of your desks' "
        "most recent tips (decrypted in memory, never stored)."
    )
    #: Oldest first; the id breaks ties in the order of the queue indexes (Tip.Meta).
    ordering = ("received_at", "pk")
    show_full_result_count = False
    fields = (
        "reference",
        "desk_name",
        "status",
        "received_at",
        "has_contact",
        # The holder's name, not the user field: its link leads to a page most staff may not open.
        "holder",
        "arrived_with_proof",
        "retention",
    )
    readonly_fields = fields
    actions = ("mark_spam", "mark_rejected", "mark_archived", "move_to_desk", "delete_for_good")
    change_form_template = "admin/newsroom/tip/change_form.html"
    change_list_template = "admin/newsroom/tip/change_list.html"

    # --- visibility and permissions -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tip]:
        return tips_visible_to(acting_user(request))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TipChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tips arrive through the public form only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not request.user.has_perm("intake.change_tip"):
            return {}
        return actions

    # --- columns -------------------------------------------------------------------

    @admin.display(description=_("desk"), ordering="desk__name")
    def desk_name(self, tip: Tip) -> str:
        return tip.desk.name if tip.desk else str(_("General only"))

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, tip: Tip) -> str:
        return f"{tip.received_at:%Y-%m-%d %H:00}"

    @admin.display(description=_("contact"), boolean=True, ordering="has_contact")
    def contact_left(self, tip: Tip) -> bool:
        return tip.has_contact

    @admin.display(description=_("proof"), boolean=True, ordering="arrived_with_proof")
    def proof(self, tip: Tip) -> bool:
        """False marks a tip sent without the form's proof of work (JavaScript off)."""
        return tip.arrived_with_proof

    @admin.display(description=_("held by"), ordering="claimed_by__username")
    def holder(self, tip: Tip) -> str:
        return tip.claimed_by.get_username() if tip.claimed_by else ""

    @admin.display(description=_("age"), ordering="received_at")
    def age(self, tip: Tip) -> str:
        return timesince(tip.received_at, depth=1)

    @admin.display(description=_("reply"), boolean=True)
    def unread(self, tip: Tip) -> bool:
        return tip.has_unread_reply

    @admin.display(description=_("deletion"))
    def retention(self, tip: Tip) -> str:
        """When retention will delete the tip, or that it never will by itself."""
        plan = tip_retention(tip)
        if plan is not None:
            return _("Will be deleted on %(date)s (%(kept)s).") % {
                "date": f"{plan.delete_on:%Y-%m-%d}",
                "kept": retention_phrase(plan.status, plan.days),
            }
        if tip.status in RETENTION_SETTINGS:
            return str(_("Never deleted automatically: this newsroom keeps these tips."))
        return str(
            _(
                "Never deleted automatically: new, in-review and accepted tips are kept until "
                "an editor closes them."
            )
        )

    @admin.display(description=_("preview"))
    def preview(self, tip: Tip) -> str:
        text = getattr(tip, "preview_text", None)
        return text if text is not None else str(_("🔒 locked"))

    # --- search: a reference, else the decrypted text ------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The queue; a search comes as a POST so its words never reach a URL or a log.

        A ``?q=`` in the address (an old bookmark) is dropped, never searched for.
        """
        if request.method == "GET" and SEARCH_VAR in request.GET:
            query = request.GET.copy()
            del query[SEARCH_VAR]
            self.message_user(
                request,
                _(
                    "Search with the box on the queue: search words are never put in "
                    "addresses, where they would reach browser history and server logs."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        term = ""
        if request.method == "POST" and TEXT_SEARCH_FIELD in request.POST:
            term = request.POST[TEXT_SEARCH_FIELD].strip()[:200]
            # The admin's changelist reads the search from the query; hand it over in memory.
            query = request.GET.copy()
            query[SEARCH_VAR] = term
            request.GET = query  # type: ignore[assignment]  # a mutable copy, on purpose
            setattr(request, TEXT_SEARCH_ATTR, bool(term))
        context = {**(extra_context or {}), "pista_search_term": term}
        return super().changelist_view(request, context)

    def get_preserved_filters(self, request: HttpRequest) -> str:
        """The filters a tip's page links back to, never the search words."""
        preserved = super().get_preserved_filters(request)
        if not preserved or SEARCH_VAR not in request.GET:
            return preserved
        query = request.GET.copy()
        del query[SEARCH_VAR]
        return urlencode({"_changelist_filters": query.urlencode()}) if query else ""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Tip], search_term: str
    ) -> tuple[QuerySet[Tip], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if _REFERENCE.match(term):
            # A reference names one tip: find it whatever the sidebar shows (the default
            # "Needs action" view would otherwise hide an archived tip quoted to an editor).
            by_reference = self.get_queryset(request).filter(reference__iexact=term)
            if by_reference.exists():
                return by_reference, False
        private_key = unlocked_key(request)
        if private_key is None:
            self.message_user(
                request,
                _("Only references can be looked up while your key is locked; log in again."),
                messages.WARNING,
            )
            return queryset.none(), False
        ids, searched = tips_matching_text(
            queryset=queryset,
            text=term,
            user=acting_user(request),
            personal_private_key=private_key,
        )
        # The search words are not recorded: they may be a source's name.
        tips_searched_record(actor=acting_user(request), searched=searched, matched=len(ids))
        self.message_user(
            request,
            _("Searched the text of %(n)d tip(s) (your desks' most recent), in memory.")
            % {"n": searched},
            messages.INFO,
        )
        return queryset.filter(pk__in=ids), False

    # --- bulk actions, each with a confirmation page ------------------------------

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[Tip],
        *,
        action: str,
        title: str,
        form: forms.Form | None = None,
        warning: str = "",
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "tips": queryset,
            "action": action,
            "form": form,
            "warning": warning,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/newsroom/tip/confirm_action.html", context)

    def _bulk_transition(
        self, request: HttpRequest, queryset: QuerySet[Tip], to_status: str, action: str, title: str
    ) -> HttpResponse | None:
        if "confirm" not in request.POST:
            return self._confirm(request, queryset, action=action, title=title)
        moved, errors = tips_transition(
            tips=queryset, actor=acting_user(request), to_status=to_status
        )
        self._report(request, moved, errors)
        return None

    def _report(self, request: HttpRequest, done: int, errors: list[str]) -> None:
        if errors:
            self.message_user(
                request,
                _("Nothing was changed: ") + "; ".join(errors),
                messages.ERROR,
            )
        else:
            self.message_user(request, _("%(n)d tip(s) updated.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Mark as spam"), permissions=["change"])
    def mark_spam(self, request: HttpRequest, queryset: QuerySet[Tip]) -> HttpResponse | None:
        return self._bulk_transition(
            request, queryset, Status.SPAM, "mark_spam", str(_("Mark these tips as spam?"))
        )

    @admin.action(description=_("Reject"), permissions=["change"])
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[Tip]) -> HttpResponse | None:
        return self._bulk_transition(
            request, queryset, Status.REJECTED, "mark_rejected", str(_("Reject these tips?"))
        )

    @admin.action(description=_("Archive"), permissions=["change"])
    def mark_archived(self, request: HttpRequest, queryset: QuerySet[Tip]) -> HttpResponse | None:
        return self._bulk_transition(
            request, queryset, Status.ARCHIVED, "mark_archived", str(_("Archive these tips?"))
        )

    @admin.action(description=_("Move to another desk"), permissions=["change"])
    def move_to_desk(self, request: HttpRequest, queryset: QuerySet[Tip]) -> HttpResponse | None:
        form = MoveForm(request.POST if "confirm" in request.POST else None)
        if "confirm" not in request.POST or not form.is_valid():
            return self._confirm(
                request,
                queryset,
                action="move_to_desk",
                title=str(_("Move these tips to another desk?")),
                form=form,
            )
        moved, errors = tips_move(
            tips=queryset,
            actor=acting_user(request),
            target=form.cleaned_data["target"],
            personal_private_key=unlocked_key(request),
        )
        self._report(request, moved, errors)
        return None

    @admin.action(description=_("Delete for good"), permissions=["change"])
    def delete_for_good(self, request: HttpRequest, queryset: QuerySet[Tip]) -> HttpResponse | None:
        if "confirm" not in request.POST:
            return self._confirm(
                request,
                queryset,
                action="delete_for_good",
                title=str(_("Delete these tips for good?")),
                warning=str(
                    _(
                        "Each tip goes with its text, every sealed copy of its key, its notes, "
                        "its conversation with the reader and its follow-ups. This cannot be "
                        "undone. Database backups made before today still hold them, sealed: "
                        "delete those backups on the same schedule."
                    )
                ),
            )
        done, errors = tips_delete(tips=queryset, actor=acting_user(request))
        self._report(request, done, errors)
        return None
