"""Builds the wheel: the pure-Python package plus the native library (libspillway_c.so,
Swift runtime linked in statically) and the system libraries it loads. When the library
is not in spillway/ yet, scripts/build-python.sh (in the repository around this folder)
builds it; that needs the Swift toolchain at build time only."""

import pathlib
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildWithNativeLibrary(build_py):
    def run(self):
        if not (HERE / "spillway" / "libspillway_c.so").exists():
            script = HERE.parent / "scripts" / "build-python.sh"
            if not script.exists():
                raise RuntimeError(
                    "spillway/libspillway_c.so is missing and there is no "
                    f"{script} to build it: build from a Spillway checkout")
            subprocess.run(["bash", str(script)], check=True)
        super().run()


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for the platform, not pure Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithNativeLibrary}, distclass=BinaryDistribution)
