"""Shared helpers of the bulkhead command: repository paths, messages, errors."""

import os
import subprocess
import sys

# The repository root: tools/bulkhead/util.py -> ../..
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The Meson build directory; BULKHEAD_BUILD_DIR overrides it (e.g. a second build).
BUILD = os.path.abspath(os.environ.get("BULKHEAD_BUILD_DIR") or os.path.join(ROOT, "build"))

# Where the build puts what the command needs.
KERNEL_ELF = os.path.join(BUILD, "kernel", "kernel.elf")
BHC = os.path.join(BUILD, "tools", "bhc", "bhc")
IMAGE_DIR = os.path.join(BUILD, "images")

# Guest RAM: the manifest compiler checks the plan against the same size QEMU gets.
MEMORY = "512M"


class Failure(Exception):
    """A step failed; the message says what and what to do. Ends the command with exit 1."""

    def __init__(self, message, status=1, summary=None):
        super().__init__(message)
        self.status = status
        # One line for a test verdict; defaults to the message's first line.
        self.summary = summary or message.split("\n", 1)[0]


def say(*parts):
    """Prints one line to stdout at once (the output is often piped, e.g. in CI)."""
    print(*parts, flush=True)


def warn(message):
    """Prints a message to stderr, prefixed with the command's name."""
    print("bulkhead: " + message, file=sys.stderr, flush=True)


def rel(path):
    """Returns @path relative to the repository root when it lies inside it."""
    path = os.path.abspath(path)
    if path == ROOT or path.startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return path


def run_quiet(argv, cwd=ROOT):
    """Runs @argv with stdout and stderr captured together.

    Returns: (exit status, output text). A missing program is reported as
    status 127 with a message, the way a shell would.
    """
    try:
        proc = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as err:
        return 127, "%s: %s\n" % (argv[0], err.strerror)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def tail(text, count=40):
    """Returns the last @count lines of @text."""
    lines = text.rstrip("\n").split("\n")
    return "\n".join(lines[-count:])


def safe_name(name):
    """Turns a test name such as system/isolation into a file name."""
    return name.replace(os.sep, "-").replace("/", "-")


def makedirs(path):
    """Creates directory @path and its parents if missing; returns @path."""
    os.makedirs(path, exist_ok=True)
    return path
