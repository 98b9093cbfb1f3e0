"""`pio pkg pack` of the MiniML library, offline: PlatformIO validates the manifest's licence
against the SPDX list, which it downloads; here that list is answered with the licence
library.json names (MIT, as LICENSE says), and everything else is PlatformIO's own packer
(library.json `export` picks the files: the manifests, LICENSE, README.md, include/,
platformio_plugin/, examples/).

  .venv/bin/python scripts/pack.py [OUT_DIR [SOURCE]]  -> OUT_DIR/MiniML-<version>.tar.gz
                                                        (default build/pack, from this repository)

Install the tarball in a project with `lib_deps = file:///path/to/MiniML-<version>.tar.gz`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv):
    out = Path(argv[0]) if argv else REPO / "build" / "pack"
    source = Path(argv[1]) if len(argv) > 1 else REPO
    out.mkdir(parents=True, exist_ok=True)
    from platformio.package.manifest.schema import ManifestSchema
    from platformio.package.pack import PackagePacker

    licence = json.loads((source / "library.json").read_text())["license"]
    # a staticmethod wrapped by PlatformIO's memoizer: replaced as a plain function of no arguments
    ManifestSchema.load_spdx_licenses = staticmethod(lambda: {"licenses": [{"licenseId": licence}]})
    tarball = PackagePacker(str(source)).pack(str(out))
    print("[miniml] %s" % tarball)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
