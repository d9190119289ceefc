"""The `bulkhead` command as a package: run it as `python3 -m bulkhead` with tools/ on the path."""
