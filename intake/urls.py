from django.urls import path

from . import checkback, views

app_name = "intake"

urlpatterns = [
    path("", views.submit, name="submit"),
    path("receipt/", views.receipt, name="receipt"),
    path("check/", checkback.check, name="check"),
    path("check/conversation/", checkback.conversation, name="check_conversation"),
    path("check/leave/", checkback.leave, name="check_leave"),
]
