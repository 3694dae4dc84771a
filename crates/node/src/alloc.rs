//! The global allocator of the `mimalloc` feature: mimalloc, asked for a
//! plain block whenever the layout allows.
//!
//! The `mimalloc` crate's allocator passes every request through mimalloc's
//! aligned entry points, whose checks cost more than the allocation itself
//! for the small blocks a simulation allocates per message (callgrind: about
//! 60 instructions a call). A plain `mi_malloc` block is aligned to 16 bytes,
//! or to its size class when that is smaller (every class of a multiple of
//! 16 bytes is itself a multiple of 16), which is the rule the standard
//! library's own allocator applies to `malloc`.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The largest alignment every `mi_malloc` block of at least that size has
/// (mimalloc's `MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

/// mimalloc as the global allocator.
pub struct MiMalloc;

/// Whether a plain block of `size` bytes satisfies alignment `align`.
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every block comes from mimalloc with at least the layout's size and
// alignment (see `plain`), and is freed or resized by mimalloc, which takes
// aligned and plain blocks alike.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(layout.align(), new_size) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block is as aligned as its layout asks, across plain and
    /// aligned requests, and keeps its bytes through a resize.
    #[test]
    fn blocks_are_aligned_and_resizable() {
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 15, 16, 24, 40, 48, 56, 100, 144, 1000, 70_000] {
                let Ok(layout) = Layout::from_size_align(size.max(align), align) else {
                    continue;
                };
                unsafe {
                    let p = MiMalloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {layout:?}");
                    p.write_bytes(0xab, layout.size());
                    let q = MiMalloc.realloc(p, layout, layout.size() * 3);
                    assert_eq!(q as usize % align, 0, "realloc {layout:?}");
                    assert_eq!(*q.add(layout.size() - 1), 0xab);
                    MiMalloc.dealloc(
                        q,
                        Layout::from_size_align(layout.size() * 3, align).unwrap(),
                    );
                    let z = MiMalloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "alloc_zeroed {layout:?}");
                    assert!((0..layout.size()).all(|i| *z.add(i) == 0));
                    MiMalloc.dealloc(z, layout);
                }
            }
        }
    }
}
