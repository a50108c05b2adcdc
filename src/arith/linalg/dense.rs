//! Plain vectors of `f64` and MPFR floats, and their matrices.

use rug::Float;

use super::{Magnitudes, Matrix, OnePass, QMat, Vector};
use crate::arith::{Number, Rounding, mpfr_precision};

use super::check_len;

impl Vector<f64> for Vec<f64> {
    fn from_scalars(xs: &[f64]) -> Self {
        xs.to_vec()
    }
    fn zeros(n: usize) -> Self {
        vec![0.0; n]
    }
    fn len(&self) -> usize {
        <[f64]>::len(self)
    }
    fn get(&self, i: usize) -> f64 {
        self[i]
    }
    fn axpy(&mut self, a: &f64, x: &Self, rounding: Rounding) {
        check_len(self.len(), x.len());
        if rounding == Rounding::Fused {
            // One rounding per element, as `Number::mul_add`'s; vectorised where the CPU has FMA.
            vectorised(|| {
                for (y, xi) in self.iter_mut().zip(x) {
                    *y = f64::mul_add(*xi, *a, *y);
                }
            });
            return;
        }
        for (y, xi) in self.iter_mut().zip(x) {
            *y = Number::mul_add(xi, a, y, rounding);
        }
    }
    fn scale(&mut self, a: &f64) {
        for y in self.iter_mut() {
            *y *= a;
        }
    }
    fn momentum_update(
        &mut self,
        buffer: &mut Self,
        gradient: &Self,
        momentum: &f64,
        gradient_scale: &f64,
        minus_learning_rate: &f64,
        rounding: Rounding,
    ) {
        momentum_update_f64(
            self,
            buffer,
            gradient,
            [*momentum, *gradient_scale, *minus_learning_rate],
            rounding,
        );
    }
    fn momentum_update_into(
        &self,
        out: &mut Self,
        buffer: &mut Self,
        gradient: &Self,
        momentum: &f64,
        gradient_scale: &f64,
        minus_learning_rate: &f64,
        rounding: Rounding,
    ) {
        check_len(self.len(), buffer.len());
        check_len(self.len(), gradient.len());
        out.resize(self.len(), 0.0);
        let [mu, c, a] = [*momentum, *gradient_scale, *minus_learning_rate];
        elementwise(rounding, |fused| {
            let elements = out
                .iter_mut()
                .zip(self)
                .zip(buffer.iter_mut())
                .zip(gradient);
            // `momentum_update_generic`'s operations, θ read from `self` and written to `out`.
            match fused {
                true => {
                    for (((o, t), b), g) in elements {
                        *b *= mu;
                        *b = f64::mul_add(*g, c, *b);
                        *o = f64::mul_add(*b, a, *t);
                    }
                }
                false => {
                    for (((o, t), b), g) in elements {
                        *b *= mu;
                        *b += g * c;
                        *o = t + *b * a;
                    }
                }
            }
        });
    }
    fn diagonal_momentum_update(
        &mut self,
        out: &mut Self,
        buffer: &mut Self,
        diagonal: &Self,
        centre: &Self,
        coefficients: [&f64; 3],
        rounding: Rounding,
        magnitudes: &mut Option<Magnitudes>,
    ) -> Option<OnePass> {
        check_len(self.len(), buffer.len());
        check_len(self.len(), diagonal.len());
        check_len(self.len(), centre.len());
        let coefficients = coefficients.map(|x| *x);
        let in_place = magnitudes.is_some_and(|m| cannot_overflow(m, coefficients));
        let out = if in_place {
            None
        } else {
            out.resize(self.len(), 0.0);
            Some(out.as_mut_slice())
        };
        let pass = MomentumPass {
            params: self,
            out,
            buffer,
            diagonal,
            centre,
            coefficients,
            fused: rounding == Rounding::Fused,
            previous: if in_place { *magnitudes } else { None },
        };
        let (finite, seen) = vectorised(|| diagonal_momentum_generic(pass));
        *magnitudes = finite.then_some(seen);
        Some(OnePass { finite, in_place })
    }
    fn diagonal_nag_update(
        &mut self,
        velocity: &mut Self,
        point: &mut Self,
        diagonal: &Self,
        centre: &Self,
        coefficients: [&f64; 2],
        rounding: Rounding,
        magnitudes: &mut Option<Magnitudes>,
    ) -> Option<OnePass> {
        check_len(self.len(), velocity.len());
        check_len(self.len(), diagonal.len());
        check_len(self.len(), centre.len());
        let [mu, a] = coefficients.map(|x| *x);
        let in_place = magnitudes.is_some_and(|m| nag_cannot_overflow(m, [mu, a]));
        let point = if in_place {
            None
        } else {
            point.resize(self.len(), 0.0);
            Some(point.as_mut_slice())
        };
        let pass = NagPass {
            params: self,
            velocity,
            point,
            diagonal,
            centre,
            coefficients: [mu, a],
            fused: rounding == Rounding::Fused,
            previous: if in_place { *magnitudes } else { None },
        };
        let (finite, seen) = vectorised(|| diagonal_nag_generic(pass));
        *magnitudes = finite.then_some(seen);
        Some(OnePass { finite, in_place })
    }
    fn diagonal_heavy_ball_update(
        &mut self,
        params: &Self,
        diagonal: &Self,
        centre: &Self,
        minus_learning_rate: &f64,
        momentum: &f64,
        rounding: Rounding,
    ) -> Option<bool> {
        check_len(self.len(), params.len());
        check_len(self.len(), diagonal.len());
        check_len(self.len(), centre.len());
        let arrays = DiagonalStep {
            out: self,
            params,
            diagonal,
            centre,
        };
        let coefficients = [*minus_learning_rate, *momentum];
        Some(elementwise(rounding, |fused| {
            diagonal_heavy_ball_generic(arrays, coefficients, fused)
        }))
    }
    fn assign_axpy(&mut self, a: &f64, x: &Self, y: &Self, rounding: Rounding) {
        check_len(x.len(), y.len());
        self.resize(y.len(), 0.0);
        elementwise(rounding, |fused| match fused {
            true => {
                for ((out, xi), yi) in self.iter_mut().zip(x).zip(y) {
                    *out = f64::mul_add(*xi, *a, *yi);
                }
            }
            false => {
                for ((out, xi), yi) in self.iter_mut().zip(x).zip(y) {
                    *out = xi * a + yi;
                }
            }
        });
    }
    fn heavy_ball_update(
        &mut self,
        params: &Self,
        gradient: &Self,
        minus_learning_rate: &f64,
        momentum: &f64,
        rounding: Rounding,
    ) {
        check_len(self.len(), params.len());
        check_len(self.len(), gradient.len());
        let (a, mu) = (*minus_learning_rate, *momentum);
        elementwise(rounding, |fused| {
            let elements = self.iter_mut().zip(params).zip(gradient);
            match fused {
                true => {
                    for ((p, t), g) in elements {
                        let d = t - *p;
                        *p = f64::mul_add(d, mu, f64::mul_add(*g, a, *t));
                    }
                }
                false => {
                    for ((p, t), g) in elements {
                        let d = t - *p;
                        *p = d * mu + (g * a + t);
                    }
                }
            }
        });
    }
    fn velocity_update(
        &mut self,
        velocity: &mut Self,
        gradient: &Self,
        momentum: &f64,
        minus_learning_rate: &f64,
        rounding: Rounding,
    ) {
        momentum_update_f64(
            self,
            velocity,
            gradient,
            [*momentum, *minus_learning_rate, 1.0],
            rounding,
        );
    }
    fn negate(&mut self) {
        for y in self.iter_mut() {
            *y = -*y;
        }
    }
    fn add_assign(&mut self, x: &Self) {
        check_len(self.len(), x.len());
        for (y, xi) in self.iter_mut().zip(x) {
            *y += xi;
        }
    }
    fn sub_assign(&mut self, x: &Self) {
        check_len(self.len(), x.len());
        for (y, xi) in self.iter_mut().zip(x) {
            *y -= xi;
        }
    }
    fn dot(&self, x: &Self) -> f64 {
        check_len(self.len(), x.len());
        let mut s = 0.0;
        for (a, b) in self.iter().zip(x) {
            s += a * b;
        }
        s
    }
    fn is_finite(&self) -> bool {
        // A fold rather than `all`: no early exit, so it vectorises; the runner checks every
        // step's state with it, and a diverged run is the rare case.
        self.iter().fold(true, |ok, x| ok & x.is_finite())
    }
    fn max_bits(&self) -> u64 {
        64
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self[i] == 0.0
    }
}

impl Vector<Float> for Vec<Float> {
    fn from_scalars(xs: &[Float]) -> Self {
        xs.to_vec()
    }
    fn zeros(n: usize) -> Self {
        vec![Float::new(mpfr_precision()); n]
    }
    fn len(&self) -> usize {
        <[Float]>::len(self)
    }
    fn get(&self, i: usize) -> Float {
        self[i].clone()
    }
    fn axpy(&mut self, a: &Float, x: &Self, rounding: Rounding) {
        check_len(self.len(), x.len());
        for (y, xi) in self.iter_mut().zip(x) {
            *y = Number::mul_add(xi, a, y, rounding);
        }
    }
    fn scale(&mut self, a: &Float) {
        for y in self.iter_mut() {
            *y *= a;
        }
    }
    fn negate(&mut self) {
        for y in self.iter_mut() {
            y.neg_assign_mut();
        }
    }
    fn add_assign(&mut self, x: &Self) {
        check_len(self.len(), x.len());
        for (y, xi) in self.iter_mut().zip(x) {
            *y += xi;
        }
    }
    fn sub_assign(&mut self, x: &Self) {
        check_len(self.len(), x.len());
        for (y, xi) in self.iter_mut().zip(x) {
            *y -= xi;
        }
    }
    fn dot(&self, x: &Self) -> Float {
        check_len(self.len(), x.len());
        let prec = self.first().map_or_else(mpfr_precision, Float::prec);
        let mut s = Float::new(prec);
        for (a, b) in self.iter().zip(x) {
            s += Float::with_val(prec, a * b);
        }
        s
    }
    fn is_finite(&self) -> bool {
        self.iter().all(Float::is_finite)
    }
    fn max_bits(&self) -> u64 {
        self.iter().map(|x| u64::from(x.prec())).max().unwrap_or(0)
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self[i].is_zero()
    }
}

/// ∞ or NaN: the exponent field all ones. As a bit test rather than `!is_finite()` so that a loop
/// that ORs it in compiles to vector compares.
#[inline(always)]
fn exponent_all_ones(x: f64) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    x.to_bits() & EXPONENT == EXPONENT
}

/// Runs `body(fused)` for the rounding model (`fused` for [`Rounding::Fused`]), compiled with
/// AVX2 and FMA when the CPU has them ([`vectorised`]). The model is chosen once, outside the
/// loop, so that each loop is branch-free.
#[inline(always)]
fn elementwise<R>(rounding: Rounding, body: impl FnOnce(bool) -> R) -> R {
    let fused = rounding == Rounding::Fused;
    vectorised(|| body(fused))
}

/// Runs `body` compiled with AVX2 and FMA when the CPU has them, so that `f64::mul_add` is one
/// instruction and its loops vectorise; without them `mul_add` is libm's `fma` per element. Both
/// round once: the bits are the same. `body` must be inlined into it (the kernels it runs are
/// `#[inline(always)]`) for the target features to reach the loops.
#[inline(always)]
fn vectorised<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked just above), the only requirement of
            // `with_fma`'s target features.
            return unsafe { with_fma(body) };
        }
    }
    body()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn with_fma<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// One pass of PyTorch's momentum update over slices, per element in the order of
/// [`Vector::momentum_update`]: `b = b·μ; b = mul_add(g, c, b); θ = mul_add(b, a, θ)` with
/// `[μ, c, a] = coefficients`.
///
/// Public so that benchmarks can time the kernel on plain slices; the optimizer reaches it through
/// [`Vector::momentum_update`].
///
/// # Panics
/// Panics if the lengths differ.
pub fn momentum_update_f64(
    params: &mut [f64],
    buffer: &mut [f64],
    gradient: &[f64],
    coefficients: [f64; 3],
    rounding: Rounding,
) {
    check_len(params.len(), buffer.len());
    check_len(params.len(), gradient.len());
    vectorised(|| momentum_update_generic(params, buffer, gradient, coefficients, rounding));
}

/// The arrays of a one-pass heavy-ball step on a separable quadratic: the new iterate goes to
/// `out` (θ₋'s storage, read first), from `params`, the quadratic's `diagonal` and `centre` (x*).
struct DiagonalStep<'a> {
    out: &'a mut [f64],
    params: &'a [f64],
    diagonal: &'a [f64],
    centre: &'a [f64],
}

/// One PyTorch step on a separable quadratic: θ (`params`), written in place or into `out`, the
/// buffer b, the quadratic's diagonal and centre, the coefficients `[μ, 1 − τ, −γ]`.
struct MomentumPass<'a> {
    params: &'a mut [f64],
    out: Option<&'a mut [f64]>,
    buffer: &'a mut [f64],
    diagonal: &'a [f64],
    centre: &'a [f64],
    coefficients: [f64; 3],
    fused: bool,
    /// The previous step's magnitudes when the step is in place (the diagonal's and the centre's
    /// carry over: same oracle).
    previous: Option<Magnitudes>,
}

/// Whether a step from values within `m` can overflow: the largest gradient, buffer and iterate
/// it could form, bounded in f64 with a factor 16 to spare for the rounding of both the bound
/// and the step (each a handful of operations, relative error far below 2⁻⁴⁰). Every
/// intermediate is tested, the gradient too, so that the argument does not rest on an infinite
/// gradient bound turning the buffer's into NaN when c = 0 (dampening 1).
fn cannot_overflow(m: Magnitudes, [mu, c, a]: [f64; 3]) -> bool {
    let gradient = m.diagonal * (m.params + m.centre);
    let buffer = mu.abs() * m.buffer + c.abs() * gradient;
    let params = m.params + a.abs() * buffer;
    within_sixteenth_of_max(&[gradient, buffer, params])
}

/// All finite and at most `f64::MAX / 16` (the overflow tests' margin).
fn within_sixteenth_of_max(bounds: &[f64]) -> bool {
    bounds
        .iter()
        .all(|b| b.is_finite() && *b <= f64::MAX / 16.0)
}

/// The high word of |x| as a non-negative `i32`: sign cleared, exponent and the top 20 fraction
/// bits. Its maximum over a slice bounds the slice's magnitudes ([`magnitude_of_high_word`]) and,
/// unlike `f64::max` (NaN rules), compiles to vector integer maxima.
#[inline(always)]
fn high_word(x: f64) -> i32 {
    ((x.to_bits() >> 32) as u32 & 0x7fff_ffff) as i32
}

/// The largest |x| whose [`high_word`] is `h`: an upper bound on every |x| with a high word ≤ h.
fn magnitude_of_high_word(h: i32) -> f64 {
    f64::from_bits((u64::from(h as u32) << 32) | 0xffff_ffff)
}

/// `matvec_centered_into`'s gradient `0 ⊕ a ⊗ (θ ⊖ c)`, then `momentum_update_into`'s
/// operations, per element; whether the new θ and b are all finite (integer flags OR-ed in a
/// local, branch-free, so that the loop vectorises) and bounds on the magnitudes seen (the
/// diagonal's and centre's only on a step into `out`: in place, they are the previous step's).
#[inline(always)]
fn diagonal_momentum_generic(pass: MomentumPass<'_>) -> (bool, Magnitudes) {
    let MomentumPass {
        params,
        out,
        buffer,
        diagonal,
        centre,
        coefficients: [mu, c, a],
        fused,
        previous,
    } = pass;
    let (mut flags, mut high_t, mut high_b, mut high_d, mut high_c) =
        (0u64, 0i32, 0i32, 0i32, 0i32);
    // One body for the four loops (in place or not, fused or not): `$o` is where θ goes.
    macro_rules! body {
        ($o:expr, $t:expr, $b:expr, $d:expr, $x:expr, $fused:expr) => {{
            let g = 0.0 + $d * ($t - $x);
            *$b *= mu;
            let o = if $fused {
                *$b = f64::mul_add(g, c, *$b);
                f64::mul_add(*$b, a, $t)
            } else {
                *$b += g * c;
                $t + *$b * a
            };
            *$o = o;
            flags |= u64::from(exponent_all_ones(o) | exponent_all_ones(*$b));
            high_t = high_t.max(high_word(o));
            high_b = high_b.max(high_word(*$b));
        }};
    }
    match (out, fused) {
        (Some(out), fused) => {
            let elements = out
                .iter_mut()
                .zip(&*params)
                .zip(buffer)
                .zip(diagonal)
                .zip(centre);
            for ((((o, t), b), d), x) in elements {
                body!(o, *t, b, d, x, fused);
                high_d = high_d.max(high_word(*d));
                high_c = high_c.max(high_word(*x));
            }
        }
        (None, true) => {
            for (((t, b), d), x) in params.iter_mut().zip(buffer).zip(diagonal).zip(centre) {
                let old = *t;
                body!(t, old, b, d, x, true);
            }
        }
        (None, false) => {
            for (((t, b), d), x) in params.iter_mut().zip(buffer).zip(diagonal).zip(centre) {
                let old = *t;
                body!(t, old, b, d, x, false);
            }
        }
    }
    let seen = Magnitudes {
        params: magnitude_of_high_word(high_t),
        buffer: magnitude_of_high_word(high_b),
        diagonal: previous.map_or(magnitude_of_high_word(high_d), |m| m.diagonal),
        centre: previous.map_or(magnitude_of_high_word(high_c), |m| m.centre),
    };
    (flags == 0, seen)
}

/// One look-ahead NAG step on a separable quadratic: θ and v in place, the query point into
/// `point` (or not kept), the quadratic's diagonal and centre, the coefficients `[μ, −γ]`.
struct NagPass<'a> {
    params: &'a mut [f64],
    velocity: &'a mut [f64],
    point: Option<&'a mut [f64]>,
    diagonal: &'a [f64],
    centre: &'a [f64],
    coefficients: [f64; 2],
    fused: bool,
    previous: Option<Magnitudes>,
}

/// [`cannot_overflow`] for NAG: y ≤ θ + μv, g ≤ a(y + c), v' ≤ μv + γg, θ' ≤ θ + v'.
fn nag_cannot_overflow(m: Magnitudes, [mu, a]: [f64; 2]) -> bool {
    let point = m.params + mu.abs() * m.buffer;
    let gradient = m.diagonal * (point + m.centre);
    let velocity = mu.abs() * m.buffer + a.abs() * gradient;
    let params = m.params + velocity;
    within_sixteenth_of_max(&[point, gradient, velocity, params])
}

/// `assign_axpy`'s query point, `matvec_centered_into`'s gradient there, then `velocity_update`'s
/// operations (the momentum kernel with `[μ, −γ, 1]`), per element; the finiteness of θ and v,
/// and bounds on the magnitudes seen.
#[inline(always)]
fn diagonal_nag_generic(pass: NagPass<'_>) -> (bool, Magnitudes) {
    let NagPass {
        params,
        velocity,
        point,
        diagonal,
        centre,
        coefficients: [mu, a],
        fused,
        previous,
    } = pass;
    let (mut flags, mut high_t, mut high_v, mut high_d, mut high_c) =
        (0u64, 0i32, 0i32, 0i32, 0i32);
    macro_rules! body {
        ($t:expr, $v:expr, $d:expr, $x:expr, $fused:expr) => {{
            let y = if $fused {
                f64::mul_add(*$v, mu, *$t)
            } else {
                *$v * mu + *$t
            };
            let g = 0.0 + $d * (y - $x);
            *$v *= mu;
            if $fused {
                *$v = f64::mul_add(g, a, *$v);
                *$t = f64::mul_add(*$v, 1.0, *$t);
            } else {
                *$v += g * a;
                *$t += *$v * 1.0;
            }
            // The state's finiteness, as `state_check` has it (a non-finite y makes v so).
            flags |= u64::from(exponent_all_ones(*$t) | exponent_all_ones(*$v));
            high_t = high_t.max(high_word(*$t));
            high_v = high_v.max(high_word(*$v));
            y
        }};
    }
    match point {
        Some(point) => {
            let elements = params
                .iter_mut()
                .zip(velocity)
                .zip(point)
                .zip(diagonal)
                .zip(centre);
            for ((((t, v), p), d), x) in elements {
                *p = body!(t, v, d, x, fused);
                high_d = high_d.max(high_word(*d));
                high_c = high_c.max(high_word(*x));
            }
        }
        None if fused => {
            for (((t, v), d), x) in params.iter_mut().zip(velocity).zip(diagonal).zip(centre) {
                body!(t, v, d, x, true);
            }
        }
        None => {
            for (((t, v), d), x) in params.iter_mut().zip(velocity).zip(diagonal).zip(centre) {
                body!(t, v, d, x, false);
            }
        }
    }
    let seen = Magnitudes {
        params: magnitude_of_high_word(high_t),
        buffer: magnitude_of_high_word(high_v),
        diagonal: previous.map_or(magnitude_of_high_word(high_d), |m| m.diagonal),
        centre: previous.map_or(magnitude_of_high_word(high_c), |m| m.centre),
    };
    (flags == 0, seen)
}

/// `matvec_centered_into`'s gradient, then `heavy_ball_update`'s operations, per element, the new
/// iterate over θ₋ in `out`; whether it and θ are all finite.
#[inline(always)]
fn diagonal_heavy_ball_generic(
    DiagonalStep {
        out,
        params,
        diagonal,
        centre,
    }: DiagonalStep<'_>,
    [a, mu]: [f64; 2],
    fused: bool,
) -> bool {
    let elements = out.iter_mut().zip(params).zip(diagonal).zip(centre);
    let mut flags = 0u64;
    if fused {
        for (((p, t), dg), x_star) in elements {
            let g = 0.0 + dg * (t - x_star);
            let d = t - *p;
            *p = f64::mul_add(d, mu, f64::mul_add(g, a, *t));
            flags |= u64::from(exponent_all_ones(*p) | exponent_all_ones(*t));
        }
    } else {
        for (((p, t), dg), x_star) in elements {
            let g = 0.0 + dg * (t - x_star);
            let d = t - *p;
            *p = d * mu + (g * a + t);
            flags |= u64::from(exponent_all_ones(*p) | exponent_all_ones(*t));
        }
    }
    flags == 0
}

#[inline(always)]
fn momentum_update_generic(
    params: &mut [f64],
    buffer: &mut [f64],
    gradient: &[f64],
    [mu, c, a]: [f64; 3],
    rounding: Rounding,
) {
    let elements = params.iter_mut().zip(buffer.iter_mut()).zip(gradient);
    // The rounding model is chosen once, outside the loop, so that each loop is branch-free.
    match rounding {
        Rounding::Naive => {
            for ((t, b), g) in elements {
                *b *= mu;
                *b += g * c;
                *t += *b * a;
            }
        }
        Rounding::Fused => {
            for ((t, b), g) in elements {
                *b *= mu;
                *b = f64::mul_add(*g, c, *b);
                *t = f64::mul_add(*b, a, *t);
            }
        }
    }
}

trait NegAssignMut {
    fn neg_assign_mut(&mut self);
}
impl NegAssignMut for Float {
    fn neg_assign_mut(&mut self) {
        rug::ops::NegAssign::neg_assign(self);
    }
}

/// A matrix of `f64` entries (each the nearest f64 to the exact entry), stored by sparse rows, or
/// as its diagonal when row `i` holds exactly one non-zero entry, at column `i`.
///
/// Both layouts compute the same bits: a row's sum starts at `0.0` and adds each product in column
/// order, so a diagonal row gives `0.0 + a_ii·x_i` (the `0.0 +` kept: it turns −0 into +0, as the
/// sparse loop does).
#[derive(Clone, Debug, PartialEq)]
pub struct F64Mat {
    rows: usize,
    cols: usize,
    /// All non-zero entries, row after row (one allocation: a row-per-`Vec` layout costs a
    /// pointer chase per row, which dominates a diagonal matrix–vector product at n = 10⁶).
    /// Empty when `diagonal` holds the matrix.
    entries: Vec<(usize, f64)>,
    /// Row `i` is `entries[starts[i]..starts[i + 1]]` (empty when `diagonal` holds the matrix).
    starts: Vec<usize>,
    /// `a_ii` for a square matrix whose every row is one non-zero diagonal entry: 8 bytes per row
    /// read instead of 24 (entry and row start), the product at d = 10⁶ being memory-bound.
    diagonal: Option<Vec<f64>>,
}

impl F64Mat {
    /// The diagonal of `m` if every row holds exactly one non-zero entry, on the diagonal.
    fn diagonal_of(m: &QMat) -> Option<Vec<f64>> {
        if m.rows() != m.cols() {
            return None;
        }
        let mut diagonal = Vec::with_capacity(m.rows());
        for i in 0..m.rows() {
            let mut row = m.row_entries(i);
            match (row.next(), row.next()) {
                (Some((j, q)), None) if j == i => diagonal.push(<f64 as Number>::from_rational(&q)),
                _ => return None,
            }
        }
        Some(diagonal)
    }
}

impl Matrix<f64> for F64Mat {
    fn from_exact(m: &QMat) -> Self {
        if let Some(diagonal) = Self::diagonal_of(m) {
            return F64Mat {
                rows: m.rows(),
                cols: m.cols(),
                entries: Vec::new(),
                starts: Vec::new(),
                diagonal: Some(diagonal),
            };
        }
        let mut entries = Vec::new();
        let mut starts = Vec::with_capacity(m.rows() + 1);
        starts.push(0);
        for i in 0..m.rows() {
            entries.extend(
                m.row_entries(i)
                    .map(|(j, q)| (j, <f64 as Number>::from_rational(&q))),
            );
            starts.push(entries.len());
        }
        F64Mat {
            rows: m.rows(),
            cols: m.cols(),
            entries,
            starts,
            diagonal: None,
        }
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &Vec<f64>) -> Vec<f64> {
        check_len(self.cols, x.len());
        if let Some(a) = &self.diagonal {
            return a.iter().zip(x).map(|(a, x)| 0.0 + a * x).collect();
        }
        self.starts
            .windows(2)
            .map(|w| {
                let mut s = 0.0;
                for &(j, a) in &self.entries[w[0]..w[1]] {
                    s += a * x[j];
                }
                s
            })
            .collect()
    }
    fn matvec_centered_into(&self, x: &Vec<f64>, c: &Vec<f64>, out: &mut Vec<f64>) {
        check_len(self.cols, x.len());
        check_len(x.len(), c.len());
        let Some(a) = &self.diagonal else {
            *out = self.matvec_centered(x, c);
            return;
        };
        // One pass, the difference rounded first as in the default (`d = x ⊖ c`, then `0 ⊕ a·d`).
        out.clear();
        out.extend(a.iter().zip(x).zip(c).map(|((a, x), c)| 0.0 + a * (x - c)));
    }
    fn diagonal(&self) -> Option<&Vec<f64>> {
        self.diagonal.as_ref()
    }
    fn centered_form(&self, x: &Vec<f64>, c: &Vec<f64>) -> Option<f64> {
        check_len(self.cols, x.len());
        check_len(x.len(), c.len());
        let a = self.diagonal.as_ref()?;
        // d_i = x_i ⊖ c_i, (M d)_i = 0 ⊕ a_i·d_i, then the sequential dot of `Vector::dot`.
        let mut s = 0.0;
        for ((a, x), c) in a.iter().zip(x).zip(c) {
            let d = x - c;
            s += d * (0.0 + a * d);
        }
        Some(s)
    }
}

/// A matrix of MPFR entries at the precision in scope when it was created.
#[derive(Clone, Debug, PartialEq)]
pub struct MpfrMat {
    rows: usize,
    cols: usize,
    entries: Vec<Vec<(usize, Float)>>,
}

impl Matrix<Float> for MpfrMat {
    fn from_exact(m: &QMat) -> Self {
        MpfrMat {
            rows: m.rows(),
            cols: m.cols(),
            entries: (0..m.rows())
                .map(|i| {
                    m.row_entries(i)
                        .map(|(j, q)| (j, <Float as Number>::from_rational(&q)))
                        .collect()
                })
                .collect(),
        }
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &Vec<Float>) -> Vec<Float> {
        check_len(self.cols, x.len());
        let prec = x.first().map_or_else(mpfr_precision, Float::prec);
        self.entries
            .iter()
            .map(|row| {
                let mut s = Float::new(prec);
                for (j, a) in row {
                    s += Float::with_val(prec, a * &x[*j]);
                }
                s
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {

    /// The high word's bound is never below |x| and is within a factor 1 + 2⁻²⁰ of it; over a
    /// slice, the maximum of high words bounds the maximum magnitude.
    #[test]
    fn the_high_word_bounds_the_magnitude() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x = x.rotate_left(13).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            let v = f64::from_bits(x);
            if !v.is_finite() {
                continue;
            }
            let bound = magnitude_of_high_word(high_word(v));
            assert!(bound >= v.abs(), "{v:e}");
            assert!(bound <= v.abs() * (1.0 + 2f64.powi(-20)) || v.abs() < f64::MIN_POSITIVE);
        }
        let xs = [-3.5, 1e300, -2e-300, 0.0, 7.0];
        let h = xs.iter().map(|x| high_word(*x)).max().unwrap();
        assert!(magnitude_of_high_word(h) >= 1e300);
    }

    /// The overflow test: by hand, θ, b, a, c ≤ 1 and γ = 2⁹⁰⁰ give θ' ≤ 1 + 2⁹⁰⁰·(0.9 + 2)·...
    /// far below f64::MAX/16 ≈ 2¹⁰²⁰; γ = 2¹⁰¹⁹ does not pass.
    #[test]
    fn the_overflow_test_passes_only_what_cannot_overflow() {
        let m = Magnitudes {
            params: 1.0,
            buffer: 1.0,
            diagonal: 1.0,
            centre: 1.0,
        };
        // gradient ≤ 1·(1 + 1) = 2, buffer ≤ 0.9 + 2 = 2.9, θ ≤ 1 + γ·2.9.
        assert!(cannot_overflow(m, [0.9, 1.0, -(2f64.powi(900))]));
        assert!(!cannot_overflow(m, [0.9, 1.0, -(2f64.powi(1019))]));
        assert!(!cannot_overflow(
            Magnitudes {
                params: f64::MAX,
                ..m
            },
            [0.9, 1.0, -1.0]
        ));
        assert!(!cannot_overflow(
            Magnitudes {
                diagonal: f64::INFINITY,
                ..m
            },
            [0.9, 1.0, -1.0]
        ));
        // Dampening 1 (c = 0): nothing of the gradient reaches the buffer's bound, but the
        // gradient's own, 2¹⁰²⁰·(1 + 1), is beyond the margin: refused.
        let steep = Magnitudes {
            diagonal: 2f64.powi(1020),
            ..m
        };
        assert!(!cannot_overflow(steep, [0.9, 0.0, -1.0]));
        // The same for NAG: its gradient at y ≤ 1 + 0.9 is bounded by 2¹⁰²⁰·2.9.
        assert!(!nag_cannot_overflow(steep, [0.9, -1.0]));
        assert!(nag_cannot_overflow(m, [0.9, -1.0]));
    }

    use super::*;

    fn data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let g = (0..n)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) / 3.0)
            .collect();
        let t = (0..n).map(|i| (i % 13) as f64 / 7.0 - 0.9).collect();
        let b = (0..n).map(|i| ((i * 11 % 17) as f64 - 8.0) / 9.0).collect();
        (g, t, b)
    }

    /// The one-pass kernel (vectorised with FMA where available) gives the bits of the three
    /// trait passes of the default `momentum_update`, in both rounding models.
    #[test]
    fn fused_momentum_update_matches_three_passes_bitwise() {
        for rounding in Rounding::ALL {
            let (g, mut t1, mut b1) = data(1003);
            let (mut t2, mut b2) = (t1.clone(), b1.clone());
            let (mu, c, a) = (0.9, 0.7, -0.1);
            for _ in 0..3 {
                momentum_update_f64(&mut t1, &mut b1, &g, [mu, c, a], rounding);
                b2.scale(&mu);
                for (y, x) in b2.iter_mut().zip(&g) {
                    *y = Number::mul_add(x, &c, y, rounding);
                }
                for (y, x) in t2.iter_mut().zip(&b2) {
                    *y = Number::mul_add(x, &a, y, rounding);
                }
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&t1), bits(&t2), "{rounding:?}");
            assert_eq!(bits(&b1), bits(&b2), "{rounding:?}");
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Each optimizer kernel (one pass for f64) gives the bits of the sequence of trait
    /// operations its documentation names, in both rounding models, writing into a buffer of any
    /// length.
    #[test]
    fn one_pass_step_kernels_match_their_operation_sequences_bitwise() {
        for rounding in Rounding::ALL {
            let (g, t, p) = data(1003);
            let (mu, a) = (0.9, -0.1);
            // Heavy ball: d = θ − θ₋; new = mul_add(g, a, θ); new = mul_add(d, μ, new).
            let mut got = p.clone();
            got.heavy_ball_update(&t, &g, &a, &mu, rounding);
            let mut d = t.clone();
            d.sub_assign(&p);
            let mut want = t.clone();
            want.axpy(&a, &g, rounding);
            want.axpy(&mu, &d, rounding);
            assert_eq!(bits(&got), bits(&want), "heavy ball {rounding:?}");
            // Velocity: v = v·μ; v = mul_add(g, a, v); θ = θ + v.
            let (mut t1, mut v1) = (t.clone(), p.clone());
            t1.velocity_update(&mut v1, &g, &mu, &a, rounding);
            let (mut t2, mut v2) = (t.clone(), p.clone());
            v2.scale(&mu);
            v2.axpy(&a, &g, rounding);
            t2.add_assign(&v2);
            assert_eq!(bits(&t1), bits(&t2), "velocity θ {rounding:?}");
            assert_eq!(bits(&v1), bits(&v2), "velocity v {rounding:?}");
            // The momentum update into another buffer (here a too-short one): θ itself untouched.
            let (mut out, mut b1) = (vec![7.0; 3], p.clone());
            t.momentum_update_into(&mut out, &mut b1, &g, &mu, &0.7, &a, rounding);
            let (mut t2, mut b2) = (t.clone(), p.clone());
            t2.momentum_update(&mut b2, &g, &mu, &0.7, &a, rounding);
            assert_eq!(bits(&out), bits(&t2), "momentum into {rounding:?}");
            assert_eq!(bits(&b1), bits(&b2), "momentum into, buffer {rounding:?}");
            assert_eq!(bits(&t), bits(&data(1003).1), "θ unchanged");
            // point = mul_add(v, μ, θ) into a buffer of another length.
            let mut point = vec![1.0; 5000];
            point.assign_axpy(&mu, &p, &t, rounding);
            let mut want = t.clone();
            want.axpy(&mu, &p, rounding);
            assert_eq!(bits(&point), bits(&want), "assign_axpy {rounding:?}");
        }
    }

    /// A diagonal matrix stored as its diagonal computes the bits of the same matrix stored by
    /// sparse rows (the general loop: a row's sum starts at 0 and adds its products), in the
    /// product, the centred product and the centred quadratic form; −0 products included (the
    /// sum's `0 +` makes them +0).
    #[test]
    fn diagonal_layout_matches_sparse_rows_bitwise() {
        use rug::Rational;
        let n = 101;
        let diag: Vec<Rational> = (0..n)
            .map(|i| Rational::from((i as i64 % 11 - 5 + i64::from(i % 11 == 5), 3)))
            .collect();
        let m = F64Mat::from_exact(&QMat::diagonal(&diag));
        let a = m
            .diagonal
            .clone()
            .expect("a diagonal matrix is stored as its diagonal");
        let sparse = F64Mat {
            rows: n,
            cols: n,
            entries: a.iter().copied().enumerate().collect(),
            starts: (0..=n).collect(),
            diagonal: None,
        };
        let (g, mut x, _) = data(n);
        let mut c: Vec<f64> = (0..n).map(|i| (i % 5) as f64 / 4.0 - 0.5).collect();
        // −0 − 0 = −0, whose product with a positive entry (a₆ = 1/3, a₇ = 2/3) is −0.
        assert!(a[6] > 0.0 && a[7] > 0.0);
        x[6] = -0.0;
        c[6] = 0.0;
        x[7] = -0.0;
        assert_eq!(bits(&m.matvec(&x)), bits(&sparse.matvec(&x)));
        let mut out = vec![3.0; 2];
        m.matvec_centered_into(&x, &c, &mut out);
        assert_eq!(bits(&out), bits(&sparse.matvec_centered(&x, &c)));
        let mut d = x.clone();
        d.sub_assign(&c);
        let want = d.dot(&sparse.matvec(&d));
        assert_eq!(
            m.centered_form(&x, &c).map(f64::to_bits),
            Some(want.to_bits())
        );
        assert_eq!(
            sparse.centered_form(&x, &c),
            None,
            "only the diagonal layout has the pass"
        );
        assert_eq!(bits(&m.matvec(&g)), bits(&sparse.matvec(&g)));
    }

    /// The vectorised fused axpy rounds exactly as `Number::mul_add` element by element.
    #[test]
    fn fused_axpy_matches_elementwise_fma() {
        let (g, mut y1, _) = data(517);
        let mut y2 = y1.clone();
        let a = 0.1;
        y1.axpy(&a, &g, Rounding::Fused);
        for (y, x) in y2.iter_mut().zip(&g) {
            *y = Number::mul_add(x, &a, y, Rounding::Fused);
        }
        assert_eq!(
            y1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            y2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}
