"""Staff users: Django's user admin, where setting someone else's password replaces their
personal key (flow 6)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ..forms.auth import StaffPasswordResetForm

User = get_user_model()  # the project uses django.contrib.auth's User


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]  # User comes from get_user_model()
    """Django's user admin; setting someone else's password replaces their personal key."""

    change_password_form = StaffPasswordResetForm
    change_user_password_template = "admin/newsroom/reset_password.html"  # noqa: S105 - a path


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
