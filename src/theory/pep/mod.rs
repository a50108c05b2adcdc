//! Worst-case certificates (performance estimation, PEP): a method's rate over *every* smooth
//! convex function, proved exactly in ℚ.
//!
//! For a fixed-step method and `N` steps, the worst case of `f(x_N) − f*` (or `‖∇f(x_N)‖²`,
//! `‖x_N − x*‖²`) over all `L`-smooth (strongly) convex functions with `‖x₀ − x*‖ ≤ R` is a
//! semidefinite program over the Gram matrix of `x₀ − x*` and the gradients (Drori & Teboulle,
//! Math. Program. 145 (2014); Taylor, Hendrickx & Glineur, Math. Program. 161 (2017)). A dual
//! solution — multipliers of the interpolation inequalities and a PSD slack — is a proof of an
//! upper bound, and in ℚ it is a proof anyone can re-check.
//!
//! * [`method`] — a method as its lower-triangular table of step coefficients (GD, heavy ball,
//!   Nesterov/FISTA, OGM), normalised to `L = R = 1`.
//! * [`problem`] — the PEP: interpolation inequalities, initial condition, measure, in Gram form.
//! * [`interpolation`] — finite data `(x_i, g_i, f_i)` checked exactly against the class: the
//!   primal side (worst-case and cycling functions) made explicit.
//! * [`ldl`] — exact `LDLᵀ` with symmetric pivoting: PSD with factors, or a negative direction.
//! * [`certificate`] — dual certificates, their exact check, closed forms (Drori–Teboulle GD).
//! * [`repair`] — from a solver's floating-point dual to an exact certificate, with the bound
//!   raised by the smallest amount the rounding needs.
//! * [`format`](mod@format) — the JSON form (`fixtures/pep/schema.json`) and its strict reader.
//! * [`verify`] — the independent checker, from the method's coefficients alone.
//! * [`table`] — certified worst cases against N and the classical bounds (`certify --table`).
//! * [`worst`] — exact worst-case data from a solver's primal: the method attains the certified
//!   bound on them up to a reported gap.
//! * `solve` (feature `sdp`) — numeric duals and primals from Clarabel, the repair's input.
//!
//! This module imports only [`crate::error`] and [`crate::arith::text`] from the crate, so that it
//! can move under `theory` without change.

pub mod certificate;
pub mod format;
pub mod interpolation;
pub mod ldl;
pub mod method;
pub mod problem;
pub mod repair;
#[cfg(feature = "sdp")]
pub mod solve;
pub mod table;
pub mod verify;
pub mod worst;

/// The names of a certificate's proof obligations, as reported in
/// [`crate::error::Error::CertificateRejected`] by both [`certificate::Certificate::check`] and
/// [`verify::verify`].
pub mod obligation {
    /// `τ ≥ 0` and every `λ_ij ≥ 0`.
    pub const NONNEGATIVE: &str = "nonnegative multipliers";
    /// `Σ λ_ij a_ij = a_obj` on the function values.
    pub const FUNCTION_VALUES: &str = "function-value equation";
    /// The slack `S` is positive semidefinite.
    pub const PSD: &str = "positive semidefinite slack";
    /// The certificate's own `LDLᵀ` factors reproduce the slack with `D ≥ 0`.
    pub const FACTORS: &str = "given LDLᵀ factors";
    /// A numeric dual could be rounded into a certificate (see [`super::repair`]).
    pub const REPAIR: &str = "repairable numeric dual";
}
