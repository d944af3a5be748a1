"""The editors' review queue and tip page. Ciphertext is never listed, searched or filtered.

Views here stay thin: they read through ``selectors`` and change state only
through ``review`` / ``services`` functions.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from newsroom.access import can_coordinate, followups_visible_to
from newsroom.admin_filters import DefaultedListFilter
from newsroom.exceptions import KeyLocked, NewsroomError
from newsroom.keyring import keyring_from_request, staff_user
from newsroom.models import AuditEvent, Desk
from newsroom.services import audit

from . import review
from .admin_conversation import conversation_urls
from .models import Tip
from .selectors import (
    regional_desks_for_move,
    tip_previews,
    tips_matching_text,
    tips_visible_to,
)
from .services import tip_open

Status = Tip.Status
_REFERENCE = re.compile(r"^[23456789A-Za-z]{10}$")


class QueueStatusFilter(DefaultedListFilter):
    """Status, defaulting to the tips that need action; each choice shows its count."""

    title = _("status")
    parameter_name = "status"
    WAITING = "waiting"
    ALL = "all"
    default = WAITING

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        counts = dict(
            model_admin.get_queryset(request)
            .values_list("status")
            # COUNT(*), not COUNT(id): the queue index alone answers it (COUNT(id) reads
            # every row: 0.3 s on SQLite at 100,000 tips; see docs/benchmarks.md).
            .annotate(n=Count("*"))
            .order_by()
        )
        waiting = sum(counts.get(s, 0) for s in review.WAITING)
        return [
            (self.WAITING, f"{_('Needs action')} ({waiting})"),
            *[(value, f"{label} ({counts.get(value, 0)})") for value, label in Status.choices],
            (self.ALL, f"{_('All')} ({sum(counts.values())})"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        value = self.chosen()
        if value == self.WAITING:
            return queryset.filter(status__in=review.WAITING)
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("day", _("Under 24 hours")),
            ("week", _("1 to 7 days")),
            ("older", _("Older than 7 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        now = timezone.now()
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        if self.value() == "day":
            return queryset.filter(received_at__gt=day)
        if self.value() == "week":
            return queryset.filter(received_at__lte=day, received_at__gt=week)
        if self.value() == "older":
            return queryset.filter(received_at__lte=week)
        return queryset


class ClaimFilter(admin.SimpleListFilter):
    title = _("claimed")
    parameter_name = "claim"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Claimed by me")), ("none", _("Unclaimed")), ("others", _("By others"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value() == "mine":
            return queryset.filter(claimed_by=staff_user(request))
        if self.value() == "none":
            return queryset.filter(claimed_by__isnull=True)
        if self.value() == "others":
            return queryset.exclude(claimed_by__isnull=True).exclude(claimed_by=staff_user(request))
        return queryset


class DeskFilter(admin.SimpleListFilter):
    """The viewer's own desks only, so the filter reveals no other desk."""

    title = _("desk")
    parameter_name = "desk"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        user = staff_user(request)
        desks = Desk.objects.filter(memberships__user=user, is_general=False)
        general = Desk.objects.filter(memberships__user=user, is_general=True).exists()
        choices = [(str(desk.pk), desk.name) for desk in desks.order_by("name")]
        if general:
            choices = [(str(desk.pk), desk.name) for desk in regional_desks_for_move()]
            choices.append(("none", str(_("General only (reader not sure)"))))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value() == "none":
            return queryset.filter(desk__isnull=True)
        if value := self.value():
            if not (value.isascii() and value.isdigit()):
                # A hand-edited URL: the admin's "invalid filter" page, not a server error.
                raise IncorrectLookupParameters(f"Unknown desk {value!r}.")
            return queryset.filter(desk_id=value)
        return queryset


class TipChangeList(ChangeList):
    """Decrypts a preview for the rows of the current page only."""

    def get_results(self, request: HttpRequest) -> None:
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
            user=staff_user(request),
            personal_private_key=keyring_from_request(request),
        )
        for tip in self.result_list:
            tip.preview_text = previews.get(tip.pk)
        if previews:
            # Even a one-line preview is a decryption: record whose, once per page.
            audit(
                action=AuditEvent.Action.TIPS_PREVIEWED,
                actor=staff_user(request),
                detail=" ".join(t.reference for t in self.result_list if t.pk in previews),
            )


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when reopening. Sealed: only the tip's desks can read it."),
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of (reference)"), required=False, max_length=16
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class TakeOverForm(forms.Form):
    reason = forms.CharField(label=_("Why take it over?"), max_length=500)


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Move to desk"),
        queryset=Desk.objects.none(),
        empty_label=_("— choose a desk —"),
        error_messages={"required": _("Choose the desk to move the tips to.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = regional_desks_for_move()  # type: ignore[attr-defined]


@admin.register(Tip)
class TipAdmin(admin.ModelAdmin[Tip]):
    list_display = (
        "reference",
        "preview",
        "status",
        "desk_name",
        "holder",
        "unread",
        "age",
        "received",
        "contact_left",
    )
    list_display_links = ("reference",)
    list_filter = (QueueStatusFilter, DeskFilter, AgeFilter, ClaimFilter, "has_contact")
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
    )
    readonly_fields = fields
    actions = ("mark_spam", "mark_rejected", "mark_archived", "move_to_desk", "delete_for_good")
    change_form_template = "admin/intake/tip/change_form.html"

    class Media:
        css: ClassVar = {"all": ["newsroom/admin.css"]}

    # --- visibility and permissions -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tip]:
        return tips_visible_to(staff_user(request))

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

    @admin.display(description=_("held by"), ordering="claimed_by__username")
    def holder(self, tip: Tip) -> str:
        return tip.claimed_by.get_username() if tip.claimed_by else ""

    @admin.display(description=_("age"), ordering="received_at")
    def age(self, tip: Tip) -> str:
        return timesince(tip.received_at, depth=1)

    @admin.display(description=_("reply"), boolean=True)
    def unread(self, tip: Tip) -> bool:
        return tip.has_unread_reply

    @admin.display(description=_("preview"))
    def preview(self, tip: Tip) -> str:
        text = getattr(tip, "preview_text", None)
        return text if text is not None else str(_("🔒 locked"))

    # --- search: a reference, else the decrypted text ------------------------------

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
        private_key = keyring_from_request(request)
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
            user=staff_user(request),
            personal_private_key=private_key,
        )
        # The search words are not recorded: they may be a source's name.
        audit(
            action=AuditEvent.Action.TIPS_SEARCHED,
            actor=staff_user(request),
            detail=f"searched the text of {searched} tip(s); {len(ids)} matched",
        )
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
        return TemplateResponse(request, "admin/intake/tip/confirm_action.html", context)

    def _bulk_transition(
        self, request: HttpRequest, queryset: QuerySet[Tip], to_status: str, action: str, title: str
    ) -> HttpResponse | None:
        if "confirm" not in request.POST:
            return self._confirm(request, queryset, action=action, title=title)
        moved, errors = review.tips_transition(
            tips=queryset, actor=staff_user(request), to_status=to_status
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
        moved, errors = review.tips_move(
            tips=queryset,
            actor=staff_user(request),
            target=form.cleaned_data["target"],
            personal_private_key=keyring_from_request(request),
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
        done, errors = review.tips_delete(tips=queryset, actor=staff_user(request))
        self._report(request, done, errors)
        return None

    # --- the tip page ------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        def route(suffix: str, view: Any, name: str) -> Any:
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"intake_tip_{name}",
            )

        return [
            *conversation_urls(self),
            route("transition", self.transition_view, "transition"),
            route("claim", self.claim_view, "claim"),
            route("release", self.release_view, "release"),
            route("take-over", self.take_over_view, "take_over"),
            route("note", self.note_view, "note"),
            route("move", self.move_view, "move"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # The page is read-only; every change goes through the buttons' own views.
            return HttpResponseNotAllowed(["GET"])
        context = dict(extra_context or {})
        tip = self.get_object(request, object_id)
        if tip is not None:
            content_key = None
            try:
                content = tip_open(
                    tip=tip,
                    user=staff_user(request),
                    personal_private_key=keyring_from_request(request),
                )
                context["tip_content"], content_key = content, content.content_key
            except KeyLocked as exc:
                context["tip_locked_reason"] = str(exc)
            context.update(
                timeline=review.tip_timeline(tip=tip, content_key=content_key),
                duplicates=tips_visible_to(staff_user(request)).filter(duplicate_of=tip),
                # The original is shown only to those who may see it: another desk's
                # reference is not theirs to learn.
                original_tip=tips_visible_to(staff_user(request))
                .filter(pk=tip.duplicate_of_id)
                .first()
                if tip.duplicate_of_id
                else None,
                followups=followups_visible_to(staff_user(request))
                .filter(tip=tip)
                .select_related("assignee")
                .order_by("due_date"),
                can_create_followup=tip.status == Status.ACCEPTED
                and can_coordinate(staff_user(request), tip.desk)
                if tip.desk
                else False,
                can_review=review.can_review(tip, staff_user(request)),
                transition_form=TransitionForm(),
                allowed_statuses=[
                    (value, Status(value).label)
                    for value in Status.values
                    if value in review.ALLOWED_TRANSITIONS[tip.status]
                ],
                note_form=NoteForm(),
                take_over_form=TakeOverForm(),
                move_form=MoveForm(),
                title=_("Tip %(reference)s") % {"reference": tip.reference},
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
            )
        return super().change_view(request, object_id, form_url, context)

    def _tip_or_404(self, request: HttpRequest, object_id: str) -> Tip:
        try:
            return get_object_or_404(self.get_queryset(request), pk=object_id)
        except ValidationError as exc:  # not a UUID at all: the same answer as an unknown tip
            raise Http404 from exc

    def _back(self, tip: Tip) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:intake_tip_change", args=[tip.pk]))

    def _run(self, request: HttpRequest, tip: Tip, action: Any, done: str) -> HttpResponse:
        try:
            action()
        except (NewsroomError, KeyLocked) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(tip)

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose a valid status."), messages.ERROR)
            return self._back(tip)
        reference = form.cleaned_data["duplicate_of"].strip()
        original = None
        if reference:
            original = (
                tips_visible_to(staff_user(request)).filter(reference__iexact=reference).first()
            )
            if original is None:
                self.message_user(
                    request,
                    _("No tip of yours has the reference %(r)s.") % {"r": reference},
                    messages.ERROR,
                )
                return self._back(tip)
        to_status = form.cleaned_data["to_status"]
        return self._run(
            request,
            tip,
            lambda: review.tip_transition(
                tip=tip,
                actor=staff_user(request),
                to_status=to_status,
                reason=form.cleaned_data["reason"],
                duplicate_of=original,
                personal_private_key=keyring_from_request(request),
            ),
            str(_("Status changed to %(s)s.") % {"s": Status(to_status).label}),
        )

    def claim_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        return self._run(
            request,
            tip,
            lambda: review.tip_claim(tip=tip, actor=staff_user(request)),
            str(_("You now hold this tip.")),
        )

    def release_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        return self._run(
            request,
            tip,
            lambda: review.tip_release(tip=tip, actor=staff_user(request)),
            str(_("Claim released.")),
        )

    def take_over_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = TakeOverForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        return self._run(
            request,
            tip,
            lambda: review.tip_take_over(
                tip=tip,
                actor=staff_user(request),
                reason=reason,
                personal_private_key=keyring_from_request(request),
            ),
            str(_("You took over this tip.")),
        )

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = NoteForm(request.POST)
        text = form.cleaned_data["text"] if form.is_valid() else ""
        return self._run(
            request,
            tip,
            lambda: review.note_add(
                tip=tip,
                actor=staff_user(request),
                text=text,
                personal_private_key=keyring_from_request(request),
            ),
            str(_("Note added.")),
        )

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tip = self._tip_or_404(request, object_id)
        form = MoveForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose a desk to move the tip to."), messages.ERROR)
            return self._back(tip)
        target = form.cleaned_data["target"]
        return self._run(
            request,
            tip,
            lambda: review.tip_move(
                tip=tip,
                actor=staff_user(request),
                target=target,
                personal_private_key=keyring_from_request(request),
            ),
            str(_("Tip moved to %(d)s.") % {"d": target}),
        )
