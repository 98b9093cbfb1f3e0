# PlatformIO build hook of the MiniML library (library.json build.extraScript): exports the env's
# custom_miniml_model files into $BUILD_DIR/miniml/ and prepends that folder to CPPPATH. Thin SCons
# shell:
# the logic is miniml.hook (stdlib only; never imports torch). Runs for every library build and IDE
# metadata dump, so it must stay cheap and idempotent: unchanged inputs re-export nothing.
import os
import sys

Import("env")  # noqa: F821 -- SCons injects Import; PlatformIO exports env and pio_lib_builder
try:
    Import("pio_lib_builder")  # noqa: F821
    _plugin = os.path.join(pio_lib_builder.path, "platformio_plugin")  # noqa: F821
except Exception:  # run outside PlatformIO's library builder: SConscript chdir'ed to this folder
    _plugin = os.path.abspath(os.getcwd())

# Import this repo's own copy of the package, never an unrelated installed `miniml` (PyPI has one).
if _plugin in sys.path:
    sys.path.remove(_plugin)
sys.path.insert(0, _plugin)
_loaded = sys.modules.get("miniml")
if _loaded is not None and not os.path.abspath(getattr(_loaded, "__file__", None) or "").startswith(
    os.path.join(_plugin, "miniml") + os.sep
):
    for _name in [n for n in sys.modules if n == "miniml" or n.startswith("miniml.")]:
        del sys.modules[_name]
import miniml.hook as _hook  # noqa: E402


def _options(env):
    config = env.GetProjectConfig()
    raw = {}
    for key in config.options(env=env["PIOENV"]):
        if key.startswith("custom_miniml_"):
            value = env.GetProjectOption(key, "")
            raw[key] = "\n".join(value) if isinstance(value, (list, tuple)) else str(value)
    return raw


def _board(env):
    if not env.get("BOARD"):
        return _hook.Board(name="", ram_bytes=0, flash_bytes=0)
    config = env.BoardConfig()
    return _hook.Board(
        name=env.subst("$BOARD"),
        ram_bytes=int(config.get("upload.maximum_ram_size", 0) or 0),
        flash_bytes=int(config.get("upload.maximum_size", 0) or 0),
    )


def _log(message):
    print("[miniml] " + message)


try:
    _out = _hook.generate(
        _options(env),  # noqa: F821
        env.subst("$PROJECT_DIR"),  # noqa: F821
        env.subst("$BUILD_DIR"),  # noqa: F821
        _board(env),  # noqa: F821
        [env.subst("$PYTHONEXE"), sys.executable, "python3"],  # noqa: F821
        _log,
    )
except _hook.HOOK_ERRORS as _exc:
    # the first line says what failed; the exporter's further lines (source, supported ops) follow
    _first, *_rest = str(_exc).splitlines() or [""]
    sys.stderr.write("".join(["[miniml] error: %s\n" % _first] + ["[miniml]   %s\n" % r for r in _rest]))
    env.Exit(1)  # noqa: F821
else:
    if _out:
        env.Prepend(CPPPATH=[_out])  # noqa: F821
