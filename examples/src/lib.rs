//! Runnable examples of the v6kit libraries, and the lab that runs the whole
//! IPv6-first host in network namespaces.
//!
//! Each example is a binary under `src/bin/`; the library part holds only
//! the README's code examples, as doctests.
#![forbid(unsafe_code)]

pub mod readme;
