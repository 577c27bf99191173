"""Psychometrics for hocvu: IRT models, calibration, ability estimation, adaptive testing.

This package never imports Django (enforced by an import contract): arrays in, arrays
and frozen dataclasses out.
"""
