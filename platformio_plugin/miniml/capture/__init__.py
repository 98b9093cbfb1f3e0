"""torch.export program -> ir.Graph. The only package that imports torch (lazily, from api.py)."""
from .program import capture, example_from_program, load_program

__all__ = ["capture", "example_from_program", "load_program"]
