"""Staff users: Django's user admin, where setting someone else's password replaces their
personal key (flow 6), with the login lockout and second-factor reset beside it."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..actor import acting_user
from ..admin_errors import run
from ..forms.auth import StaffPasswordResetForm
from ..selectors.accounts import staff_with_account_state
from ..services.factors import factors_reset
from ..services.logins import login_unlock

User = get_user_model()  # the project uses django.contrib.auth's User


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]  # User comes from get_user_model()
    """Django's user admin; setting someone else's password replaces their personal key."""

    change_password_form = StaffPasswordResetForm
    change_user_password_template = "admin/newsroom/reset_password.html"  # noqa: S105 - a path
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "locked",
        "second_factor",
    )
    actions = ("unlock_login", "reset_second_factors")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return staff_with_account_state(super().get_queryset(request))

    @admin.display(description=gettext_lazy("login locked"), boolean=True)
    def locked(self, user: Any) -> bool:
        return bool(user.is_locked)

    @admin.display(description=gettext_lazy("second factor"), boolean=True)
    def second_factor(self, user: Any) -> bool:
        return bool(user.has_factor)

    @admin.action(
        description=gettext_lazy("Unlock the login of the selected users"), permissions=["change"]
    )
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = acting_user(request)
        unlocked = sum(login_unlock(user=user, actor=actor) for user in queryset)
        messages.success(
            request,
            ngettext("%(n)d login unlocked.", "%(n)d logins unlocked.", unlocked) % {"n": unlocked},
        )

    @admin.action(
        description=gettext_lazy("Reset the second factors of the selected users"),
        permissions=["change"],
    )
    def reset_second_factors(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = acting_user(request)
        for user in queryset:
            run(
                request,
                partial(factors_reset, user=user, actor=actor),
                success=_(
                    "%(name)s's second factors were removed: they set one up again at their "
                    "next login. Their desks' coordinators see the reset, and they were told "
                    "by e-mail."
                )
                % {"name": user.get_username()},
            )


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
