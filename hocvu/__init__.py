"""hocvu: the platform for national digital-literacy programs."""
