"""pytest setup: makes harness.py (the shared export -> compile -> run -> compare helper) importable."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
