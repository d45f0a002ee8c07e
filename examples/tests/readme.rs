//! The README's Rust code examples are the doctests of `src/readme.rs`,
//! unchanged, so that what the README shows compiles and runs.

use std::path::Path;

/// The contents of each ```rust block in `text`.
fn rust_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```rust") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), l) => lines.push(l),
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn readme_code_examples_are_the_doctests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let doc: String = std::fs::read_to_string(root.join("src/readme.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect();
    let shown = rust_blocks(&readme);
    let tested = rust_blocks(&doc);
    assert_eq!(tested.len(), 5, "one per library crate");
    assert_eq!(
        shown, tested,
        "the README's Rust examples differ from src/readme.rs"
    );
}
