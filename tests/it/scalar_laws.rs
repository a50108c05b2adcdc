//! The laws of `Scalar` (see `src/scalar.rs`), property-tested for every scalar type, and the
//! vector engines against entrywise exact arithmetic.
//!
//! Each law is written once, generically, and instantiated per type. The reference for rounded
//! types is exact: a rounded result is compared with the exact rational result rounded by an
//! independent route (MPFR's correctly rounded conversion), never with another f64 computation.

use momentum_oracle::arith::bounded::{Bounded, BoundedValue, BoundedVec, Floating};
use momentum_oracle::arith::linalg::{F64Mat, Matrix, QMat, QVec, Vector};
use momentum_oracle::arith::{Number, Rounding, Scalar, rational_cos_pi, with_mpfr_precision};
use proptest::prelude::*;
use rug::float::Round;
use rug::{Float, Rational};

/// Rationals with numerators and denominators up to 2^40, both signs: exercises rounding.
fn rational() -> impl Strategy<Value = Rational> {
    (-(1i64 << 40)..(1i64 << 40), 1u64..(1u64 << 40)).prop_map(|(n, d)| Rational::from((n, d)))
}

/// The nearest value of `x` at `prec` bits, by MPFR (with IEEE subnormals when `prec == 53`):
/// the independent reference for "correctly rounded".
fn nearest(x: &Rational, prec: u32) -> Rational {
    let (mut f, ord) = Float::with_val_round(prec, x, Round::Nearest);
    if prec == 53 {
        f.subnormalize_ieee_round(ord, Round::Nearest);
    }
    f.to_rational().expect("finite")
}

/// `S` lifted to its exact value (every finite scalar is a rational).
fn exact<S: Scalar>(x: &S) -> Rational {
    x.to_rational().expect("finite")
}

/// How `S` rounds an exact result: identity for exact types, nearest at the type's precision
/// otherwise.
trait Reference: Scalar {
    fn round(x: &Rational) -> Rational;
}
impl Reference for Rational {
    fn round(x: &Rational) -> Rational {
        x.clone()
    }
}
impl Reference for f64 {
    fn round(x: &Rational) -> Rational {
        nearest(x, 53)
    }
}
impl Reference for Float {
    fn round(x: &Rational) -> Rational {
        nearest(x, momentum_oracle::arith::mpfr_precision())
    }
}

/// Law 2 (and law 1 for ℚ): each arithmetic operation is the exact result, rounded.
fn ops_are_correctly_rounded<S: Reference>(a: &Rational, b: &Rational, c: &Rational) {
    let (x, y, z) = (
        S::from_rational(a),
        S::from_rational(b),
        S::from_rational(c),
    );
    let (ex, ey, ez) = (exact(&x), exact(&y), exact(&z));
    assert_eq!(
        exact(&(x.clone() + &y)),
        S::round(&Rational::from(&ex + &ey)),
        "a + b"
    );
    assert_eq!(
        exact(&(x.clone() - &y)),
        S::round(&Rational::from(&ex - &ey)),
        "a - b"
    );
    assert_eq!(
        exact(&(x.clone() * &y)),
        S::round(&Rational::from(&ex * &ey)),
        "a * b"
    );
    if ey != 0 {
        assert_eq!(
            exact(&(x.clone() / &y)),
            S::round(&Rational::from(&ex / &ey)),
            "a / b"
        );
    }
    let product = Rational::from(&ex * &ey);
    assert_eq!(
        exact(&x.mul_add(&y, &z, Rounding::Fused)),
        S::round(&Rational::from(&product + &ez)),
        "fused mul_add rounds once"
    );
    assert_eq!(
        exact(&x.mul_add(&y, &z, Rounding::Naive)),
        S::round(&(S::round(&product) + &ez)),
        "naive mul_add rounds the product, then the sum"
    );
}

/// Laws 3 and 4: conversions are nearest and round-trip.
fn conversions_are_nearest_and_round_trip<S: Reference>(a: &Rational) {
    let x = S::from_rational(a);
    assert_eq!(exact(&x), S::round(a), "from_rational is nearest");
    assert_eq!(
        S::from_rational(&exact(&x)),
        x,
        "from_rational(to_rational(x)) == x"
    );
    assert_eq!(
        x.to_f64(),
        nearest(&exact(&x), 53).to_f64(),
        "to_f64 is nearest"
    );
}

/// Law 1 for ℚ: the field axioms hold exactly. The `Scalar` operators on `Rational` are rug's own,
/// so the axioms themselves guard GMP (cheap, and the premise of every exact comparison); the
/// crate's part is `mul_add`, which must not round in either model.
fn field_axioms(a: &Rational, b: &Rational, c: &Rational) {
    let (zero, one) = (Rational::zero(), Rational::one());
    assert_eq!(a.clone() + &zero, *a);
    assert_eq!(a.clone() * &one, *a);
    assert_eq!(a.clone() + b, b.clone() + a);
    assert_eq!((a.clone() + b) + c, a.clone() + &(b.clone() + c));
    assert_eq!(
        a.clone() * &(b.clone() + c),
        a.clone() * b + &(a.clone() * c)
    );
    if *b != 0 {
        assert_eq!(a.clone() / b * b, *a);
    }
    assert_eq!(
        a.mul_add(b, c, Rounding::Fused),
        a.mul_add(b, c, Rounding::Naive)
    );
}

/// sqrt: exact on squares in ℚ (and `None` otherwise); correctly rounded in f64 and MPFR.
fn sqrt_law<S: Reference>(a: &Rational) {
    let x = S::from_rational(&a.clone().abs());
    let r = x.sqrt().expect("non-negative");
    let er = exact(&r);
    if S::EXACT {
        assert_eq!(Rational::from(&er * &er), exact(&x));
    } else {
        // Reference: the square root at more than twice the precision, rounded once more. The
        // exact root of a p-bit number is never a midpoint and lies at least ~2^-(2p+3)
        // (relative) away from one, so 2p + 20 bits make the double rounding harmless.
        let prec = if S::arithmetic_name() == "f64" {
            53
        } else {
            momentum_oracle::arith::mpfr_precision()
        };
        let wide = Float::with_val(2 * prec + 20, exact(&x)).sqrt();
        let reference = nearest(&wide.to_rational().expect("finite"), prec);
        assert_eq!(er, reference, "sqrt is correctly rounded");
    }
    if S::from_rational(&Rational::from(-1)).sqrt().is_some() {
        panic!("sqrt of a negative number must be None");
    }
}

/// Bounded arithmetic over `F` encloses the exact result of every operation, and its values are
/// bitwise those of plain `F` arithmetic.
fn bounded_ops_enclose<F: Floating>(a: &Rational, b: &Rational, c: &Rational) {
    let (x, y, z) = (
        BoundedValue::<F>::from_rational(a),
        BoundedValue::<F>::from_rational(b),
        BoundedValue::<F>::from_rational(c),
    );
    assert!(x.encloses(a) && y.encloses(b) && z.encloses(c));
    assert!((x.clone() + &y).encloses(&Rational::from(a + b)));
    assert!((x.clone() - &y).encloses(&Rational::from(a - b)));
    assert!((x.clone() * &y).encloses(&Rational::from(a * b)));
    if *b != 0 {
        assert!((x.clone() / &y).encloses(&Rational::from(a / b)));
    }
    let fma_exact = Rational::from(a * b) + c;
    for r in Rounding::ALL {
        let m = x.mul_add(&y, &z, r);
        assert!(m.encloses(&fma_exact), "{r:?}");
        assert_eq!(
            m.v,
            x.v.mul_add(&y.v, &z.v, r),
            "values are plain {r:?} arithmetic"
        );
    }
    // √|a| is irrational in general. lo = RD(√RD(|a|)) ≤ √|a| ≤ RU(√RU(|a|)) = hi at 1000 bits,
    // rigorously (|a| is rounded in the same direction as the root); [lo, hi] inside the bound
    // proves √|a| is. (At 300 bits, a run at 299 bits could hold √|a| but not a 300-bit neighbour
    // of √(fl(|a|)): the reference must be far more precise than the run.)
    let s = x.abs().sqrt().unwrap();
    let root = |dir| {
        let abs = Float::with_val_round(1000, a.clone().abs(), dir).0;
        Float::with_val_round(1000, abs.sqrt_ref(), dir).0
    };
    assert!(s.encloses(&root(Round::Down).to_rational().unwrap()));
    assert!(s.encloses(&root(Round::Up).to_rational().unwrap()));
}

proptest! {
    #![proptest_config(crate::common::config("scalar_laws", 256))]

    #[test]
    fn bounded_mpfr_operations_enclose_the_exact_result(a in rational(), b in rational(), c in rational(), prec in 24u32..300) {
        with_mpfr_precision(prec, || bounded_ops_enclose::<Float>(&a, &b, &c));
    }

    #[test]
    fn rational_satisfies_the_field_axioms(a in rational(), b in rational(), c in rational()) {
        field_axioms(&a, &b, &c);
        ops_are_correctly_rounded::<Rational>(&a, &b, &c);
        conversions_are_nearest_and_round_trip::<Rational>(&a);
    }

    #[test]
    fn f64_operations_are_correctly_rounded(a in rational(), b in rational(), c in rational()) {
        ops_are_correctly_rounded::<f64>(&a, &b, &c);
        conversions_are_nearest_and_round_trip::<f64>(&a);
        sqrt_law::<f64>(&a);
    }

    #[test]
    fn mpfr_operations_are_correctly_rounded(a in rational(), b in rational(), c in rational(), prec in 2u32..200) {
        with_mpfr_precision(prec, || {
            ops_are_correctly_rounded::<Float>(&a, &b, &c);
            conversions_are_nearest_and_round_trip::<Float>(&a);
            sqrt_law::<Float>(&a);
        });
    }

    #[test]
    fn rational_sqrt_is_exact_on_squares_and_none_otherwise(n in 0i64..1_000_000, d in 1u64..1_000_000) {
        let q = Rational::from((n, d));
        let sq = Rational::from(&q * &q);
        prop_assert_eq!(sq.sqrt(), Some(q.clone()));
        sqrt_law::<Rational>(&sq);
        // n/d with n, d coprime is a square iff both are squares.
        let is_square = q.numer().is_perfect_square() && q.denom().is_perfect_square();
        prop_assert_eq!(Number::sqrt(&q).is_some(), is_square);
    }

    #[test]
    fn bounded_operations_enclose_the_exact_result(a in rational(), b in rational(), c in rational()) {
        bounded_ops_enclose::<f64>(&a, &b, &c);
        let x = Bounded::from_rational(&a);
        prop_assert_eq!(x.v, f64::from_rational(&a));
    }

    #[test]
    fn exact_vectors_agree_with_entrywise_rationals(
        xs in proptest::collection::vec(rational(), 1..6),
        a in rational(),
    ) {
        let n = xs.len();
        let ys: Vec<Rational> = xs.iter().rev().map(|x| Rational::from(x * 3u32) - 1u32).collect();
        let (qx, mut qy) = (QVec::from_scalars(&xs), QVec::from_scalars(&ys));
        qy.axpy(&a, &qx, Rounding::Naive);
        let want: Vec<Rational> = (0..n).map(|i| Rational::from(&a * &xs[i]) + &ys[i]).collect();
        prop_assert_eq!(qy.to_scalars(), want.clone());
        prop_assert_eq!(&QVec::from_scalars(&want), &qy, "normal form: equal values, equal vectors");
        let dot = (0..n).fold(Rational::new(), |s, i| s + Rational::from(&xs[i] * &want[i]));
        prop_assert_eq!(qx.dot(&qy), dot);
        let mut scaled = qx.clone();
        scaled.scale(&a);
        prop_assert_eq!(scaled.to_scalars(), xs.iter().map(|x| Rational::from(x * &a)).collect::<Vec<_>>());
        // Matrix-vector product against the definition.
        let rows: Vec<Vec<Rational>> = (0..n).map(|i| (0..n).map(|j| Rational::from(((i * n + j) as i64 - 3, 1 + j as u64))).collect()).collect();
        let m = QMat::from_rows(&rows).unwrap();
        let mx = m.matvec(&qx).to_scalars();
        for i in 0..n {
            let want_i = (0..n).fold(Rational::new(), |s, j| s + Rational::from(&rows[i][j] * &xs[j]));
            prop_assert_eq!(&mx[i], &want_i);
        }
    }

    #[test]
    fn f64_vectors_round_each_operation_as_documented(
        xs in proptest::collection::vec(rational(), 1..6),
        a in rational(),
    ) {
        let x: Vec<f64> = xs.iter().map(f64::from_rational).collect();
        let y: Vec<f64> = xs.iter().rev().map(|q| f64::from_rational(&(q.clone() / 7u32))).collect();
        let af = f64::from_rational(&a);
        for r in Rounding::ALL {
            let mut out = y.clone();
            out.axpy(&af, &x, r);
            for i in 0..x.len() {
                let p = exact(&x[i]) * exact(&af);
                let want = match r {
                    Rounding::Fused => nearest(&(p + exact(&y[i])), 53),
                    Rounding::Naive => nearest(&(nearest(&p, 53) + exact(&y[i])), 53),
                };
                prop_assert_eq!(exact(&out[i]), want);
            }
        }
    }

    #[test]
    fn bounded_vectors_enclose_exact_vector_results(
        xs in proptest::collection::vec(rational(), 1..6),
        a in rational(),
    ) {
        let n = xs.len();
        let ys: Vec<Rational> = xs.iter().rev().map(|x| x.clone() / 7u32 + 1u32).collect();
        let bx = BoundedVec::from_scalars(&xs.iter().map(Bounded::from_rational).collect::<Vec<_>>());
        let by = BoundedVec::from_scalars(&ys.iter().map(Bounded::from_rational).collect::<Vec<_>>());
        let ba = Bounded::from_rational(&a);
        let (qx, qy) = (QVec::from_scalars(&xs), QVec::from_scalars(&ys));
        for r in Rounding::ALL {
            let mut got = by.clone();
            got.axpy(&ba, &bx, r);
            let mut want = qy.clone();
            want.axpy(&a, &qx, r);
            prop_assert!(distance_within(&got, &want));
        }
        prop_assert!(bx.dot(&by).encloses(&qx.dot(&qy)));
        let rows: Vec<Vec<Rational>> = (0..n).map(|i| (0..n).map(|j| Rational::from(((i + 2 * j) as i64 - 2, 3 + i as u64))).collect()).collect();
        let m = QMat::from_rows(&rows).unwrap();
        let got = <Bounded as Number>::Matrix::from_exact(&m).matvec(&bx);
        prop_assert_eq!(&got.v, &F64Mat::from_exact(&m).matvec(&bx.v), "values are the f64 run's");
        prop_assert!(distance_within(&got, &m.matvec(&qx)));
    }
}

/// `‖got.v − want‖₂ ≤ got.e`, decided exactly (squared, in ℚ).
fn distance_within(got: &BoundedVec, want: &QVec) -> bool {
    let d2 = (0..want.len()).fold(Rational::new(), |s, i| {
        let d = exact(&got.v[i]) - want.get(i);
        s + Rational::from(&d * &d)
    });
    let e = exact(&got.e);
    d2 <= Rational::from(&e * &e)
}

#[test]
fn constants_come_from_integer_ratios_not_binary_literals() {
    // 1/10 in ℚ is 1/10, not 3602879701896397/36028797018963968 (the f64 literal 0.1).
    assert_eq!(Rational::from_ratio(1, 10), Rational::from((1, 10)));
    assert_ne!(
        Rational::from_ratio(1, 10),
        Rational::from_f64(0.1).unwrap()
    );
    assert_eq!(f64::from_ratio(1, 10), 0.1);
    // from_rational rounds to nearest; rug's own to_f64 truncates (the reason for our helper).
    let third = Rational::from((1, 3));
    assert_eq!(f64::from_rational(&third), 1.0 / 3.0);
    let just_below_one = Rational::from(1) - Rational::from((1, 1u64 << 60));
    assert_eq!(f64::from_rational(&just_below_one), 1.0);
    assert!(just_below_one.to_f64() < 1.0);
}

#[test]
fn subnormal_conversion_rounds_on_the_subnormal_grid() {
    // 3·2^-1076 lies between the subnormals 2^-1074 (0.75 of the way) and 0: nearest is 2^-1074.
    let tiny = Rational::from((3, 1u64)) / Rational::from(rug::Integer::from(1) << 1076);
    assert_eq!(f64::from_rational(&tiny), f64::from_bits(1));
    // 2^-1075 is exactly half-way between 0 and 2^-1074: ties to even gives 0.
    let half = Rational::from(1) / Rational::from(rug::Integer::from(1) << 1075);
    assert_eq!(f64::from_rational(&half), 0.0);
}

#[test]
fn cos_pi_is_rational_exactly_at_nivens_points() {
    let q = |n: i64, d: u64| Rational::from((n, d));
    let cases = [
        (0, 1, Some(q(1, 1))),
        (1, 3, Some(q(1, 2))),
        (1, 2, Some(q(0, 1))),
        (2, 3, Some(q(-1, 2))),
        (1, 1, Some(q(-1, 1))),
        (7, 3, Some(q(1, 2))),
        (-1, 3, Some(q(1, 2))),
        (1, 4, None),
        (1, 5, None),
        (1, 6, None),
    ];
    for (n, d, want) in cases {
        assert_eq!(rational_cos_pi(&q(n, d)), want, "cos(π·{n}/{d})");
        assert_eq!(<Rational as Number>::cos_pi(&q(n, d)), want);
    }
    // f64: correctly rounded cos(π/4) = √2/2.
    let c = f64::cos_pi(&q(1, 4)).unwrap();
    let reference: Float = Float::with_val(300, 2).sqrt() / 2u32;
    assert_eq!(exact(&c), nearest(&reference.to_rational().unwrap(), 53));
}

#[test]
fn transcendental_functions_are_correctly_rounded_in_f64() {
    for x in [-745.0, -700.5, -1.0, -1e-300, 0.0, 0.5, 1.0, 3.25, 700.0] {
        let e = <f64 as Number>::exp(&x).unwrap();
        let reference = Float::with_val(400, x).exp();
        assert_eq!(
            e.to_bits(),
            nearest(&reference.to_rational().unwrap(), 53)
                .to_f64()
                .to_bits(),
            "exp({x})"
        );
    }
    for x in [1e-300, 0.25, 1.0, 2.0, 1e300] {
        let l = <f64 as Number>::ln(&x).unwrap();
        let reference = Float::with_val(400, x).ln();
        assert_eq!(
            l,
            nearest(&reference.to_rational().unwrap(), 53).to_f64(),
            "ln({x})"
        );
    }
    assert!(<f64 as Number>::ln(&0.0).is_none());
    assert!(<Rational as Number>::exp(&Rational::from(1)).is_none());
    assert_eq!(
        <Rational as Number>::exp(&Rational::new()),
        Some(Rational::from(1))
    );
}
