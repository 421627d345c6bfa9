"""The sealed component, still repaired, but mutated as bytes only: the control for the structure-aware run."""

import dataclasses

from .sealed import target as sealed

target = dataclasses.replace(sealed, name="sealed_blind", mutator=None)
