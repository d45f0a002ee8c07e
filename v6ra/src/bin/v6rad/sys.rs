//! The one place with `unsafe` code: reading bytes the kernel wrote into
//! buffers that socket2's `recvmsg` takes as `MaybeUninit`.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

/// The first `len` bytes of `buf`, which the kernel has written.
///
/// # Panics
///
/// If `len` is greater than `buf.len()`.
pub(crate) fn written(buf: &[MaybeUninit<u8>], len: usize) -> &[u8] {
    let part = &buf[..len];
    // SAFETY: `recvmsg` returned `len` (for the data) or set the control
    // length to `len` (for ancillary data): the kernel initialized exactly
    // these bytes, and `MaybeUninit<u8>` has the layout of `u8`.
    unsafe { &*(part as *const [MaybeUninit<u8>] as *const [u8]) }
}
