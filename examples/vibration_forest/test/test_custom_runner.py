"""PlatformIO custom test runner: PlatformIO's own Unity output parser, without downloading Unity.

Envs with `test_framework = custom` list our Unity-compatible library (platformio_plugin/unity) in lib_deps; it
prints through UART0 (AVR) or stdout/semihosting itself, so no unity_config.h is generated here. The simulator
runs through `test_testing_command` (coreutils `timeout` around platformio_plugin/platforms/miniml_run.py).
"""

from platformio.test.runners.unity import UnityTestRunner


class CustomTestRunner(UnityTestRunner):
    EXTRA_LIB_DEPS = None

    def configure_build_env(self, env):
        # Real Unity needs UNITY_INCLUDE_CONFIG_H and a generated output shim; ours needs neither.
        return env
