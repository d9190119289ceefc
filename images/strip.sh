#!/bin/sh
# Copies each domain program into OUTDIR without symbols or debug information:
# the kernel hashes every image at boot (SHA-256, bound in the plan), and the
# images then do not depend on the build directory's path. gdb uses the
# unstripped programs where Meson built them.
set -e
outdir=$1
shift
for f in "$@"; do
	objcopy --strip-all "$f" "$outdir/$(basename "$f")"
done
