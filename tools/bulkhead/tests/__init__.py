"""The bulkhead command's own unit tests (run by `bulkhead test --filter unit`)."""
