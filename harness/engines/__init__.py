"""Engines drive targets; they know nothing of protocols."""
