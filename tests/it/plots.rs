//! The pictures: each SVG parses as XML and holds the series it promises (by the group ids the
//! plot modules set), rendering is deterministic, `plot all` writes five files atomically, the
//! stability grid agrees with the closed forms, and bad arguments fail on one line with exit 2.
//!
//! Nothing here compares pixels: the tests read the document's structure (groups, polylines,
//! markers, legend text), which is what a change of layout leaves alone.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use momentum_oracle::Error;
use momentum_oracle::plot::stability::{self, Method};
use momentum_oracle::plot::{self, Kind, PlotOptions};
use momentum_oracle::theory::stability::{
    Stability, heavy_ball_stable, nag_stable, nag_step_limit,
};
use roxmltree::{Document, Node};

/// Each default picture, drawn once per test binary.
fn svg(kind: Kind) -> &'static str {
    static CACHE: OnceLock<Vec<(Kind, String)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .map(|k| {
                (
                    k,
                    plot::render(k, &PlotOptions::default()).expect("renders"),
                )
            })
            .collect()
    });
    &all.iter().find(|(k, _)| *k == kind).expect("every kind").1
}

fn parse(text: &str) -> Document<'_> {
    Document::parse(text).unwrap_or_else(|e| panic!("not XML: {e}"))
}

/// The `<g>` with this id.
fn group<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name("g") && n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no group `{id}`"))
}

fn children<'a, 'i>(g: Node<'a, 'i>, tag: &str) -> Vec<Node<'a, 'i>> {
    g.children().filter(|n| n.has_tag_name(tag)).collect()
}

/// The number of vertices of a `<polyline>`.
fn vertices(p: Node<'_, '_>) -> usize {
    p.attribute("points")
        .unwrap_or("")
        .split_whitespace()
        .count()
}

/// All text of a group (legend entries hold one `<text>` each).
fn text(g: Node<'_, '_>) -> String {
    g.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_picture_is_well_formed_xml_with_unique_ids_and_no_raster() {
    for kind in Kind::ALL {
        let doc = parse(svg(kind));
        let root = doc.root_element();
        assert!(root.has_tag_name("svg"), "{kind:?}");
        assert!(
            root.children().any(|n| n.has_tag_name("title")),
            "{kind:?}: a <title>"
        );
        let ids: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("id"))
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{kind:?}: duplicate ids");
        // Text stays text: no embedded bitmaps, one generic font family.
        assert!(
            !doc.descendants().any(|n| n.has_tag_name("image")),
            "{kind:?}"
        );
        for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
            assert_eq!(t.attribute("font-family"), Some("sans-serif"), "{kind:?}");
        }
    }
}

#[test]
fn rates_has_four_runs_with_their_slopes_and_four_bounds() {
    let doc = parse(svg(Kind::Rates));
    for id in ["gd", "heavy-ball", "nag", "nesterov"] {
        let lines = children(group(&doc, id), "polyline");
        assert_eq!(lines.len(), 1, "{id}");
        // One vertex per step k = 1..K (every exact gap is positive on this problem).
        assert_eq!(vertices(lines[0]), plot::rates::DEFAULT_STEPS, "{id}");
        assert!(text(group(&doc, &format!("legend-{id}"))).contains("slope"));
    }
    for id in ["bound-gd", "bound-nesterov", "tight-gd", "tight-nesterov"] {
        let g = group(&doc, id);
        assert!(g.attribute("stroke-dasharray").is_some(), "{id} is dashed");
        assert_eq!(children(g, "polyline").len(), 1, "{id}");
        assert!(!text(group(&doc, &format!("legend-{id}"))).is_empty());
    }
    // The legends' slopes, against an independent computation: the default problem is diagonal
    // (λ_j = 2^{−j}, x₀ = 1, x* = 0, γ = 1/L = 1), so each coordinate follows its own scalar
    // recurrence — GD x_k = (1 − λ)x_{k−1}; Nesterov x_k = (1 − λ)y_k, y_{k+1} = x_k +
    // ((k−1)/(k+2))(x_k − x_{k−1}), y₁ = x₀ — and gap_k = ½Σ λ_j x_{k,j}². Fitted over [K/4, K] and
    // printed to two decimals (they read −1.00 and −1.94: the textbook exponents), the legends must
    // say exactly that.
    let steps = plot::rates::DEFAULT_STEPS;
    let lambdas: Vec<rug::Rational> = (0..25)
        .map(|j| rug::Rational::from((1, 1u64 << j)))
        .collect();
    let gaps = |nesterov: bool| -> Vec<rug::Rational> {
        let mut per = vec![Vec::with_capacity(steps); lambdas.len()];
        for (lam, xs) in lambdas.iter().zip(&mut per) {
            let shrink = 1 - lam.clone();
            let (mut prev, mut y) = (rug::Rational::from(1), rug::Rational::from(1));
            for k in 1..=steps {
                let x = rug::Rational::from(&shrink * &y);
                y = if nesterov {
                    let beta = rug::Rational::from((k as i64 - 1, k as u64 + 2));
                    rug::Rational::from(&x - &prev) * beta + &x
                } else {
                    x.clone()
                };
                prev = x.clone();
                xs.push(x);
            }
        }
        (0..steps)
            .map(|i| {
                lambdas
                    .iter()
                    .zip(&per)
                    .fold(rug::Rational::new(), |acc, (lam, xs)| {
                        acc + (lam * rug::Rational::from(&xs[i] * &xs[i])) / 2u32
                    })
            })
            .collect()
    };
    for (id, nesterov) in [("gd", false), ("nesterov", true)] {
        let g = gaps(nesterov);
        let fit =
            momentum_oracle::theory::rates::fit((1..).zip(&g), steps.div_ceil(4), steps).unwrap();
        let printed = format!("slope {:.2}", fit.slope).replace('-', "−");
        let legend = text(group(&doc, &format!("legend-{id}")));
        assert!(
            legend.contains(&printed),
            "{id}: legend {legend:?}, independent {printed}"
        );
    }
}

#[test]
fn rates_on_the_lower_bound_family_adds_the_krylov_curve() {
    let text = plot::rates::rates(Some("lower-bound:k=21"), 10).unwrap();
    let doc = parse(&text);
    assert_eq!(children(group(&doc, "lower-bound"), "polyline").len(), 1);
    assert!(super_text(&doc).contains("f_21"));
}

fn super_text(doc: &Document<'_>) -> String {
    text(doc.root_element())
}

#[test]
fn ravine_has_both_panels_with_iterates_lookahead_markers_and_contours() {
    let doc = parse(svg(Kind::Ravine));
    for (prefix, steps) in [
        ("quadratic", plot::ravine::QUADRATIC_STEPS),
        ("rosenbrock", plot::ravine::ROSENBROCK_STEPS),
    ] {
        for m in ["gd", "heavy-ball", "nag"] {
            let g = group(&doc, &format!("{prefix}-{m}"));
            assert_eq!(children(g, "polyline").len(), 1, "{prefix}-{m}");
            // A dot on x₀ … x_30, and the last iterate as a triangle.
            let dots = children(g, "circle").len();
            assert_eq!(
                dots,
                plot::ravine::MARKED_STEPS.min(steps) + 1,
                "{prefix}-{m}"
            );
            assert_eq!(
                children(g, "polygon").len(),
                1,
                "{prefix}-{m}: last iterate"
            );
        }
        // NAG's look-ahead points: one hollow marker per marked step.
        let look = group(&doc, &format!("{prefix}-nag-lookahead"));
        let circles = children(look, "circle");
        assert_eq!(circles.len(), plot::ravine::MARKED_STEPS.min(steps));
        assert!(circles.iter().all(|c| c.attribute("fill") == Some("none")));
        assert!(children(group(&doc, &format!("{prefix}-contours")), "polyline").len() >= 5);
        group(&doc, &format!("{prefix}-start"));
        group(&doc, &format!("{prefix}-minimizer"));
        assert!(
            text(group(&doc, &format!("legend-{prefix}-nag-lookahead"))).contains("look-ahead")
        );
    }
    let all = super_text(&doc);
    assert!(all.contains("exact ℚ"), "the quadratic runs are exact");
    assert!(
        all.contains("MPFR, 256 bits"),
        "Rosenbrock falls back to MPFR"
    );
}

#[test]
fn ravine_refuses_a_problem_that_is_not_two_dimensional() {
    let e = plot::ravine::ravine(Some("quadratic:dim=3"), None).unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidHyperParameter {
            name: "problem",
            ..
        }
    ));
}

#[test]
fn stability_has_cells_boundaries_and_colorbar_for_both_methods() {
    let doc = parse(svg(Kind::Stability));
    for m in ["heavy-ball", "nag"] {
        let cells = children(group(&doc, &format!("{m}-cells")), "rect");
        // Runs of equal colour are merged, but every row has several bands.
        assert!(
            cells.len() > stability::MU_DIV as usize * 3,
            "{m}: {}",
            cells.len()
        );
        assert!(cells.len() < (stability::MU_DIV * stability::H_MAX * stability::H_DIV) as usize);
        let own = group(&doc, &format!("{m}-boundary"));
        assert!(own.attribute("stroke-dasharray").is_none());
        assert!(!children(own, "polyline").is_empty());
        let other = group(&doc, &format!("{m}-other-boundary"));
        assert!(other.attribute("stroke-dasharray").is_some());
    }
    assert_eq!(children(group(&doc, "colorbar"), "rect").len(), 20);
}

#[test]
fn stability_grid_matches_the_closed_form_regions_cell_by_cell() {
    for method in [Method::HeavyBall, Method::Nag] {
        let grid = stability::grid(method);
        assert!(grid.iter().any(|c| c.stability == Stability::Stable));
        assert!(grid.iter().any(|c| c.stability == Stability::Unstable));
        for c in &grid {
            let (inside, on_boundary) = match method {
                Method::HeavyBall => (
                    heavy_ball_stable(&c.h, &c.momentum),
                    c.h == 2u32 * (1 + c.momentum.clone()),
                ),
                // The picture's μ axis is [0, 1), where NAG's closed form is stated.
                Method::Nag => (
                    nag_stable(&c.h, &c.momentum).expect("0 ≤ μ < 1"),
                    Some(&c.h) == nag_step_limit(&c.momentum).as_ref(),
                ),
            };
            let expected = if inside {
                Stability::Stable
            } else if on_boundary {
                Stability::Marginal
            } else {
                Stability::Unstable
            };
            assert_eq!(
                c.stability, expected,
                "{method:?} at h = {}, μ = {}",
                c.h, c.momentum
            );
            if c.stability == Stability::Stable {
                assert!(c.spectral_radius < 1.0, "{method:?} at h = {}", c.h);
            }
        }
    }
}

#[test]
fn schedule_shows_the_three_runs_and_an_exactly_zero_corrected_difference() {
    let doc = parse(svg(Kind::Schedule));
    for id in ["pytorch", "sutskever", "sutskever-corrected"] {
        let lines = children(group(&doc, id), "polyline");
        assert_eq!(lines.len(), 1, "{id}");
        assert_eq!(
            vertices(lines[0]),
            plot::schedule::DEFAULT_STEPS + 1,
            "{id}"
        );
    }
    for id in ["difference", "difference-corrected"] {
        assert_eq!(children(group(&doc, id), "polyline").len(), 1, "{id}");
    }
    // Three rate changes in 60 steps of StepLR(15): three vertical lines.
    assert_eq!(children(group(&doc, "lr-changes"), "polyline").len(), 3);
    assert!(text(group(&doc, "legend-difference-corrected")).contains("exactly 0 at every step"));
}

#[test]
fn cycle_shows_the_exact_three_cycle_and_nag_reaching_the_minimiser() {
    let doc = parse(svg(Kind::Cycle));
    assert_eq!(children(group(&doc, "cycle-points"), "circle").len(), 3);
    assert_eq!(children(group(&doc, "lrp-f"), "polyline").len(), 1);
    for id in ["cycle", "heavy-ball-from-start", "nag"] {
        let g = group(&doc, id);
        assert_eq!(children(g, "polyline").len(), 1, "{id}");
        assert_eq!(
            children(g, "circle").len(),
            plot::cycle::DEFAULT_STEPS + 1,
            "{id}"
        );
    }
    assert!(text(group(&doc, "legend-cycle")).contains("checked in ℚ"));
    assert!(text(group(&doc, "legend-nag")).contains("exactly for k ≥ 2"));
    let all = super_text(&doc);
    for value in ["792/1225", "−2208/1225", "2592/1225"] {
        assert!(all.contains(value), "{value}");
    }
}

#[test]
fn rendering_is_deterministic() {
    for kind in Kind::ALL {
        let again = plot::render(kind, &PlotOptions::default()).unwrap();
        assert!(again == svg(kind), "{kind:?} differs between two renders");
    }
}

#[test]
fn plot_all_writes_five_svgs_and_no_temporary_files() {
    // A directory that does not exist yet: `plot all` creates it.
    let dir = crate::common::scratch("plot-all").join("new");
    let o = crate::common::cli(["plot", "all", "--out-dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cycle.svg",
            "rates.svg",
            "ravine.svg",
            "schedule.svg",
            "stability.svg"
        ]
    );
    // The files are the library's documents, byte for byte.
    for kind in Kind::ALL {
        let written = std::fs::read_to_string(dir.join(kind.file_name())).unwrap();
        assert!(written == svg(kind), "{kind:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plot_kind_writes_one_file() {
    let dir = crate::common::scratch("plot-one");
    let out = dir.join("cycle.svg");
    let o = crate::common::cli([
        "plot",
        "cycle",
        "--steps",
        "9",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = std::fs::read_to_string(&out).unwrap();
    let parsed = parse(&doc);
    assert_eq!(children(group(&parsed, "cycle"), "circle").len(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_plot_arguments_fail_on_one_line_with_exit_code_2() {
    let dir = crate::common::scratch("bad-args");
    let out = dir.join("x.svg");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (&["plot", "bogus", "--out", out], "KIND"),
        (&["plot", "rates"], "--out"),
        (&["plot", "all"], "--out-dir"),
        (
            &["plot", "all", "--out-dir", out, "--problem", "lrp"],
            "--problem",
        ),
        (&["plot", "rates", "--out-dir", out], "--out-dir"),
        (
            &["plot", "stability", "--problem", "lrp", "--out", out],
            "--problem",
        ),
        (
            &["plot", "rates", "--problem", "nope", "--out", out],
            "--problem",
        ),
        (&["plot", "rates", "--steps", "1", "--out", out], "--steps"),
        (
            &["plot", "ravine", "--problem", "lrp", "--out", out],
            "--problem",
        ),
    ];
    for (args, arg) in cases {
        let o = crate::common::cli(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {arg}: ")),
            "{args:?}: {err}"
        );
    }
    assert!(
        !std::path::Path::new(out).exists(),
        "no file from a failed plot"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_pictures_in_docs_are_current() {
    // README shows docs/pictures/*.svg; a change to a picture must regenerate them.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pictures");
    for kind in Kind::ALL {
        let committed = std::fs::read_to_string(dir.join(kind.file_name())).unwrap_or_default();
        assert!(
            committed == svg(kind),
            "docs/pictures/{} is stale: run `cargo run --release -- plot all --out-dir docs/pictures`",
            kind.file_name()
        );
    }
}

/// A tick label as a number: `−0.3`, `10⁻³`, `−2.5·10⁻¹⁷` (the forms of `plot::labels`).
fn tick_value(label: &str) -> Option<f64> {
    let label = label.replace('−', "-");
    let (mantissa, exponent) = match label.split_once("10") {
        Some((m, e)) if e.chars().all(|c| "⁻⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c)) && !e.is_empty() =>
        {
            let e: String = e
                .chars()
                .map(|c| match c {
                    '⁻' => '-',
                    c => char::from_digit(
                        "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|d| d == c).unwrap() as u32,
                        10,
                    )
                    .unwrap(),
                })
                .collect();
            let m = m.trim_end_matches('·');
            let m = match m {
                "" => 1.0,
                "-" => -1.0,
                m => m.parse().ok()?,
            };
            (m, e.parse::<i32>().ok()?)
        }
        _ => (label.parse().ok()?, 0),
    };
    Some(mantissa * 10f64.powi(exponent))
}

/// Linear ticks sit at multiples of their spacing Δ, so a tick label smaller in magnitude than
/// Δ/2 can only be the tick at 0 and must read `0` — not f64 rounding noise such as
/// `−5.551·10⁻¹⁷` (the ravine's x₂ axis and the schedule picture's lower panel once showed it).
#[test]
fn linear_tick_labels_of_zero_read_zero() {
    let mut zeros = 0;
    for kind in [Kind::Ravine, Kind::Schedule] {
        let doc = parse(svg(kind));
        for axes in doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("axes"))
        {
            // Tick labels of one axis share a coordinate: x for the y axis, y for the x axis.
            let mut by_line: std::collections::BTreeMap<(char, String), Vec<(String, f64)>> =
                Default::default();
            for t in axes.descendants().filter(|n| n.has_tag_name("text")) {
                let label = text(t);
                let Some(v) = tick_value(&label) else {
                    continue;
                };
                for (axis, attr) in [('x', "y"), ('y', "x")] {
                    if let Some(c) = t.attribute(attr) {
                        by_line
                            .entry((axis, c.to_string()))
                            .or_default()
                            .push((label.clone(), v));
                    }
                }
            }
            for ticks in by_line.values().filter(|t| t.len() >= 3) {
                let mut vs: Vec<f64> = ticks.iter().map(|t| t.1).collect();
                vs.sort_by(f64::total_cmp);
                let spacing = vs
                    .windows(2)
                    .map(|w| w[1] - w[0])
                    .fold(f64::INFINITY, f64::min);
                for (label, v) in ticks {
                    if v.abs() < spacing / 2.0 {
                        assert_eq!(label, "0", "{kind:?}: a tick at 0 reads {label}");
                        zeros += 1;
                    }
                }
            }
        }
    }
    assert!(zeros > 0, "no tick at 0 was found to check");
}
