from django.urls import path

from hocvu.learning import views

urlpatterns = [
    path("", views.dashboard, name="learn"),
    path("placement/", views.placement_start, name="placement-start"),
    path("placement/<uuid:attempt_id>/", views.placement_question, name="placement"),
    path("profile/", views.my_proficiency, name="proficiency"),
    path("path/", views.my_path, name="path"),
    path("lessons/<int:lesson_id>/", views.lesson, name="lesson"),
    path("lessons/<int:lesson_id>/done/", views.lesson_done, name="lesson-done"),
    path("lessons/<int:lesson_id>/captions.vtt", views.lesson_captions, name="lesson-captions"),
    path("modules/<int:module_id>/practice/", views.practice_start, name="practice-start"),
    path("modules/<int:module_id>/check/", views.check_start, name="check-start"),
    path("practice/<uuid:attempt_id>/", views.practice, name="practice"),
    path(
        "practice/<uuid:attempt_id>/<uuid:item_uid>/", views.practice_answer, name="practice-answer"
    ),
    path("review/", views.review_start, name="review"),
    path("modules/<int:module_id>/pdf/", views.module_pdf, name="module-pdf"),
    path("modules/<int:module_id>/offline/", views.module_offline, name="module-offline"),
    path("saved/", views.offline_saved, name="offline-saved"),
]
