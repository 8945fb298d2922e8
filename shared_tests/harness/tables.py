"""Rewrite (or check) the tables of shared_tests/README.md that are generated from ops.json.

    python -m harness.tables --write-readme
    python -m harness.tables --check-readme
"""
import sys

from .schema import main

if __name__ == "__main__":
    sys.exit(main())
