#!/usr/bin/env python3
"""Lint Bulkhead's C sources: clang-format (check or fix) and clang-tidy.

Usage: lint.py format-check | format-fix | tidy [BUILD_DIR]
Runs from anywhere; the sources are found from this file's location. Exit
status 1 when a check finds something (or a tool is missing), else 0.
"""

import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIRS = ["kernel", "libs", "drivers", "services", "apps", "tools", "tests"]
EXTENSIONS = (".c", ".h")

# GCC options clang does not know; dropped from the compile commands clang-tidy sees.
GCC_ONLY_PREFIXES = ("-fno-tree-loop-distribute-patterns", "-fconserve-stack",
                     "-mpreferred-stack-boundary=", "-fno-allow-store-data-races",
                     "-mindirect-branch", "-mfunction-return", "-fno-ipa-", "-mno-fp-ret-in-387",
                     "-mskip-rax-setup", "-fsanitize-address-use-after-return")


def _need(tool):
    """Exits with a message if @tool is not installed."""
    if shutil.which(tool) is None:
        sys.exit("lint: %s is not installed; install it as root: apt-get install -y %s"
                 % (tool, tool))


def _git_files():
    """Returns the tracked and untracked-but-not-ignored files, or None outside git."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "--"] + SOURCE_DIRS, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.decode().splitlines()


def _walk_files():
    """Returns every file under SOURCE_DIRS (used outside a git checkout)."""
    found = []
    for top in SOURCE_DIRS:
        for dirpath, _, filenames in os.walk(os.path.join(ROOT, top)):
            found += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames]
    return found


def sources():
    """Returns the C sources and headers to lint, relative to the root, sorted."""
    files = _git_files()
    if files is None:
        files = _walk_files()
    return sorted(f for f in set(files)
                  if f.endswith(EXTENSIONS) and os.path.exists(os.path.join(ROOT, f)))


def _chunks(items, size=50):
    """Splits @items into lists of at most @size (keeps command lines short)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def format_check():
    """Reports every file clang-format would change. Returns 1 if any, else 0."""
    _need("clang-format")
    bad = 0
    for chunk in _chunks(sources()):
        proc = subprocess.run(["clang-format", "--dry-run", "--Werror"] + chunk, cwd=ROOT)
        bad |= proc.returncode != 0
    print("lint: clang-format: %s" % ("files need formatting (run `bulkhead lint --fix`)"
                                      if bad else "clean"))
    return 1 if bad else 0


def format_fix():
    """Reformats every source in place. Returns clang-format's status."""
    _need("clang-format")
    status = 0
    for chunk in _chunks(sources()):
        status |= subprocess.run(["clang-format", "-i"] + chunk, cwd=ROOT).returncode
    print("lint: clang-format: reformatted %d files" % len(sources()))
    return 1 if status else 0


def _clean_command(entry):
    """Returns @entry with GCC-only options and -Werror removed from its command."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    keep = [a for a in args if a != "-Werror" and not a.startswith(GCC_ONLY_PREFIXES)]
    return {"directory": entry["directory"], "file": entry["file"], "arguments": keep}


def _compile_db(build):
    """Writes BUILD/lint/compile_commands.json for our sources; returns (its dir, files)."""
    path = os.path.join(build, "compile_commands.json")
    if not os.path.exists(path):
        sys.exit("lint: %s is missing; run `meson setup build` first" % path)
    wanted = set(sources())
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    chosen = []
    for entry in entries:
        name = os.path.relpath(os.path.join(entry["directory"], entry["file"]), ROOT)
        if name in wanted:
            chosen.append(_clean_command(entry))
    outdir = os.path.join(build, "lint")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "compile_commands.json"), "w", encoding="utf-8") as f:
        json.dump(chosen, f, indent=1)
    files = sorted({os.path.join(e["directory"], e["file"]) for e in chosen})
    return outdir, files


def _tidy_one(dbdir, path):
    """Runs clang-tidy on one file. Returns (number of diagnostics, output)."""
    proc = subprocess.run(["clang-tidy", "-p", dbdir, "--quiet", path], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode("utf-8", "replace")
    count = sum(1 for line in out.splitlines() if ": warning: " in line or ": error: " in line)
    if proc.returncode != 0 and count == 0:
        count = 1
    return count, out


def tidy(build):
    """Runs clang-tidy on every source in the compile database. Returns 1 on any finding."""
    _need("clang-tidy")
    dbdir, files = _compile_db(build)
    total = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for count, out in pool.map(lambda p: _tidy_one(dbdir, p), files):
            total += count
            if count:
                sys.stdout.write(out)
    print("lint: clang-tidy: %d files, %d findings" % (len(files), total))
    return 1 if total else 0


def main(argv):
    """Runs the step named in @argv[0]. Returns the exit status."""
    if not argv or argv[0] not in ("format-check", "format-fix", "tidy"):
        sys.stderr.write(__doc__)
        return 2
    if argv[0] == "format-check":
        return format_check()
    if argv[0] == "format-fix":
        return format_fix()
    return tidy(argv[1] if len(argv) > 1 else os.path.join(ROOT, "build"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
