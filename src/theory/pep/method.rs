//! A fixed-step first-order method as its lower-triangular table of step coefficients.
//!
//! # Normalisation
//! The performance-estimation problem (PEP) is posed with `L = 1` and `R = ‖x₀ − x*‖ = 1`. A
//! method with step `γ` on an `L`-smooth function is the same method as step `h = γL` on a
//! 1-smooth one (substitute `f ← f/L`), so every coefficient below is a *normalised* step `h`:
//!
//! ```text
//! p_k = x₀ − (1/L) Σ_{i<k} h_{k,i} g_i,   g_i = ∇f(p_i),   k = 0, …, N.
//! ```
//!
//! The points `p₀ … p_N` are the points where the method queries the gradient, followed by the
//! output: a method that runs `N` steps has `N + 1` points, the last one being the iterate whose
//! quality is measured (its gradient `g_N` is part of the Gram basis so that interpolation can
//! speak about `f(p_N)`, but no step uses it). Bounds computed at `L = R = 1` scale as
//! `L R²` (function value), `L² R²` (squared gradient norm) and `R²` (squared distance).
//!
//! Row `k` of [`Method::coefficients`] holds `h_{k,0} … h_{k,k−1}`; row 0 is empty.

use rug::Rational;

use crate::error::{Error, Result};

/// The largest number of steps a method may have: the PEP has `(N + 2)(N + 1)` interpolation
/// inequalities on an `(N + 2)`-dimensional Gram matrix, and exact certificates beyond a few
/// hundred steps are far outside what this crate checks in reasonable time.
pub const MAX_STEPS: usize = 1000;

/// A fixed-step first-order method after `N` steps, in the Gram basis `[x₀ − x*, g₀, …, g_N]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    description: String,
    coefficients: Vec<Vec<Rational>>,
}

/// Coordinates of a point relative to x₀ in the gradient basis: `p = x₀ − Σ c_i g_i`.
/// Affine combinations of points are affine combinations of these vectors (the x₀ part stays 1).
type Point = Vec<Rational>;

fn check_steps(n: usize) -> Result<()> {
    if n == 0 || n > MAX_STEPS {
        return Err(Error::hyper(
            "steps",
            n,
            format!("a PEP needs 1 ≤ N ≤ {MAX_STEPS}"),
        ));
    }
    Ok(())
}

/// `a + w (b − c)` on coordinate vectors of length `len`.
fn extrapolate(a: &Point, w: &Rational, b: &Point, c: &Point) -> Point {
    a.iter()
        .zip(b.iter().zip(c))
        .map(|(a, (b, c))| Rational::from(a + Rational::from(w * Rational::from(b - c))))
        .collect()
}

/// The point `p − h g_k`: a gradient step from `p` with the gradient taken at point `k`.
fn gradient_step(p: &Point, k: usize, h: &Rational) -> Point {
    let mut q = p.clone();
    q[k] += h;
    q
}

impl Method {
    /// A method from its table: row `k` (`k = 0 … N`) has exactly `k` entries.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `N = 0` or `N >` [`MAX_STEPS`] (with `N + 1` rows);
    /// [`Error::DimensionMismatch`] when a row has the wrong length.
    pub fn new(description: impl Into<String>, coefficients: Vec<Vec<Rational>>) -> Result<Self> {
        check_steps(coefficients.len().saturating_sub(1))?;
        for (k, row) in coefficients.iter().enumerate() {
            if row.len() != k {
                return Err(Error::dims(
                    format!("row {k} of the step-coefficient table"),
                    k,
                    row.len(),
                ));
            }
        }
        Ok(Method {
            description: description.into(),
            coefficients,
        })
    }

    /// Builds the table from the points' coordinates (each of length `N + 1`, entries at and past
    /// the point's own index zero, which the constructors below guarantee by construction).
    fn from_points(description: String, points: Vec<Point>) -> Result<Self> {
        let coefficients = points
            .into_iter()
            .enumerate()
            .map(|(k, mut p)| {
                p.truncate(k);
                p
            })
            .collect();
        Method::new(description, coefficients)
    }

    /// Gradient descent with normalised step `h` (step `h/L`): `x_{k+1} = x_k − (h/L) ∇f(x_k)`,
    /// `h_{k,i} = h` for every `i < k`. Points: `x₀ … x_N`; the output is `x_N`.
    ///
    /// Source: Drori & Teboulle, *Performance of first-order methods for smooth convex
    /// minimization: a novel approach*, Math. Program. 145 (2014), §3 (the method (GM)).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `h ≤ 0` or `N` outside `1 ..=` [`MAX_STEPS`].
    pub fn gradient_descent(n: usize, h: &Rational) -> Result<Self> {
        check_steps(n)?;
        if *h <= 0 {
            return Err(Error::hyper(
                "h",
                crate::arith::text::format(h),
                "must be positive",
            ));
        }
        let coefficients = (0..=n).map(|k| vec![h.clone(); k]).collect();
        Method::new(
            format!("gradient descent, h = {}", crate::arith::text::format(h)),
            coefficients,
        )
    }

    /// Polyak's heavy ball in parameter form with normalised step `γ` and momentum `μ`:
    /// `x_{k+1} = x_k − (γ/L) ∇f(x_k) + μ (x_k − x_{k−1})`, `x_{−1} = x₀` (docs/design.md,
    /// "Conventions", heavy ball in parameter form). Points: `x₀ … x_N`; output `x_N`.
    ///
    /// Unrolled, `h_{k,i} = γ (1 − μ^{k−i}) / (1 − μ)` (a geometric sum; `γ (k − i)` at `μ = 1`);
    /// the constructor runs the recursion instead and the tests compare the two.
    ///
    /// Source: Polyak, *Some methods of speeding up the convergence of iteration methods*, USSR
    /// Comput. Math. Math. Phys. 4 (1964), its two-step method (section and equation numbers
    /// not checked against the paper here).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `γ ≤ 0` or `N` outside `1 ..=` [`MAX_STEPS`].
    pub fn heavy_ball(n: usize, step: &Rational, momentum: &Rational) -> Result<Self> {
        check_steps(n)?;
        if *step <= 0 {
            return Err(Error::hyper(
                "learning_rate",
                crate::arith::text::format(step),
                "must be positive",
            ));
        }
        let zero: Point = vec![Rational::new(); n + 1];
        let mut points = vec![zero.clone()];
        let mut previous = zero;
        for k in 0..n {
            let current = points[k].clone();
            let next = extrapolate(
                &gradient_step(&current, k, step),
                momentum,
                &current,
                &previous,
            );
            previous = current;
            points.push(next);
        }
        Method::from_points(
            format!(
                "heavy ball, learning_rate = {}, momentum = {}",
                crate::arith::text::format(step),
                crate::arith::text::format(momentum)
            ),
            points,
        )
    }

    /// Nesterov's method with a given momentum sequence `β₁ … β_{N−1}` and step `1/L`:
    ///
    /// ```text
    /// y₁ = x₀,   x_k = y_k − (1/L) ∇f(y_k),   y_{k+1} = x_k + β_k (x_k − x_{k−1})   (k ≥ 1).
    /// ```
    ///
    /// The gradients are taken at `y₁ … y_N`, so the points are `p_k = y_{k+1}` for `k < N` and
    /// the output `p_N = x_N = y_N − ∇f(y_N)/L`, the iterate the bounds of Beck & Teboulle speak
    /// about (not `y_{N+1}`). With `x₀` as `x_0` the first momentum is never used by FISTA
    /// (`β₁ = 0`), but any value is accepted here.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless `momenta.len() = N − 1`;
    /// [`Error::InvalidHyperParameter`] for `N` outside `1 ..=` [`MAX_STEPS`].
    pub fn nesterov(n: usize, momenta: &[Rational]) -> Result<Self> {
        check_steps(n)?;
        if momenta.len() != n - 1 {
            return Err(Error::dims(
                "Nesterov momenta β₁ … β_{N−1}",
                n - 1,
                momenta.len(),
            ));
        }
        let one = Rational::from(1);
        let zero: Point = vec![Rational::new(); n + 1];
        // x_0 = y_1 = x₀; p_0 = y_1.
        let mut points = vec![zero.clone()];
        let mut x_previous = zero;
        for k in 1..=n {
            // p_{k−1} = y_k; x_k = y_k − g(y_k).
            let x = gradient_step(&points[k - 1], k - 1, &one);
            if k == n {
                points.push(x);
                break;
            }
            let y_next = extrapolate(&x, &momenta[k - 1], &x, &x_previous);
            x_previous = x;
            points.push(y_next);
        }
        let list: Vec<String> = momenta.iter().map(crate::arith::text::format).collect();
        Method::from_points(
            format!("Nesterov, step 1/L, momenta [{}]", list.join(", ")),
            points,
        )
    }

    /// FISTA/Nesterov with the rational momentum `β_k = (k − 1)/(k + 2)`, i.e. `t_k = (k + 1)/2`
    /// in `β_k = (t_k − 1)/t_{k+1}`; points and output as in [`Method::nesterov`] (output `x_N`).
    ///
    /// Source: Beck & Teboulle, *A fast iterative shrinkage-thresholding algorithm*, SIAM J.
    /// Imaging Sci. 2 (2009), §4 (FISTA with constant step size; equation numbers not checked
    /// here); the rational `t_k` satisfies `t_{k+1}² − t_{k+1} ≤ t_k²` (docs/design.md, "Theory").
    /// Its tight worst case `2 L R²/(N² + 5N + 6)` is a numerical PEP value (Taylor, Hendrickx &
    /// Glineur, SIAM J. Optim. 27(3) (2017), Table 1); at N = 10 the tests certify it to 3·10⁻¹³.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `N` outside `1 ..=` [`MAX_STEPS`].
    pub fn fista(n: usize) -> Result<Self> {
        check_steps(n)?;
        let momenta: Vec<Rational> = (1..n)
            .map(|k| Rational::from((k as u64 - 1, k as u64 + 2)))
            .collect();
        let mut method = Method::nesterov(n, &momenta)?;
        method.description = "FISTA, momentum (k − 1)/(k + 2)".into();
        Ok(method)
    }

    /// Nesterov/FISTA with the t-sequence, given `t₁ … t_N`: momentum `β_k = (t_k − 1)/t_{k+1}`
    /// for `k = 1 … N − 1`, points and output as in [`Method::nesterov`] (output `x_N`).
    /// Beck & Teboulle's `t₁ = 1`, `t_{k+1} = (1 + √(1 + 4t_k²))/2` is irrational from `t₂` on;
    /// pass rational approximations, e.g. [`fista_t_sequence`]. The method built is then *that*
    /// rational method, a different method from the irrational one: its guarantee is what a
    /// certificate proves about it, not the textbook's `2L R²/(N + 1)²` (which the tests compare
    /// with the certified value; they never assume it).
    ///
    /// Source: Beck & Teboulle, *A fast iterative shrinkage-thresholding algorithm*, SIAM J.
    /// Imaging Sci. 2 (2009), FISTA with constant step size (eqs. (4.1)–(4.3)), bound Thm 4.4.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless `t.len() = N`;
    /// [`Error::InvalidHyperParameter`] for a non-positive `t_k` or `N` out of range.
    pub fn fista_t(n: usize, t: &[Rational]) -> Result<Self> {
        check_steps(n)?;
        if t.len() != n {
            return Err(Error::dims("FISTA t₁ … t_N", n, t.len()));
        }
        if let Some(bad) = t.iter().find(|t| **t <= 0) {
            return Err(Error::hyper(
                "t",
                crate::arith::text::format(bad),
                "must be positive",
            ));
        }
        let momenta: Vec<Rational> = t
            .windows(2)
            .map(|w| Rational::from(&w[0] - 1u32) / &w[1])
            .collect();
        let mut method = Method::nesterov(n, &momenta)?;
        method.description = format!("FISTA, t-sequence (rational t), N = {n}");
        Ok(method)
    }

    /// The optimized gradient method (OGM) with a given sequence `θ₀ … θ_N`:
    ///
    /// ```text
    /// y_{i+1} = x_i − (1/L) ∇f(x_i),
    /// x_{i+1} = y_{i+1} + ((θ_i − 1)/θ_{i+1}) (y_{i+1} − y_i) + (θ_i/θ_{i+1}) (y_{i+1} − x_i),
    /// ```
    ///
    /// `y₀ = x₀`. The gradients are taken at `x₀ … x_N`; the output is the last iterate `x_N`.
    /// Kim & Fessler's `θ` (`θ₀ = 1`, `θ_{i+1} = (1 + √(1 + 4θ_i²))/2` for `i < N − 1`, and
    /// `θ_N = (1 + √(1 + 8θ_{N−1}²))/2`) are irrational; pass rational approximations, e.g.
    /// [`ogm_theta`]. The method built is then *that* rational method, whose worst case is
    /// close to, but not exactly, `L R²/(2θ_N²)`.
    ///
    /// Source: Kim & Fessler, *Optimized first-order methods for smooth convex minimization*,
    /// Math. Program. 159 (2016), Algorithm OGM1 (with its different last `θ_N`); the bound
    /// `L R²/(2θ_N²)` on the last iterate is proved there for this algorithm (the theorem number
    /// is not checked against the paper here; docs/design.md, "Theory", states the bound).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless `theta.len() = N + 1`;
    /// [`Error::InvalidHyperParameter`] for a non-positive `θ_i` or `N` out of range.
    pub fn ogm(n: usize, theta: &[Rational]) -> Result<Self> {
        check_steps(n)?;
        if theta.len() != n + 1 {
            return Err(Error::dims("OGM θ₀ … θ_N", n + 1, theta.len()));
        }
        if let Some(t) = theta.iter().find(|t| **t <= 0) {
            return Err(Error::hyper(
                "theta",
                crate::arith::text::format(t),
                "must be positive",
            ));
        }
        let one = Rational::from(1);
        let zero: Point = vec![Rational::new(); n + 1];
        let mut points = vec![zero.clone()];
        let mut y_previous = zero;
        for i in 0..n {
            let y = gradient_step(&points[i], i, &one);
            let a = Rational::from(Rational::from(&theta[i] - 1u32) / &theta[i + 1]);
            let b = Rational::from(&theta[i] / &theta[i + 1]);
            let x = extrapolate(&extrapolate(&y, &a, &y, &y_previous), &b, &y, &points[i]);
            y_previous = y;
            points.push(x);
        }
        Method::from_points(format!("OGM, N = {n}"), points)
    }

    /// Nesterov's method for `L`-smooth `μ`-strongly convex functions with the constant momentum
    /// `β = (√κ − 1)/(√κ + 1)`, `κ = L/μ`, given `√κ` (pick κ a perfect square to stay in ℚ):
    /// [`Method::nesterov`] with `β_k = β` for every `k` (the same points and output `x_N`).
    ///
    /// Source: Nesterov, *Introductory Lectures on Convex Optimization* (2004), §2.2.1, the
    /// constant-step scheme for strongly convex functions (equation number not checked here);
    /// docs/design.md, "Theory" (its rate `(1 − 1/√κ)^k (L + μ)/2 · R²`).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `√κ < 1` or `N` out of range.
    pub fn nesterov_strongly_convex(n: usize, sqrt_kappa: &Rational) -> Result<Self> {
        if *sqrt_kappa < 1 {
            return Err(Error::hyper(
                "sqrt_kappa",
                crate::arith::text::format(sqrt_kappa),
                "√κ = √(L/μ) is at least 1",
            ));
        }
        check_steps(n)?;
        let beta = Rational::from(sqrt_kappa - 1u32) / Rational::from(sqrt_kappa + 1u32);
        let mut method = Method::nesterov(n, &vec![beta.clone(); n - 1])?;
        method.description = format!(
            "Nesterov, strongly convex, √κ = {}, momentum {}",
            crate::arith::text::format(sqrt_kappa),
            crate::arith::text::format(&beta)
        );
        Ok(method)
    }

    /// PyTorch's `SGD(lr = γ/L, momentum = μ, dampening = 0, nesterov)` (docs/design.md,
    /// "Conventions"): `b₁ = g₁`, `b_t = μ b_{t−1} + g_t`, then `θ −= γ b_t`, or with `nesterov = true`
    /// `θ −= γ (g_t + μ b_t)`. Gradients are taken at `θ₀ … θ_{N−1}`; the output is `θ_N`.
    ///
    /// Without Nesterov this is [`Method::heavy_ball`] (`b_t = (θ_{t−1} − θ_t)/γ` turns the buffer
    /// update into the parameter form), and Sutskever's / Keras's `v = μv − γg`, `θ += v` with
    /// constant γ is the same table again (`v_t = −γ b_t`, docs/design.md, "Sutskever ⇔ PyTorch"); the tests compare this
    /// recursion with heavy ball's and the Nesterov variant with a hand unrolling.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `γ ≤ 0` or `N` out of range.
    pub fn pytorch_sgd(
        n: usize,
        learning_rate: &Rational,
        momentum: &Rational,
        nesterov: bool,
    ) -> Result<Self> {
        check_steps(n)?;
        if *learning_rate <= 0 {
            return Err(Error::hyper(
                "learning_rate",
                crate::arith::text::format(learning_rate),
                "must be positive",
            ));
        }
        // Coordinates over the gradients: θ = x₀ − Σ c_i g_i, and the buffer b = Σ d_i g_i.
        let mut points: Vec<Point> = vec![vec![Rational::new(); n + 1]];
        let mut buffer: Point = vec![Rational::new(); n + 1];
        for t in 0..n {
            for d in buffer.iter_mut() {
                *d *= momentum;
            }
            buffer[t] += 1u32;
            let mut direction = buffer.clone();
            if nesterov {
                for d in direction.iter_mut() {
                    *d *= momentum;
                }
                direction[t] += 1u32;
            }
            let next: Point = points[t]
                .iter()
                .zip(&direction)
                .map(|(c, d)| Rational::from(c + Rational::from(learning_rate * d)))
                .collect();
            points.push(next);
        }
        Method::from_points(
            format!(
                "PyTorch SGD, lr = {}, momentum = {}, nesterov = {nesterov}",
                crate::arith::text::format(learning_rate),
                crate::arith::text::format(momentum)
            ),
            points,
        )
    }

    /// The description given at construction (for reports; the table is the definition).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The number of steps `N` (the table has `N + 1` rows).
    pub fn steps(&self) -> usize {
        self.coefficients.len() - 1
    }

    /// The table `h_{k,i}`, row `k` of length `k`.
    pub fn coefficients(&self) -> &[Vec<Rational>] {
        &self.coefficients
    }
}

/// Rational approximations of Kim & Fessler's `θ₀ … θ_N` (see [`Method::ogm`]): each square root
/// is computed in MPFR with `bits` bits and the recursion continues from the rounded value, so
/// the sequence is exactly reproducible. `θ₀ = 1` exactly.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `N` out of range or `bits < 16`.
pub fn ogm_theta(n: usize, bits: u32) -> Result<Vec<Rational>> {
    check_steps(n)?;
    if bits < 16 {
        return Err(Error::hyper("bits", bits, "at least 16 bits"));
    }
    let mut theta = vec![Rational::from(1)];
    for i in 0..n {
        let factor = if i + 1 == n { 8u32 } else { 4u32 };
        let radicand = Rational::from(factor * Rational::from(theta[i].clone().square())) + 1u32;
        let root = rug::Float::with_val(bits, &radicand).sqrt();
        let root = root
            .to_rational()
            .ok_or_else(|| Error::not_rational("sqrt"))?;
        theta.push(Rational::from(root + 1u32) / 2u32);
    }
    Ok(theta)
}

/// Rational approximations of Beck & Teboulle's `t₁ … t_N` (see [`Method::fista_t`]):
/// `t₁ = 1`, each `√(1 + 4t_k²)` computed in MPFR with `bits` bits and the recursion continued
/// from the rounded value (as [`ogm_theta`] does), so the sequence is exactly reproducible.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `N` out of range or `bits < 16`.
pub fn fista_t_sequence(n: usize, bits: u32) -> Result<Vec<Rational>> {
    check_steps(n)?;
    if bits < 16 {
        return Err(Error::hyper("bits", bits, "at least 16 bits"));
    }
    let mut t = vec![Rational::from(1)];
    while t.len() < n {
        let last = &t[t.len() - 1];
        let radicand = Rational::from(4u32 * Rational::from(last.clone().square())) + 1u32;
        let root = rug::Float::with_val(bits, &radicand).sqrt();
        let root = root
            .to_rational()
            .ok_or_else(|| Error::not_rational("sqrt"))?;
        t.push(Rational::from(root + 1u32) / 2u32);
    }
    Ok(t)
}
