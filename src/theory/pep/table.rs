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

use std::path::{Path, PathBuf};

use rug::Rational;

use super::certificate::{HEAVY_BALL_PARAMETERS, TABLE_STEPS, heavy_ball_name};
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
    /// The verified bound `τ` on `f(x_N) − f*` at `L = R = 1`.
    pub certified: Rational,
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
    specs
        .into_iter()
        .map(|(method, steps, file, classical)| {
            let verdict = verify::verify_file(&file)?;
            Ok(Row {
                method,
                steps,
                certified: verdict.bound,
                classical,
                file,
            })
        })
        .collect()
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
