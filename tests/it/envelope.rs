//! The order-independent f64 error envelope (`arith::envelope::Envelope`), proved against ℚ.
//!
//! Two sides, both derived outside the implementation:
//! * **soundness**: for exact inputs, every binary64 evaluation of an operation that the module
//!   documentation admits (naive, fused, operands swapped, and the recurrences of a momentum
//!   step in the naive, fused and TF-distributed orders) lies within `e` of the exact value in ℚ,
//!   and the exact value within `m` in magnitude;
//! * **the documented charge, no more**: `e` and `m` of one operation are the module's formulas
//!   evaluated in ℚ (`m(a ± b) = m_a + m_b`, `e = e_a + e_b + 2(u(m + e_a + e_b) + η)`, …), rounded
//!   up by at most 16u relative (each of at most six upward-rounded f64 operations adds ≤ 2u).

use momentum_oracle::arith::envelope::{Envelope, EnvelopeMat};
use momentum_oracle::arith::linalg::{Matrix, QMat, Vector};
use momentum_oracle::arith::{Number, Rounding, Written};
use proptest::prelude::*;
use rug::Rational;

fn q(x: f64) -> Rational {
    Rational::from_f64(x).expect("finite")
}

/// u = 2⁻⁵³ and η = 2⁻¹⁰²², exactly.
fn u() -> Rational {
    Rational::from(1) >> 53u32
}
fn eta() -> Rational {
    Rational::from(1) >> 1022u32
}

/// `got` is `want` rounded up by at most 16u relative (and never down).
fn rounded_up(got: f64, want: &Rational) -> bool {
    let g = q(got);
    let slack = Rational::from(1) + Rational::from(16) * u();
    g >= *want && g <= Rational::from(want * &slack)
}

/// |x̂ − x| ≤ e and |x| ≤ m for an implementation's value x̂ of the exact x.
fn encloses(env: &Envelope, exact: &Rational, implementation: f64) -> bool {
    let err = Rational::from(&q(implementation) - exact).abs();
    err <= q(env.e) && Rational::from(exact.abs_ref()) <= q(env.m)
}

/// Exact inputs: small ratios (most not binary64) and binary64 values of any size.
fn input() -> impl Strategy<Value = Rational> {
    prop_oneof![
        (-1000i64..1000, 1i64..1000).prop_map(|(p, d)| Rational::from((p, d))),
        (any::<i32>(), -60i32..60).prop_map(|(m, e)| Rational::from(m) * (Rational::from(1) << e)),
        (-9i64..9, 1u32..400).prop_map(|(p, e)| Rational::from(p) >> e),
    ]
}

proptest! {
    #![proptest_config(crate::common::config("envelope", 2000))]

    #[test]
    fn every_admitted_evaluation_of_one_operation_is_inside_the_envelope(
        a in input(), b in input(), c in input(),
    ) {
        let (ea, eb, ec) = (Envelope::from_rational(&a), Envelope::from_rational(&b),
            Envelope::from_rational(&c));
        let (x, y, z) = (ea.v, eb.v, ec.v);
        // The conversions themselves.
        for (env, exact) in [(&ea, &a), (&eb, &b), (&ec, &c)] {
            prop_assert!(encloses(env, exact, env.v));
        }
        let sum = Rational::from(&a + &b);
        prop_assert!(encloses(&(ea + &eb), &sum, x + y));
        prop_assert!(encloses(&(eb + &ea), &sum, y + x));
        let diff = Rational::from(&a - &b);
        prop_assert!(encloses(&(ea - &eb), &diff, x - y));
        prop_assert!(encloses(&(ea + &(-eb)), &diff, x + (-y)));
        let prod = Rational::from(&a * &b);
        prop_assert!(encloses(&(ea * &eb), &prod, x * y));
        let fma = Rational::from(&prod + &c);
        let env = ea.mul_add(&eb, &ec, Rounding::Naive);
        prop_assert_eq!(env, ea.mul_add(&eb, &ec, Rounding::Fused));
        for implementation in [x * y + z, x.mul_add(y, z), z + y * x, y.mul_add(x, z)] {
            prop_assert!(encloses(&env, &fma, implementation), "{} {:?}", implementation, env);
        }
        if b != 0 {
            let quo = Rational::from(&a / &b);
            let env = ea / &eb;
            prop_assert!(env.e.is_infinite() || encloses(&env, &quo, x / y), "{:?}", env);
        }
    }

    #[test]
    fn a_momentum_recurrence_in_every_admitted_order_stays_inside_the_envelope(
        gradients in prop::collection::vec(input(), 1..25),
        mu in (1i64..100).prop_map(|n| Rational::from((n, 100))),
        lr in (1i64..100).prop_map(|n| Rational::from((n, 64))),
        x0 in input(),
    ) {
        // Exact: b ← μb + g, θ ← θ − γb (PyTorch, dampening 0), from b = 0.
        let (mut b, mut theta) = (Rational::new(), x0.clone());
        let (emu, elr) = (Envelope::from_rational(&mu), Envelope::from_rational(&lr));
        let (mut eb, mut etheta) = (Envelope::from_rational(&Rational::new()), Envelope::from_rational(&x0));
        let (fmu, flr) = (emu.v, elr.v);
        // Three implementations: naive, fused, and TF's distributed θ − (γg + γμb).
        let mut naive = (0.0f64, etheta.v);
        let mut fused = (0.0f64, etheta.v);
        let mut tf = (0.0f64, etheta.v);
        for g in &gradients {
            let eg = Envelope::from_rational(g);
            let fg = eg.v;
            // TF's θ update uses the old buffer: γ(g + μb) = γg + γμb.
            tf.1 -= flr * fg + flr * fmu * tf.0;
            tf.0 = fmu * tf.0 + fg;
            b = Rational::from(&mu * &b) + g;
            theta -= Rational::from(&lr * &b);
            eb = eb.mul_add(&emu, &eg, Rounding::Naive);
            etheta = eb.mul_add(&(-elr), &etheta, Rounding::Naive);
            naive.0 = naive.0 * fmu + fg;
            naive.1 += naive.0 * -flr;
            fused.0 = fused.0.mul_add(fmu, fg);
            fused.1 = fused.0.mul_add(-flr, fused.1);
            prop_assert!(encloses(&eb, &b, naive.0) && encloses(&eb, &b, fused.0), "{:?}", eb);
            prop_assert!(encloses(&eb, &b, tf.0));
            prop_assert!(encloses(&etheta, &theta, naive.1), "naive {:?}", etheta);
            prop_assert!(encloses(&etheta, &theta, fused.1), "fused {:?}", etheta);
            prop_assert!(encloses(&etheta, &theta, tf.1), "tf {:?}", etheta);
        }
        // The value is the naive order's.
        prop_assert_eq!(eb.v.to_bits(), naive.0.to_bits());
        prop_assert_eq!(etheta.v.to_bits(), naive.1.to_bits());
    }
}

fn env(v: f64, e: f64, m: f64) -> Envelope {
    Envelope { v, e, m }
}

#[test]
fn one_operation_charges_the_documented_formula() {
    let (two, u, eta) = (Rational::from(2), u(), eta());
    let a = env(3.0, 0.25, 4.0);
    let b = env(-1.5, 0.125, 2.0);
    let (ea, eb, ma, mb) = (q(0.25), q(0.125), q(4.0), q(2.0));
    let charge = |m: &Rational, e: &Rational| {
        Rational::from(&two * &(Rational::from(&u * &Rational::from(m + e)) + &eta))
    };
    // a ± b: m = m_a + m_b, e = e_a + e_b + 2(u(m + e_a + e_b) + η).
    let m = Rational::from(&ma + &mb);
    let e = Rational::from(&ea + &eb);
    let want = Rational::from(&e + &charge(&m, &e));
    for (r, v) in [(a + &b, 1.5), (a - &b, 4.5)] {
        assert_eq!(r.v, v);
        assert!(rounded_up(r.m, &m), "{r:?}");
        assert!(rounded_up(r.e, &want), "{r:?}");
    }
    // a·b: m = m_a m_b, propagated (m_a + e_a)e_b + m_b e_a, then the charge on (m, prop).
    let r = a * &b;
    let m = Rational::from(&ma * &mb);
    let prop = Rational::from(&Rational::from(&ma + &ea) * &eb) + Rational::from(&mb * &ea);
    assert_eq!(r.v, -4.5);
    assert!(rounded_up(r.m, &m), "{r:?}");
    assert!(
        rounded_up(r.e, &Rational::from(&prop + &charge(&m, &prop))),
        "{r:?}"
    );
    // fma(a, b, c): the product's m and propagation plus c's, one charge.
    let c = env(0.5, 0.0625, 1.0);
    let r = a.mul_add(&b, &c, Rounding::Fused);
    let m2 = Rational::from(&m + &q(1.0));
    let e2 = Rational::from(&prop + &q(0.0625));
    assert_eq!(r.v, -4.0);
    assert!(rounded_up(r.m, &m2), "{r:?}");
    assert!(
        rounded_up(r.e, &Rational::from(&e2 + &charge(&m2, &e2))),
        "{r:?}"
    );
    // a/b with |b| − e_b = 1.375: m = m_a/1.375, prop = ((m_a + e_a)e_b + |b|e_a)/(|b|·1.375).
    let r = a / &b;
    let lo = q(1.375);
    let m = Rational::from(&ma / &lo);
    let prop = (Rational::from(&Rational::from(&ma + &ea) * &eb) + Rational::from(&q(1.5) * &ea))
        / Rational::from(&q(1.5) * &lo);
    assert_eq!(r.v, -2.0);
    assert!(rounded_up(r.m, &m), "{r:?}");
    assert!(
        rounded_up(r.e, &Rational::from(&prop + &charge(&m, &prop))),
        "{r:?}"
    );
    // A divisor whose envelope reaches zero bounds nothing.
    let r = a / &env(0.5, 0.5, 0.5);
    assert!(r.e.is_infinite() && r.m.is_infinite());
    // The assignment forms are the operations.
    let mut x = a;
    x += &b;
    assert_eq!(x, a + &b);
    x = a;
    x -= &b;
    assert_eq!(x, a - &b);
    x = a;
    x *= &b;
    assert_eq!(x, a * &b);
    x = a;
    x /= &b;
    assert_eq!(x, a / &b);
    // Negation and absolute value change the value only.
    assert_eq!(-a, env(-3.0, 0.25, 4.0));
    assert_eq!(b.abs(), env(1.5, 0.125, 2.0));
    // A non-finite value has an infinite error.
    let r = env(f64::MAX, 0.0, f64::MAX) + &env(f64::MAX, 0.0, f64::MAX);
    assert!(r.v.is_infinite() && r.e.is_infinite() && !r.is_finite());
}

#[test]
fn a_conversion_charges_its_own_rounding_and_nothing_more() {
    // 1/3: fl(1/3) is within u/2·... of 1/3; e is |fl(1/3) − 1/3| rounded up, m is 1/3 rounded up.
    let third = Rational::from((1, 3));
    let r = Envelope::from_rational(&third);
    assert_eq!(r.v, 1.0 / 3.0);
    let err = Rational::from(&q(1.0 / 3.0) - &third).abs();
    assert!(rounded_up(r.e, &err), "{r:?}");
    assert!(rounded_up(r.m, &third), "{r:?}");
    // A binary64 converts with no error.
    let r = Envelope::from_rational(&Rational::from((-3, 8)));
    assert_eq!((r.v, r.e, r.m), (-0.375, 0.0, 0.375));
    assert_eq!(r.to_rational(), Some(Rational::from((-3, 8))));
    assert_eq!(r.to_f64(), -0.375);
}

#[test]
fn the_other_operations_of_the_arithmetic() {
    let a = env(2.25, 0.5, 3.0);
    assert_eq!(Envelope::arithmetic_name(), "f64-envelope");
    // No square roots, exponentials, logarithms or cosines: no bound is claimed for them.
    assert_eq!(a.sqrt(), None);
    assert_eq!(a.exp(), None);
    assert_eq!(a.ln(), None);
    assert_eq!(Envelope::cos_pi(&Rational::from(1)), None);
    assert_eq!(a.size_bits(), 64);
    assert!(a.is_finite() && !env(f64::NAN, 0.0, 0.0).is_finite());
    assert_eq!(
        a.written(),
        Written::WithError {
            value: Box::new(Written::Binary64(2.25)),
            error: 0.5
        }
    );
    // Compared with an f64, the value counts.
    assert!(a == 2.25 && a != 2.0);
    assert!(a > 2.0 && a < 3.0);
}

#[test]
fn vector_and_matrix_operations_are_the_scalar_ones_entry_by_entry() {
    let xs = vec![
        env(1.0, 0.0, 1.0),
        env(-2.5, 0.125, 3.0),
        env(0.0, 0.0, 0.0),
    ];
    let ys = vec![env(0.5, 0.25, 0.5), env(4.0, 0.0, 4.0), env(-1.0, 0.5, 2.0)];
    let a = env(3.0, 0.25, 3.0);
    assert_eq!(<Vec<Envelope> as Vector<Envelope>>::from_scalars(&xs), xs);
    assert_eq!(Vector::len(&xs), 3);
    assert_eq!(Vector::get(&xs, 1), xs[1]);
    let zeros = <Vec<Envelope> as Vector<Envelope>>::zeros(2);
    assert_eq!(zeros, vec![env(0.0, 0.0, 0.0); 2]);
    assert!(Vector::is_zero_at(&xs, 2) && !Vector::is_zero_at(&xs, 0));
    assert_eq!(Vector::max_bits(&xs), 64);
    assert!(Vector::is_finite(&xs));
    assert!(!Vector::is_finite(&vec![
        env(1.0, 0.0, 1.0),
        env(f64::INFINITY, 0.0, 1.0)
    ]));
    let mut y = ys.clone();
    y.axpy(&a, &xs, Rounding::Naive);
    let want: Vec<Envelope> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| x.mul_add(&a, y, Rounding::Naive))
        .collect();
    assert_eq!(y, want);
    let mut y = ys.clone();
    y.scale(&a);
    assert_eq!(y, ys.iter().map(|y| *y * &a).collect::<Vec<_>>());
    let mut y = ys.clone();
    y.negate();
    assert_eq!(y, ys.iter().map(|y| -*y).collect::<Vec<_>>());
    let mut y = ys.clone();
    Vector::add_assign(&mut y, &xs);
    assert_eq!(
        y,
        ys.iter().zip(&xs).map(|(y, x)| *y + x).collect::<Vec<_>>()
    );
    let mut y = ys.clone();
    Vector::sub_assign(&mut y, &xs);
    assert_eq!(
        y,
        ys.iter().zip(&xs).map(|(y, x)| *y - x).collect::<Vec<_>>()
    );
    // The dot product: a sum from an exact zero, in order.
    let zero = env(0.0, 0.0, 0.0);
    let want = xs.iter().zip(&ys).fold(zero, |s, (x, y)| s + &(*x * y));
    assert_eq!(Vector::dot(&xs, &ys), want);
    assert_eq!(want.v, 0.5 - 10.0);
    // The matrix [[1/2, 0, 1/3], [0, 0, 0]] times xs: entries converted with their errors.
    let m = QMat::from_rows(&[
        vec![
            Rational::from((1, 2)),
            Rational::from(0),
            Rational::from((1, 3)),
        ],
        vec![Rational::from(0); 3],
    ])
    .expect("a matrix");
    let em = EnvelopeMat::from_exact(&m);
    assert_eq!((em.rows(), em.cols()), (2, 3));
    let got = em.matvec(&xs);
    let half = Envelope::from_rational(&Rational::from((1, 2)));
    let third = Envelope::from_rational(&Rational::from((1, 3)));
    let row0 = (zero + &(half * &xs[0])) + &(third * &xs[2]);
    assert_eq!(got, vec![row0, zero]);
    assert!(
        third.e > 0.0,
        "1/3 carries its conversion error into the product"
    );
}
