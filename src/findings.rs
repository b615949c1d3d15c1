//! The one report model of `check`, `lint` and `docs`: what was checked
//! (a combination of the matrix, the values given to `lint`, a runbook),
//! the documents it rendered and the findings, each with a typed code. The
//! output formats in `report` read only this.

use std::path::PathBuf;
use std::time::Duration;

use crate::codes::Code;
use crate::matrix::{Assignment, Combination};
use crate::place::Place;
use crate::snapshot::Change;
use crate::spec::lint::Severity;
use crate::values::flags::ValuePath;

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// `Kind/name` of the document, when the finding is about one.
    pub document: Option<String>,
    /// JSON pointer into the document (or the values).
    pub pointer: Option<String>,
    /// The file to look at: a template, a values file, a golden, a runbook.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
    /// A longer explanation, such as a diff.
    pub detail: Option<String>,
}

/// What one part of a report is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// A combination of the matrix (`check`).
    Combination(Combination),
    /// The values given on the command line (`lint`), with the flags they set.
    Values(Assignment),
    /// A Markdown runbook (`check` with `check.runbooks`, `docs`).
    Runbook(Place),
    /// A flag of a hand-written chart, over all the combinations that vary it.
    Flag(ValuePath),
}

impl Checked {
    /// How reports name it: the combination's id, `values`, `runbook FILE`.
    pub fn name(&self) -> String {
        match self {
            Checked::Combination(combination) => combination.id.clone(),
            Checked::Values(_) => "values".to_string(),
            Checked::Runbook(file) => format!("runbook {file}"),
            Checked::Flag(path) => format!("flag {path}"),
        }
    }

    /// The flags it sets, when it is a rendering.
    pub fn flags(&self) -> Option<&Assignment> {
        match self {
            Checked::Combination(combination) => Some(&combination.flags),
            Checked::Values(flags) => Some(flags),
            Checked::Runbook(_) | Checked::Flag(_) => None,
        }
    }

    /// The flags as `path=value` words; empty for a runbook.
    pub fn describe(&self) -> String {
        self.flags().map(Assignment::describe).unwrap_or_default()
    }
}

/// A rendered document, as reports list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: String,
    pub name: String,
    pub source: String,
}

/// What was found in one checked thing.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub checked: Checked,
    pub documents: Vec<Document>,
    pub findings: Vec<Finding>,
    /// What `--update` did to its golden.
    pub golden: Option<Change>,
}

/// A whole run's outcomes.
#[derive(Debug, Clone)]
pub struct Report {
    pub chart: String,
    /// The spec used: its file, or the built-in one.
    pub spec: String,
    pub outcomes: Vec<Outcome>,
    /// Goldens `--update` deleted because their combination no longer exists.
    pub deleted: Vec<PathBuf>,
    pub elapsed: Duration,
}

impl Report {
    /// The outcomes of renderings: combinations, or the values `lint` was given.
    pub fn renderings(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.checked.flags().is_some())
    }

    pub fn runbooks(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| matches!(o.checked, Checked::Runbook(_)))
    }

    pub fn findings(&self) -> usize {
        self.outcomes.iter().map(|o| o.findings.len()).sum()
    }

    /// Whether the findings fail the run (exit 1): any error, and any
    /// warning when warnings are denied. Infos never fail it.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.outcomes.iter().flat_map(|o| &o.findings).any(|f| f.severity == Severity::Error || (deny_warnings && f.severity == Severity::Warning))
    }

    pub fn documents(&self) -> usize {
        self.outcomes.iter().map(|o| o.documents.len()).sum()
    }
}
