"""Helpers shared by the tests (builders of small real files, the headless browser)."""
