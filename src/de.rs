//! Typed reading of a located tree.
//!
//! A serde `Deserializer` over [`Node`], so that the model's own types
//! (`deny_unknown_fields`, enums, parsed newtypes) decide what is valid and
//! every error still knows the node it came from: an unknown key points at
//! the key and suggests the nearest valid name from serde's own list of
//! fields, a wrong type points at the value and says, in the words of a
//! values file, what was expected and what was found.
//!
//! serde stops at the first error; [`read_all`] reports them all: it
//! repairs the node an error names (drops an unknown key or a bad list item,
//! or puts the fallback tree's value in its place) and reads again, until
//! the tree reads or nothing is left to repair.

use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::diagnostic::{nearest, Diagnostic, Origin};
use crate::source::{Member, Node, Value};

/// One step of a path into a tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path as messages write it: `backup.pvc.keep`, `alerts[2].expr`.
pub fn display_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A path as [`Node::get`] takes it: `alerts.2.expr`.
pub fn dotted_path(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|step| match step {
            Step::Key(key) => key.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether one dotted path is the other or lies under it (the root overlaps everything).
pub fn overlaps(a: &str, b: &str) -> bool {
    let under = |inner: &str, outer: &str| inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('.'));
    a == b || under(a, b) || under(b, a) || a.is_empty() || b.is_empty()
}

/// Reads a typed value from a located tree, stopping at the first problem.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, steps: Vec::new() }).map_err(|e| e.into_diagnostic(&node.origin))
}

/// A problem [`read_all`] found, with the path of the node it repaired.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The node repaired: the bad value, the unknown key, or the map missing a key.
    pub steps: Vec<Step>,
    /// The key that was missing, if that was the problem.
    pub missing_key: Option<String>,
    pub diagnostic: Diagnostic,
}

/// The most problems one input reports before the rest are left unsaid.
pub const MAX_PROBLEMS: usize = 100;

impl Problem {
    /// The dotted path of what was repaired: the value, or the key that was missing.
    pub fn repaired(&self) -> String {
        let mut steps = self.steps.clone();
        steps.extend(self.missing_key.clone().map(Step::Key));
        dotted_path(&steps)
    }
}

/// What [`read_all`] made of a tree: every problem, and the value read
/// once they were repaired (none when one could not be).
#[derive(Debug)]
pub struct Reading<T> {
    pub value: Option<T>,
    pub problems: Vec<Problem>,
}

/// Reads a typed value, reporting every problem of the tree. After each one
/// the node is repaired with `fallback` (a tree of the same shape whose
/// values are valid, such as the defaults) and the tree read again.
pub fn read_all<T: DeserializeOwned>(node: &Node, fallback: &Node) -> Reading<T> {
    // Most trees read at once; only one with a problem is copied to be repaired.
    if let Ok(value) = T::deserialize(NodeDe { node, steps: Vec::new() }) {
        return Reading { value: Some(value), problems: Vec::new() };
    }
    let mut tree = node.clone();
    let mut problems: Vec<Problem> = Vec::new();
    let mut repairs = 0;
    loop {
        let error = match T::deserialize(NodeDe { node: &tree, steps: Vec::new() }) {
            Ok(value) => return Reading { value: Some(value), problems },
            Err(error) => error,
        };
        let kind = error.kind.clone();
        let steps = error.steps.clone().unwrap_or_default();
        let missing_key = match &kind {
            ErrorKind::MissingKey(field) => Some(field.clone()),
            _ => None,
        };
        // A key missing because it was misspelt is said once, by the unknown key's "did you mean".
        let misspelt = missing_key.as_ref().is_some_and(|field| {
            problems.iter().any(|p| p.missing_key.is_none() && p.steps.len() == steps.len() + 1 && p.steps.starts_with(&steps) && p.diagnostic.help.as_ref().is_some_and(|h| h.starts_with(&format!("did you mean `{field}`?"))))
        });
        if !misspelt {
            problems.push(Problem { steps: steps.clone(), missing_key, diagnostic: error.into_diagnostic(&tree.origin) });
        }
        repairs += 1;
        if repairs >= MAX_PROBLEMS || !repair(&mut tree, &steps, &kind, fallback) {
            return Reading { value: None, problems };
        }
    }
}

/// Makes the node at `steps` readable; false when it cannot be.
fn repair(tree: &mut Node, steps: &[Step], kind: &ErrorKind, fallback: &Node) -> bool {
    match kind {
        ErrorKind::UnknownKey => remove(tree, steps),
        ErrorKind::MissingKey(field) => {
            let mut path = steps.to_vec();
            path.push(Step::Key(field.clone()));
            match (lookup(fallback, &path).cloned(), node_mut(tree, steps)) {
                (Some(value), Some(Node { value: Value::Map(map), .. })) => {
                    map.insert(field.clone(), Member { key: value.origin.clone(), node: value });
                    true
                }
                _ => false,
            }
        }
        ErrorKind::Invalid => match (lookup(fallback, steps).cloned(), node_mut(tree, steps)) {
            (Some(value), Some(slot)) if !steps.is_empty() => {
                *slot = value;
                true
            }
            _ => remove(tree, steps),
        },
    }
}

/// The fallback's node for a path; a list item falls back on the list's
/// first item, so that the tenth alert of a spec is repaired like its first.
fn lookup<'a>(node: &'a Node, steps: &[Step]) -> Option<&'a Node> {
    steps.iter().try_fold(node, |node, step| match (&node.value, step) {
        (Value::Map(map), Step::Key(key)) => map.get(key).map(|m| &m.node),
        (Value::Seq(items), Step::Index(i)) => items.get(*i).or_else(|| items.first()),
        _ => None,
    })
}

fn node_mut<'a>(node: &'a mut Node, steps: &[Step]) -> Option<&'a mut Node> {
    steps.iter().try_fold(node, |node, step| match (&mut node.value, step) {
        (Value::Map(map), Step::Key(key)) => map.get_mut(key).map(|m| &mut m.node),
        (Value::Seq(items), Step::Index(i)) => items.get_mut(*i),
        _ => None,
    })
}

fn remove(tree: &mut Node, steps: &[Step]) -> bool {
    let Some((last, parent)) = steps.split_last() else { return false };
    match (node_mut(tree, parent).map(|n| &mut n.value), last) {
        (Some(Value::Map(map)), Step::Key(key)) => map.shift_remove(key).is_some(),
        (Some(Value::Seq(items)), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// What kind of problem an error is, which decides how it is repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    UnknownKey,
    MissingKey(String),
    Invalid,
}

/// A deserialization error, located once the failing node is known.
#[derive(Debug)]
pub struct Error {
    origin: Option<Origin>,
    steps: Option<Vec<Step>>,
    kind: ErrorKind,
    message: Message,
    help: Option<String>,
}

/// The message: text, or a wrong type, which needs the path to be put in words.
#[derive(Debug)]
enum Message {
    Text(String),
    /// Expected (in serde's words) and found (already in the user's words).
    Type { expected: String, found: String },
}

impl Error {
    fn new(kind: ErrorKind, message: Message, help: Option<String>) -> Error {
        Error { origin: None, steps: None, kind, message, help }
    }

    fn at(mut self, origin: &Origin, steps: &[Step]) -> Error {
        if self.origin.is_none() {
            self.origin = Some(origin.clone());
            self.steps = Some(steps.to_vec());
        }
        self
    }

    fn into_diagnostic(self, fallback: &Origin) -> Diagnostic {
        let steps = self.steps.unwrap_or_default();
        let message = match self.message {
            Message::Text(text) => text,
            Message::Type { expected, found } => format!("expected {}, found {found}", expected_words(&expected, &steps)),
        };
        let path = display_path(&steps);
        let message = if path.is_empty() { message } else { format!("`{path}`: {message}") };
        let diagnostic = Diagnostic::new(self.origin.unwrap_or_else(|| fallback.clone()), message);
        match self.help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

/// serde's name for what it expected, in the words of a values file.
fn expected_words(expected: &str, steps: &[Step]) -> String {
    let bounds = |bits: u32, signed: bool| {
        if signed {
            format!("an integer from {} to {}", -(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            format!("an integer from 0 to {}", (1u128 << bits) - 1)
        }
    };
    match expected {
        "u8" => bounds(8, false),
        "u16" => bounds(16, false),
        "u32" => bounds(32, false),
        "u64" => bounds(64, false),
        "i8" => bounds(8, true),
        "i16" => bounds(16, true),
        "i32" => bounds(32, true),
        "i64" => bounds(64, true),
        "f32" | "f64" => "a number".to_string(),
        "a sequence" => "a list".to_string(),
        "a string" | "a boolean" | "a map" => expected.to_string(),
        e if e.starts_with("struct ") => match steps.iter().rev().find_map(|s| match s {
            Step::Key(key) => Some(key),
            Step::Index(_) => None,
        }) {
            Some(key) => format!("a map of {key} settings"),
            None => "a map of settings".to_string(),
        },
        e if e.starts_with("variant identifier") || e.starts_with("enum ") => "one of the listed choices".to_string(),
        other => other.to_string(),
    }
}

/// A value as a message names it.
fn found_words(unexpected: &de::Unexpected<'_>) -> String {
    match unexpected {
        de::Unexpected::Unit => "null".to_string(),
        de::Unexpected::Bool(b) => format!("the boolean {b}"),
        de::Unexpected::Signed(i) => format!("the integer {i}"),
        de::Unexpected::Unsigned(u) => format!("the integer {u}"),
        de::Unexpected::Float(f) => format!("the number {f}"),
        de::Unexpected::Str(s) => format!("the string \"{}\"", s.escape_default()),
        de::Unexpected::Seq => "a list".to_string(),
        de::Unexpected::Map => "a map".to_string(),
        other => other.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Message::Text(text) => f.write_str(text),
            Message::Type { expected, found } => write!(f, "expected {expected}, found {found}"),
        }
    }
}

impl std::error::Error for Error {}

fn one_of(expected: &[&str]) -> String {
    expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        let text = msg.to_string();
        // Parsed newtypes report "message; help" so the hint lands in its own line.
        let (message, help) = match text.split_once("; help: ") {
            Some((m, h)) => (m.to_string(), Some(h.to_string())),
            None => (text, None),
        };
        Error::new(ErrorKind::Invalid, Message::Text(message), help)
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        let expected = expected.to_string();
        let help = match unexpected {
            de::Unexpected::Signed(_) | de::Unexpected::Unsigned(_) | de::Unexpected::Float(_) | de::Unexpected::Bool(_) if expected.contains("string") => {
                Some("quote the value to make it a string, for example \"16\"".to_string())
            }
            de::Unexpected::Str(s) if s.parse::<f64>().is_ok() => Some("remove the quotes to make it a number (or use --set instead of --set-string)".to_string()),
            de::Unexpected::Unit if expected.starts_with("struct ") => {
                Some("give its keys, or leave it out to keep the defaults (a null in values deletes a key)".to_string())
            }
            _ if expected.starts_with("struct ") => Some("give the keys under it, one per line, or with --set key.subkey=value".to_string()),
            _ => None,
        };
        Error::new(ErrorKind::Invalid, Message::Type { expected, found: found_words(&unexpected) }, help)
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::Invalid, Message::Type { expected: expected.to_string(), found: found_words(&unexpected) }, None)
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::Invalid, Message::Type { expected: expected.to_string(), found: format!("a list of {len} items") }, None)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Error {
        let help = match nearest(field, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? valid keys here: {}", one_of(expected)),
            None => format!("valid keys here: {}", one_of(expected)),
        };
        Error::new(ErrorKind::UnknownKey, Message::Text(format!("unknown key `{}`", field.escape_default())), Some(help))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Error {
        let help = match nearest(variant, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? it must be one of {}", one_of(expected)),
            None => format!("it must be one of {}", one_of(expected)),
        };
        Error::new(ErrorKind::Invalid, Message::Text(format!("`{}` is not a valid choice", variant.escape_default())), Some(help))
    }

    fn missing_field(field: &'static str) -> Error {
        Error::new(
            ErrorKind::MissingKey(field.to_string()),
            Message::Text(format!("missing key `{field}`")),
            Some(format!("add `{field}:` here (a `null` in a values file removes a key)")),
        )
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    steps: Vec<Step>,
}

fn child(steps: &[Step], step: Step) -> Vec<Step> {
    let mut out = steps.to_vec();
    out.push(step);
    out
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDe { items: items.iter().enumerate(), steps: &self.steps }),
            Value::Map(map) => visitor.visit_map(MapDe { entries: map.iter(), pending: None, steps: &self.steps }),
        };
        result.map_err(|e| e.at(&self.node.origin, &self.steps))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A struct is a map of settings; a list is never read as its fields in order.
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Map(_) => self.deserialize_any(visitor),
            _ => Err(de::Error::invalid_type(unexpected(self.node), &visitor)).map_err(|e: Error| e.at(&self.node.origin, &self.steps)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(de::Error::invalid_type(unexpected(self.node), &visitor)),
        };
        result.map_err(|e: Error| e.at(&self.node.origin, &self.steps))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

fn unexpected(node: &Node) -> de::Unexpected<'_> {
    match &node.value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Int(i) => de::Unexpected::Signed(*i),
        Value::Float(f) => de::Unexpected::Float(*f),
        Value::Str(s) => de::Unexpected::Str(s),
        Value::Seq(_) => de::Unexpected::Seq,
        Value::Map(_) => de::Unexpected::Map,
    }
}

struct SeqDe<'a, I> {
    items: I,
    steps: &'a [Step],
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqDe<'a, I> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some((i, node)) => {
                let steps = child(self.steps, Step::Index(i));
                // Errors raised after the node was read (a failed `try_from`) are located here.
                seed.deserialize(NodeDe { node, steps: steps.clone() }).map(Some).map_err(|e| e.at(&node.origin, &steps))
            }
            None => Ok(None),
        }
    }
}

struct MapDe<'a, I> {
    entries: I,
    pending: Option<(&'a str, &'a Member)>,
    steps: &'a [Step],
}

impl<'de, 'a, I: Iterator<Item = (&'a String, &'a Member)>> de::MapAccess<'de> for MapDe<'a, I> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, member)) = self.entries.next() else { return Ok(None) };
        self.pending = Some((key, member));
        let key_de: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
        let steps = child(self.steps, Step::Key(key.clone()));
        // A key that does not parse (a bad label key) is repaired like an unknown one: dropped.
        seed.deserialize(key_de).map(Some).map_err(|e| {
            let e = if e.kind == ErrorKind::Invalid { Error { kind: ErrorKind::UnknownKey, ..e } } else { e };
            e.at(&member.key, &steps)
        })
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, member) = self.pending.take().expect("serde asks for a value after its key");
        let steps = child(self.steps, Step::Key(key.to_string()));
        seed.deserialize(NodeDe { node: &member.node, steps: steps.clone() }).map_err(|e| e.at(&member.node.origin, &steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Source;
    use crate::source::load_str;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Pvc {
        storage_class_name: String,
        size: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Root {
        pvc: Pvc,
    }

    #[test]
    fn a_valid_tree_reads_into_the_types() {
        let root = read("pvc:\n  storageClassName: fast\n  size: 3\n").unwrap();
        assert_eq!((root.pvc.storage_class_name.as_str(), root.pvc.size), ("fast", 3));
    }

    fn read(text: &str) -> Result<Root, Diagnostic> {
        from_node(&load_str(&Source::new("v.yaml", text)).unwrap())
    }

    #[test]
    fn an_unknown_key_points_at_the_key_and_suggests_the_nearest() {
        let err = read("pvc:\n  storageClass: fast\n  size: 1\n").unwrap_err();
        assert_eq!(err.origin.location(), "v.yaml:2:3");
        assert_eq!(err.message, "`pvc.storageClass`: unknown key `storageClass`");
        assert!(err.help.unwrap().starts_with("did you mean `storageClassName`?"));
    }

    #[test]
    fn a_wrong_type_points_at_the_value() {
        let err = read("pvc:\n  storageClassName: fast\n  size: big\n").unwrap_err();
        assert_eq!(err.origin.location(), "v.yaml:3:9");
        assert_eq!(err.message, "`pvc.size`: expected an integer from 0 to 4294967295, found the string \"big\"");
    }

    #[test]
    fn a_missing_key_points_at_its_map() {
        let err = read("pvc:\n  size: 1\n").unwrap_err();
        assert_eq!(err.origin.location(), "v.yaml:2:3");
        assert!(err.message.contains("missing key `storageClassName`"));
    }
}
