//! The layers import only downward (docs/design.md, "Layers").
//!
//! Every top-level module of `src/` has a rank; code in a module may name (`crate::x`, `$crate::x`,
//! or `super::x` from a top-level file) only modules of lower rank, or itself. Modules of the same
//! rank may not name each other, so no two of them can form a cycle. Comments and `#[cfg(test)]`
//! sections are not imports and are skipped. A new top-level module fails this test until it is
//! given a rank here and a place in docs/design.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, lowest first: `(module, rank)`.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("arith", 1),
    ("spec", 2),
    ("files", 2),
    ("generate", 2),
    ("problem", 3),
    ("optim", 4),
    ("trace", 5),
    ("identities", 6),
    ("theory", 6),
    ("compare", 7),
    ("fixture", 7),
    ("benchmark", 7),
    ("conformance", 8),
    ("cli", 9),
    ("plot", 9),
];

/// Items that `#[macro_export]` places at the crate root, by the module that defines them.
const MACROS: &[(&str, &str)] = &[
    ("with_optimizer", "optim"),
    ("conformance_tests", "conformance"),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)]` part.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a piece of code names through `crate::`, `$crate::` or (from a top-level file)
/// `super::`.
fn named_modules(code: &str, top_level_file: bool) -> Vec<String> {
    let mut out = Vec::new();
    let prefixes: &[&str] = if top_level_file {
        &["crate::", "super::"]
    } else {
        &["crate::"]
    };
    for prefix in prefixes {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            // `foo_crate::` or `$crate::`: only the latter is ours.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                let name = MACROS
                    .iter()
                    .find(|(m, _)| *m == name)
                    .map_or(name.clone(), |(_, owner)| (*owner).to_string());
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked = 0usize;
    let mut modules_seen = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src/");
        let first = rel.components().next().expect("a path").as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = rank(&module) else {
            violations.push(format!("{}: module `{module}` has no layer", rel.display()));
            continue;
        };
        *modules_seen.entry(module.clone()).or_insert(0) += 1;
        let text = std::fs::read_to_string(file).expect("a readable source file");
        let top_level_file = rel.components().count() == 1;
        for named in named_modules(&code(&text), top_level_file) {
            if named == module {
                continue;
            }
            checked += 1;
            match rank(&named) {
                Some(r) if r < own => {}
                Some(r) => violations.push(format!(
                    "{}: `{module}` (layer {own}) names `{named}` (layer {r})",
                    rel.display()
                )),
                None => violations.push(format!(
                    "{}: `{module}` names `{named}`, which has no layer",
                    rel.display()
                )),
            }
        }
    }
    // Not vacuous: every layer was found and imports were actually checked.
    for (m, _) in LAYERS {
        assert!(
            modules_seen.contains_key(*m),
            "layer module `{m}` not found under src/"
        );
    }
    assert!(
        checked > 100,
        "only {checked} imports checked: is the scanner broken?"
    );
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

/// `lib.rs` declares exactly the modules that have a layer, so none escapes the check.
#[test]
fn every_module_of_the_crate_has_a_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let declared: Vec<String> = code(&lib)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")
                .map(|m| m.trim_end_matches(';').trim().to_string())
        })
        .collect();
    let mut expected: Vec<String> = LAYERS.iter().map(|(m, _)| (*m).to_string()).collect();
    let mut got = declared.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

/// The scanner finds what it must: an upward import in a sample is reported.
#[test]
fn the_scanner_sees_crate_dollar_crate_and_super_paths() {
    let sample = "use crate::trace::Trace; // crate::plot in a comment\nlet x = $crate::optim::f();\nfn f() { my_crate::ignored(); }";
    assert_eq!(named_modules(&code(sample), false), ["trace", "optim"]);
    assert_eq!(
        named_modules("use super::problem::Oracle;", true),
        ["problem"]
    );
    assert_eq!(
        named_modules("crate::with_optimizer!(c, o => o)", false),
        ["optim"]
    );
}

/// Every comment that cites a section of `docs/design.md` or `docs/style.md` (`docs/design.md,
/// "Theory"`) cites a heading that exists, so a citation cannot point at nothing.
#[test]
fn every_cited_design_section_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let headings = |doc: &str| -> Vec<String> {
        std::fs::read_to_string(root.join(doc))
            .expect("the design docs are in the repository")
            .lines()
            .filter_map(|l| {
                l.trim_start_matches('#')
                    .strip_prefix(' ')
                    .filter(|_| l.starts_with('#'))
            })
            .map(str::to_string)
            .collect()
    };
    let docs = [
        ("docs/design.md", headings("docs/design.md")),
        ("docs/style.md", headings("docs/style.md")),
    ];
    let mut files = Vec::new();
    for dir in ["src", "tests", "examples", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    let (mut cited, mut missing) = (0usize, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (doc, heads) in &docs {
            let marker = format!("{doc}, \"");
            let mut rest = text.as_str();
            while let Some(i) = rest.find(&marker) {
                rest = &rest[i + marker.len()..];
                let section: String = rest.chars().take_while(|c| *c != '"').collect();
                cited += 1;
                if !heads.iter().any(|h| *h == section) {
                    missing.push(format!("{}: {doc}, \"{section}\"", file.display()));
                }
            }
        }
    }
    assert!(
        cited >= 10,
        "only {cited} citations found: is the scanner broken?"
    );
    assert!(
        missing.is_empty(),
        "citations of missing sections:\n{}",
        missing.join("\n")
    );
}
