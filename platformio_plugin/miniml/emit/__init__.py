"""Header writer: literals, names, ROM placement, static_asserts; nothing op-specific."""
from .header import EmitCtx, HeaderParts, Member, RomArray, emit_header
from ..literals import float_literal
from .names import check_model_name, sanitize

__all__ = [
    "EmitCtx",
    "HeaderParts",
    "Member",
    "RomArray",
    "check_model_name",
    "emit_header",
    "float_literal",
    "sanitize",
]
