//! Worst-case certificates (PEP): exact dual certificates, their producer-side check and the
//! independent verifier. Expected values are derived by hand in the comments (or cited), never
//! taken from the code under test.

// As in lib.rs: `Rational::from(expr)` keeps each rug expression correct whether it is owned or
// lazy, so the conversion clippy calls useless is kept on purpose.
#![allow(clippy::useless_conversion)]

use std::path::PathBuf;

use momentum_oracle::error::Error;
use momentum_oracle::theory::pep::certificate::{self, Certificate};
use momentum_oracle::theory::pep::format::{self, Document};
use momentum_oracle::theory::pep::ldl::{self, Psd};
use momentum_oracle::theory::pep::method::{self, Method};
use momentum_oracle::theory::pep::obligation;
use momentum_oracle::theory::pep::problem::{FunctionClass, Measure, Pair, Pep, Point};
use momentum_oracle::theory::pep::repair::{self, NumericDual};
use momentum_oracle::theory::pep::verify::{self, PsdEvidence};
use rug::Rational;
use rug::ops::Pow;

fn q(p: i64, d: i64) -> Rational {
    Rational::from((p, d))
}

fn pair(i: Point, j: Point) -> Pair {
    Pair { i, j }
}

/// Round trip through JSON text: what a third party would receive.
fn reread(c: &Certificate, factors: bool) -> format::Parsed {
    format::read(&c.to_json(factors).unwrap()).unwrap()
}

fn doc(c: &Certificate, factors: bool) -> Document {
    c.to_document(factors).unwrap()
}

fn rejected_for(result: Result<impl std::fmt::Debug, Error>, expected: &str) {
    match result {
        Err(Error::CertificateRejected { obligation, .. }) if obligation == expected => {}
        other => panic!("expected rejection for {expected:?}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Done criterion: GD, h = 1, N = 1 … 50.

/// Drori & Teboulle (2014), Thm 3.1: f(x_N) − f* ≤ L R²/(4N + 2) for h = 1; at L = R = 1 the
/// bound is 1/(4N + 2). Both the producer's check and the verifier (with and without the factors)
/// accept the closed-form certificate, for every N in 1 … 50.
#[test]
fn gd_certificate_proves_drori_teboulle_bound_for_n_1_to_50() {
    let mut checked = 0;
    for n in 1..=50i64 {
        let c = certificate::gradient_descent(n as usize, &q(1, 1)).unwrap();
        assert_eq!(*c.bound(), q(1, 4 * n + 2), "N = {n}");
        let factors = c.check().unwrap();
        assert!(factors.diagonal.iter().all(|d| *d >= 0));
        // Factors shipped for every other N, so both PSD routes of the verifier are exercised.
        let with_factors = n % 2 == 0;
        let verdict = verify::verify(&reread(&c, with_factors)).unwrap();
        assert_eq!(verdict.bound, q(1, 4 * n + 2));
        assert_eq!(verdict.steps, n as usize);
        // N consecutive pairs and N + 1 pairs with the optimum.
        assert_eq!(verdict.multipliers, 2 * n as usize + 1);
        let expected = if with_factors {
            PsdEvidence::GivenFactors
        } else {
            PsdEvidence::OwnFactorization
        };
        assert_eq!(verdict.psd, expected);
        checked += 1;
    }
    assert_eq!(checked, 50);
}

/// The same multipliers certify 1/(4Nh + 2) for shorter steps (Drori & Teboulle 2014, Thm 3.1,
/// 0 < h ≤ 1).
#[test]
fn gd_certificate_proves_the_bound_for_steps_below_one() {
    let mut checked = 0;
    for (p, d) in [(1, 2), (1, 3), (9, 10), (1, 10)] {
        let h = q(p, d);
        for n in 1..=12usize {
            let c = certificate::gradient_descent(n, &h).unwrap();
            let expected = Rational::from(1) / (Rational::from(4 * n) * &h + 2);
            assert_eq!(*c.bound(), expected);
            c.check().unwrap();
            assert_eq!(verify::verify(&reread(&c, false)).unwrap().bound, expected);
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
}

/// The certified bound is the worst case, not just a bound: on the Huber-like function of
/// docs/design.md, "Theory",, φ(x) = |x|/c − 1/(2c²) for |x| ≥ 1/c and x²/2 otherwise, c = 2Nh + 1,
/// x₀ = 1, every iterate x_k = 1 − kh/c stays in the linear part (x_N = (Nh + 1)/c ≥ 1/c) and
/// f(x_N) = (Nh + 1)/c² − 1/(2c²) = 1/(2c) = 1/(4Nh + 2). Run here in the test's own arithmetic.
#[test]
fn gd_bound_is_attained_by_the_huber_function() {
    for (p, d) in [(1, 1), (1, 2), (1, 3)] {
        let h = q(p, d);
        for n in 1..=20usize {
            let c: Rational = Rational::from(2 * n) * &h + 1u32;
            let inv_c = Rational::from(1) / &c;
            let phi = |x: &Rational| -> Rational {
                if Rational::from(x.abs_ref()) >= inv_c {
                    Rational::from(x.abs_ref()) / &c - Rational::from(1) / (2 * c.clone().square())
                } else {
                    x.clone().square() / 2
                }
            };
            let gradient = |x: &Rational| -> Rational {
                if Rational::from(x.abs_ref()) >= inv_c {
                    Rational::from(x.signum_ref()) / &c
                } else {
                    x.clone()
                }
            };
            let mut x = Rational::from(1);
            for _ in 0..n {
                x -= Rational::from(&h * &gradient(&x));
            }
            let worst = certificate::gradient_descent(n, &h).unwrap();
            assert_eq!(phi(&x), *worst.bound(), "h = {h}, N = {n}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The verifier rejects what does not prove its bound.

/// Lowering the bound by 10⁻¹² breaks the slack (its (x₀ − x*) diagonal loses exactly what the
/// tight certificate has no room for); with the factors kept they no longer reproduce it.
#[test]
fn verifier_rejects_a_certificate_with_a_lowered_bound() {
    for n in [1usize, 5, 20] {
        let c = certificate::gradient_descent(n, &q(1, 1)).unwrap();
        let lowered = Rational::from(c.bound() - q(1, 1_000_000_000_000)).to_string();
        for factors in [false, true] {
            let mut d = doc(&c, factors);
            d.bound = lowered.clone();
            let parsed = format::from_document(&d).unwrap();
            let expected = if factors {
                obligation::FACTORS
            } else {
                obligation::PSD
            };
            rejected_for(verify::verify(&parsed), expected);
        }
        let producer_side = Certificate::new(
            c.pep().clone(),
            Rational::from(c.bound() - q(1, 1_000_000_000_000)),
            c.multipliers().to_vec(),
        );
        rejected_for(producer_side.check(), obligation::PSD);
        // A larger bound is a weaker claim and still proved (S gains a PSD term).
        let mut d = doc(&c, false);
        d.bound = Rational::from(c.bound() + q(1, 100)).to_string();
        verify::verify(&format::from_document(&d).unwrap()).unwrap();
    }
}

#[test]
fn verifier_rejects_negative_multiplier() {
    let c = certificate::gradient_descent(4, &q(1, 1)).unwrap();
    let mut d = doc(&c, false);
    // The document lists the multipliers in the certificate's order.
    d.multipliers[2].value = Rational::from(-&c.multipliers()[2].1).to_string();
    rejected_for(
        verify::verify(&format::from_document(&d).unwrap()),
        obligation::NONNEGATIVE,
    );
    let mut d = doc(&c, false);
    d.bound = "-1/6".into();
    rejected_for(
        verify::verify(&format::from_document(&d).unwrap()),
        obligation::NONNEGATIVE,
    );
    let mut multipliers = c.multipliers().to_vec();
    multipliers[0].1 = q(-1, 3);
    let bad = Certificate::new(c.pep().clone(), c.bound().clone(), multipliers);
    rejected_for(bad.check(), obligation::NONNEGATIVE);
}

/// Dropping the last multiplier (λ(x*, x_N) = 1/(N + 1)) leaves f(p_N)'s coefficient short by
/// exactly that amount.
#[test]
fn verifier_rejects_a_broken_function_value_equation() {
    let c = certificate::gradient_descent(3, &q(1, 1)).unwrap();
    let mut d = doc(&c, false);
    let dropped = d.multipliers.pop().unwrap();
    assert_eq!((dropped.i.as_str(), dropped.j.as_str()), ("*", "3"));
    assert_eq!(dropped.value, "1/4");
    match verify::verify(&format::from_document(&d).unwrap()) {
        Err(Error::CertificateRejected { obligation, detail }) => {
            assert_eq!(obligation, obligation::FUNCTION_VALUES);
            assert!(detail.contains("-1/4"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    let mut multipliers = c.multipliers().to_vec();
    multipliers.pop();
    let bad = Certificate::new(c.pep().clone(), c.bound().clone(), multipliers);
    rejected_for(bad.check(), obligation::FUNCTION_VALUES);
}

/// Tampered factors: one entry of L changed.
#[test]
fn verifier_rejects_factors_that_do_not_reproduce_the_slack() {
    let c = certificate::gradient_descent(3, &q(1, 1)).unwrap();
    let mut d = doc(&c, true);
    let ldl = d.ldl.as_mut().unwrap();
    ldl.lower[2][0] = Rational::from(format_parse(&ldl.lower[2][0]) + 1u32).to_string();
    rejected_for(
        verify::verify(&format::from_document(&d).unwrap()),
        obligation::FACTORS,
    );
    let mut d = doc(&c, true);
    d.ldl.as_mut().unwrap().diagonal[0] = "-1/1".into();
    rejected_for(
        verify::verify(&format::from_document(&d).unwrap()),
        obligation::FACTORS,
    );
}

fn format_parse(t: &str) -> Rational {
    momentum_oracle::arith::text::parse(t).unwrap()
}

/// The producer's check (sparse forms, pivoted LDLᵀ) and the verifier (dense, unpivoted) agree
/// on accepting and rejecting perturbed certificates.
#[test]
fn producer_check_and_verifier_agree_on_perturbed_certificates() {
    let mut accepted = 0;
    let mut rejected = 0;
    for n in 1..=6usize {
        let c = certificate::gradient_descent(n, &q(1, 1)).unwrap();
        for m in 0..c.multipliers().len() {
            for delta in [q(-1, 7), q(1, 1000), q(1, 3)] {
                for bound_delta in [q(0, 1), q(1, 50)] {
                    let mut multipliers = c.multipliers().to_vec();
                    multipliers[m].1 += &delta;
                    let perturbed = Certificate::new(
                        c.pep().clone(),
                        Rational::from(c.bound() + &bound_delta),
                        multipliers,
                    );
                    let producer = perturbed.check().map(|_| ());
                    let verifier = verify::verify(&reread(&perturbed, false)).map(|_| ());
                    match (&producer, &verifier) {
                        (Ok(()), Ok(())) => accepted += 1,
                        (
                            Err(Error::CertificateRejected { obligation: a, .. }),
                            Err(Error::CertificateRejected { obligation: b, .. }),
                        ) if a == b => rejected += 1,
                        _ => panic!("N = {n}, m = {m}: {producer:?} vs {verifier:?}"),
                    }
                }
            }
        }
    }
    // Changing one multiplier always breaks the function-value equation.
    assert_eq!(accepted, 0);
    assert!(rejected > 0);

    // A perturbation that keeps the equation: move weight between (x*, x_k) pairs and the
    // consecutive ones consistently is not available for one multiplier, so also check bound
    // changes alone: raised is accepted, lowered rejected, by both.
    for n in 1..=6usize {
        let c = certificate::gradient_descent(n, &q(1, 1)).unwrap();
        for bound_delta in [q(-1, 10_000), q(1, 10_000)] {
            let perturbed = Certificate::new(
                c.pep().clone(),
                Rational::from(c.bound() + &bound_delta),
                c.multipliers().to_vec(),
            );
            let producer = perturbed.check().is_ok();
            let verifier = verify::verify(&reread(&perturbed, false)).is_ok();
            assert_eq!(producer, verifier);
            assert_eq!(producer, bound_delta > 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strongly convex class and other measures, with certificates derived by hand.

/// GD with h = 1 on 1-smooth q-strongly convex functions: ‖x_N − x*‖² ≤ (1 − q)^{2N}.
///
/// Hand derivation: the pairs (x_k, x*) and (x*, x_k) of THG 2017 Thm 4 add up to
/// `(1 + q)⟨g_k, x_k⟩ ≥ ‖g_k‖² + q‖x_k‖²` (times 1/(1 − q) in "≤ 0" form), and
/// `(1 − q)²‖x_k‖² − ‖x_k − g_k‖² + 2(1 − q)·[sum in "≤ 0" form] = ‖q x_k − g_k‖² ≥ 0`.
/// Weighting step k by (1 − q)^{2(N−1−k)} telescopes: λ = 2(1 − q)^{2(N−k)−1} on both pairs of
/// step k, τ = (1 − q)^{2N}.
#[test]
fn strongly_convex_gd_contracts_the_distance_by_one_minus_q_squared_per_step() {
    let mut checked = 0;
    for strong_convexity in [q(1, 2), q(1, 10), q(0, 1)] {
        let one_minus = Rational::from(1 - strong_convexity.clone());
        for n in 1..=8usize {
            let method = Method::gradient_descent(n, &q(1, 1)).unwrap();
            let pep = Pep::new(
                method,
                FunctionClass::SmoothStronglyConvex {
                    strong_convexity: strong_convexity.clone(),
                },
                Measure::DistanceSquared,
            )
            .unwrap();
            let mut multipliers = Vec::new();
            for k in 0..n {
                let lambda = Rational::from((&one_minus).pow(2 * (n - k) as i32 - 1)) * 2u32;
                multipliers.push((pair(Point::Iterate(k), Point::Optimum), lambda.clone()));
                multipliers.push((pair(Point::Optimum, Point::Iterate(k)), lambda));
            }
            let bound = Rational::from((&one_minus).pow(2 * n as i32));
            let c = Certificate::new(pep, bound.clone(), multipliers);
            assert_eq!(
                c,
                certificate::gradient_descent_strongly_convex_distance(n, &strong_convexity)
                    .unwrap()
            );
            c.check().unwrap();
            let verdict = verify::verify(&reread(&c, true)).unwrap();
            assert_eq!(verdict.bound, bound);
            // Any less is refuted: the quadratic f = q x²/2 attains (1 − q)^{2N}.
            let lower = Certificate::new(
                c.pep().clone(),
                Rational::from(&bound * q(999_999, 1_000_000)),
                c.multipliers().to_vec(),
            );
            rejected_for(verify::verify(&reread(&lower, false)), obligation::PSD);
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}

/// A gradient-norm measure with no multipliers: S = τ‖x₀ − x*‖² − ‖g₁‖² has −1 on g₁'s diagonal
/// whatever τ, so both checkers refute it.
#[test]
fn gradient_measure_needs_multipliers() {
    let method = Method::gradient_descent(1, &q(1, 1)).unwrap();
    let pep = Pep::new(
        method,
        FunctionClass::SmoothConvex,
        Measure::GradientNormSquared,
    )
    .unwrap();
    let c = Certificate::new(pep, q(1000, 1), vec![]);
    rejected_for(c.check(), obligation::PSD);
    rejected_for(verify::verify(&reread(&c, false)), obligation::PSD);
}

// ---------------------------------------------------------------------------------------------
// The PEP's constraints, by hand.

/// N = 1, GD h = 1: x₁ − x* = v − g₀ with v = x₀ − x* (basis index 0, g₀ index 1, g₁ index 2).
#[test]
fn interpolation_constraints_match_hand_expansion() {
    let method = Method::gradient_descent(1, &q(1, 1)).unwrap();
    let pep = Pep::new(method, FunctionClass::SmoothConvex, Measure::FunctionValue).unwrap();
    // (x₀, x₁): f₁ − f₀ + ⟨g₁, x₀ − x₁⟩ + ½‖g₀ − g₁‖² = f₁ − f₀ + ½‖g₀‖² + ½‖g₁‖².
    let c = pep
        .interpolation(pair(Point::Iterate(0), Point::Iterate(1)))
        .unwrap();
    assert_eq!(c.function_values, vec![q(-1, 1), q(1, 1)]);
    let dense = c.gram.to_dense();
    let expected = vec![
        vec![q(0, 1), q(0, 1), q(0, 1)],
        vec![q(0, 1), q(1, 2), q(0, 1)],
        vec![q(0, 1), q(0, 1), q(1, 2)],
    ];
    assert_eq!(dense, expected);
    // (x*, x₁): f₁ + ⟨g₁, −x₁⟩ + ½‖g₁‖² = f₁ − ⟨g₁, v⟩ + ⟨g₁, g₀⟩ + ½‖g₁‖².
    let c = pep
        .interpolation(pair(Point::Optimum, Point::Iterate(1)))
        .unwrap();
    assert_eq!(c.function_values, vec![q(0, 1), q(1, 1)]);
    let expected = vec![
        vec![q(0, 1), q(0, 1), q(-1, 2)],
        vec![q(0, 1), q(0, 1), q(1, 2)],
        vec![q(-1, 2), q(1, 2), q(1, 2)],
    ];
    assert_eq!(c.gram.to_dense(), expected);
    assert_eq!(pep.pairs().len(), 3 * 2);
    // Objective f(x₁) − f*; initial condition ‖v‖².
    assert_eq!(pep.objective().function_values, vec![q(0, 1), q(1, 1)]);
    assert_eq!(pep.initial_condition().gram.get(0, 0), q(1, 1));
    assert_eq!(pep.initial_condition().gram.entries().count(), 1);
}

/// Strongly convex, q = 1/2, pair (x₀, x*): with L = 1, μ = 1/2 THG 2017 Thm 4 reads
/// f₀ ≥ f* + 1/(2(L−μ))‖g₀‖² + μL/(2(L−μ))‖v‖² − μ/(L−μ)⟨g₀, v⟩ = ‖g₀‖² + ½‖v‖² − ⟨g₀, v⟩.
#[test]
fn strongly_convex_interpolation_matches_hand_expansion() {
    let method = Method::gradient_descent(1, &q(1, 1)).unwrap();
    let pep = Pep::new(
        method,
        FunctionClass::SmoothStronglyConvex {
            strong_convexity: q(1, 2),
        },
        Measure::FunctionValue,
    )
    .unwrap();
    let c = pep
        .interpolation(pair(Point::Iterate(0), Point::Optimum))
        .unwrap();
    assert_eq!(c.function_values, vec![q(-1, 1), q(0, 1)]);
    let expected = vec![
        vec![q(1, 2), q(-1, 2), q(0, 1)],
        vec![q(-1, 2), q(1, 1), q(0, 1)],
        vec![q(0, 1), q(0, 1), q(0, 1)],
    ];
    assert_eq!(c.gram.to_dense(), expected);
    assert!(matches!(
        Pep::new(
            Method::gradient_descent(1, &q(1, 1)).unwrap(),
            FunctionClass::SmoothStronglyConvex {
                strong_convexity: q(1, 1)
            },
            Measure::FunctionValue
        ),
        Err(Error::InvalidHyperParameter { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Methods: independent constructions of the same table.

#[test]
fn independent_constructions_agree() {
    for n in 1..=8usize {
        for (p, d) in [(1, 1), (1, 3), (3, 2)] {
            let h = q(p, d);
            let gd = Method::gradient_descent(n, &h).unwrap();
            // Heavy ball without momentum is gradient descent.
            let hb = Method::heavy_ball(n, &h, &q(0, 1)).unwrap();
            assert_eq!(hb.coefficients(), gd.coefficients());
        }
        // Nesterov with zero momenta is gradient descent with h = 1.
        let zeros = vec![q(0, 1); n - 1];
        assert_eq!(
            Method::nesterov(n, &zeros).unwrap().coefficients(),
            Method::gradient_descent(n, &q(1, 1))
                .unwrap()
                .coefficients()
        );
        // FISTA is Nesterov with (k − 1)/(k + 2).
        let momenta: Vec<Rational> = (1..n as i64).map(|k| q(k - 1, k + 2)).collect();
        assert_eq!(
            Method::fista(n).unwrap().coefficients(),
            Method::nesterov(n, &momenta).unwrap().coefficients()
        );
    }
    // One step of heavy ball is one step of GD whatever the momentum (x₋₁ = x₀).
    assert_eq!(
        Method::heavy_ball(1, &q(1, 2), &q(9, 10))
            .unwrap()
            .coefficients(),
        Method::gradient_descent(1, &q(1, 2))
            .unwrap()
            .coefficients()
    );
    // Heavy ball unrolled: h_{k,i} = γ(1 − μ^{k−i})/(1 − μ) (geometric sum of the momentum).
    let (gamma, mu) = (q(1, 3), q(1, 2));
    let hb = Method::heavy_ball(6, &gamma, &mu).unwrap();
    for (k, row) in hb.coefficients().iter().enumerate() {
        for (i, h) in row.iter().enumerate() {
            let geometric = Rational::from(1 - Rational::from((&mu).pow((k - i) as i32)))
                / Rational::from(1 - mu.clone());
            assert_eq!(*h, Rational::from(&gamma * &geometric), "k = {k}, i = {i}");
        }
    }
}

/// PyTorch SGD without Nesterov is heavy ball; with Nesterov, N = 2 by hand: b₁ = g₀,
/// θ₁ = θ₀ − γ(1 + μ)g₀; b₂ = μg₀ + g₁, θ₂ = θ₁ − γ(g₁ + μb₂) = θ₀ − γ(1 + μ + μ²)g₀ − γ(1 + μ)g₁.
/// Strongly convex NAG with √κ = 3 has β = 1/2 in every step.
#[test]
fn framework_conventions_map_onto_the_tables() {
    let (gamma, mu) = (q(1, 3), q(9, 10));
    for n in 1..=6usize {
        assert_eq!(
            Method::pytorch_sgd(n, &gamma, &mu, false)
                .unwrap()
                .coefficients(),
            Method::heavy_ball(n, &gamma, &mu).unwrap().coefficients()
        );
    }
    let nag = Method::pytorch_sgd(2, &gamma, &mu, true).unwrap();
    let one = q(1, 1);
    let mu2 = Rational::from(&mu * &mu);
    assert_eq!(
        nag.coefficients()[2],
        vec![
            Rational::from(&gamma * (Rational::from(&one + &mu) + &mu2)),
            Rational::from(&gamma * Rational::from(&one + &mu)),
        ]
    );
    assert_eq!(
        Method::nesterov_strongly_convex(5, &q(3, 1))
            .unwrap()
            .coefficients(),
        Method::nesterov(5, &[q(1, 2), q(1, 2), q(1, 2), q(1, 2)])
            .unwrap()
            .coefficients()
    );
    assert!(matches!(
        Method::nesterov_strongly_convex(5, &q(1, 2)),
        Err(Error::InvalidHyperParameter { .. })
    ));
}

/// The certified GD bound is the crate's tight bound from theory (Drori & Teboulle 2014, written
/// independently in src/theory/bounds.rs), for several h ≤ 1 and N.
#[test]
fn gd_certificate_agrees_with_the_theory_module() {
    for (p, d) in [(1, 1), (1, 2), (2, 3), (1, 7)] {
        let h = q(p, d);
        for n in [1usize, 2, 3, 10, 25] {
            let c = certificate::gradient_descent(n, &h).unwrap();
            let theory = momentum_oracle::theory::bounds::gd_tight(&q(1, 1), &q(1, 1), &h, n);
            assert_eq!(*c.bound(), theory);
        }
    }
}

/// FISTA, N = 3, by hand: y₁ = x₀; x₁ = x₀ − g₀; y₂ = x₁ (β₁ = 0); x₂ = y₂ − g₁ = x₀ − g₀ − g₁;
/// y₃ = x₂ + ¼(x₂ − x₁) = x₀ − g₀ − (5/4)g₁; x₃ = y₃ − g₂. Points y₁, y₂, y₃, x₃.
#[test]
fn fista_table_matches_hand_unrolling() {
    let fista = Method::fista(3).unwrap();
    let expected = vec![
        vec![],
        vec![q(1, 1)],
        vec![q(1, 1), q(5, 4)],
        vec![q(1, 1), q(5, 4), q(1, 1)],
    ];
    assert_eq!(fista.coefficients(), expected.as_slice());
}

/// OGM, N = 1: θ₀ = 1, θ₁ = (1 + √(1 + 8))/2 = 2 exactly (last-step formula); x₁ = y₁ +
/// (θ₀/θ₁)(y₁ − x₀) = x₀ − (3/2)g₀. Its bound L R²/(2θ₁²) = 1/8 equals GD's tight value with
/// h = 3/2: ½ max{1/(2h + 1), (1 − h)²} = ½ · ¼ (docs/design.md, "Theory", Kim 2024).
#[test]
fn ogm_one_step_is_gradient_descent_with_step_three_halves() {
    let theta = method::ogm_theta(1, 64).unwrap();
    assert_eq!(theta, vec![q(1, 1), q(2, 1)]);
    let ogm = Method::ogm(1, &theta).unwrap();
    assert_eq!(ogm.coefficients(), &[vec![], vec![q(3, 2)]]);
    // OGM, N = 2, with θ₁ = θ (the golden ratio, rounded): x₁ = x₀ − (1 + 1/θ₁... only the
    // shape and the exact first row are asserted: x₁ = y₁ + (θ₀/θ₁)(y₁ − x₀) = x₀ − (1 + 1/θ₁)g₀.
    let theta = method::ogm_theta(2, 64).unwrap();
    let ogm = Method::ogm(2, &theta).unwrap();
    assert_eq!(
        ogm.coefficients()[1],
        vec![Rational::from(1) + Rational::from(1) / &theta[1]]
    );
    let golden = (1.0 + 5f64.sqrt()) / 2.0;
    assert!((theta[1].to_f64() - golden).abs() < 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Exact LDLᵀ.

fn matrix(rows: &[&[i64]]) -> Vec<Vec<Rational>> {
    rows.iter()
        .map(|r| r.iter().map(|&x| Rational::from(x)).collect())
        .collect()
}

/// zᵀ A z written out in the test.
fn form(a: &[Vec<Rational>], z: &[Rational]) -> Rational {
    let mut total = Rational::new();
    for r in 0..a.len() {
        for c in 0..a.len() {
            total += Rational::from(&a[r][c] * &z[r]) * &z[c];
        }
    }
    total
}

fn reconstructs(a: &[Vec<Rational>], f: &ldl::Ldl) {
    let n = a.len();
    let l = |r: usize, c: usize| match r.cmp(&c) {
        std::cmp::Ordering::Greater => f.lower[r][c].clone(),
        std::cmp::Ordering::Equal => Rational::from(1),
        std::cmp::Ordering::Less => Rational::new(),
    };
    for r in 0..n {
        for c in 0..n {
            let mut s = Rational::new();
            for k in 0..n {
                s += l(r, k) * l(c, k) * &f.diagonal[k];
            }
            assert_eq!(s, a[f.permutation[r]][f.permutation[c]]);
        }
    }
}

#[test]
fn ldl_detects_an_indefinite_slack() {
    let cases = [
        // Eigenvalues 3 and −1.
        matrix(&[&[1, 2], &[2, 1]]),
        // Zero diagonal with a nonzero off-diagonal entry: the zero-pivot rule.
        matrix(&[&[0, 1], &[1, 0]]),
        // The indefinite part appears only after a pivot: [[4, 2, 2], [2, 1, 1], [2, 1, 0]]
        // leaves the Schur complement [[0, 0], [0, −1]].
        matrix(&[&[4, 2, 2], &[2, 1, 1], &[2, 1, 0]]),
        // A zero pivot hiding a nonzero entry after elimination: Schur complement [[0, 1], [1, 0]].
        matrix(&[&[1, 1, 1], &[1, 1, 2], &[1, 2, 1]]),
        matrix(&[&[-1]]),
    ];
    for a in &cases {
        match ldl::decompose(a).unwrap() {
            Psd::Indefinite { witness } => {
                assert!(form(a, &witness) < 0, "{a:?}: witness {witness:?}");
                assert_eq!(ldl::quadratic_form(a, &witness), form(a, &witness));
            }
            Psd::Proved(f) => panic!("{a:?} is indefinite, got {f:?}"),
        }
    }
    // The GD slack with a lowered bound, from the producer.
    let c = certificate::gradient_descent(7, &q(1, 1)).unwrap();
    let lowered = Certificate::new(
        c.pep().clone(),
        Rational::from(c.bound() - q(1, 1_000_000_000_000)),
        c.multipliers().to_vec(),
    );
    let s = lowered.slack().unwrap();
    match ldl::decompose(&s).unwrap() {
        Psd::Indefinite { witness } => assert!(form(&s, &witness) < 0),
        Psd::Proved(_) => panic!("lowered GD bound must not be PSD"),
    }
}

#[test]
fn ldl_proves_semidefinite_matrices_with_factors_that_multiply_back() {
    let cases = [
        matrix(&[&[1, 1], &[1, 1]]),
        matrix(&[&[0, 0, 0], &[0, 2, 1], &[0, 1, 1]]),
        matrix(&[&[0]]),
        // BᵀB for B = [[1, 2, 0], [0, 1, 3]]: rank 2 in dimension 3.
        matrix(&[&[1, 2, 0], &[2, 5, 3], &[0, 3, 9]]),
        // diag(1, 2, 3) + rank one (1, −1, 2)(1, −1, 2)ᵀ.
        matrix(&[&[2, -1, 2], &[-1, 3, -2], &[2, -2, 7]]),
    ];
    for a in &cases {
        match ldl::decompose(a).unwrap() {
            Psd::Proved(f) => {
                assert!(f.diagonal.iter().all(|d| *d >= 0));
                reconstructs(a, &f);
            }
            Psd::Indefinite { witness } => panic!("{a:?} is PSD; witness {witness:?}"),
        }
    }
    // Every GD slack factorises back.
    for n in [1usize, 4, 13] {
        let c = certificate::gradient_descent(n, &q(1, 1)).unwrap();
        let s = c.slack().unwrap();
        reconstructs(&s, &c.check().unwrap());
    }
    assert!(matches!(
        ldl::decompose(&matrix(&[&[1, 2], &[3, 1]])),
        Err(Error::InvalidDocument { .. })
    ));
    assert!(matches!(
        ldl::decompose(&matrix(&[&[1, 2], &[3]])),
        Err(Error::DimensionMismatch { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Bad input: typed errors, never a panic.

#[test]
fn reader_rejects_malformed_certificates_with_typed_errors() {
    let good = certificate::gradient_descent(2, &q(1, 1))
        .unwrap()
        .to_json(true)
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        f(&mut v);
        format::read(&v.to_string())
    };
    let invalid = |r: Result<format::Parsed, Error>, what: &str| match r {
        Err(Error::InvalidDocument { .. }) => {}
        other => panic!("{what}: {other:?}"),
    };
    invalid(format::read("not json"), "not json");
    invalid(format::read(""), "empty");
    invalid(edit(&|v| v["extra"] = 1.into()), "unknown field");
    invalid(
        edit(&|v| {
            v.as_object_mut().unwrap().remove("bound");
        }),
        "missing bound",
    );
    invalid(edit(&|v| v["method"]["steps"] = 0.into()), "zero steps");
    invalid(edit(&|v| v["method"]["steps"] = 3.into()), "rows ≠ N + 1");
    invalid(
        edit(&|v| v["method"]["coefficients"][2] = serde_json::json!(["1/1"])),
        "short row",
    );
    invalid(edit(&|v| v["bound"] = "1/0".into()), "zero denominator");
    invalid(edit(&|v| v["bound"] = "abc".into()), "not a number");
    invalid(
        edit(&|v| v["multipliers"][0]["i"] = "3".into()),
        "point beyond N",
    );
    invalid(
        edit(&|v| v["multipliers"][0]["i"] = "-1".into()),
        "negative index",
    );
    invalid(
        edit(&|v| v["multipliers"][0]["i"] = "01".into()),
        "leading zero",
    );
    invalid(
        edit(&|v| {
            v["multipliers"][0]["i"] = "*".into();
            v["multipliers"][0]["j"] = "*".into();
        }),
        "i = j",
    );
    invalid(
        edit(&|v| {
            let first = v["multipliers"][0].clone();
            v["multipliers"].as_array_mut().unwrap().push(first);
        }),
        "duplicate pair",
    );
    invalid(edit(&|v| v["measure"] = "gap".into()), "unknown measure");
    invalid(
        edit(&|v| v["initial_condition"] = "function-value".into()),
        "initial condition",
    );
    invalid(
        edit(&|v| v["class"]["name"] = "smooth-strongly-convex".into()),
        "strongly convex without q",
    );
    invalid(
        edit(&|v| {
            v["class"]["name"] = "smooth-strongly-convex".into();
            v["class"]["strong_convexity"] = "1/1".into();
        }),
        "q = 1",
    );
    invalid(
        edit(&|v| v["ldl"]["permutation"] = serde_json::json!([0, 0, 1, 2])),
        "not a permutation",
    );
    invalid(
        edit(&|v| v["ldl"]["lower"][1] = serde_json::json!([])),
        "short factor row",
    );
    invalid(edit(&|v| v["multipliers"] = 5.into()), "wrong type");
    assert!(matches!(
        edit(&|v| v["schema"] = "momentum-oracle/pep-certificate/0".into()),
        Err(Error::SchemaVersion { .. })
    ));
    assert!(matches!(
        verify::verify_file(std::path::Path::new("/nonexistent/certificate.json")),
        Err(Error::Io { .. })
    ));
    // The unedited document reads and verifies.
    verify::verify(&format::read(&good).unwrap()).unwrap();
}

#[test]
fn constructors_reject_bad_parameters() {
    let hyper = |r: Result<Method, Error>| matches!(r, Err(Error::InvalidHyperParameter { .. }));
    assert!(hyper(Method::gradient_descent(0, &q(1, 1))));
    assert!(hyper(Method::gradient_descent(
        method::MAX_STEPS + 1,
        &q(1, 1)
    )));
    assert!(hyper(Method::gradient_descent(3, &q(0, 1))));
    assert!(hyper(Method::heavy_ball(3, &q(-1, 2), &q(1, 2))));
    assert!(hyper(Method::ogm(1, &[q(1, 1), q(0, 1)])));
    assert!(matches!(
        Method::nesterov(3, &[q(1, 2)]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Method::new("bad", vec![vec![], vec![q(1, 1), q(1, 1)]]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        certificate::gradient_descent(2, &q(3, 2)),
        Err(Error::InvalidHyperParameter { .. })
    ));
    assert!(matches!(
        method::ogm_theta(2, 8),
        Err(Error::InvalidHyperParameter { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pep")
}

/// Every shipped certificate is byte-identical to a fresh generation (set
/// `PEP_WRITE_FIXTURES=1` to rewrite them), validates against the schema, and verifies.
#[test]
fn shipped_certificates_are_fresh_valid_and_verify() {
    let catalogue = certificate::catalogue().unwrap();
    assert!(catalogue.len() >= 5);
    let write = std::env::var_os("PEP_WRITE_FIXTURES").is_some();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema itself is valid");
    for (name, c, factors) in &catalogue {
        let path = fixture_dir().join(format!("{name}.json"));
        let fresh = c.to_json(*factors).unwrap();
        if write {
            std::fs::write(&path, &fresh).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap();
        assert_eq!(shipped, fresh, "{name} is stale");
        let v: serde_json::Value = serde_json::from_str(&shipped).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .take(3)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let verdict = verify::verify_file(&path).unwrap();
        assert_eq!(verdict.bound, *c.bound());
    }
    // The schema rejects what the reader rejects in shape.
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("gd-h1-n2.json")).unwrap(),
    )
    .unwrap();
    v["bound"] = "0.5".into();
    assert!(!validator.is_valid(&v));
}

/// `certify --verify FILE`: exit 0 and one line for a valid certificate, 1 for one that does not
/// prove its bound, 2 for a missing or malformed file.
#[test]
fn certify_cli_reports_verified_rejected_and_bad_input_by_exit_code() {
    let binary = env!("CARGO_BIN_EXE_momentum-oracle");
    let run = |path: &std::path::Path| {
        std::process::Command::new(binary)
            .args(["certify", "--verify"])
            .arg(path)
            .output()
            .unwrap()
    };
    let good = fixture_dir().join("gd-h1-n5.json");
    let out = run(&good);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("verified: ") && text.contains("≤ 1/22"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);

    let dir = std::env::temp_dir().join(format!("pep-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lowered = dir.join("lowered.json");
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("\"bound\": \"1/22\"", "\"bound\": \"1/23\"");
    std::fs::write(&lowered, text).unwrap();
    let out = run(&lowered);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .starts_with("rejected: ")
    );

    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{").unwrap();
    assert_eq!(run(&broken).status.code(), Some(2));
    assert_eq!(run(&dir.join("missing.json")).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Not a check: writes the step tables of FISTA, OGM and heavy ball (as certificate documents
/// with no multipliers) into `$PEP_EXPORT_DIR`, for the numerical cross-check against PEPit in
/// `examples/python/pep/` (`crosscheck.py`, and `export_duals.py` / `interior.py`, which write
/// `fixtures/pep/numeric/*.json`). Run with `--ignored`.
#[test]
#[ignore]
fn export_method_tables_for_a_numerical_cross_check() {
    let dir = PathBuf::from(std::env::var("PEP_EXPORT_DIR").expect("set PEP_EXPORT_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut methods = vec![
        (
            "gd-h1-n5".to_string(),
            Method::gradient_descent(5, &q(1, 1)).unwrap(),
        ),
        ("fista-n10".to_string(), Method::fista(10).unwrap()),
        (
            "heavy-ball-g1-m1_2-n5".to_string(),
            Method::heavy_ball(5, &q(1, 1), &q(1, 2)).unwrap(),
        ),
        (
            "heavy-ball-g1_2-m1_4-n10".to_string(),
            Method::heavy_ball(10, &q(1, 2), &q(1, 4)).unwrap(),
        ),
    ];
    for n in 1..=20usize {
        let theta = method::ogm_theta(n, 64).unwrap();
        methods.push((format!("ogm-n{n}"), Method::ogm(n, &theta).unwrap()));
    }
    for n in 1..=10usize {
        let t = method::fista_t_sequence(n, 64).unwrap();
        methods.push((format!("fista-t-n{n}"), Method::fista_t(n, &t).unwrap()));
    }
    for (name, m) in methods {
        let pep = Pep::new(m, FunctionClass::SmoothConvex, Measure::FunctionValue).unwrap();
        let c = Certificate::new(pep, q(0, 1), vec![]);
        std::fs::write(dir.join(format!("{name}.json")), c.to_json(false).unwrap()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Repair: numeric duals to exact certificates.

/// The closed-form GD multipliers rounded to f64 (what a perfect solver would print) repair to a
/// bound within 10⁻¹² of 1/(4N + 2) — and never below it: a repaired bound is a proof, and the
/// Huber function attains 1/(4N + 2).
#[test]
fn repaired_gd_dual_is_within_1e_12_of_the_exact_bound_and_never_below() {
    for n in 1..=20usize {
        let exact = certificate::gradient_descent(n, &q(1, 1)).unwrap();
        let dual = NumericDual {
            bound: exact.bound().to_f64(),
            multipliers: exact
                .multipliers()
                .iter()
                .map(|(p, l)| (*p, l.to_f64()))
                .collect(),
        };
        let repaired = repair::repair(exact.pep(), &dual, 1_000_000_000_000).unwrap();
        let tau = repaired.certificate.bound().clone();
        let truth = q(1, 4 * n as i64 + 2);
        assert!(tau >= truth, "N = {n}: {tau} below the attained worst case");
        assert!(
            Rational::from(&tau - &truth) < q(1, 1_000_000_000_000),
            "N = {n}"
        );
        verify::verify(&reread(&repaired.certificate, false)).unwrap();
    }
}

fn numeric_dual(name: &str, steps: usize) -> NumericDual {
    let path = fixture_dir().join("numeric").join(format!("{name}.json"));
    repair::read_numeric_dual(&std::fs::read_to_string(path).unwrap(), steps).unwrap()
}

fn function_value_pep(m: Method) -> Pep {
    Pep::new(m, FunctionClass::SmoothConvex, Measure::FunctionValue).unwrap()
}

/// FISTA with (k − 1)/(k + 2), N = 10: the numeric dual (cvxpy + Clarabel, fixtures/pep/numeric)
/// repairs to a certified bound within 10⁻¹² of THG 2017's numerical value 2/(N² + 5N + 6) = 1/78
/// (a numerical value, not a theorem: only closeness is asserted).
#[test]
fn fista_n10_repairs_to_within_1e_12_of_the_thg_value() {
    let pep = function_value_pep(Method::fista(10).unwrap());
    let repaired = repair::repair(&pep, &numeric_dual("fista-n10", 10), 1_000_000_000).unwrap();
    let tau = repaired.certificate.bound();
    let distance = Rational::from(tau - q(1, 78)).abs();
    assert!(
        distance < q(1, 1_000_000_000_000),
        "τ − 1/78 = {:e}",
        distance.to_f64()
    );
    // The gap to the solver's own value is of the solver's tolerance.
    assert!(repaired.gap.clone().abs() < q(1, 1_000_000_000));
    verify::verify(&reread(&repaired.certificate, true)).unwrap();
}

/// `method::fista_t_sequence` rounds Beck & Teboulle's t-sequence: t₁ = 1 exactly, t₂ within
/// 2⁻⁵¹ of the f64 nearest the golden ratio (1 + √5)/2 (the root of t² − t = 1), and
/// every t_{k+1} solves t² − t = t_k² to within 2⁻⁵⁶ t_{k+1}² (each square root is rounded to 64
/// bits). With t_k = (k + 1)/2, `Method::fista_t` is `Method::fista` (β_k = (k − 1)/(k + 2)).
#[test]
fn fista_t_sequence_solves_the_beck_teboulle_recursion_to_64_bits() {
    let t = method::fista_t_sequence(10, 64).unwrap();
    assert_eq!(t.len(), 10);
    assert_eq!(t[0], 1);
    let golden = Rational::from_f64(1.618_033_988_749_895).unwrap();
    // The f64 literal is itself within 2⁻⁵² of the golden ratio: compare to both tolerances.
    assert!(Rational::from(&t[1] - &golden).abs() < q(1, 1 << 51));
    for k in 0..9 {
        let next = &t[k + 1];
        let residual = Rational::from(
            Rational::from(next.clone().square()) - next - Rational::from(t[k].clone().square()),
        );
        let scale = Rational::from(next.clone().square()) / Rational::from(1u64 << 56);
        assert!(residual.abs() < scale, "t_{}", k + 2);
        assert!(*next > t[k]);
    }
    let rational_t: Vec<Rational> = (1..=6).map(|k| q(k + 1, 2)).collect();
    assert_eq!(
        Method::fista_t(6, &rational_t).unwrap().coefficients(),
        Method::fista(6).unwrap().coefficients()
    );
    assert!(matches!(
        Method::fista_t(6, &rational_t[..5]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Method::fista_t(2, &[q(1, 1), q(0, 1)]),
        Err(Error::InvalidHyperParameter { .. })
    ));
}

fn fista_t_pep(n: usize) -> Pep {
    function_value_pep(Method::fista_t(n, &method::fista_t_sequence(n, 64).unwrap()).unwrap())
}

/// FISTA with the t-sequence rounded to 64-bit rationals (`method::fista_t_sequence`), N = 1 … 10:
/// the numeric duals (cvxpy + Clarabel in Python, fixtures/pep/numeric/fista-t-nN.json) repair to
/// exact certificates that the verifier accepts (repair gaps locked in
/// snapshots/pep_fista_t_repair_gaps.snap), and
/// below Beck & Teboulle's 2 L R²/(N + 1)² (2009, Thm 4.4). That theorem is about the irrational
/// t-sequence; for this rational method the certificate is the guarantee and the classical bound
/// a comparison, which holds with room (ratio 0.33 at N = 1 up to 0.75 at N = 10).
///
/// Independent values: for N ≤ 2 the method is gradient descent with h = 1 (β₁ = (t₁ − 1)/t₂ = 0),
/// whose exact worst case is 1/(4N + 2) (Drori & Teboulle 2014, attained on a Huber function): the
/// certified bound is at or above it and within 10⁻⁹. At N = 10, PEPit 0.5.1's
/// `accelerated_gradient_convex` (the irrational method, its own formulation, Clarabel; run by
/// hand with examples/python/pep/pepit_fista_t.py 10) reports 0.012335112090127682: the certified
/// bound is within 10⁻¹⁰ of it.
#[test]
fn fista_t_sequence_certificates_for_n_1_to_10_are_below_the_beck_teboulle_bound() {
    let mut checked = 0;
    let mut gaps = String::from("case | τ | τ − solver's τ (repair gap)\n");
    for n in 1..=10usize {
        let pep = fista_t_pep(n);
        let dual = numeric_dual(&format!("fista-t-n{n}"), n);
        let repaired = repair::repair(&pep, &dual, 1_000_000_000_000).unwrap();
        let tau = repaired.certificate.bound().clone();
        let classical = q(2, (n as i64 + 1) * (n as i64 + 1));
        assert!(tau < classical, "N = {n}: {tau} ≥ 2/(N + 1)²");
        gaps.push_str(&format!(
            "fista-t-n{n} | {:.12e} | {:.2e}\n",
            tau.to_f64(),
            repaired.gap.to_f64()
        ));
        if n <= 2 {
            let gd = q(1, 4 * n as i64 + 2);
            assert!(tau >= gd, "N = {n}: below the attained worst case");
            assert!(Rational::from(&tau - &gd) < q(1, 1_000_000_000), "N = {n}");
        }
        if n == 10 {
            let pepit = Rational::from_f64(0.012_335_112_090_127_682).unwrap();
            assert!(
                Rational::from(&tau - &pepit).abs() < q(1, 10_000_000_000),
                "N = 10: τ − PEPit = {:e}",
                Rational::from(&tau - &pepit).to_f64()
            );
        }
        let verdict = verify::verify(&reread(&repaired.certificate, false)).unwrap();
        assert_eq!(verdict.bound, tau);
        eprintln!(
            "fista-t N = {n}: certified {:.15e}, gap to the solver {:+.3e}, certified / (2/(N + 1)²) = {:.4}",
            tau.to_f64(),
            repaired.gap.to_f64(),
            Rational::from(&tau / &classical).to_f64()
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
    // The repair gaps are the solver's accuracy, not a derived quantity: locked as a reviewed
    // snapshot (a changed gap is a diff), as tests/it/pep_primal.rs does, not bounded by hand.
    gaps_snapshot("pep_fista_t_repair_gaps", &gaps);
}

/// Locks `text` as `snapshots/NAME.snap` (see `gaps_snapshot`'s callers).
fn gaps_snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

fn nesterov_strongly_convex_pep() -> Pep {
    Pep::new(
        Method::nesterov_strongly_convex(5, &q(2, 1)).unwrap(),
        FunctionClass::SmoothStronglyConvex {
            strong_convexity: q(1, 4),
        },
        Measure::FunctionValue,
    )
    .unwrap()
}

/// Nesterov's constant-momentum method for strongly convex functions with √κ = 2 (μ/L = 1/4,
/// β = (√κ − 1)/(√κ + 1) = 1/3), N = 5, f(x₅) − f* given ‖x₀ − x*‖ ≤ R: the numeric dual
/// (cvxpy + Clarabel in Python, examples/python/pep/nesterov_strongly_convex.py OUT 2 5,
/// fixtures/pep/numeric/nesterov-sc-s2-n5.json) repairs to a certificate the verifier accepts.
/// Classical: Nesterov (2004), Thm 2.2.3 with the constant step scheme (2.2.19),
/// f(x_N) − f* ≤ (1 − 1/√κ)^N (f(x₀) − f* + μ/2 R²) ≤ (1/2)⁵ (L + μ)/2 R² = (1/32)(5/8) = 5/256
/// (f(x₀) − f* ≤ L R²/2); certified ≈ 0.0020085, a tenth of it. PEPit 0.5.1 on the same method in
/// its own primitives (examples/python/pep/pepit_nesterov_sc.py 2 5, Clarabel, its default
/// tolerances) reports 0.002008520075148492: within 10⁻⁸ of the certified bound.
#[test]
fn nesterov_strongly_convex_certificate_is_below_nesterov_2004_bound() {
    let classical = q(5, 256);
    assert_eq!(
        momentum_oracle::theory::bounds::nesterov_strongly_convex(
            &q(1, 1),
            &q(1, 4),
            &q(1, 1),
            &q(2, 1),
            5
        ),
        classical
    );
    let pep = nesterov_strongly_convex_pep();
    let dual = numeric_dual("nesterov-sc-s2-n5", 5);
    let repaired = repair::repair(&pep, &dual, 1_000_000_000_000).unwrap();
    let tau = repaired.certificate.bound().clone();
    assert!(tau < classical, "{tau}");
    gaps_snapshot(
        "pep_nesterov_sc_repair_gap",
        &format!(
            "case | τ | τ − solver's τ (repair gap)\nnesterov-sc-s2-n5 | {:.12e} | {:.2e}\n",
            tau.to_f64(),
            repaired.gap.to_f64()
        ),
    );
    let pepit = Rational::from_f64(0.002_008_520_075_148_492).unwrap();
    assert!(
        Rational::from(&tau - &pepit).abs() < q(1, 100_000_000),
        "τ − PEPit = {:e}",
        Rational::from(&tau - &pepit).to_f64()
    );
    let verdict = verify::verify(&reread(&repaired.certificate, false)).unwrap();
    assert_eq!(verdict.bound, tau);
    eprintln!(
        "nesterov-sc √κ = 2 N = 5: certified {:.15e}, gap to the solver {:+.3e}, τ − PEPit {:+.3e}, certified / (5/256) = {:.4}",
        tau.to_f64(),
        repaired.gap.to_f64(),
        Rational::from(&tau - &pepit).to_f64(),
        Rational::from(&tau / &classical).to_f64()
    );
}

/// Kim & Fessler's L R²/(2θ_N²), θ from their recursion computed here in f64.
fn kim_fessler(n: usize) -> f64 {
    let mut theta = 1.0f64;
    for i in 0..n {
        let factor = if i + 1 == n { 8.0 } else { 4.0 };
        theta = (1.0 + (1.0 + factor * theta * theta).sqrt()) / 2.0;
    }
    1.0 / (2.0 * theta * theta)
}

fn ogm_pep(n: usize) -> Pep {
    function_value_pep(Method::ogm(n, &method::ogm_theta(n, 64).unwrap()).unwrap())
}

/// OGM with 64-bit rational θ, N = 1 … 20: Kim & Fessler's multipliers, repaired with a small
/// share of a strictly feasible dual (fixtures/pep/numeric/ogm-n*.interior.json), certify a bound
/// within 10⁻⁹ relative of L R²/(2θ_N²) (measured: below 10⁻¹²), checked by the verifier.
#[test]
fn ogm_certificate_is_within_1e_9_of_kim_fessler_for_n_up_to_20() {
    let mut checked = 0;
    for n in 1..=20usize {
        let pep = ogm_pep(n);
        let dual = certificate::ogm_kim_fessler_dual(n).unwrap();
        let interior = numeric_dual(&format!("ogm-n{n}.interior"), n);
        let repaired = repair::repair_with_interior(&pep, &dual, &interior, 1 << 60).unwrap();
        let tau = repaired.certificate.bound().to_f64();
        let relative = (tau - kim_fessler(n)).abs() / kim_fessler(n);
        assert!(relative < 1e-9, "N = {n}: τ = {tau}, relative {relative:e}");
        verify::verify(&reread(&repaired.certificate, false)).unwrap();
        checked += 1;
    }
    assert_eq!(checked, 20);
}

/// The solver's own dual for OGM (N = 5) is singular on the gradient block: the plain repair
/// fails with a named obligation, the repair with an interior point succeeds within the solver's
/// accuracy (10⁻⁸ relative here).
#[test]
fn ogm_solver_dual_needs_the_interior_point() {
    let pep = ogm_pep(5);
    let dual = numeric_dual("ogm-n5", 5);
    rejected_for(
        repair::repair(&pep, &dual, 1_000_000_000_000),
        obligation::REPAIR,
    );
    let interior = numeric_dual("ogm-n5.interior", 5);
    let repaired = repair::repair_with_interior(&pep, &dual, &interior, 1_000_000_000_000).unwrap();
    let relative = (repaired.certificate.bound().to_f64() - kim_fessler(5)).abs() / kim_fessler(5);
    assert!(relative < 1e-8, "{relative:e}");
}

/// Heavy ball γ = 1/2, μ = 1/4, N = 10: the solver's dual repairs within 10⁻¹⁰ of its own value
/// (≈ 0.036 L R², against f(x₀) − f* ≤ L R²/2 before any step), a certified bound for which we
/// know no closed form.
#[test]
fn heavy_ball_numeric_dual_repairs_to_a_certified_bound() {
    let pep = function_value_pep(Method::heavy_ball(10, &q(1, 2), &q(1, 4)).unwrap());
    let dual = numeric_dual("heavy-ball-g1_2-m1_4-n10", 10);
    let repaired = repair::repair(&pep, &dual, 1_000_000_000_000).unwrap();
    assert!(repaired.gap.clone().abs() < q(1, 10_000_000_000));
    verify::verify(&reread(&repaired.certificate, false)).unwrap();
}

/// The repaired certificates shipped in fixtures/pep/repaired/ are byte-identical to a fresh
/// repair (`PEP_WRITE_FIXTURES=1` rewrites them) and verify.
#[test]
fn repaired_certificates_are_fresh_and_verify() {
    let fista = repair::repair(
        &function_value_pep(Method::fista(10).unwrap()),
        &numeric_dual("fista-n10", 10),
        1_000_000_000,
    )
    .unwrap();
    let ogm = repair::repair_with_interior(
        &ogm_pep(20),
        &certificate::ogm_kim_fessler_dual(20).unwrap(),
        &numeric_dual("ogm-n20.interior", 20),
        1 << 60,
    )
    .unwrap();
    let fista_t = repair::repair(
        &fista_t_pep(10),
        &numeric_dual("fista-t-n10", 10),
        1_000_000_000_000,
    )
    .unwrap();
    let nesterov_sc = repair::repair(
        &nesterov_strongly_convex_pep(),
        &numeric_dual("nesterov-sc-s2-n5", 5),
        1_000_000_000_000,
    )
    .unwrap();
    let write = std::env::var_os("PEP_WRITE_FIXTURES").is_some();
    let dir = fixture_dir().join("repaired");
    for (name, r) in [
        ("fista-n10", fista),
        ("ogm-n20", ogm),
        ("fista-t-n10", fista_t),
        ("nesterov-sc-s2-n5", nesterov_sc),
    ] {
        let path = dir.join(format!("{name}.json"));
        let fresh = r.certificate.to_json(false).unwrap();
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            fresh,
            "{name} is stale"
        );
        assert_eq!(
            verify::verify_file(&path).unwrap().bound,
            *r.certificate.bound()
        );
    }
}

#[test]
fn repair_reports_what_it_cannot_fix() {
    let exact = certificate::gradient_descent(3, &q(1, 1)).unwrap();
    // Dropping a consecutive multiplier: the recomputed (x*, x_k) multiplier goes negative.
    let dual = NumericDual {
        bound: exact.bound().to_f64(),
        multipliers: exact
            .multipliers()
            .iter()
            .skip(1)
            .map(|(p, l)| (*p, l.to_f64()))
            .collect(),
    };
    rejected_for(
        repair::repair(exact.pep(), &dual, 1_000_000),
        obligation::REPAIR,
    );
    assert!(matches!(
        repair::repair(exact.pep(), &dual, 0),
        Err(Error::InvalidHyperParameter { .. })
    ));
    assert!(matches!(
        repair::read_numeric_dual("{}", 3),
        Err(Error::InvalidDocument { .. })
    ));
    let text = std::fs::read_to_string(fixture_dir().join("numeric/fista-n10.json")).unwrap();
    assert!(matches!(
        repair::read_numeric_dual(&text, 9),
        Err(Error::InvalidDocument { .. })
    ));
    assert!(matches!(
        repair::read_numeric_dual(&text.replacen("\"value\": \"", "\"value\": \"nan", 1), 10),
        Err(Error::Parse { .. } | Error::NonFinite { .. })
    ));
}
