from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Tips"
    default_auto_field = "django.db.models.BigAutoField"
