"""Builder for `miniml-native`: the host's gcc/g++, as PlatformIO's official `native` platform (which needs
the registry) does it, plus -ffp-contract=off so host floats match the boards bit for bit."""

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()

env.Replace(
    AR="ar",
    AS="gcc",
    CC="gcc",
    CXX="g++",
    OBJCOPY="objcopy",
    RANLIB="ranlib",
    PROGNAME=env.get("PROGNAME", "program"),
)

env.Append(
    # No fused multiply-add: the same float results as Cortex-M4F, RISC-V and soft-float AVR builds.
    CCFLAGS=["-ffp-contract=off"],
)

target_bin = env.BuildProgram()

exec_action = env.VerboseAction("$SOURCE $PROGRAM_ARGS", "Executing $SOURCE")
AlwaysBuild(env.Alias("exec", target_bin, exec_action))
AlwaysBuild(env.Alias("upload", target_bin, exec_action))

Default([target_bin])
