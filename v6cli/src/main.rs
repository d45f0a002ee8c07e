//! The `v6` command.

fn main() {}
