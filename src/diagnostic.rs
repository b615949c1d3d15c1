//! Where a value came from and what is wrong with it.
//!
//! Every node of an input tree carries an [`Origin`]: a span in a file or in
//! a command-line argument, or the chart's built-in defaults. A [`Diagnostic`]
//! pairs an origin with a message and a hint at what would be right, and
//! renders as `file:line:column` with the offending source line underlined.

use std::fmt;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::Buffer};

/// The text of one input: a file, or a command-line argument such as `--set a=b`.
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// The file path, or the flag and argument (`--set backup.enabled=yes`).
    pub name: String,
    /// The full text, so a diagnostic can show the offending line.
    pub text: String,
    /// When it was read, relative to the other inputs: diagnostics are
    /// reported in the order their inputs were read, each in text order.
    pub order: u64,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Source> {
        static READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let order = READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(Source { name: name.into(), text: text.into(), order })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

/// Where a value was written.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A byte range in a file or command-line argument.
    Span { source: Arc<Source>, start: usize, end: usize },
    /// The chart's default values (derived from the spec).
    Default,
}

impl Origin {
    pub fn span(source: &Arc<Source>, start: usize, end: usize) -> Origin {
        Origin::Span { source: source.clone(), start, end: end.max(start) }
    }

    /// The name of the input it is in, if any.
    pub fn source_name(&self) -> Option<String> {
        match self {
            Origin::Span { source, .. } => Some(source.name.clone()),
            Origin::Default => None,
        }
    }

    /// The 1-based line it starts on, if it is in an input.
    pub fn line(&self) -> Option<usize> {
        match self {
            Origin::Span { source, start, .. } => Some(source.line_col(*start).0),
            Origin::Default => None,
        }
    }

    /// `file:line:column`, or `default values`.
    pub fn location(&self) -> String {
        match self {
            Origin::Span { source, start, .. } => {
                let (line, col) = source.line_col(*start);
                format!("{}:{line}:{col}", source.name)
            }
            Origin::Default => "default values".to_string(),
        }
    }
}

/// One problem with the input, with where it is and what would be right.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub origin: Origin,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(origin: Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic { origin, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// A problem that is not tied to a place in an input (a missing file, say).
    pub fn plain(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Origin::Default, message)
    }

    /// Renders with the source line and a caret, optionally in colour.
    pub fn render(&self, colour: bool) -> String {
        let mut buffer = if colour { Buffer::ansi() } else { Buffer::no_color() };
        let config = term::Config::default();
        let notes: Vec<String> = self.help.iter().map(|h| format!("help: {h}")).collect();
        match &self.origin {
            Origin::Span { source, start, end } => {
                let file = SimpleFile::new(source.name.as_str(), source.text.as_str());
                let end = if end == start { next_char_boundary(&source.text, *start) } else { *end };
                let report = Report::error()
                    .with_message(&self.message)
                    .with_labels(vec![Label::primary((), *start..end)])
                    .with_notes(notes);
                if term::emit_to_write_style(&mut buffer, &config, &file, &report).is_err() {
                    return self.to_string();
                }
            }
            Origin::Default => {
                let file = SimpleFile::new("", "");
                let report = Report::<()>::error().with_message(&self.message).with_notes(notes);
                if term::emit_to_write_style(&mut buffer, &config, &file, &report).is_err() {
                    return self.to_string();
                }
            }
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    text[at.min(text.len())..].chars().next().map_or(at, |c| at + c.len_utf8())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Default => write!(f, "{}", self.message)?,
            origin => write!(f, "{}: {}", origin.location(), self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Bad input: one or more diagnostics. The command exits 2 and writes nothing else.
#[derive(Debug)]
pub struct BadInput(pub Vec<Diagnostic>);

impl BadInput {
    /// The diagnostics in the order their inputs were read, each input's in
    /// text order; those tied to no input last. Exact repeats are dropped.
    pub fn sorted(mut diagnostics: Vec<Diagnostic>) -> BadInput {
        diagnostics.sort_by_key(|d| match &d.origin {
            Origin::Span { source, start, .. } => (source.order, *start),
            Origin::Default => (u64::MAX, 0),
        });
        diagnostics.dedup_by(|a, b| a.message == b.message && a.origin.location() == b.origin.location());
        BadInput(diagnostics)
    }

    /// `1 error`, `4 errors`: the last line of a report.
    pub fn count(&self) -> String {
        match self.0.len() {
            1 => "1 error".to_string(),
            n => format!("{n} errors"),
        }
    }
}

impl From<Diagnostic> for BadInput {
    fn from(d: Diagnostic) -> BadInput {
        BadInput(vec![d])
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let c_lower = c.to_lowercase();
            let prefix = lower.len() >= 4 && (c_lower.starts_with(&lower) || lower.starts_with(&c_lower));
            let score = if prefix { 1.0 } else { strsim::jaro_winkler(&lower, &c_lower) };
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let source = Source::new("f", "a: é\nbb: x");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(6), (2, 1));
        assert_eq!(source.line_col(10), (2, 5));
    }

    #[test]
    fn nearest_prefers_a_prefix_match() {
        let keys = ["create", "claimName", "storageClassName", "size", "keep"];
        assert_eq!(nearest("storageClass", keys), Some("storageClassName"));
        assert_eq!(nearest("zzz", keys), None);
    }
}
