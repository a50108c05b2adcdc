//! The spec language of the CLI: `name:key=value,key=value`.
//!
//! Problems, optimizers and schedules are all named this way, e.g.
//! `quadratic:dim=4,m=1/10,L=1,seed=3`, `pytorch:momentum=9/10,nesterov=true`,
//! `step:lr=1/10,factor=1/2,every=5`. Values are exact: numbers go through
//! [`rational::parse`](crate::arith::text::parse); lists separate items with `;`
//! (`spectrum=1/10;1/2;1`) and list-of-lists with `|`. Unknown keys are errors, so a typo never
//! silently falls back to a default.

use std::cell::RefCell;
use std::collections::BTreeSet;

use rug::Rational;

use crate::arith::text as rational;
use crate::error::{Error, Result};

/// One parameter of a family, for `list` and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// The key.
    pub key: &'static str,
    /// What it means, including its default.
    pub help: &'static str,
}

/// A named entry of a catalogue (problem family, optimizer, schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// The name used in specs.
    pub name: &'static str,
    /// One line saying what it is.
    pub summary: &'static str,
    /// Its parameters.
    pub params: &'static [ParamInfo],
}

/// A parsed spec: a name and its `key=value` pairs, with tracking of which keys were read.
#[derive(Debug)]
pub struct Spec {
    name: String,
    pairs: Vec<(String, String)>,
    used: RefCell<BTreeSet<String>>,
}

impl Spec {
    /// Parses `name` or `name:key=value,...`.
    ///
    /// # Errors
    /// [`Error::Parse`] for an empty name, a pair without `=`, or a repeated key.
    pub fn parse(text: &str) -> Result<Spec> {
        let t = text.trim();
        let (name, rest) = t.split_once(':').unwrap_or((t, ""));
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::parse("spec", text, "missing name before ':'"));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| Error::parse("spec", text, format!("{item:?} is not key=value")))?;
            let k = k.trim().to_string();
            if pairs.iter().any(|(p, _)| *p == k) {
                return Err(Error::parse("spec", text, format!("key {k:?} given twice")));
            }
            pairs.push((k, v.trim().to_string()));
        }
        Ok(Spec {
            name: name.to_string(),
            pairs,
            used: RefCell::new(BTreeSet::new()),
        })
    }

    /// The name before the colon.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw value of `key`, marking it as read.
    pub fn raw(&self, key: &str) -> Option<&str> {
        let v = self
            .pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        if v.is_some() {
            self.used.borrow_mut().insert(key.to_string());
        }
        v
    }

    /// An exact number, or `default` when absent.
    ///
    /// # Errors
    /// [`Error::Parse`] (and friends) when the value is not an exact number.
    pub fn rational_or(&self, key: &str, default: Rational) -> Result<Rational> {
        self.raw(key).map_or(Ok(default), rational::parse)
    }

    /// An exact number that must be present.
    ///
    /// # Errors
    /// [`Error::Parse`] when absent or malformed.
    pub fn rational(&self, key: &str) -> Result<Rational> {
        let v = self.raw(key).ok_or_else(|| {
            Error::parse("spec", &self.name, format!("missing required key {key:?}"))
        })?;
        rational::parse(v)
    }

    /// An optional exact number.
    ///
    /// # Errors
    /// [`Error::Parse`] when malformed.
    pub fn rational_opt(&self, key: &str) -> Result<Option<Rational>> {
        self.raw(key).map(rational::parse).transpose()
    }

    /// A non-negative integer, or `default`.
    ///
    /// # Errors
    /// [`Error::Parse`] when not a non-negative integer.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                Error::parse("spec", v, format!("{key} must be a non-negative integer"))
            }),
        }
    }

    /// A non-negative integer at most `max`, or `default` (sizes that allocate or loop: a typo of
    /// `dim=100000000` must be an error, not an out-of-memory).
    ///
    /// # Errors
    /// [`Error::Parse`] for a non-integer, [`Error::InvalidHyperParameter`] above `max`.
    pub fn bounded_usize_or(&self, key: &'static str, default: usize, max: usize) -> Result<usize> {
        let v = self.usize_or(key, default)?;
        if v > max {
            return Err(Error::hyper(key, v, format!("must be at most {max}")));
        }
        Ok(v)
    }

    /// A `u64` seed, or `default`.
    ///
    /// # Errors
    /// [`Error::Parse`] when not a non-negative integer.
    pub fn u64_or(&self, key: &str, default: u64) -> Result<u64> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                Error::parse("spec", v, format!("{key} must be a non-negative integer"))
            }),
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), or `default`.
    ///
    /// # Errors
    /// [`Error::Parse`] for anything else.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.raw(key) {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(Error::parse(
                "spec",
                v,
                format!("{key} must be true or false"),
            )),
        }
    }

    /// A `;`-separated list of exact numbers, if present.
    ///
    /// # Errors
    /// [`Error::Parse`] when an item is malformed.
    pub fn rational_list(&self, key: &str) -> Result<Option<Vec<Rational>>> {
        self.raw(key).map(parse_list).transpose()
    }

    /// A `|`-separated list of `;`-separated lists, if present.
    ///
    /// # Errors
    /// [`Error::Parse`] when an item is malformed.
    pub fn rational_lists(&self, key: &str) -> Result<Option<Vec<Vec<Rational>>>> {
        self.raw(key)
            .map(|v| v.split('|').map(parse_list).collect::<Result<Vec<_>>>())
            .transpose()
    }

    /// Fails if any key was never read: a misspelt key must not silently fall back to a default.
    ///
    /// # Errors
    /// [`Error::Unknown`] naming the first unread key and the keys `info` lists.
    pub fn finish(&self, info: &EntryInfo) -> Result<()> {
        let used = self.used.borrow();
        if let Some((k, _)) = self.pairs.iter().find(|(k, _)| !used.contains(k)) {
            return Err(Error::Unknown {
                kind: "parameter",
                name: format!("{}:{k}", self.name),
                known: if info.params.is_empty() {
                    "none".to_string()
                } else {
                    info.params
                        .iter()
                        .map(|p| p.key)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
        Ok(())
    }
}

/// Parses `a;b;c` into exact numbers.
///
/// # Errors
/// [`Error::Parse`] when an item is malformed or the list is empty.
pub fn parse_list(text: &str) -> Result<Vec<Rational>> {
    let items: Vec<&str> = text
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(Error::parse("list", text, "empty list"));
    }
    items.into_iter().map(rational::parse).collect()
}

/// Formats exact numbers as a `;`-separated list (the inverse of [`parse_list`]).
pub fn format_list(xs: &[Rational]) -> String {
    xs.iter()
        .map(rational::format)
        .collect::<Vec<_>>()
        .join(";")
}

/// Formats a list of lists with `|` between lists.
pub fn format_lists(xs: &[Vec<Rational>]) -> String {
    xs.iter()
        .map(|v| format_list(v))
        .collect::<Vec<_>>()
        .join("|")
}

/// An [`Error::Unknown`] for a name that is not in `entries`.
pub fn unknown(kind: &'static str, name: &str, entries: &[EntryInfo]) -> Error {
    Error::Unknown {
        kind,
        name: name.to_string(),
        known: entries
            .iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: EntryInfo = EntryInfo {
        name: "x",
        summary: "",
        params: &[ParamInfo { key: "a", help: "" }],
    };

    #[test]
    fn unread_keys_are_errors() {
        let s = Spec::parse("x:a=1,b=2").unwrap();
        assert_eq!(s.rational("a").unwrap(), 1);
        assert!(matches!(s.finish(&INFO), Err(Error::Unknown { .. })));
    }

    #[test]
    fn lists_round_trip() {
        let s = Spec::parse("x:a=1/2;3").unwrap();
        let l = s.rational_list("a").unwrap().unwrap();
        assert_eq!(format_list(&l), "1/2;3/1");
    }
}
