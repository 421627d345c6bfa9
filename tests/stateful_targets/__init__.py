"""Targets of deliberately broken components (tests/components), for the harness's own tests."""
