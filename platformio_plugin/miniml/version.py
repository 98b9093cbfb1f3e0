"""The MiniML version, the one place it is written (miniml.__version__ is this). pyproject.toml
reads it (setuptools dynamic version), the generated headers print it; the PlatformIO and Arduino
manifests (library.json, library.properties, the simulated platforms' platform.json, our Unity's
library.json) must repeat it literally, and test/python/test_versions.py holds them equal to it."""

VERSION = "0.1.0"
