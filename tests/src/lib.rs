//! End-to-end tests for rtcscope live in `tests/`; this library holds shared test helpers.
