//! Numeric PEP solutions from Clarabel (feature `sdp`): the input of the exact repair.
//!
//! ```text
//! cargo run --release --features sdp --example pep_solve -- write fixtures/pep/numeric/clarabel
//! cargo run --release --features sdp --example pep_solve -- time 20
//! ```
//!
//! `write DIR` solves every PEP of `theory::pep::certificate::numeric_cases` and writes
//! `DIR/NAME.json` (dual and primal, shortest round-trip decimals) and `DIR/NAME.interior.json`
//! (a strictly feasible dual, `solve::solve_interior`). `time N` times, for FISTA
//! `(k − 1)/(k + 2)` with `N` steps, building the PEP, Clarabel's solve, the exact repair and the
//! independent verification, and prints one JSON line (README, "Worst-case certificates",
//! compares it with PEPit on the same problem).

use std::time::Instant;

use momentum_oracle::theory::pep::certificate::numeric_cases;
use momentum_oracle::theory::pep::method::Method;
use momentum_oracle::theory::pep::problem::{FunctionClass, Measure, Pep};
use momentum_oracle::theory::pep::repair::{self, NumericPrimal};
use momentum_oracle::theory::pep::{format, solve, verify};

/// The solver's gap and feasibility tolerance: tight enough that rounding to 10⁻¹² loses
/// little, loose enough that Clarabel reaches it in double precision.
const TOLERANCE: f64 = 1e-10;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") => {
            let dir = std::path::PathBuf::from(args.get(1).expect("write DIR"));
            std::fs::create_dir_all(&dir).expect("create the output directory");
            for (name, pep) in numeric_cases().expect("the cases are valid") {
                let s = solve::solve(&pep, TOLERANCE).expect("Clarabel solves the PEP");
                let primal = NumericPrimal {
                    gram: s.gram.clone(),
                    values: s.values.clone(),
                };
                let source = format!(
                    "Clarabel 0.11 (Rust, momentum-oracle feature sdp), tolerances {TOLERANCE:e}, {} after {} iterations",
                    s.status, s.iterations
                );
                let text =
                    repair::numeric_json(&s.dual, Some(&primal), &source, &name, pep.steps());
                std::fs::write(dir.join(format!("{name}.json")), text).expect("write");
                // The strictly feasible dual that the repair mixes in when the optimal slack is
                // singular on the gradient block.
                let interior = solve::solve_interior(&pep, 2.0 * s.dual.bound, TOLERANCE)
                    .expect("Clarabel solves the margin problem");
                let source = format!(
                    "Clarabel 0.11 (Rust, momentum-oracle feature sdp), maximum gradient-block margin with τ ≤ 2τ*, tolerances {TOLERANCE:e}, {} after {} iterations",
                    interior.status, interior.iterations
                );
                let text = repair::numeric_json(&interior.dual, None, &source, &name, pep.steps());
                std::fs::write(dir.join(format!("{name}.interior.json")), text).expect("write");
                println!(
                    "{name}: τ = {:.12} (primal {:.12}), {}",
                    s.dual.bound, s.primal_objective, s.status
                );
            }
        }
        Some("time") => {
            let n: usize = args.get(1).and_then(|t| t.parse().ok()).expect("time N");
            let start = Instant::now();
            let pep = Pep::new(
                Method::fista(n).expect("N in range"),
                FunctionClass::SmoothConvex,
                Measure::FunctionValue,
            )
            .expect("valid PEP");
            let built = start.elapsed().as_secs_f64();
            let s = solve::solve(&pep, TOLERANCE).expect("Clarabel solves the PEP");
            let solved = start.elapsed().as_secs_f64();
            let r = match repair::repair(&pep, &s.dual, 1_000_000_000_000) {
                Ok(r) => r,
                Err(_) => {
                    let interior = solve::solve_interior(&pep, 2.0 * s.dual.bound, TOLERANCE)
                        .expect("Clarabel solves the margin problem");
                    repair::repair_with_interior(&pep, &s.dual, &interior.dual, 1_000_000_000_000)
                        .expect("repairable with the interior dual")
                }
            };
            let repaired = start.elapsed().as_secs_f64();
            let text = r.certificate.to_json(false).expect("serialises");
            let verdict =
                verify::verify(&format::read(&text).expect("reads back")).expect("verifies");
            let verified = start.elapsed().as_secs_f64();
            println!(
                "{{\"method\": \"FISTA (k-1)/(k+2)\", \"steps\": {n}, \"bound\": {}, \"solver_bound\": {}, \"gap\": {:e}, \"seconds\": {{\"build\": {built:.3}, \"solve\": {:.3}, \"repair\": {:.3}, \"verify\": {:.3}, \"total\": {verified:.3}}}}}",
                verdict.bound.to_f64(),
                s.dual.bound,
                r.gap.to_f64(),
                solved - built,
                repaired - solved,
                verified - repaired,
            );
        }
        _ => {
            eprintln!("usage: pep_solve write DIR | pep_solve time N");
            std::process::exit(2);
        }
    }
}
