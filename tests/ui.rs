//! The macros' UI tests: every `tests/ui/*/fail/*.rs` fails to compile with its
//! `.stderr`, every `tests/ui/*/pass/*.rs` compiles and runs.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/fail/*.rs");
    t.pass("tests/ui/*/pass/*.rs");
}
