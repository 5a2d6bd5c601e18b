"""Widgets of the review's screens."""
