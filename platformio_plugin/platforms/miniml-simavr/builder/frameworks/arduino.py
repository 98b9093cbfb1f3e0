"""`framework = arduino` on miniml-simavr: Debian's Arduino AVR core (package arduino-core-avr, installed by
scripts/setup.sh) used in place, no PlatformIO package. Defines and layout as the Arduino IDE's platform.txt and
the official atmelavr platform's Arduino builder, so a project builds unchanged for `platform = atmelavr`; the
core's libraries (EEPROM, Wire, SPI, SoftwareSerial) are found by PlatformIO's library finder."""

import os
import sys

from SCons.Script import DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()

CORE_ROOT = os.environ.get("MINIML_ARDUINO_AVR", "/usr/share/arduino/hardware/arduino/avr")
if not os.path.isfile(os.path.join(CORE_ROOT, "cores", "arduino", "Arduino.h")):
    sys.stderr.write(
        "[miniml] framework = arduino needs Debian's Arduino AVR core in %s: run `bash scripts/setup.sh` "
        "(apt-get install arduino-core-avr), or point MINIML_ARDUINO_AVR at a hardware/arduino/avr folder\n"
        % CORE_ROOT
    )
    env.Exit(1)

core_dir = os.path.join(CORE_ROOT, "cores", board.get("build.core", "arduino"))
variant_dir = os.path.join(CORE_ROOT, "variants", board.get("build.variant", "standard"))

env.Append(
    CPPDEFINES=[
        ("ARDUINO", 10819),  # Debian's Arduino IDE 1.8.19, whose arduino-builder builds this core
        "ARDUINO_ARCH_AVR",
        ("ARDUINO_%s" % board.get("build.board", "AVR_UNO"), None),
        ("DECIMAL_DIG", 17),  # WString.cpp uses it; avr-gcc 5.4's <float.h> lacks it
    ],
    ASFLAGS=["-mmcu=$BOARD_MCU"],  # the core's wiring_pulse.S includes <avr/io.h>
    CPPPATH=[core_dir, variant_dir],
    LIBSOURCE_DIRS=[os.path.join(CORE_ROOT, "libraries")],
)

env.Prepend(LIBS=[env.BuildLibrary(os.path.join("$BUILD_DIR", "FrameworkArduino"), core_dir)])
