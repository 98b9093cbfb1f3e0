"""C++ identifiers: model names are checked (OptionError), internal names are sanitised; neither may be
a C keyword or a name a libc or board header could #define."""
from __future__ import annotations

import re
from typing import Set

from ..errors import OptionError

CXX_KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t
    class compl const constexpr const_cast continue decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable namespace new
    noexcept not not_eq nullptr operator or or_eq private protected public register reinterpret_cast
    return short signed sizeof static static_assert static_cast struct switch template this
    thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
    wchar_t while xor xor_eq restrict _Bool _Complex _Imaginary final override
    char8_t concept consteval constinit co_await co_return co_yield requires""".split()
)
# Names the generated header or the runtime already uses at namespace scope.
RESERVED = frozenset(
    "miniml std Model Weights WeightsData Golden GoldenData kInputSize kOutputSize kArenaBytes "
    "kGoldenCount main PROGMEM NULL input output".split()
)
# Lowercase object-like macros of the C libraries MiniML meets (glibc, newlib, avr-libc); other macros
# are upper case by convention, so names without a lowercase letter are treated as possible macros
# (INT8_MAX, NAN, M_PI, EOF, SREG, RAMEND, PORTB, HIGH, ...).
LOWERCASE_MACROS = frozenset("errno stdin stdout stderr math_errhandling".split())
# Model's own members and methods (a RAM param `x` becomes the member `x_`).
MEMBER_NAMES = frozenset("arena predict reset learn save load set_learning_rate".split())
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_model_name(name: str) -> str:
    """The model name becomes a C++ namespace and the header's file name."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise OptionError(
            f"model name {name!r} is not a C++ identifier: use letters, digits and _ , starting with "
            "a letter (e.g. 'sensor_net')"
        )
    if could_be_macro(name):
        raise OptionError(
            f"model name {name!r} could be a C macro (a name with no lowercase letter, like INT8_MAX, "
            "SREG or RAMEND, is one in some board or libc header, and would break the namespace); "
            f"use lowercase letters, e.g. '{name.lower()}_model'"
        )
    if name in CXX_KEYWORDS or name in RESERVED or "__" in name:
        raise OptionError(
            f"model name {name!r} is a C/C++ keyword or a name MiniML reserves; pick another, "
            f"e.g. '{name}_model'"
        )
    return name


def could_be_macro(ident: str) -> bool:
    """True for identifiers a C or board header may #define: no lowercase letter, or a known
    lowercase macro."""
    return ident.lower() == ident.upper() or ident == ident.upper() or ident in LOWERCASE_MACROS


def sanitize(raw: str, taken: Set[str]) -> str:
    """A unique, keyword-free C++ identifier derived from a torch name like 'features.0.weight'."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", raw).strip("_")
    s = re.sub(r"_+", "_", s) or "t"
    if s[0].isdigit():
        s = "t" + s
    if s in CXX_KEYWORDS or s in RESERVED or s in MEMBER_NAMES or could_be_macro(s):
        s = "p_" + s  # a prefix, not a "_" suffix: RAM params become members named s + "_"
    base, i = s, 1
    while s in taken:
        i += 1
        s = f"{base}_{i}"
    taken.add(s)
    return s
