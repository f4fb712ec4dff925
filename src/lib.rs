//! Examples and integration tests for graphai live in `examples/` and `tests/`.
