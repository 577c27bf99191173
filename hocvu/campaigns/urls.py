from django.urls import path

from hocvu.campaigns import report_views, views

urlpatterns = [
    path("", views.home, name="manage"),
    path("units/<int:unit_id>/", views.unit_dashboard, name="manage-unit"),
    path("units/<int:unit_id>/people/", views.unit_people, name="manage-people"),
    path("units/<int:unit_id>/report.xlsx", report_views.report_xlsx, name="manage-report-xlsx"),
    path("units/<int:unit_id>/report.pdf", report_views.report_pdf, name="manage-report-pdf"),
    path("units/<int:unit_id>/quality/", report_views.unit_quality, name="manage-quality"),
    path(
        "units/<int:unit_id>/quality/people/",
        report_views.quality_people,
        name="manage-quality-people",
    ),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
]
