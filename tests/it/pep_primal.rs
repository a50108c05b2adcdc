//! Worst-case certificates from Clarabel's duals (feature `sdp` produced them; the default build
//! repairs and verifies them in ℚ) and the primal side: exact worst-case and cycling functions,
//! checked against the interpolation conditions. Expected values are derived in the comments or
//! cited, never taken from the code under test.

#![allow(clippy::useless_conversion)]

use std::path::PathBuf;

use momentum_oracle::arith::linalg::{QVec, Vector};
use momentum_oracle::error::Error;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::interpolated::InterpolatedProblem;
use momentum_oracle::problem::{Oracle, Problem};
use momentum_oracle::theory::pep::certificate::{self, HEAVY_BALL_PARAMETERS, TABLE_STEPS};
use momentum_oracle::theory::pep::interpolation::{INTERPOLATION, InterpolationData};
use momentum_oracle::theory::pep::problem::{FunctionClass, Measure, Pep, Point};
use momentum_oracle::theory::pep::repair::{self, Repaired};
use momentum_oracle::theory::pep::{method::Method, verify, worst};
use momentum_oracle::trace::{self, Outcome, RunOptions};
use rug::Rational;

fn q(p: i64, d: i64) -> Rational {
    Rational::from((p, d))
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pep")
}

/// The numeric dual `NAME.json` from the crate's Clarabel solve (fixtures/pep/numeric/clarabel),
/// or, for the cases solved in Python (cvxpy + Clarabel), from fixtures/pep/numeric.
fn numeric_text(name: &str) -> String {
    let clarabel = fixture_dir()
        .join("numeric/clarabel")
        .join(format!("{name}.json"));
    let path = if clarabel.exists() {
        clarabel
    } else {
        fixture_dir().join("numeric").join(format!("{name}.json"))
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Locks `text` as `snapshots/NAME.snap`: the gaps a test reports, reviewed like the report's
/// table (a changed gap shows up as a diff, never passes silently).
fn assert_gaps_snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The solver's τ as written in a numeric file (`bound`, an f64 in decimal), read here with
/// serde_json alone (independently of `repair::read_numeric_dual`), as the exact value of the
/// f64.
fn solver_bound(name: &str) -> Rational {
    let doc: serde_json::Value = serde_json::from_str(&numeric_text(name)).unwrap();
    let text = doc["bound"].as_str().unwrap();
    Rational::from_f64(text.parse::<f64>().unwrap()).unwrap()
}

/// The denominator the Clarabel duals are rounded to (solver tolerance 10⁻¹⁰).
const DENOMINATOR: u64 = 1_000_000_000_000;

/// The plain repair, or — when the optimal slack is singular on the gradient block and the
/// plain repair reports so — the repair mixing in the strictly feasible dual
/// (`NAME.interior.json`, Clarabel's maximum-margin solve).
fn repaired(name: &str, pep: &Pep) -> Repaired {
    let dual = repair::read_numeric_dual(&numeric_text(name), pep.steps()).unwrap();
    match repair::repair(pep, &dual, DENOMINATOR) {
        Ok(r) => r,
        Err(Error::CertificateRejected { .. }) => {
            let interior =
                repair::read_numeric_dual(&numeric_text(&format!("{name}.interior")), pep.steps())
                    .unwrap();
            repair::repair_with_interior(pep, &dual, &interior, DENOMINATOR)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// Every Clarabel dual in fixtures/pep/numeric/clarabel repairs to an exact certificate that
/// (a) is byte-identical to fixtures/pep/repaired/clarabel/NAME.json (`PEP_WRITE_FIXTURES=1` rewrites),
/// (b) passes the independent verifier, (c) whose repair gap `Repaired::gap` is exactly the
/// verified τ minus the solver's τ read independently from the numeric file, and (d) is never
/// below a value some function of the class attains:
///
/// * FISTA: `2/(N² + 5N + 6)`, attained by the `(k−1)/(k+2)` method on a Huber function
///   (derived in tests/it/rates.rs, `nesterov_attains_its_tight_value_on_the_huber_function_with_c_from_n`;
///   it is THG 2017's numerical worst case, Taylor, Hendrickx & Glineur, SIAM J. Optim. 27(3),
///   Table 1);
/// * heavy ball at N = 1 is gradient descent with `h = γ ≤ 1`, whose tight worst case
///   `1/(4γ + 2)` is attained by Drori & Teboulle's Huber function (2014, Thm 3.1);
/// * heavy ball decreases with N on every parameter pair of the grid (the survey's region of
///   convergence, certificate::numeric_cases).
///
/// How far τ lies above the solver's τ and above the attained values is reported, not bounded:
/// both sides are proofs, and their distance measures the solver's accuracy (Clarabel stops at
/// 10⁻¹⁰ on its scaled problem, a stopping rule, not a bound on the unscaled gap). The numbers are
/// locked by `snapshots/pep_clarabel_repair_gaps.snap`.
#[test]
fn clarabel_duals_repair_to_verified_certificates() {
    let write = std::env::var_os("PEP_WRITE_FIXTURES").is_some();
    let dir = fixture_dir().join("repaired/clarabel");
    if write {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let cases = certificate::numeric_cases().unwrap();
    assert_eq!(cases.len(), 5 * (1 + HEAVY_BALL_PARAMETERS.len()));
    let mut bounds = std::collections::BTreeMap::new();
    for (name, pep) in &cases {
        let r = repaired(name, pep);
        let path = dir.join(format!("{name}.json"));
        let fresh = r.certificate.to_json(false).unwrap();
        if write {
            std::fs::write(&path, &fresh).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            fresh,
            "{name} is stale"
        );
        let verdict = verify::verify_file(&path).unwrap();
        assert_eq!(verdict.bound, *r.certificate.bound());
        let solver = solver_bound(name);
        assert_eq!(r.numeric_bound, solver, "{name}");
        assert_eq!(r.gap, Rational::from(&verdict.bound - &solver), "{name}");
        bounds.insert(name.clone(), (verdict.bound, r.gap));
    }
    let mut report =
        String::from("case | τ | τ − solver's τ (repair gap) | τ − attained lower bound\n");
    let mut known = std::collections::BTreeMap::new();
    for n in TABLE_STEPS {
        let thg = q(2, (n * n + 5 * n + 6) as i64);
        let tau = &bounds[&format!("fista-n{n}")].0;
        assert!(
            *tau >= thg,
            "FISTA N = {n}: below the attained 2/(N² + 5N + 6)"
        );
        known.insert(format!("fista-n{n}"), thg);
    }
    for (step, momentum) in HEAVY_BALL_PARAMETERS {
        let gamma = q(step.0 as i64, step.1 as i64);
        let gd = Rational::from(1) / (4 * gamma + Rational::from(2));
        let name = certificate::heavy_ball_name(step, momentum, 1);
        let one = &bounds[&name].0;
        assert!(*one >= gd, "{step:?}: below the attained GD worst case");
        known.insert(name, gd);
        let along: Vec<&Rational> = TABLE_STEPS
            .iter()
            .map(|&n| &bounds[&certificate::heavy_ball_name(step, momentum, n)].0)
            .collect();
        assert!(along.windows(2).all(|w| w[1] < w[0]), "{step:?}: {along:?}");
    }
    for (name, (tau, gap)) in &bounds {
        let above = known.get(name).map_or_else(
            || "—".to_string(),
            |k| format!("{:.2e}", Rational::from(tau - k).to_f64()),
        );
        report += &format!(
            "{name} | {:.12e} | {:.2e} | {above}\n",
            tau.to_f64(),
            gap.to_f64()
        );
    }
    assert_gaps_snapshot("pep_clarabel_repair_gaps", &report);
}

/// The interpolation check of `InterpolationData` (written from THG 2017, Thm 4) and the Gram
/// form of `Pep::interpolation` are two derivations of the same inequalities: on exact data
/// built from a Gram factor, each slack equals minus the Gram-form constraint's value.
#[test]
fn interpolation_check_agrees_with_the_gram_form_constraints() {
    for class in [
        FunctionClass::SmoothConvex,
        FunctionClass::SmoothStronglyConvex {
            strong_convexity: q(1, 5),
        },
    ] {
        let pep = Pep::new(
            Method::heavy_ball(3, &q(1, 2), &q(1, 4)).unwrap(),
            class.clone(),
            Measure::FunctionValue,
        )
        .unwrap();
        // Any vectors: x₀ − x* = e₀ and g_k = e_{k+1}/(k + 2) − e₀/(3k + 4) in ℚ⁵ (so G is not
        // diagonal), and arbitrary values.
        let d = 5;
        let unit = |i: usize| -> Vec<Rational> {
            (0..d)
                .map(|j| if i == j { q(1, 1) } else { q(0, 1) })
                .collect()
        };
        let x0 = unit(0);
        let gradients: Vec<Vec<Rational>> = (0..4)
            .map(|k| {
                let mut g = unit(k + 1);
                g[k + 1] = q(1, k as i64 + 2);
                g[0] = q(-1, 3 * k as i64 + 4);
                g
            })
            .collect();
        let values: Vec<Rational> = (0..4).map(|k| q(7, 3 + k as i64)).collect();
        let mut points = vec![vec![q(0, 1); d]];
        let mut all_gradients = vec![vec![q(0, 1); d]];
        let mut all_values = vec![q(0, 1)];
        for (k, row) in pep.method().coefficients().iter().enumerate() {
            let mut p = x0.clone();
            for (h, g) in row.iter().zip(&gradients) {
                for (pi, gi) in p.iter_mut().zip(g) {
                    *pi -= Rational::from(h * gi);
                }
            }
            points.push(p);
            all_gradients.push(gradients[k].clone());
            all_values.push(values[k].clone());
        }
        // The Gram matrix of [x₀ − x*, g₀ … g₃] and each constraint's value a·F + ⟨A, G⟩.
        let basis: Vec<&Vec<Rational>> = std::iter::once(&x0).chain(&gradients).collect();
        let gram = |r: usize, c: usize| -> Rational {
            basis[r]
                .iter()
                .zip(basis[c])
                .fold(q(0, 1), |acc, (a, b)| acc + Rational::from(a * b))
        };
        let index = |p: Point| match p {
            Point::Optimum => 0,
            Point::Iterate(k) => k + 1,
        };
        let mu = match &class {
            FunctionClass::SmoothConvex => q(0, 1),
            FunctionClass::SmoothStronglyConvex { strong_convexity } => strong_convexity.clone(),
        };
        for pair in pep.pairs() {
            let c = pep.interpolation(pair).unwrap();
            let mut value = c
                .function_values
                .iter()
                .zip(&values)
                .fold(q(0, 1), |acc, (a, f)| acc + Rational::from(a * f));
            for (r, col, v) in c.gram.entries() {
                let factor = if r == col { q(1, 1) } else { q(2, 1) };
                value += Rational::from(v * gram(r, col)) * factor;
            }
            let data = InterpolationData {
                points: points.clone(),
                gradients: all_gradients.clone(),
                values: all_values.clone(),
            };
            assert_eq!(
                data.slack(index(pair.i), index(pair.j), &q(1, 1), &mu),
                Rational::from(-&value),
                "{pair:?}"
            );
        }
    }
}

/// Lessard, Recht & Packard 2016, §4.6: the heavy ball tuned for quadratics with κ = 25
/// (`γ = 4/(√L + √m)² = 1/9`, `μ = ((√κ − 1)/(√κ + 1))² = 4/9`) cycles on their piecewise
/// quadratic (m = 1, L = 25, gradient `25x` for `x < 1`, `x + 24` on `[1, 2)`, `25x − 24` from 2).
/// The 3-cycle `{792, −2208, 2592}/1225` solves the linear system of the pieces (0, 0, 2) —
/// derived by hand from `x_{k+1} = x_k − γ g_k + μ(x_k − x_{k−1})` around the cycle. Here the
/// cycle and `x* = 0` are interpolation data, checked exactly against THG 2017, Thm 4 for the
/// class (L = 25, μ = 1): a function of the class on which the method never converges, so no
/// certificate of a rate `ρ < 1` can exist at these parameters. The data fail for L = 24 (two
/// cycle points lie on the piece of slope 25), so the check is not vacuous.
#[test]
fn lrp_heavy_ball_cycle_is_interpolable_by_a_smooth_strongly_convex_function() {
    let gradient = |x: &Rational| -> Rational {
        if *x < 1 {
            Rational::from(25 * x)
        } else if *x < 2 {
            Rational::from(x + 24)
        } else {
            Rational::from(25 * x) - 24
        }
    };
    // f = ∫ f′ with f(0) = 0: 25x²/2, x²/2 + 24x − 12, 25x²/2 − 24x + 36 (continuous at 1, 2).
    let value = |x: &Rational| -> Rational {
        let sq = Rational::from(x * x);
        if *x < 1 {
            sq * 25 / 2
        } else if *x < 2 {
            sq / 2 + Rational::from(24 * x) - 12
        } else {
            sq * 25 / 2 - Rational::from(24 * x) + 36
        }
    };
    let cycle = [q(792, 1225), q(-2208, 1225), q(2592, 1225)];
    let (gamma, momentum) = (q(1, 9), q(4, 9));
    for k in 0..3 {
        let (previous, current, next) = (&cycle[(k + 2) % 3], &cycle[k], &cycle[(k + 1) % 3]);
        let step = Rational::from(current - Rational::from(&gamma * gradient(current)))
            + Rational::from(&momentum * Rational::from(current - previous));
        assert_eq!(step, *next, "the heavy-ball map sends the cycle to itself");
    }
    let mut data = InterpolationData {
        points: vec![vec![q(0, 1)]],
        gradients: vec![vec![q(0, 1)]],
        values: vec![q(0, 1)],
    };
    for x in &cycle {
        data.points.push(vec![x.clone()]);
        data.gradients.push(vec![gradient(x)]);
        data.values.push(value(x));
    }
    let margin = data.check(&q(25, 1), &q(1, 1)).unwrap();
    assert!(margin >= 0);
    // Never converging: f stays at least f(792/1225) = 25·792²/(2·1225²) > 0 on the cycle.
    assert!(data.values[1..].iter().all(|v| *v >= value(&cycle[0])));
    assert!(value(&cycle[0]) > 0);
    match data.check(&q(24, 1), &q(1, 1)) {
        Err(Error::CertificateRejected { obligation, .. }) => assert_eq!(obligation, INTERPOLATION),
        other => panic!("L = 24 must fail: {other:?}"),
    }
    // Normalised as the PEP is (L = 1): g/25, f/25, q = μ/L = 1/25.
    let normalised = InterpolationData {
        points: data.points.clone(),
        gradients: data
            .gradients
            .iter()
            .map(|g| vec![Rational::from(&g[0] / 25u32)])
            .collect(),
        values: data
            .values
            .iter()
            .map(|v| Rational::from(v / 25u32))
            .collect(),
    };
    assert_eq!(
        normalised.check(&q(1, 1), &q(1, 25)).unwrap(),
        margin / 25u32
    );
}

/// The primal side of the PEP, exact: Clarabel's worst-case Gram matrix and values
/// (fixtures/pep/numeric/clarabel) turn into rational interpolation data (theory::pep::worst)
/// that pass the interpolation check; the method's own points are those data's points, and the
/// measure attained on them, divided by ‖x₀ − x*‖², is at most the certified τ — the certificate
/// proves it for every function of the class, so a violation would refute one side. The gap
/// τ − attained (both exact) is the width of the interval the worst case is known to lie in; it
/// is reported, locked by `snapshots/pep_worst_case_gaps.snap`, not compared with a threshold.
#[test]
fn worst_case_functions_attain_the_certified_bounds_up_to_a_reported_gap() {
    let mut checked = 0;
    let mut report = String::from("case | attained | τ | τ − attained | mixing m\n");
    for (name, pep) in certificate::numeric_cases().unwrap() {
        if pep.steps() > 10 {
            continue;
        }
        let primal = repair::read_numeric_primal(&numeric_text(&name), pep.steps()).unwrap();
        let worst = worst::from_primal(&pep, &primal).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tau = repaired(&name, &pep).certificate.bound().clone();
        let gap = Rational::from(&tau - &worst.attained);
        assert!(gap >= 0, "{name}: attained above the certified bound");
        // Independent re-check of the data: positions follow the method's table.
        let x0 = &worst.data.points[1];
        for (k, row) in pep.method().coefficients().iter().enumerate() {
            let mut p = x0.clone();
            for (h, g) in row.iter().zip(&worst.data.gradients[1..]) {
                for (pi, gi) in p.iter_mut().zip(g) {
                    *pi -= Rational::from(h * gi);
                }
            }
            assert_eq!(p, worst.data.points[k + 1], "{name}: point {k}");
        }
        worst.data.check(&q(1, 1), &q(0, 1)).unwrap();
        report += &format!(
            "{name} | {:.12e} | {:.12e} | {:.2e} | 2^{}\n",
            worst.attained.to_f64(),
            tau.to_f64(),
            gap.to_f64(),
            worst.mixing_exponent
        );
        checked += 1;
    }
    assert_eq!(checked, 4 * (1 + HEAVY_BALL_PARAMETERS.len()));
    assert_gaps_snapshot("pep_worst_case_gaps", &report);
}

/// OGM (64-bit rational θ) for the table's N = 1, 2, 5, 10 (N = 20 is tests/it/pep.rs's
/// fixture): Kim & Fessler's multipliers repaired with the interior duals, shipped in
/// fixtures/pep/repaired/ogm-nN.json (`PEP_WRITE_FIXTURES=1` rewrites), fresh and verified, within
/// 10⁻⁹ relative of `1/(2θ_N²)` with θ from Kim & Fessler's recursion in f64 here. 10⁻⁹ is an
/// acceptance limit, not a derived bound: issue 19's ("OGM N ≤ 20 certified within 10⁻⁹ relative
/// of Kim–Fessler's L‖x₀ − x*‖²/(2θ_N²)"); the certificate is for the 64-bit rational θ, whose
/// worst case differs from 1/(2θ_N²) by an amount nobody has bounded, and the f64 recursion adds
/// about 10⁻¹⁵ relative.
#[test]
fn ogm_table_certificates_are_fresh_and_verify() {
    let write = std::env::var_os("PEP_WRITE_FIXTURES").is_some();
    for n in [1usize, 2, 5, 10] {
        let theta = momentum_oracle::theory::pep::method::ogm_theta(n, 64).unwrap();
        let pep = Pep::new(
            Method::ogm(n, &theta).unwrap(),
            FunctionClass::SmoothConvex,
            Measure::FunctionValue,
        )
        .unwrap();
        let interior_text =
            std::fs::read_to_string(fixture_dir().join(format!("numeric/ogm-n{n}.interior.json")))
                .unwrap();
        let interior = repair::read_numeric_dual(&interior_text, n).unwrap();
        let r = repair::repair_with_interior(
            &pep,
            &certificate::ogm_kim_fessler_dual(n).unwrap(),
            &interior,
            1 << 60,
        )
        .unwrap();
        let path = fixture_dir().join(format!("repaired/ogm-n{n}.json"));
        let fresh = r.certificate.to_json(false).unwrap();
        if write {
            std::fs::write(&path, &fresh).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            fresh,
            "N = {n} is stale"
        );
        let bound = verify::verify_file(&path).unwrap().bound.to_f64();
        let mut t = 1.0f64;
        for i in 0..n {
            let factor = if i + 1 == n { 8.0 } else { 4.0 };
            t = (1.0 + (1.0 + factor * t * t).sqrt()) / 2.0;
        }
        let kim_fessler = 1.0 / (2.0 * t * t);
        assert!(
            (bound - kim_fessler).abs() / kim_fessler < 1e-9,
            "N = {n}: {bound}"
        );
    }
}

/// `certify --table` verifies every certificate of the table and prints one row per method and
/// N, with the classical bound where there is one; certified ≤ classical on every row that has
/// one (the classical bounds are theorems, the certified values the exact worst cases up to the
/// repair gap), GD's rows are 1/(4N + 2) exactly (closed form). `--svg` draws them, one group per
/// method. A directory without the certificates is bad input (exit 2), never an empty table.
#[test]
fn certify_table_lists_verified_bounds_below_the_classical_ones() {
    let rows = momentum_oracle::theory::pep::table::rows(&fixture_dir()).unwrap();
    assert_eq!(rows.len(), 5 * (3 + HEAVY_BALL_PARAMETERS.len()) + 3);
    for r in &rows {
        if let Some(c) = &r.classical {
            assert!(r.certified <= *c, "{} N = {}", r.method, r.steps);
        }
        if r.method.starts_with("GD") && r.measure == Measure::FunctionValue {
            assert_eq!(r.certified, q(1, 4 * r.steps as i64 + 2));
        }
    }
    // The strongly convex rows (‖x_N − x*‖²): GD h = 1, q = 1/2, N = 3 is (1 − q)⁶ = 1/64 (closed
    // form, tight on q‖x‖²/2) beside Nesterov (2004), Thm 2.1.15: ((1 − q)/(1 + q))³ = 1/27.
    let distance: Vec<_> = rows
        .iter()
        .filter(|r| r.measure == Measure::DistanceSquared)
        .collect();
    assert_eq!(distance.len(), 3);
    assert_eq!(
        (distance[0].steps, distance[0].certified.clone()),
        (3, q(1, 64))
    );
    assert_eq!(distance[0].classical, Some(q(1, 27)));
    assert!(distance.iter().all(|r| r.method.contains("‖x_N − x*‖²")));
    let binary = env!("CARGO_BIN_EXE_momentum-oracle");
    let dir = std::env::temp_dir().join(format!("pep-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("certified.svg");
    let out = std::process::Command::new(binary)
        .args(["certify", "--table", "--dir"])
        .arg(fixture_dir())
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2 + rows.len());
    assert!(
        text.contains("| GD h = 1 | 20 | 1.219512195122e-2 | 2.500000e-2 | 0.4878 |"),
        "{text}"
    );
    let doc = std::fs::read_to_string(&svg).unwrap();
    let parsed = roxmltree::Document::parse(&doc).unwrap();
    let ids: Vec<&str> = parsed
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    for id in [
        "certified-gd",
        "classical-gd",
        "certified-fista",
        "certified-ogm",
        "certified-heavy-ball-1",
        "certified-distance-1",
        "classical-distance-1",
        "certified-distance-3",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = std::process::Command::new(binary)
        .args(["certify", "--table", "--dir"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The exact worst-case data as a problem (`problem::interpolated`): the oracle answers f and ∇f
/// at the data points and refuses everything else.
fn interpolated(worst: &worst::WorstCase) -> InterpolatedProblem {
    // Index 0 is x* (the origin, g* = 0, f* = 0), index 1 is x₀: the run starts there.
    InterpolatedProblem::new(
        q(1, 1),
        q(0, 1),
        worst.data.points.clone(),
        worst.data.gradients.clone(),
        worst.data.values.clone(),
        1,
    )
    .unwrap()
}

fn coordinates(v: &QVec) -> Vec<Rational> {
    (0..v.len()).map(|i| v.get(i)).collect()
}

/// Where the PEP's points `p₀ … p_N` (gradients at `p₀ … p_{N−1}`, output `p_N`) sit in a trace of
/// the crate's optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// The iterate after step k is `p_k` and the query of step k is `p_{k−1}`: GD, heavy ball and
    /// OGM take their gradients at their iterates (OGM's `x_i`; its `y_i` are never queried).
    Iterates,
    /// The query of step k is `p_{k−1} = y_k` and only the last iterate is a PEP point,
    /// `x_N = p_N`: FISTA takes its gradients at the extrapolated `y_k` (`y₁ = x₀`), and its
    /// iterates `x_k = y_k − ∇f(y_k)/L` for `k < N` are points where nothing queries f, so the
    /// data say nothing about `f(x_k)` (`Method::nesterov`, whose table is exactly this). The trace
    /// therefore keeps only step N (`keep_every = N`), whose iterate is the output.
    Queries,
}

/// The exact oracle of a problem, recording every gradient query (point and answer).
struct Recording<'a> {
    inner: Box<dyn Oracle<Rational> + 'a>,
    queries: Vec<(Vec<Rational>, Vec<Rational>)>,
}

impl Oracle<Rational> for Recording<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &QVec) -> momentum_oracle::error::Result<Rational> {
        self.inner.value(x)
    }
    fn gradient(&mut self, x: &QVec) -> momentum_oracle::error::Result<QVec> {
        let g = self.inner.gradient(x)?;
        self.queries.push((coordinates(x), coordinates(&g)));
        Ok(g)
    }
    fn gap(&mut self, x: &QVec) -> momentum_oracle::error::Result<Option<Rational>> {
        self.inner.gap(x)
    }
}

/// What one run on a worst-case function measured: `τ − attained`, exact.
struct Attained {
    gap: Rational,
}

/// Runs `optimizer` with constant step `step` (L = 1) through `trace::run` in ℚ on the
/// worst-case data of `pep` and checks, against the data alone, that the run *is* the method on
/// that function: the k-th query is the data point `p_{k−1}` and gets its gradient (every query,
/// recorded by an oracle wrapper around the same problem in `trace::run_with_oracle`), the
/// iterates are the data points `layout` says, and the final gap `f(p_N) − f*` divided by
/// `‖x₀ − x*‖²` is the attained value. What is asserted about `τ − attained` is exact: it is
/// `≥ 0` (the certificate `tau`, verified in ℚ, bounds every function of the class, this one
/// included: weak duality) and it equals the gap that `worst::from_primal` reports, recomputed
/// here from the run. Its size is reported (returned, printed), not compared with a threshold.
/// One step more leaves the data (or, for OGM, the method's N), and is refused.
fn run_on_worst_case(
    name: &str,
    pep: &Pep,
    worst: &worst::WorstCase,
    optimizer: &str,
    step: Rational,
    tau: &Rational,
    layout: Layout,
) -> Attained {
    let n = pep.steps();
    let problem = interpolated(worst);
    // The data's vectors: the Gram factor's rank (at most N + 2) plus the companion coordinate.
    assert!(
        problem.dim() <= n + 3,
        "{name}: dimension {}",
        problem.dim()
    );
    let opt = OptimizerConfig::from_spec(optimizer).unwrap();
    let lr = Schedule::constant(step);
    let options = RunOptions {
        keep_every: if layout == Layout::Iterates { 1 } else { n },
        ..RunOptions::default()
    };
    let trace = trace::run::<Rational>(&problem, &opt, &lr, None, n, &options).unwrap();
    assert_eq!(trace.outcome, Outcome::Completed, "{name}");
    let data = &worst.data;
    match layout {
        Layout::Iterates => {
            assert_eq!(trace.steps.len(), n, "{name}");
            for s in &trace.steps {
                let k = s.step;
                assert_eq!(coordinates(&s.query), data.points[k], "{name}: query {k}");
                assert_eq!(
                    coordinates(&s.gradient),
                    data.gradients[k],
                    "{name}: gradient {k}"
                );
                assert_eq!(
                    coordinates(&s.iterate),
                    data.points[k + 1],
                    "{name}: iterate {k}"
                );
            }
        }
        Layout::Queries => {
            assert_eq!(trace.steps.len(), 1, "{name}: only step N is kept");
            assert_eq!(trace.steps[0].step, n);
            assert_eq!(coordinates(&trace.steps[0].query), data.points[n]);
            assert_eq!(
                coordinates(&trace.steps[0].iterate),
                data.points[n + 1],
                "{name}: x_N = p_N"
            );
        }
    }
    // Every query of the same run, in order, through a recording wrapper of the same oracle.
    let mut recording = Recording {
        inner: problem.exact_oracle().unwrap(),
        queries: Vec::new(),
    };
    let x0 = QVec::from_scalars(&problem.initial_point());
    let again = momentum_oracle::with_optimizer!(&opt, o => trace::run_with_oracle(
        o, &mut recording, &lr, &x0, n, &options, ("worst case", optimizer)))
    .unwrap();
    assert_eq!(
        again.steps, trace.steps,
        "{name}: the wrapper changes nothing"
    );
    assert_eq!(recording.queries.len(), n, "{name}: one query per step");
    for (k, (point, gradient)) in recording.queries.iter().enumerate() {
        assert_eq!(*point, data.points[k + 1], "{name}: query {}", k + 1);
        assert_eq!(
            *gradient,
            data.gradients[k + 1],
            "{name}: gradient {}",
            k + 1
        );
    }
    let gap = trace.steps.last().unwrap().gap.clone().unwrap();
    assert_eq!(gap, data.values[n + 1], "{name}: f(x_N) − f*");
    let attained = Rational::from(&gap / &worst.distance_sq);
    assert_eq!(attained, worst.attained, "{name}");
    let reported = Rational::from(tau - &attained);
    assert!(reported >= 0, "{name}: attained above the certified bound");
    match trace::run::<Rational>(&problem, &opt, &lr, None, n + 1, &options) {
        Err(Error::Unavailable { subject, .. }) => {
            assert!(subject.contains("not one of its points"), "{subject}")
        }
        Err(Error::InvalidHyperParameter { name: "steps", .. }) if optimizer.starts_with("ogm") => {
        }
        other => panic!("{name}: step N + 1 must leave the data: {other:?}"),
    }
    Attained { gap: reported }
}

/// Item 4 of issue 19, run through the trace machinery: the exact worst-case functions are
/// problem instances, and the crate's own optimizers, run on them in ℚ from x₀, reproduce the
/// method's points and attain the certified bound up to the reported gap.
///
/// * GD with h = 1 (`gd`, learning rate 1/L = 1), N = 1, 2, 5, 10, against the closed-form
///   certificates fixtures/pep/gd-h1-nN.json, whose bound is `1/(4N + 2)` (Drori & Teboulle 2014,
///   Thm 3.1; asserted here). No solver primal ships for GD, so the numeric primal is Drori and
///   Teboulle's worst case written as a Gram matrix in f64 — their Huber function with R = 1
///   (`f(x) = |x|/(2N+1) − 1/(2(2N+1)²)` for `|x| ≥ 1/(2N+1)`), on whose linear piece every GD
///   point `x_k = 1 − k/(2N+1)` lies, so `G` is the outer product of `(1, 1/(2N+1), …)` and
///   `F_k = x_k/(2N+1) − 1/(2(2N+1)²)`; at N = 1 also Clarabel's primal of the heavy ball with
///   γ = 1, which at N = 1 is the same table (`x₁ = x₀ − g₀`).
/// * Heavy ball, every (γ, μ) of the table, N = 1, 2, 5, 10 (`heavy-ball:momentum=μ`, learning
///   rate γ), from Clarabel's primal, against the repaired Clarabel certificate.
#[test]
fn worst_case_functions_run_as_problems_attain_the_certified_bound() {
    let mut runs = 0;
    for n in [1usize, 2, 5, 10] {
        let pep = Pep::new(
            Method::gradient_descent(n, &q(1, 1)).unwrap(),
            FunctionClass::SmoothConvex,
            Measure::FunctionValue,
        )
        .unwrap();
        let tau = verify::verify_file(&fixture_dir().join(format!("gd-h1-n{n}.json")))
            .unwrap()
            .bound;
        assert_eq!(tau, q(1, 4 * n as i64 + 2), "GD N = {n}");
        let w = (1.0 / (2 * n + 1) as f64, 1.0 / (2 * n + 1) as f64);
        let basis: Vec<f64> = std::iter::once(1.0)
            .chain(std::iter::repeat_n(w.0, n + 1))
            .collect();
        let primal = repair::NumericPrimal {
            gram: basis
                .iter()
                .map(|a| basis.iter().map(|b| a * b).collect())
                .collect(),
            values: (0..=n)
                .map(|k| (1.0 - k as f64 * w.0) * w.1 - w.1 * w.1 / 2.0)
                .collect(),
        };
        let worst = worst::from_primal(&pep, &primal).unwrap();
        let name = format!("gd-h1-n{n} (Drori–Teboulle primal)");
        let gap = run_on_worst_case(&name, &pep, &worst, "gd", q(1, 1), &tau, Layout::Iterates).gap;
        println!("{name}: gap {:.2e}", gap.to_f64());
        runs += 1;
        if n == 1 {
            let hb = "heavy-ball-g1-m1_2-n1";
            assert_eq!(
                pep.method().coefficients(),
                Method::heavy_ball(1, &q(1, 1), &q(1, 2))
                    .unwrap()
                    .coefficients()
            );
            let primal = repair::read_numeric_primal(&numeric_text(hb), 1).unwrap();
            let worst = worst::from_primal(&pep, &primal).unwrap();
            let name = "gd-h1-n1 (Clarabel primal)";
            let gap =
                run_on_worst_case(name, &pep, &worst, "gd", q(1, 1), &tau, Layout::Iterates).gap;
            println!("{name}: gap {:.2e}", gap.to_f64());
            runs += 1;
        }
    }
    for (step, momentum) in HEAVY_BALL_PARAMETERS {
        let (gamma, mu) = (Rational::from(step), Rational::from(momentum));
        for n in [1usize, 2, 5, 10] {
            let name = certificate::heavy_ball_name(step, momentum, n);
            let pep = Pep::new(
                Method::heavy_ball(n, &gamma, &mu).unwrap(),
                FunctionClass::SmoothConvex,
                Measure::FunctionValue,
            )
            .unwrap();
            let primal = repair::read_numeric_primal(&numeric_text(&name), n).unwrap();
            let worst = worst::from_primal(&pep, &primal).unwrap();
            let tau = repaired(&name, &pep).certificate.bound().clone();
            let optimizer = format!("heavy-ball:momentum={}/{}", momentum.0, momentum.1);
            let gap = run_on_worst_case(
                &name,
                &pep,
                &worst,
                &optimizer,
                gamma.clone(),
                &tau,
                Layout::Iterates,
            )
            .gap;
            println!("{name}: gap {:.2e}", gap.to_f64());
            runs += 1;
        }
    }
    assert_eq!(runs, 5 + 4 * HEAVY_BALL_PARAMETERS.len());
}

/// Issue 19 item 4 for the accelerated methods, run through `trace::run` in ℚ on the exact
/// worst-case functions:
///
/// * `fista:momentum=rational` — β_k = (k − 1)/(k + 2), the PEP's `Method::fista` (the
///   t-sequence FISTA is irrational and has no certificate here), N = 1, 2, 5, 10, from
///   Clarabel's primal (fixtures/pep/numeric/clarabel/fista-nN.json), against the repaired
///   Clarabel certificate. Layout: the PEP's points are FISTA's queries y_k, the output its x_N.
/// * OGM with the certificates' 64-bit rational θ (`ogm:steps=N,theta=θ₁;…;θ_N` — the crate's
///   OGM1 with Kim & Fessler's irrational θ runs in ℚ only for N = 1, where θ₁ = 2, and for N = 1
///   both specs are the same method), N = 1, 2, 5, 10, from the primal that
///   examples/python/pep/export_primal.py solved with cvxpy + Clarabel
///   (fixtures/pep/numeric/ogm-nN.primal.json), against fixtures/pep/repaired/ogm-nN.json.
///   Layout: OGM queries its iterates x_i, the PEP's points.
#[test]
fn accelerated_worst_case_functions_run_as_problems_attain_the_certified_bound() {
    let mut runs = Vec::new();
    for n in [1usize, 2, 5, 10] {
        let name = format!("fista-n{n}");
        let pep = Pep::new(
            Method::fista(n).unwrap(),
            FunctionClass::SmoothConvex,
            Measure::FunctionValue,
        )
        .unwrap();
        let primal = repair::read_numeric_primal(&numeric_text(&name), n).unwrap();
        let worst = worst::from_primal(&pep, &primal).unwrap();
        let tau =
            verify::verify_file(&fixture_dir().join(format!("repaired/clarabel/{name}.json")))
                .unwrap()
                .bound;
        let a = run_on_worst_case(
            &name,
            &pep,
            &worst,
            "fista:momentum=rational",
            q(1, 1),
            &tau,
            Layout::Queries,
        );
        runs.push((name, tau, a.gap));
    }
    for n in [1usize, 2, 5, 10] {
        let name = format!("ogm-n{n}");
        let theta = momentum_oracle::theory::pep::method::ogm_theta(n, 64).unwrap();
        let pep = Pep::new(
            Method::ogm(n, &theta).unwrap(),
            FunctionClass::SmoothConvex,
            Measure::FunctionValue,
        )
        .unwrap();
        let text =
            std::fs::read_to_string(fixture_dir().join(format!("numeric/{name}.primal.json")))
                .unwrap();
        let primal = repair::read_numeric_primal(&text, n).unwrap();
        let worst = worst::from_primal(&pep, &primal).unwrap();
        let tau = verify::verify_file(&fixture_dir().join(format!("repaired/{name}.json")))
            .unwrap()
            .bound;
        let list: Vec<String> = theta[1..].iter().map(|t| t.to_string()).collect();
        let spec = format!("ogm:steps={n},theta={}", list.join(";"));
        let a = run_on_worst_case(&name, &pep, &worst, &spec, q(1, 1), &tau, Layout::Iterates);
        if n == 1 {
            // θ₁ = (1 + √(1 + 8))/2 = 2 exactly: the given θ is Kim–Fessler's, and the plain
            // spec runs in ℚ on the same data too.
            assert_eq!(theta[1], q(2, 1));
            let b = run_on_worst_case(
                &name,
                &pep,
                &worst,
                "ogm:steps=1",
                q(1, 1),
                &tau,
                Layout::Iterates,
            );
            assert_eq!(a.gap, b.gap);
        }
        runs.push((name, tau, a.gap));
    }
    let mut report = String::from("case | τ | τ − attained | relative\n");
    for (name, tau, gap) in &runs {
        report += &format!(
            "{name} | {:.12e} | {:.2e} | {:.1e}\n",
            tau.to_f64(),
            gap.to_f64(),
            Rational::from(gap / tau).to_f64()
        );
    }
    assert_eq!(runs.len(), 8);
    assert_gaps_snapshot("pep_accelerated_worst_case_gaps", &report);
}

/// `‖x_N − x*‖²/‖x₀ − x*‖²` of heavy ball (step γ, momentum μ, `x₋₁ = x₀`) on `f = λx²/2` from
/// `x₀ = 1`, exactly: a value some function of the class (`q ≤ λ ≤ 1`) attains, so a certified
/// τ can never be below it.
fn heavy_ball_on_quadratic(
    gamma: &Rational,
    mu: &Rational,
    lambda: &Rational,
    n: usize,
) -> Rational {
    let (mut previous, mut x) = (q(1, 1), q(1, 1));
    for _ in 0..n {
        let next = Rational::from(&x - Rational::from(gamma * lambda) * &x)
            + Rational::from(mu * Rational::from(&x - &previous));
        previous = std::mem::replace(&mut x, next);
    }
    x.square()
}

/// Issue 19, heavy ball on the L-smooth m-strongly convex class (q = m/L = 1/4), measure
/// `‖x_N − x*‖²` given `‖x₀ − x*‖ ≤ R`, N = 5, from numeric duals that cvxpy + Clarabel computed
/// in Python (`examples/python/pep/strongly_convex.py`, fixtures/pep/numeric/NAME.json; PEPit 0.3
/// gives 0.168403 and 0.01199 for the same PEPs): repaired to exact certificates
/// (fixtures/pep/repaired/NAME.json, `PEP_WRITE_FIXTURES=1` rewrites), verified in ℚ by the
/// independent verifier, with the repair gap equal to the verified τ minus the solver's τ.
///
/// * (γ, μ) = (1/2, 1/4): τ ≈ 0.1684, 2·10⁻⁹ above the exact value the run on `x²/8` (λ = m)
///   attains: the worst case over the whole class is pinned to that interval.
/// * Polyak's tuning for κ = 4 (`γ = 4/(√L + √m)² = 16/9`, `μ = ((√κ − 1)/(√κ + 1))² = 1/9`,
///   whose optimal slack is singular on the gradient block, so the repair mixes in the interior
///   dual `NAME.interior.json`): τ ≈ 0.0120, twelve times what the quadratics below reach
///   (9.95·10⁻⁴) — the tuning that is optimal on quadratics is not on the class.
///
/// Both τ are at least the exact `‖x₅ − x*‖²/R²` of the run on `λx²/2` for λ ∈ {1/4, 1/2, 3/4, 1}
/// (functions of the class; asserted, the distances locked by
/// `snapshots/pep_strongly_convex_heavy_ball.snap`).
#[test]
fn strongly_convex_heavy_ball_distance_certificates_verify() {
    let write = std::env::var_os("PEP_WRITE_FIXTURES").is_some();
    let quarter = q(1, 4);
    let mut report = String::from("case | τ | τ − solver's τ | worst quadratic of the class\n");
    for (gamma, mu, name) in [
        (q(1, 2), q(1, 4), "heavy-ball-g1_2-m1_4-sc-q1_4-n5-distance"),
        (
            q(16, 9),
            q(1, 9),
            "heavy-ball-g16_9-m1_9-sc-q1_4-n5-distance",
        ),
    ] {
        let n = 5;
        let pep = Pep::new(
            Method::heavy_ball(n, &gamma, &mu).unwrap(),
            FunctionClass::SmoothStronglyConvex {
                strong_convexity: quarter.clone(),
            },
            Measure::DistanceSquared,
        )
        .unwrap();
        let r = repaired(name, &pep);
        let path = fixture_dir().join(format!("repaired/{name}.json"));
        let fresh = r.certificate.to_json(false).unwrap();
        if write {
            std::fs::write(&path, &fresh).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            fresh,
            "{name} is stale"
        );
        let tau = verify::verify_file(&path).unwrap().bound;
        assert_eq!(r.gap, Rational::from(&tau - &solver_bound(name)), "{name}");
        let quadratics = [q(1, 4), q(1, 2), q(3, 4), q(1, 1)]
            .iter()
            .map(|lambda| heavy_ball_on_quadratic(&gamma, &mu, lambda, n))
            .max()
            .unwrap();
        assert!(tau >= quadratics, "{name}: below a function of the class");
        report += &format!(
            "{name} | {:.12e} | {:.2e} | {:.12e} (τ − it: {:.2e})\n",
            tau.to_f64(),
            r.gap.to_f64(),
            quadratics.to_f64(),
            Rational::from(&tau - &quadratics).to_f64()
        );
    }
    assert_gaps_snapshot("pep_strongly_convex_heavy_ball", &report);
}
