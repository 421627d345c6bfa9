"""The sealed component, still repaired, but mutated as bytes only: the control for the structure-aware run."""

import dataclasses
from pathlib import Path

from harness.target import load_target

target = dataclasses.replace(load_target("sealed", Path(__file__).parent), name="sealed_blind", mutator=None)
