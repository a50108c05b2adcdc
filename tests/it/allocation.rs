//! Memory traffic of a run: an unrecorded step allocates nothing (README, "Speed"; docs/design.md,
//! "The run loop"), whatever the optimizer and whichever of its paths a configuration takes.
//!
//! The binary's global allocator counts the allocations of each thread through Rust's allocator:
//! vectors, boxes, strings. GMP and MPFR allocate with `malloc` and are not counted — and an f64
//! step still uses them: the rate cursor hands over the exact rate (a `Rational` clone) and the
//! hyper-parameters are rounded to f64 through MPFR at every step, a few small allocations whose
//! size does not grow with the dimension. A thread-local counter, so
//! that the tests running beside this one in other threads do not disturb it; the counter has no
//! destructor and a constant initialiser, so reading it from inside the allocator cannot
//! allocate or recurse.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::common::q;
use momentum_oracle::arith::Rounding;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down has no counter left; its allocations are not ours.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The allocations (and reallocations) `f` makes on this thread.
fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Every optimizer path of the f64 runner, by spec: plain, each option that changes the update.
const SPECS: &[&str] = &[
    "gd",
    "pytorch:momentum=9/10",
    "pytorch:momentum=9/10,dampening=1/10",
    "pytorch:momentum=9/10,nesterov=true",
    "pytorch:momentum=9/10,weight_decay=1/100",
    "pytorch:momentum=9/10,maximize=true",
    "pytorch:weight_decay=1/100",
    "keras",
    "keras:momentum=9/10",
    "keras:momentum=9/10,nesterov=true",
    "keras:momentum=9/10,weight_decay=1/100",
    "keras:momentum=9/10,momentum_correction=true",
    "optax:momentum=9/10",
    "optax:momentum=9/10,nesterov=true",
    "tf:momentum=9/10",
    "nag:momentum=9/10",
    "nag-pc:momentum=9/10",
    "heavy-ball:momentum=4/5",
    "fista:momentum=rational",
    "ogm:steps=200",
];

/// A run of k steps recording only the last makes as many allocations for k = 20 as for k = 120:
/// the hundred steps between allocate nothing — on the separable quadratic (one-pass steps where
/// an optimizer has them) and with its diagonal hidden (the separate passes), in both roundings.
/// The counts are compared, not required to be zero: building the run and recording its last
/// step allocate, once.
#[test]
fn an_unrecorded_f64_step_allocates_nothing_for_every_optimizer() {
    let mut failures = Vec::new();
    for spec in SPECS {
        for hide in [false, true] {
            for rounding in [Rounding::Naive, Rounding::Fused] {
                let run = |steps: usize| {
                    allocations_in(|| {
                        let t =
                            crate::trace::diagonal_run(spec, q(1, 8), rounding, steps, steps, hide);
                        assert_eq!(t.steps.len(), 1, "{spec}: only the last step is kept");
                        assert!(t.steps[0].iterate.iter().all(|x| x.is_finite()), "{spec}");
                    })
                };
                // A first run pays what the process initialises once (CPU feature detection,
                // lazily built tables), whichever configuration comes first.
                run(20);
                let (short, long) = (run(20), run(120));
                assert!(short > 0, "{spec}: the counter saw no allocation at all");
                if long != short {
                    failures.push(format!(
                        "{spec} (diagonal {}, {rounding:?}): {short} allocations for 20 steps, {long} for 120",
                        if hide { "hidden" } else { "offered" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "steps that allocate:\n{}",
        failures.join("\n")
    );
}
