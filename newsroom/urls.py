from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

urlpatterns = [
    # Desks moved to the public package's models in 0.2 (their public keys seal tips), so
    # the admin serves them under /admin/intake/desk/; old links and bookmarks still work.
    re_path(
        r"^admin/newsroom/desk/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/intake/desk/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
]

# A database that stops answering gets a plain "reload in a few minutes" page (503), on
# every path and whichever middleware met it first; any other error, Django's own page.
handler500 = "intake.views.server_error"
