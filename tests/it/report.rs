//! The summary report: every "ok" names what held, a row with nothing checked or a diverged run
//! never reads "ok", rates are measured the way the row's problem calls for, and the table is
//! locked by a snapshot (`snapshots/report_k8.snap`).

use momentum_oracle::cli::report::{self, CheckKind, Checked, Rate, Row, Verdict};

/// K of the locked table: the smallest K whose windows ([K/4, K] for the exponent, [K/2, K] for
/// the factor) hold more than two points, which keeps the test to a few seconds.
const K: usize = 8;

fn row(checks: Vec<Checked>, diverged: Option<(usize, String)>) -> Row {
    Row {
        problem: "quadratic".into(),
        method: "gd".into(),
        arithmetic: "exact".into(),
        rate: None,
        bound: None,
        worst_ratio: None,
        obligations: None,
        f64_ratio: None,
        checks,
        diverged,
        note: String::new(),
    }
}

fn held(kind: CheckKind) -> Checked {
    Checked {
        kind,
        failed_at: None,
    }
}

#[test]
fn a_row_with_nothing_checked_is_not_ok() {
    let r = row(Vec::new(), None);
    assert!(!r.ok());
    assert!(!r.failed());
    assert_eq!(r.verdict().to_string(), "nothing checked");
}

#[test]
fn a_diverged_row_is_not_ok_even_when_its_checks_held() {
    let r = row(
        vec![held(CheckKind::Enclosure)],
        Some((3, "iterate".into())),
    );
    assert!(!r.ok());
    assert!(r.failed());
    assert_eq!(r.verdict().to_string(), "diverged at step 3 (iterate)");
}

#[test]
fn ok_lists_every_check_that_held_and_a_failure_names_its_step() {
    let ok = row(
        vec![
            held(CheckKind::Bound),
            held(CheckKind::Potential),
            held(CheckKind::Enclosure),
        ],
        None,
    );
    assert_eq!(
        ok.verdict().to_string(),
        "ok (bound, potential, f64 enclosure)"
    );
    let failed = row(
        vec![
            held(CheckKind::Bound),
            Checked {
                kind: CheckKind::Potential,
                failed_at: Some(5),
            },
        ],
        None,
    );
    assert_eq!(
        failed.verdict(),
        Verdict::Failed(vec![(CheckKind::Potential, 5)])
    );
    assert_eq!(failed.verdict().to_string(), "FAILED: potential at step 5");
    // The Cesàro check names its theorem, held or failed (T = 1 is the first T where dropping
    // GFJ's Δ₀ term fails, tests/it/rates.rs).
    let cesaro = |failed_at| {
        row(
            vec![Checked {
                kind: CheckKind::Cesaro,
                failed_at,
            }],
            None,
        )
    };
    assert_eq!(
        cesaro(None).verdict().to_string(),
        "ok (Cesàro bound (GFJ 2015 Thm 1))"
    );
    assert_eq!(
        cesaro(Some(1)).verdict().to_string(),
        "FAILED: Cesàro bound (GFJ 2015 Thm 1) at step 1"
    );
}

/// On the full catalogue: no row fails, every "ok" row ran a check, strongly convex rows carry a
/// measured factor and the others an exponent, and the Huber GD row meets Drori & Teboulle's tight
/// value exactly at step K (its instance is their worst case for K steps, c = 2K + 1).
#[test]
fn the_report_table_names_what_held_in_every_ok_row() {
    let rows = report::rows(K).unwrap();
    let strongly_convex_families: Vec<&'static str> = report::problems(K)
        .unwrap()
        .iter()
        .filter(|p| p.strong_convexity().is_some_and(|m| m > 0))
        .map(|p| p.family())
        .collect();
    assert!(!strongly_convex_families.is_empty());
    assert!(rows.len() > 40, "{} rows", rows.len());
    let mut ok = 0;
    for r in &rows {
        assert!(!r.failed(), "{} {}: {}", r.problem, r.method, r.verdict());
        if r.ok() {
            ok += 1;
            assert!(!r.checks.is_empty());
            assert!(r.verdict().to_string().starts_with("ok ("));
        }
        let strongly_convex = strongly_convex_families.contains(&r.problem.as_str());
        if let Some(rate) = &r.rate {
            assert_eq!(
                matches!(rate, Rate::Factor { .. }),
                strongly_convex,
                "{} {}",
                r.problem,
                r.method
            );
        }
    }
    assert!(ok > 0);
    let huber_gd = rows
        .iter()
        .find(|r| r.problem == "huber" && r.method == "gd")
        .unwrap();
    assert_eq!(huber_gd.bound, Some("LR²/(4kh+2)"));
    assert_eq!(huber_gd.worst_ratio, Some(1.0));
    // Every constant-momentum row on the quadratic checks the spectral radius of its iteration
    // matrix and claims no "no guarantee known" beside it.
    let quadratic_momentum: Vec<&Row> = rows
        .iter()
        .filter(|r| r.problem == "quadratic" && r.method.contains("momentum=9/10"))
        .collect();
    assert_eq!(quadratic_momentum.len(), 6);
    for r in quadratic_momentum {
        assert!(
            r.checks
                .iter()
                .any(|c| c.kind == CheckKind::SpectralRadius && c.failed_at.is_none()),
            "{}: {}",
            r.method,
            r.verdict()
        );
        assert!(!r.note.contains("no guarantee"), "{}: {}", r.method, r.note);
    }
    // GFJ 2015's Cesàro bound: checked (and held) on every heavy-ball μ = 1/4 row, which is in
    // its range at γ = 1/L (γL = 1 < 2(1 − μ) = 3/2), and on no μ = 9/10 row (γL = 1 ≥ 1/5),
    // which say so instead.
    let cesaro: Vec<&Row> = rows
        .iter()
        .filter(|r| r.method == "heavy-ball:momentum=1/4")
        .collect();
    assert_eq!(cesaro.len(), 5, "one per convex family with L and x*");
    for r in cesaro {
        assert!(
            r.checks
                .iter()
                .any(|c| c.kind == CheckKind::Cesaro && c.failed_at.is_none()),
            "{}: {}",
            r.problem,
            r.verdict()
        );
        assert!(
            r.verdict()
                .to_string()
                .contains("Cesàro bound (GFJ 2015 Thm 1)")
        );
    }
    for r in rows.iter().filter(|r| r.method.contains("momentum=9/10")) {
        assert!(!r.checks.iter().any(|c| c.kind == CheckKind::Cesaro));
    }
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("report_k8", report::format_table(&rows, K));
    });
}
