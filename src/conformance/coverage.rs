//! What a kit run checked: cases run, declined, unsupported and skipped per configuration family.
//!
//! A suite that an adapter passes by declining its cases has checked nothing; the counts make
//! that visible and [`Coverage::shortfall`] turns it into a failure (docs/style.md, "Tests":
//! nothing passes vacuously).

use std::fmt;

use super::{Config, Convention};
use crate::arith::format::Format;

/// A feature of a configuration that an adapter may declare unsupported
/// ([`super::UnderTest::unsupported`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// μ ≠ 0.
    Momentum,
    /// τ ≠ 0 (PyTorch).
    Dampening,
    /// Nesterov's form.
    Nesterov,
    /// λ ≠ 0 (coupled for PyTorch, decoupled for Keras).
    WeightDecay,
    /// Ascent (PyTorch).
    Maximize,
    /// A learning rate that changes between steps.
    Schedule,
}

impl Feature {
    /// Every feature, in the order the report lists them.
    pub const ALL: [Feature; 6] = [
        Feature::Momentum,
        Feature::Dampening,
        Feature::Nesterov,
        Feature::WeightDecay,
        Feature::Maximize,
        Feature::Schedule,
    ];

    /// The name used in reports (the glossary's, docs/design.md, "Glossary").
    pub fn name(self) -> &'static str {
        match self {
            Feature::Momentum => "momentum",
            Feature::Dampening => "dampening",
            Feature::Nesterov => "nesterov",
            Feature::WeightDecay => "weight_decay",
            Feature::Maximize => "maximize",
            Feature::Schedule => "schedule",
        }
    }

    /// Whether `convention` has this feature at all (Optax's `trace` has no dampening, weight
    /// decay or maximize; Keras has no dampening or maximize).
    pub fn exists_in(self, convention: Convention) -> bool {
        match self {
            Feature::Dampening | Feature::Maximize => convention == Convention::Pytorch,
            Feature::WeightDecay => convention != Convention::Optax,
            Feature::Momentum | Feature::Nesterov | Feature::Schedule => true,
        }
    }

    /// The features a case with `config` and per-step `learning_rates` uses.
    pub fn used_by(config: &Config, learning_rates: &[f64]) -> Vec<Feature> {
        let schedule = learning_rates.windows(2).any(|w| w[0] != w[1]);
        Feature::ALL
            .into_iter()
            .filter(|f| match f {
                Feature::Momentum => config.momentum != 0.0,
                Feature::Dampening => config.dampening != 0.0,
                Feature::Nesterov => config.nesterov,
                Feature::WeightDecay => config.weight_decay != 0.0,
                Feature::Maximize => config.maximize,
                Feature::Schedule => schedule,
            })
            .collect()
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A configuration family: the cases using no feature, or the cases using one feature (a case
/// counts in every family whose feature it uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Plain SGD at a constant learning rate.
    Plain,
    /// The cases using this feature.
    With(Feature),
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Family::Plain => f.write_str("plain"),
            Family::With(feature) => write!(f, "{feature}"),
        }
    }
}

/// What happened to the cases of one family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases the adapter ran and the kit checked.
    pub run: usize,
    /// Cases the adapter declined (`start` returned `false`) without declaring the feature.
    pub declined: usize,
    /// Cases using a feature the adapter declared unsupported (not started, not counted against
    /// it).
    pub unsupported: usize,
    /// Cases the kit itself did not run (the reasons are in [`Coverage::skipped_because`]).
    pub skipped: usize,
}

/// How a case ended, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Run and checked.
    Run,
    /// Declined by the adapter.
    Declined,
    /// Uses a declared-unsupported feature.
    Unsupported,
    /// Not run by the kit.
    Skipped,
}

impl Counts {
    fn add(&mut self, outcome: CaseOutcome) {
        match outcome {
            CaseOutcome::Run => self.run += 1,
            CaseOutcome::Declined => self.declined += 1,
            CaseOutcome::Unsupported => self.unsupported += 1,
            CaseOutcome::Skipped => self.skipped += 1,
        }
    }

    /// Cases that count for the decline rule: run or declined.
    pub fn considered(&self) -> usize {
        self.run + self.declined
    }
}

/// Why a suite checked too little to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// No case was run (everything unsupported or skipped).
    NothingChecked,
    /// The adapter declined every case it was offered.
    DeclinedEverything {
        /// Cases declined.
        declined: usize,
    },
    /// The adapter declined more than half of the cases it was offered.
    DeclinedMoreThanHalf {
        /// Cases declined.
        declined: usize,
        /// Cases run or declined.
        considered: usize,
    },
}

/// The per-family counts of one suite.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// The suite (`replay fixtures`, `replay properties`, `stability properties`).
    pub suite: &'static str,
    /// The adapter's convention.
    pub convention: Convention,
    /// The features the adapter declared unsupported.
    pub unsupported: Vec<Feature>,
    /// Every family of the convention, with its counts.
    pub families: Vec<(Family, Counts)>,
    /// All cases (each once).
    pub total: Counts,
    /// Why the kit skipped cases (each reason once).
    pub skipped_because: Vec<String>,
    /// The format the adapter was judged in ([`super::Element::FORMAT`]).
    pub format: Format,
    /// The verdicts of the cases run, each with how many cases got it, in order of first
    /// appearance: `bit-exact with model single, foreach, fused` (the kernel models of
    /// [`crate::optim::kernel`] or, in binary64, the check's naive/fused models), `within the
    /// envelope` (no model reproduces the trace, every value lies inside the envelope).
    pub verdicts: Vec<(String, usize)>,
    /// The largest fraction of the envelope any value of a case run used (0 when none ran).
    pub max_envelope_fraction: f64,
}

impl Coverage {
    /// An empty count for `suite`.
    pub fn new(suite: &'static str, convention: Convention, unsupported: &[Feature]) -> Self {
        let mut families = vec![(Family::Plain, Counts::default())];
        families.extend(
            Feature::ALL
                .into_iter()
                .filter(|f| f.exists_in(convention))
                .map(|f| (Family::With(f), Counts::default())),
        );
        Coverage {
            suite,
            convention,
            unsupported: unsupported.to_vec(),
            families,
            total: Counts::default(),
            skipped_because: Vec::new(),
            format: Format::Binary64,
            verdicts: Vec::new(),
            max_envelope_fraction: 0.0,
        }
    }

    /// The same count for an adapter judged in `format`.
    #[must_use]
    pub fn in_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Counts the verdict of a case run, and the fraction of the envelope it used.
    pub fn verdict(&mut self, verdict: &str, fraction: f64) {
        match self.verdicts.iter_mut().find(|(v, _)| v == verdict) {
            Some((_, n)) => *n += 1,
            None => self.verdicts.push((verdict.to_string(), 1)),
        }
        self.max_envelope_fraction = self.max_envelope_fraction.max(fraction);
    }

    /// Whether a case using `features` needs one the adapter declared unsupported.
    pub fn is_unsupported(&self, features: &[Feature]) -> bool {
        features.iter().any(|f| self.unsupported.contains(f))
    }

    /// Counts one case using `features`.
    pub fn record(&mut self, features: &[Feature], outcome: CaseOutcome) {
        self.total.add(outcome);
        for (family, counts) in &mut self.families {
            let member = match family {
                Family::Plain => features.is_empty(),
                Family::With(f) => features.contains(f),
            };
            if member {
                counts.add(outcome);
            }
        }
    }

    /// Counts one case the kit skipped, and why.
    pub fn skip(&mut self, features: &[Feature], reason: &str) {
        self.record(features, CaseOutcome::Skipped);
        if !self.skipped_because.iter().any(|r| r == reason) {
            self.skipped_because.push(reason.to_string());
        }
    }

    /// The counts of `family`, if the convention has it.
    pub fn family(&self, family: Family) -> Option<Counts> {
        self.families
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, c)| *c)
    }

    /// Why the suite checked too little, if it did: nothing run, everything declined, or more than
    /// half of the cases offered declined. Cases of declared-unsupported features and cases the
    /// kit skipped are not offered, so they do not count against the adapter.
    pub fn shortfall(&self) -> Option<Shortfall> {
        let declined = self.total.declined;
        let considered = self.total.considered();
        if self.total.run == 0 && declined == 0 {
            Some(Shortfall::NothingChecked)
        } else if declined == considered {
            Some(Shortfall::DeclinedEverything { declined })
        } else if 2 * declined > considered {
            Some(Shortfall::DeclinedMoreThanHalf {
                declined,
                considered,
            })
        } else {
            None
        }
    }

    /// The verdict of one family's row: never PASS without a case run.
    fn row_verdict(&self, family: Family, counts: &Counts) -> String {
        let declared = matches!(family, Family::With(f) if self.unsupported.contains(&f));
        if declared {
            "unsupported (declared by the adapter; not checked)".into()
        } else if counts.run == 0 {
            "nothing checked".into()
        } else if counts.declined > 0 {
            format!(
                "PASS on {} of {} cases offered",
                counts.run,
                counts.considered()
            )
        } else {
            "PASS".into()
        }
    }
}

impl fmt::Display for Coverage {
    /// A table: one row per family, then the total and the reasons for skipped cases.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let convention = format!("{:?}", self.convention).to_lowercase();
        let t = &self.total;
        writeln!(
            f,
            "{} ({convention}, {}): {} cases: {} run, {} declined, {} unsupported, {} skipped",
            self.suite,
            self.format,
            t.run + t.declined + t.unsupported + t.skipped,
            t.run,
            t.declined,
            t.unsupported,
            t.skipped
        )?;
        writeln!(
            f,
            "  {:<14}{:>6}{:>10}{:>13}{:>9}  verdict",
            "family", "run", "declined", "unsupported", "skipped"
        )?;
        for (family, c) in &self.families {
            writeln!(
                f,
                "  {:<14}{:>6}{:>10}{:>13}{:>9}  {}",
                family.to_string(),
                c.run,
                c.declined,
                c.unsupported,
                c.skipped,
                self.row_verdict(*family, c)
            )?;
        }
        write!(
            f,
            "  (a case counts in every family whose feature it uses; plain = none)"
        )?;
        if !self.unsupported.is_empty() {
            let names: Vec<&str> = self.unsupported.iter().map(|x| x.name()).collect();
            write!(f, "\n  unsupported (declared): {}", names.join(", "))?;
        }
        for reason in &self.skipped_because {
            write!(f, "\n  skipped by the kit: {reason}")?;
        }
        if !self.verdicts.is_empty() {
            let parts: Vec<String> = self
                .verdicts
                .iter()
                .map(|(v, n)| format!("{n} {v}"))
                .collect();
            write!(
                f,
                "\n  verdicts ({}): {}; at most {:.2} of the envelope used",
                self.format,
                parts.join("; "),
                self.max_envelope_fraction
            )?;
        }
        Ok(())
    }
}
