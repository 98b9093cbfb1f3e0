# Source me: the environment every MiniML script and `pio` command runs in (offline PlatformIO core in .pio-core).
#   . scripts/env.sh && pio test -e sim_uno --without-uploading
_miniml_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MINIML_ROOT="$_miniml_root"
export PLATFORMIO_CORE_DIR="$_miniml_root/.pio-core"
# This tree's exporter first (the editable install may point at another checkout, e.g. a git worktree).
export PYTHONPATH="$_miniml_root/platformio_plugin${PYTHONPATH:+:$PYTHONPATH}"
export PLATFORMIO_SETTING_ENABLE_TELEMETRY=No
export PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL=3650
export PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD=0
case ":$PATH:" in
  *":$_miniml_root/.venv/bin:"*) ;;
  *) export PATH="$_miniml_root/.venv/bin:$PATH" ;;
esac
unset _miniml_root
