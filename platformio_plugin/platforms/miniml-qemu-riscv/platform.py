"""PlatformIO platform class: a simulated board is "embedded" (size checks, upload = run in the simulator)."""

from platformio.public import PlatformBase


class MinimlqemuriscvPlatform(PlatformBase):
    def is_embedded(self):
        # No uploader package is declared (that would make PlatformIO download it), so say it here.
        return True
