//! Fixture coverage: every feature pair of every convention is exercised by a replay fixture on
//! disk, fixtures/README.md shows the current table, and the long runs exist and agree with an
//! independent hand-written implementation of each convention.

use std::path::{Path, PathBuf};

use momentum_oracle::arith::format::Format;
use momentum_oracle::fixture::coverage::{self, Feature, features_of};
use momentum_oracle::fixture::replay::Convention;
use momentum_oracle::fixture::{self, long, lowprec};
use rug::Rational;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn docs_in(dir: &str) -> Vec<(String, Value)> {
    let mut docs: Vec<(String, Value)> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let v = fixture::read_json(&path, "fixture").unwrap();
            (
                format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                v,
            )
        })
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs
}

/// The binary64 replays.
fn replay_docs() -> Vec<(String, Value)> {
    docs_in("replay")
}

/// The binary64 replays and the low-precision ones (`replay-<format>/`).
fn all_replay_docs() -> Vec<(String, Value)> {
    let mut docs = replay_docs();
    for f in lowprec::FORMATS {
        docs.extend(docs_in(&format!("replay-{f}")));
    }
    docs
}

#[test]
fn every_feature_pair_of_every_convention_is_covered_and_the_readme_shows_the_table() {
    let docs = all_replay_docs();
    let all = coverage::coverage(&docs).unwrap();
    // Three conventions in binary64 and in each low-precision format.
    assert_eq!(all.len(), 3 * (1 + lowprec::FORMATS.len()));
    for c in &all {
        assert!(
            !c.pairs.is_empty(),
            "{:?}, {}: no pair to check",
            c.convention,
            c.format
        );
        // Required in every format: no uncovered pair.
        assert!(c.uncovered().is_empty(), "{}", coverage::uncovered_line(c));
    }
    // Every low-precision fixture was counted somewhere: the six templates and the coverage
    // cases, in each format.
    for f in lowprec::FORMATS {
        let counted = all
            .iter()
            .filter(|c| c.format == f)
            .flat_map(|c| c.pairs.iter().flat_map(|(_, _, n)| n.iter()))
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(
            counted.len(),
            6 + lowprec::coverage_cases().len(),
            "{f}: {counted:?}"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let fresh = coverage::splice_readme(&readme, &coverage::render(&all)).unwrap();
    assert!(
        fresh == readme,
        "fixtures/README.md's coverage table is stale: run `cargo run --release -- fixtures`"
    );
}

#[test]
fn the_coverage_check_fails_when_the_only_fixtures_of_a_pair_are_gone() {
    // Without the fixtures that have both maximize and weight decay, that pair is reported, in
    // binary64 and in every low-precision format.
    let docs: Vec<(String, Value)> = all_replay_docs()
        .into_iter()
        .filter(|(_, v)| {
            let (_, f) = features_of(v).unwrap();
            !(f.contains(&Feature::Maximize) && f.contains(&Feature::WeightDecay))
        })
        .collect();
    let all = coverage::coverage(&docs).unwrap();
    for format in std::iter::once(Format::Binary64).chain(lowprec::FORMATS) {
        let pytorch = all
            .iter()
            .find(|c| c.convention == Convention::Pytorch && c.format == format)
            .unwrap();
        assert!(
            pytorch
                .uncovered()
                .contains(&(Feature::WeightDecay, Feature::Maximize)),
            "{format}"
        );
        let table = coverage::render(std::slice::from_ref(pytorch));
        assert!(table.contains("**0**"), "{table}");
        assert!(
            table.contains(&coverage::uncovered_line(pytorch)),
            "{table}"
        );
    }
}

#[test]
fn removing_any_low_precision_coverage_case_leaves_a_pair_uncovered() {
    // Each coverage case is the only fixture of some pair in its format (the greedy cover took
    // it for a pair nothing else has), so deleting its file fails the coverage test.
    for f in lowprec::FORMATS {
        let docs = all_replay_docs();
        for case in lowprec::coverage_cases() {
            let gone = format!("replay-{f}/{}.json", case.name);
            assert!(docs.iter().any(|(n, _)| *n == gone), "{gone} missing");
            let rest: Vec<(String, Value)> =
                docs.iter().filter(|(n, _)| *n != gone).cloned().collect();
            let all = coverage::coverage(&rest).unwrap();
            let c = all
                .iter()
                .find(|c| c.convention == case.convention && c.format == f)
                .unwrap();
            assert!(!c.uncovered().is_empty(), "{gone}: nothing uncovered");
        }
    }
}

#[test]
fn the_greedy_cover_takes_the_fewest_cases_possible() {
    // One schedule and one momentum mode per run: the (schedule, mode) pairs exclude each other,
    // so every cover needs one case per such pair that the templates leave open — a lower bound
    // that the greedy choice meets exactly. Counted by hand: PyTorch 5 schedules × 4 modes
    // (nesterov, dampening 0.25, dampening 0.1, momentum 0) = 20, the templates cover
    // nesterov × step: 19; Keras and Optax 5 × 2 (nesterov, momentum 0) = 10, the templates
    // cover nesterov × warm-up (Keras) and nesterov × cosine (Optax): 9 each.
    let count = |c: Convention| {
        lowprec::coverage_cases()
            .iter()
            .filter(|x| x.convention == c)
            .count()
    };
    assert_eq!(count(Convention::Pytorch), 19);
    assert_eq!(count(Convention::Keras), 9);
    assert_eq!(count(Convention::Optax), 9);
    // Deterministic: the same list on every call, names unique.
    let names: std::collections::BTreeSet<&str> =
        lowprec::coverage_cases().iter().map(|c| c.name).collect();
    assert_eq!(names.len(), 37);
    // The greedy cover on its own: c covers three pairs (nest×step, nest×zero, step×zero),
    // b one that c lacks (μ0×step), a nothing beyond c: c, then b, and a is left out.
    let a = vec![Feature::Nesterov, Feature::ScheduleStep];
    let b = vec![Feature::MomentumZero, Feature::ScheduleStep];
    let c = vec![
        Feature::Nesterov,
        Feature::ScheduleStep,
        Feature::GradientZero,
    ];
    let taken = coverage::greedy_cover(Convention::Optax, &[], &[a, b, c]);
    assert_eq!(taken, vec![2, 1]);
    assert!(coverage::greedy_cover(Convention::Optax, &[], &[]).is_empty());
}

#[test]
fn low_precision_features_are_read_from_the_format_documents() {
    let docs = all_replay_docs();
    let get = |name: &str| {
        let (_, v) = docs.iter().find(|(n, _)| n == name).unwrap();
        coverage::classify(v).unwrap()
    };
    // The template: momentum 0.9, nesterov, weight_decay 0.001, maximize, StepLR; gradient
    // classes scaled to the format (lowprec::inputs): tiny, huge and sign flips in every format.
    for f in lowprec::FORMATS {
        let (c, format, feats) = get(&format!(
            "replay-{f}/pytorch-nesterov-maximize-step-schedule.json"
        ));
        assert_eq!((c, format), (Convention::Pytorch, f));
        for want in [
            Feature::Nesterov,
            Feature::WeightDecay,
            Feature::Maximize,
            Feature::ScheduleStep,
            Feature::GradientTiny,
            Feature::GradientHuge,
            Feature::GradientSignChange,
        ] {
            assert!(
                feats.contains(&want),
                "{f}: {want:?} missing from {feats:?}"
            );
        }
        assert!(!feats.contains(&Feature::MomentumZero), "{f}");
        // dampening 0.1 is not dyadic in any format's document (the decimal is stored).
        let (_, _, feats) = get(&format!("replay-{f}/pytorch-dampening-weight-decay.json"));
        assert!(
            feats.contains(&Feature::DampeningNonDyadic),
            "{f}: {feats:?}"
        );
        assert!(
            !feats.contains(&Feature::ScheduleStep),
            "{f}: constant rate"
        );
    }
}

#[test]
fn uncovered_low_precision_pairs_are_named_not_hidden() {
    // With no low-precision document at all, every format pair is uncovered and named.
    let all = coverage::coverage(&replay_docs()).unwrap();
    let table = coverage::render(&all);
    let b16 = all
        .iter()
        .find(|c| c.convention == Convention::Keras && c.format == Format::Binary16)
        .unwrap();
    assert_eq!(b16.uncovered().len(), b16.pairs.len());
    assert!(
        table.contains("Uncovered (keras, binary16): nest×wd"),
        "{table}"
    );
}

#[test]
fn the_predicted_features_of_every_low_precision_case_are_those_of_its_documents() {
    // The greedy cover chooses cases by coverage::case_features (from the spec); the table is
    // read from the written documents (coverage::classify). They agree on every file.
    let docs = all_replay_docs();
    for (f, case) in lowprec::cases() {
        let name = format!("replay-{f}/{}.json", case.name);
        let (_, v) = docs.iter().find(|(n, _)| *n == name).unwrap();
        let (_, _, mut read) = coverage::classify(v).unwrap();
        let mut predicted = coverage::case_features(&case);
        read.sort();
        predicted.sort();
        assert_eq!(read, predicted, "{name}");
    }
}

#[test]
fn features_are_read_from_the_documents() {
    let docs = replay_docs();
    let get = |name: &str| {
        let (_, v) = docs
            .iter()
            .find(|(n, _)| n == &format!("replay/{name}.json"))
            .unwrap();
        features_of(v).unwrap()
    };
    // 0.1 is not dyadic; 0.25 is.
    let (c, f) = get("pytorch-dampening");
    assert_eq!(c, Convention::Pytorch);
    assert!(f.contains(&Feature::DampeningNonDyadic) && !f.contains(&Feature::DampeningDyadic));
    let (_, f) = get("pytorch-dyadic-large");
    assert!(f.contains(&Feature::DampeningDyadic));
    // No momentum at all counts as momentum 0; the large cases have no extreme gradients.
    let (_, f) = get("pytorch-plain");
    assert!(f.contains(&Feature::MomentumZero) && f.contains(&Feature::GradientTiny));
    assert!(!get("keras-dyadic-large").1.contains(&Feature::GradientTiny));
    let (c, f) = get("optax-nesterov-cosine-schedule");
    assert_eq!(c, Convention::Optax);
    assert!(f.contains(&Feature::Nesterov) && f.contains(&Feature::ScheduleCosine));
    assert!(coverage::is_dyadic("0.25") && !coverage::is_dyadic("0.1"));
}

#[test]
fn every_convention_has_a_replay_of_at_least_64_steps_and_a_run_of_at_least_1000() {
    for conv in [Convention::Pytorch, Convention::Keras, Convention::Optax] {
        let long_replay = replay_docs()
            .into_iter()
            .any(|(_, v)| features_of(&v).unwrap().0 == conv && v["steps"].as_u64().unwrap() >= 64);
        assert!(long_replay, "{conv:?}: no replay of 64 steps");
        let run = long::LONG_RUNS
            .iter()
            .any(|(_, spec)| spec.starts_with(conv.name()));
        assert!(run, "{conv:?}: no long run");
    }
    for (name, _) in long::LONG_RUNS {
        let v = fixture::read_json(&root().join("long").join(format!("{name}.json")), "fixture")
            .unwrap();
        assert!(v["steps"].as_u64().unwrap() >= 1000);
        let every = v["trace_every"].as_u64().unwrap();
        let ks: Vec<u64> = v["trace"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["k"].as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = (1..=1000 / every).map(|i| i * every).collect();
        assert_eq!(ks, expected, "{name}");
    }
}

fn q(s: &Value) -> Rational {
    momentum_oracle::arith::text::parse(s.as_str().unwrap()).unwrap()
}

/// ∇f of Nesterov's f_n with k = n and L = 1: (1/4)(A x − e₁), A = tridiag(−1, 2, −1) of size n
/// (Nesterov 2004, §2.1.2, written out by hand for this test).
fn gradient(x: &[Rational]) -> Vec<Rational> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut a = Rational::from(2 * x[i].clone());
            if i > 0 {
                a -= &x[i - 1];
            }
            if i + 1 < n {
                a -= &x[i + 1];
            }
            if i == 0 {
                a -= 1u32;
            }
            a / 4u32
        })
        .collect()
}

#[test]
fn the_long_runs_agree_with_hand_written_updates_at_every_stored_step() {
    for (name, _) in long::LONG_RUNS {
        let v = fixture::read_json(&root().join("long").join(format!("{name}.json")), "fixture")
            .unwrap();
        let p = momentum_oracle::problem::from_spec(long::LONG_PROBLEM).unwrap();
        assert_eq!(v["problem"]["spec"], p.spec());
        assert_eq!(v["problem"]["dimension"], 5);
        let mut theta: Vec<Rational> = v["initial_point"]
            .as_array()
            .unwrap()
            .iter()
            .map(q)
            .collect();
        let n = theta.len();
        let mut buf: Option<Vec<Rational>> = None;
        let mut vel = vec![Rational::new(); n];
        let stored: Vec<&Value> = v["trace"].as_array().unwrap().iter().collect();
        let mut next = 0;
        for k in 1..=1000u64 {
            let g = gradient(&theta);
            // γ = 1/L = 1 throughout.
            if name.starts_with("long-pytorch") {
                // torch.optim.SGD(momentum=7/8, dampening=1/4, weight_decay=1/128): g += λθ;
                // b₁ = g, then b = μb + (1 − τ)g; θ −= b.
                let (mu, tau, wd) = (
                    Rational::from((7, 8)),
                    Rational::from((1, 4)),
                    Rational::from((1, 128)),
                );
                let g: Vec<Rational> = g
                    .iter()
                    .zip(&theta)
                    .map(|(gi, t)| Rational::from(gi + Rational::from(&wd * t)))
                    .collect();
                let b: Vec<Rational> = match buf.take() {
                    None => g,
                    Some(b) => b
                        .iter()
                        .zip(&g)
                        .map(|(bi, gi)| {
                            Rational::from(&mu * bi) + Rational::from((1 - tau.clone()) * gi)
                        })
                        .collect(),
                };
                for (t, bi) in theta.iter_mut().zip(&b) {
                    *t -= bi;
                }
                buf = Some(b);
            } else if name.starts_with("long-keras") {
                // Keras SGD(momentum=3/4, nesterov, weight_decay=1/128): θ −= θλγ first (the
                // gradient was taken before), v = μv − γg, θ += μv − γg.
                let (mu, wd) = (Rational::from((3, 4)), Rational::from((1, 128)));
                for i in 0..n {
                    let decay = Rational::from(&theta[i] * &wd);
                    theta[i] -= decay;
                    vel[i] = Rational::from(&mu * &vel[i]) - &g[i];
                    let step = Rational::from(&mu * &vel[i]) - &g[i];
                    theta[i] += step;
                }
            } else {
                // optax.sgd(momentum=7/8, nesterov=True): t = g + μt; θ −= g + μt.
                let mu = Rational::from((7, 8));
                for i in 0..n {
                    vel[i] = Rational::from(&g[i] + Rational::from(&mu * &vel[i]));
                    let step = Rational::from(&g[i] + Rational::from(&mu * &vel[i]));
                    theta[i] -= step;
                }
            }
            if next < stored.len() && stored[next]["k"].as_u64() == Some(k) {
                let expected: Vec<Rational> = stored[next]["exact"]["iterate"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(q)
                    .collect();
                assert!(expected == theta, "{name}: step {k} differs");
                next += 1;
            }
        }
        assert_eq!(next, stored.len(), "{name}: every stored step checked");
    }
}
