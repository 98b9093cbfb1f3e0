"""Builder for `miniml-simavr`: AVR with Debian's avr-gcc, flags as the official atmelavr platform's bare builder
(frameworks/_bare.py), so what builds here builds there; `framework = arduino` adds Debian's Arduino AVR core
(frameworks/arduino.py); `upload` runs the firmware in simavr."""

import os

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
runner = os.path.join(platform.get_dir(), "..", "miniml_run.py")

env.Replace(
    AR="avr-gcc-ar",
    AS="avr-as",
    CC="avr-gcc",
    GDB="avr-gdb",
    CXX="avr-g++",
    OBJCOPY="avr-objcopy",
    RANLIB="avr-gcc-ranlib",
    SIZETOOL="avr-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.text|\.data|\.bootloader)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.noinit)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -A -d $SOURCES",
    PROGSUFFIX=".elf",
)
if env.get("PROGNAME", "program") == "program":
    env.Replace(PROGNAME="firmware")

env.Append(
    ASFLAGS=["-x", "assembler-with-cpp"],
    CCFLAGS=[
        "-Os",
        "-Wall",
        "-ffunction-sections",
        "-fdata-sections",
        "-flto",
        "-mmcu=$BOARD_MCU",
        "-ffp-contract=off",  # no fused multiply-add anywhere (AVR has none; kept for one flag set)
    ],
    CFLAGS=["-std=gnu11", "-fno-fat-lto-objects"],
    # avr-g++ 5.4 defaults to gnu++98; the official builder asks for gnu++11 as well.
    CXXFLAGS=["-fno-exceptions", "-fno-threadsafe-statics", "-fpermissive", "-std=gnu++11"],
    CPPDEFINES=[("F_CPU", "$BOARD_F_CPU"), "MINIML_SIMULATOR"],
    LINKFLAGS=["-Os", "-mmcu=$BOARD_MCU", "-Wl,--gc-sections", "-flto", "-fuse-linker-plugin"],
    LIBS=["m"],
)

# The simulator's exit: returning from main() puts the CPU to sleep with interrupts off, which ends simavr.
env.BuildSources(os.path.join("$BUILD_DIR", "miniml_sim_runtime"), os.path.join(platform.get_dir(), "runtime"))

if "nobuild" in COMMAND_LINE_TARGETS:
    target_elf = os.path.join("$BUILD_DIR", "${PROGNAME}.elf")
else:
    target_elf = env.BuildProgram()
AlwaysBuild(env.Alias("nobuild", target_elf))
target_buildprog = env.Alias("buildprog", target_elf, target_elf)

AlwaysBuild(env.Alias("size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE")))

sim = board.get("simulator", {})
# An Arduino sketch's loop() never returns: its run stops after `board_simulator.idle_ms` of simulated time
# without serial output (default 3000 with the Arduino framework, room for the usual
# delay(2000) before the first print; 0 = off) or at `board_simulator.limit_ms`. `board_simulator.pty = LINK`
# puts the serial text on a pseudo-terminal linked at LINK, a port for `miniml capture --port LINK`.
arduino = "arduino" in env.get("PIOFRAMEWORK", [])
run_cmd = '"$PYTHONEXE" "%s" --mcu %s --frequency %d --idle-ms %d --limit-ms %d%s "$SOURCE"' % (
    runner,
    sim.get("mcu", board.get("build.mcu")),
    int(sim.get("frequency", int(str(board.get("build.f_cpu")).rstrip("L")))),
    int(sim.get("idle_ms", 3000 if arduino else 0)),
    int(sim.get("limit_ms", 0)),
    ' --pty "%s"' % sim["pty"] if sim.get("pty") else "",
)
run_action = env.VerboseAction(run_cmd, "Running $SOURCE in simavr")
AlwaysBuild(env.Alias("upload", target_elf, run_action))
AlwaysBuild(env.Alias("exec", target_elf, run_action))

Default([target_buildprog])
