#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build, run in the Python base builder from the checkout (the Dockerfile's
# WORKDIR): every target of the harness as a PyInstaller one-file libFuzzer executable in $OUT, each with
# <target>_seed_corpus.zip (corpora/<target>/ without regressions/, whose known bugs' reproducers would
# crash the fuzzer before it starts) and <target>.dict where targets/ has one.

# The harness with the pinned stack and atheris (tests/test_clusterfuzzlite.py runs this script).
pip3 install ".[fuzz]"

# The checkout is the project: its targets, corpora and known-bug registry (harness.project).
export WEBRTC_HARNESS_PROJECT="$PWD"
scripts="$WORK/standalone-fuzzers"
python3 -m harness.standalone --scripts "$scripts" --out "$OUT"

for fuzzer in "$scripts"/*.py; do
  # --paths: PyInstaller finds the targets package each script imports in the checkout. pylibsrtp's
  # compiled binding imports cffi's backend from C, where PyInstaller's analysis cannot see it.
  compile_python_fuzzer "$fuzzer" --paths "$PWD" --hidden-import _cffi_backend
done
