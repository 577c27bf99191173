"""The certification exam, under /learn/exam/ (the learner's own attempts only)."""

from django.urls import path

from hocvu.certification import views

urlpatterns = [
    path("exam/", views.exam_home, name="exam-home"),
    path("exam/start/", views.exam_start, name="exam-start"),
    path("exam/<uuid:attempt_id>/", views.exam_page, name="exam"),
    path("exam/<uuid:attempt_id>/review/", views.exam_review, name="exam-review"),
    path("exam/<uuid:attempt_id>/submit/", views.exam_submit, name="exam-submit"),
    path("exam/<uuid:attempt_id>/result/", views.exam_result, name="exam-result"),
    path("exam/<uuid:attempt_id>/<uuid:item_uid>/", views.exam_answer, name="exam-answer"),
    path("exam/<uuid:attempt_id>/<uuid:item_uid>/flag/", views.exam_flag, name="exam-flag"),
]
