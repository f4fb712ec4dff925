//! Compile-time behaviour of the macros: what compiles, and the errors users see.

/// The snapshots are rustc's output with the default features. With the
/// `postgres` feature another dependency defines a `Sync`, so rustc prints
/// `std::marker::Sync` in some notes: the run with default features checks
/// them (`.ci/run` runs both).
#[test]
#[cfg_attr(
    feature = "postgres",
    ignore = "the UI snapshots are checked by the run with default features"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/fail/*.rs");
    t.pass("tests/ui/*/pass/*.rs");
}
