from django.urls import path

from hocvu.roster import views

urlpatterns = [
    path("", views.index, name="roster"),
    path("template.xlsx", views.template_xlsx, name="roster-template-xlsx"),
    path("template.csv", views.template_csv, name="roster-template-csv"),
    path("<int:import_id>/", views.detail, name="roster-import"),
    path("<int:import_id>/commit/", views.commit, name="roster-commit"),
    path("<int:import_id>/report.csv", views.report_csv, name="roster-report"),
]
