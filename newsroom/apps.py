from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from .checks import migration_history_check

        register(migration_history_check, Tags.database)


class NewsroomAdminConfig(AdminConfig):
    """The Django admin, with Pista's site: login unlocks the personal key."""

    default_site = "newsroom.admin_site.NewsroomAdminSite"
