"""Builder for `miniml-qemu-riscv`: bare-metal rv32imc (ESP32-C3 class) with Debian's riscv64-unknown-elf-gcc and picolibc, flags as the
official espressif32 platform's bare builder for its RISC-V chips; picolibc's semihosting crt0 brings the vector table and turns main()'s
return value into QEMU's exit status. `upload` runs the firmware in qemu-system-riscv32."""

import os

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
runner = os.path.join(platform.get_dir(), "..", "miniml_run.py")

env.Replace(
    AR="riscv64-unknown-elf-gcc-ar",
    AS="riscv64-unknown-elf-as",
    CC="riscv64-unknown-elf-gcc",
    CXX="riscv64-unknown-elf-g++",
    # Link with the C driver: picolibc has no libstdc++ (the C++ we build needs none).
    LINK="riscv64-unknown-elf-gcc",
    GDB="riscv64-unknown-elf-gdb",
    OBJCOPY="riscv64-unknown-elf-objcopy",
    RANLIB="riscv64-unknown-elf-gcc-ranlib",
    SIZETOOL="riscv64-unknown-elf-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.init|\.text|\.rodata|\.data|\.tdata)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.tdata|\.bss|\.tbss|\.noinit)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGSUFFIX=".elf",
)
if env.get("PROGNAME", "program") == "program":
    env.Replace(PROGNAME="firmware")

# rv32imc maps to picolibc's rv32im multilib; a `_z*` suffix would silently pick 64-bit libraries. ISA spec 2.2
# keeps the CSR instructions (rdcycle/minstret reads) in the base ISA, as the ESP32-C3 toolchain's older gcc does.
cpu = ["-march=%s" % board.get("build.march"), "-mabi=%s" % board.get("build.mabi"), "-misa-spec=2.2"]
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
        "-ffp-contract=off",  # no fused multiply-add: floats agree bit for bit with the host and Cortex-M4F
        "--specs=picolibc.specs",
    ],
    CXXFLAGS=["-fno-rtti", "-fno-exceptions", "-std=gnu++11"],
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
run_action = env.VerboseAction(run_cmd, "Running $SOURCE in qemu-system-riscv32")
AlwaysBuild(env.Alias("upload", target_elf, run_action))
AlwaysBuild(env.Alias("exec", target_elf, run_action))

Default([target_buildprog])
