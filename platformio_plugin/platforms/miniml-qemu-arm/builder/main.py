"""Builder for `miniml-qemu-arm`: bare-metal Cortex-M with Debian's arm-none-eabi-gcc and picolibc, flags as the
official ststm32 platform's bare builder; picolibc's semihosting crt0 brings the vector table and turns main()'s
return value into QEMU's exit status. `upload` runs the firmware in qemu-system-arm."""

import os

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
runner = os.path.join(platform.get_dir(), "..", "miniml_run.py")

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    # Link with the C driver: picolibc has no libstdc++ (the C++ we build needs none).
    LINK="arm-none-eabi-gcc",
    GDB="arm-none-eabi-gdb",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.init|\.text|\.rodata|\.data|\.tdata|\.ARM\.exidx)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.tdata|\.bss|\.tbss|\.noinit)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGSUFFIX=".elf",
)
if env.get("PROGNAME", "program") == "program":
    env.Replace(PROGNAME="firmware")

cpu = ["-mthumb", "-mcpu=%s" % board.get("build.cpu")]
if board.get("build.fpu", ""):
    # A Cortex-M4F: use its FPU, as STM32 frameworks do (the bare official builder leaves the soft-float ABI).
    cpu += ["-mfpu=%s" % board.get("build.fpu"), "-mfloat-abi=hard"]
picolibc = ["--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost"]
memory = "-Wl,--defsym=__flash=%s,--defsym=__flash_size=%d,--defsym=__ram=%s,--defsym=__ram_size=%d" % (
    board.get("build.flash_origin"),
    board.get("upload.maximum_size"),
    board.get("build.ram_origin"),
    board.get("upload.maximum_ram_size"),
)

env.Append(
    ASFLAGS=["-x", "assembler-with-cpp"],
    CCFLAGS=cpu
    + [
        "-Os",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
        "-nostdlib",
        "-ffp-contract=off",  # no fused multiply-add: floats agree bit for bit with the host and RISC-V
        "--specs=picolibc.specs",
    ],
    CXXFLAGS=["-fno-rtti", "-fno-exceptions"],  # without -fno-exceptions picolibc lacks __exidx_start
    CPPDEFINES=[("F_CPU", "$BOARD_F_CPU"), "MINIML_SIMULATOR"],
    LINKFLAGS=cpu + picolibc + ["-Os", "-Wl,--gc-sections", memory],
    LIBS=["m"],
)

if "nobuild" in COMMAND_LINE_TARGETS:
    target_elf = os.path.join("$BUILD_DIR", "${PROGNAME}.elf")
else:
    target_elf = env.BuildProgram()
AlwaysBuild(env.Alias("nobuild", target_elf))
target_buildprog = env.Alias("buildprog", target_elf, target_elf)

AlwaysBuild(env.Alias("size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE")))

run_cmd = '"$PYTHONEXE" "%s" --machine %s "$SOURCE"' % (runner, board.get("simulator.machine"))
run_action = env.VerboseAction(run_cmd, "Running $SOURCE in qemu-system-arm")
AlwaysBuild(env.Alias("upload", target_elf, run_action))
AlwaysBuild(env.Alias("exec", target_elf, run_action))

Default([target_buildprog])
