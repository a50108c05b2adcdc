//! Certified worst cases against the classical bounds, read from the shipped certificates.
//!
//! Every row's certified value is the bound of a certificate file that the independent verifier
//! ([`super::verify`]) has just accepted; a missing or rejected file is an error, never a blank.
//! The classical bounds (at `L = R = 1`), each from [`crate::theory::bounds`]:
//!
//! | method | file | classical bound |
//! |---|---|---|
//! | GD, `h = 1` | `gd-h1-nN.json` (closed form) | `1/(2N)` ([`bounds::gd`]; Nesterov 2004, Cor. 2.1.2 form of Beck & Teboulle 2009, Thm 3.1) |
//! | FISTA `(k − 1)/(k + 2)` | `repaired/clarabel/fista-nN.json` | `2/(N + 1)²` ([`bounds::nesterov`]; Beck & Teboulle 2009, Thm 4.4) |
//! | OGM | `repaired/ogm-nN.json` | `1/(N + 1)²` (Kim & Fessler 2016; [`bounds::ogm`] is `1/(2θ_N²)` ≤ it) |
//! | heavy ball `(γ, μ)` | `repaired/clarabel/heavy-ball-…-nN.json` | none for the last iterate of smooth convex functions |
//!
//! Then the strongly convex certificates, one `N` each, whose measure is `‖x_N − x*‖²` (the
//! row's label says so, and [`Row::measure`]):
//!
//! | method | file | classical bound |
//! |---|---|---|
//! | GD `h = 1`, `μ/L = 1/2`, `N = 3` | `gd-strongly-convex-q1_2-n3-distance.json` (closed form) | `((1 − q)/(1 + q))^N` ([`bounds::gd_strongly_convex_contraction`] with `γ = 1/L`, per step; Nesterov 2004, Thm 2.1.15) |
//! | heavy ball `γ = 1/2, μ = 1/4`, `m/L = 1/4`, `N = 5` | `repaired/heavy-ball-g1_2-m1_4-sc-q1_4-n5-distance.json` | none |
//! | heavy ball `γ = 16/9, μ = 1/9` (Polyak's tuning for `κ = 4`), `N = 5` | `repaired/heavy-ball-g16_9-m1_9-sc-q1_4-n5-distance.json` | none for the class: Polyak's `((√κ − 1)/(√κ + 1))^{2N}` is a rate on quadratics only |

use std::path::{Path, PathBuf};

use rug::Rational;
use rug::ops::Pow;

use super::certificate::{HEAVY_BALL_PARAMETERS, TABLE_STEPS, heavy_ball_name};
use super::problem::Measure;
use super::verify;
use crate::error::Result;
use crate::theory::bounds;

/// One certified value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Method, for people (`GD h = 1`, `FISTA`, `OGM`, `heavy ball γ = 1/2, μ = 1/4`).
    pub method: String,
    /// `N`.
    pub steps: usize,
    /// The verified bound `τ` on the row's measure at `L = R = 1`.
    pub certified: Rational,
    /// What `τ` bounds: `f(x_N) − f*` on the smooth convex rows, `‖x_N − x*‖²` on the strongly
    /// convex ones (their labels say so too).
    pub measure: Measure,
    /// The classical bound at `L = R = 1`, where there is one.
    pub classical: Option<Rational>,
    /// The certificate file.
    pub file: PathBuf,
}

fn fraction_name((p, q): (u32, u32)) -> String {
    if q == 1 {
        p.to_string()
    } else {
        format!("{p}/{q}")
    }
}

/// The rows for every method and `N ∈` [`TABLE_STEPS`], from the certificates under `dir`
/// (`fixtures/pep` in the repository), each verified.
///
/// # Errors
/// The reader's errors for a missing or malformed file; [`crate::error::Error::CertificateRejected`]
/// for a certificate that does not prove its bound.
pub fn rows(dir: &Path) -> Result<Vec<Row>> {
    let one = Rational::from(1);
    let mut specs: Vec<(String, usize, PathBuf, Option<Rational>)> = Vec::new();
    for n in TABLE_STEPS {
        specs.push((
            "GD h = 1".into(),
            n,
            dir.join(format!("gd-h1-n{n}.json")),
            Some(bounds::gd(&one, &one, n)?),
        ));
    }
    for n in TABLE_STEPS {
        specs.push((
            "FISTA (k − 1)/(k + 2)".into(),
            n,
            dir.join(format!("repaired/clarabel/fista-n{n}.json")),
            Some(bounds::nesterov(&one, &one, n)),
        ));
    }
    for n in TABLE_STEPS {
        let n1 = Rational::from(n as u64 + 1);
        specs.push((
            "OGM".into(),
            n,
            dir.join(format!("repaired/ogm-n{n}.json")),
            Some(Rational::from(1) / Rational::from(&n1 * &n1)),
        ));
    }
    for (step, momentum) in HEAVY_BALL_PARAMETERS {
        for n in TABLE_STEPS {
            specs.push((
                format!(
                    "heavy ball γ = {}, μ = {}",
                    fraction_name(step),
                    fraction_name(momentum)
                ),
                n,
                dir.join(format!(
                    "repaired/clarabel/{}.json",
                    heavy_ball_name(step, momentum, n)
                )),
                None,
            ));
        }
    }
    let mut rows = specs
        .into_iter()
        .map(|(method, steps, file, classical)| {
            let verdict = verify::verify_file(&file)?;
            Ok(Row {
                method,
                steps,
                certified: verdict.bound,
                measure: Measure::FunctionValue,
                classical,
                file,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Strongly convex, ‖x_N − x*‖²: the contraction of Nesterov (2004), Thm 2.1.15, per step
    // `1 − 2γmL/(m + L)` on the squared distance, is `(1 − q)/(1 + q)` for `γ = 1/L`.
    let q = Rational::from((1, 2));
    let gd_rate = bounds::gd_strongly_convex_contraction(&q, &one, &one);
    let strongly_convex = [
        (
            "GD h = 1, μ/L = 1/2: ‖x_N − x*‖²".to_string(),
            3usize,
            dir.join("gd-strongly-convex-q1_2-n3-distance.json"),
            Some(Rational::from(gd_rate.pow(3u32))),
        ),
        (
            "heavy ball γ = 1/2, μ = 1/4, m/L = 1/4: ‖x_N − x*‖²".to_string(),
            5,
            dir.join("repaired/heavy-ball-g1_2-m1_4-sc-q1_4-n5-distance.json"),
            None,
        ),
        (
            "heavy ball γ = 16/9, μ = 1/9 (Polyak, κ = 4): ‖x_N − x*‖²".to_string(),
            5,
            dir.join("repaired/heavy-ball-g16_9-m1_9-sc-q1_4-n5-distance.json"),
            None,
        ),
    ];
    for (method, steps, file, classical) in strongly_convex {
        let verdict = verify::verify_file(&file)?;
        rows.push(Row {
            method,
            steps,
            certified: verdict.bound,
            measure: Measure::DistanceSquared,
            classical,
            file,
        });
    }
    Ok(rows)
}

/// The rows as a Markdown table: method, `N`, certified `τ`, classical bound, their ratio.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| method | N | certified worst case (L = R = 1) | classical bound | certified / classical |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        let (classical, ratio) = match &r.classical {
            Some(c) => (
                format!("{:.6e}", c.to_f64()),
                format!("{:.4}", Rational::from(&r.certified / c).to_f64()),
            ),
            None => ("—".into(), "—".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {:.12e} | {classical} | {ratio} |\n",
            r.method,
            r.steps,
            r.certified.to_f64()
        ));
    }
    out
}
