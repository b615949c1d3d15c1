//! Located input trees and the YAML loader.
//!
//! Every value an operator writes (in a `-f` file, a `--set` argument or the
//! chart spec) is held as a [`Node`]: a JSON-like value plus the [`Origin`] it
//! came from, so that a problem found much later (a wrong type, an unknown
//! key, a bad cron expression) still points at `file:line:column`. YAML
//! scalars resolve the way Helm resolves them (go-yaml v2, YAML 1.1: `yes`
//! and `on` are booleans, `0123` is octal), aliases expand under a budget so
//! that an alias bomb is an error rather than an out-of-memory kill, and a
//! file that is not UTF-8 is rejected with the position of the first bad byte.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::diagnostic::{Diagnostic, Origin, Source};

/// A value with the place it was written.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

/// The JSON data model, which is what Helm values are after parsing.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(IndexMap<String, Member>),
}

/// A map entry: where its key was written, and its value.
#[derive(Debug, Clone)]
pub struct Member {
    pub key: Origin,
    pub node: Node,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Node {
        Node { value, origin }
    }

    pub fn empty_map(origin: Origin) -> Node {
        Node::new(Value::Map(IndexMap::new()), origin)
    }

    /// Builds a tree from JSON, every node marked with `origin`.
    pub fn from_json(json: &serde_json::Value, origin: &Origin) -> Node {
        let value = match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => number(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Seq(items.iter().map(|i| Node::from_json(i, origin)).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        (k.clone(), Member { key: origin.clone(), node: Node::from_json(v, origin) })
                    })
                    .collect(),
            ),
        };
        Node::new(value, origin.clone())
    }

    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, m)| (k.clone(), m.node.to_json())).collect(),
            ),
        }
    }

    /// The node at a dotted path whose steps are map keys or list indexes (`alerts.2.expr`).
    pub fn get(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| match &node.value {
            Value::Map(map) => map.get(key).map(|m| &m.node),
            Value::Seq(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
    }

    /// The member (key origin and value) at a dotted path.
    pub fn member(&self, path: &str) -> Option<&Member> {
        let (parent, key) = match path.rsplit_once('.') {
            Some((parent, key)) => (self.get(parent)?, key),
            None => (self, path),
        };
        match &parent.value {
            Value::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

/// An integral float becomes an integer, as it does in Helm once values pass through JSON.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

/// How many nodes alias expansion may create in one document.
pub const ALIAS_BUDGET: usize = 100_000;
/// How deeply collections may nest.
pub const MAX_DEPTH: usize = 200;

/// Reads a YAML file into a located tree. An empty document is an empty map.
pub fn load_file(path: &std::path::Path) -> Result<Node, Diagnostic> {
    let name = path.display().to_string();
    let bytes = crate::place::read_limited(path).map_err(|e| Diagnostic::plain(format!("cannot read {name}: {e}")))?;
    load_bytes(&name, bytes)
}

/// Reads a YAML file a spec names, on disk or built in.
pub fn load_place(place: &crate::place::Place) -> Result<Node, Diagnostic> {
    match place.disk() {
        Some(path) => load_file(path),
        None => {
            let text = place.read_to_string().map_err(|e| Diagnostic::plain(format!("cannot read {place}: {e}")))?;
            load_str(&Source::new(place.to_string(), text))
        }
    }
}

/// Parses YAML bytes, named `name` in diagnostics.
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Result<Node, Diagnostic> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        // The lossy text has the same bytes up to the first invalid one.
        let source = Source::new(name, lossy);
        Diagnostic::new(Origin::span(&source, valid, valid), "the file is not valid UTF-8")
            .with_help(format!(
                "byte 0x{:02x} at offset {valid} is not UTF-8; save the file as UTF-8",
                e.as_bytes()[valid]
            ))
    })?;
    load_str(&Source::new(name, text))
}

/// Parses the text of `source` (one YAML document) into a located tree.
pub fn load_str(source: &Arc<Source>) -> Result<Node, Diagnostic> {
    let mut loader = Loader {
        source: source.clone(),
        parser: Parser::new_from_str(&source.text),
        line_starts: line_starts(&source.text),
        anchors: HashMap::new(),
        expanded: 0,
    };
    loader.document()
}

struct Loader<'a> {
    source: Arc<Source>,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    line_starts: Vec<usize>,
    anchors: HashMap<usize, (Node, usize)>,
    expanded: usize,
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

impl<'a> Loader<'a> {
    /// Byte offset of a parser marker (line is 1-based, column 0-based in characters).
    fn offset(&self, marker: &saphyr_parser::Marker) -> usize {
        let Some(&start) = self.line_starts.get(marker.line().saturating_sub(1)) else {
            return self.source.text.len();
        };
        let line = &self.source.text[start..];
        start + line.char_indices().nth(marker.col()).map_or(line.len(), |(i, _)| i)
    }

    fn origin(&self, span: &Span) -> Origin {
        Origin::span(&self.source, self.offset(&span.start), self.offset(&span.end))
    }

    fn scan_error(&self, e: &ScanError) -> Diagnostic {
        let at = self.offset(e.marker());
        Diagnostic::new(Origin::span(&self.source, at, at), format!("invalid YAML: {}", e.info()))
            .with_help("check the indentation and quoting around this position")
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), Diagnostic> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => {
                let end = self.source.text.len();
                Err(Diagnostic::new(Origin::span(&self.source, end, end), "unexpected end of YAML"))
            }
        }
    }

    fn document(&mut self) -> Result<Node, Diagnostic> {
        let empty = Node::empty_map(Origin::span(&self.source, 0, 0));
        let mut root: Option<Node> = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(root.unwrap_or(empty)),
                Event::DocumentStart(_) if root.is_some() => {
                    return Err(Diagnostic::new(self.origin(&span), "more than one YAML document")
                        .with_help("a values file holds one document; remove the extra `---`"));
                }
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    let node = self.node(event, span, 0)?;
                    root = Some(match node.value {
                        Value::Null => empty.clone(),
                        Value::Map(_) => node,
                        _ => {
                            return Err(Diagnostic::new(
                                node.origin.clone(),
                                format!("the document is {}, not a map", node.kind()),
                            )
                            .with_help("the top level must be a map of keys such as `backup:`"))
                        }
                    });
                }
                _ => return Err(Diagnostic::new(self.origin(&span), "unexpected YAML event")),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(Diagnostic::new(self.origin(&span), format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let origin = self.origin(&span);
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| if t.is_yaml_core_schema() { t.suffix.clone() } else { t.to_string() });
                (Node::new(self.scalar(&text, style, tag.as_deref(), &origin)?, origin), anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                (Node::new(Value::Seq(items), origin), anchor)
            }
            Event::MappingStart(anchor, _) => (self.mapping(origin, depth)?, anchor),
            Event::Alias(id) => return self.alias(id, origin),
            _ => return Err(Diagnostic::new(origin, "unexpected YAML event")),
        };
        if anchor > 0 {
            let size = count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }

    fn alias(&mut self, id: usize, origin: Origin) -> Result<Node, Diagnostic> {
        let Some((node, size)) = self.anchors.get(&id) else {
            return Err(Diagnostic::new(origin, "alias to an unknown anchor"));
        };
        self.expanded += size;
        if self.expanded > ALIAS_BUDGET {
            return Err(Diagnostic::new(
                origin,
                format!("aliases expand to more than {ALIAS_BUDGET} values"),
            )
            .with_help("this looks like an alias bomb; write the values out instead of nesting aliases"));
        }
        Ok(node.clone())
    }

    fn mapping(&mut self, origin: Origin, depth: usize) -> Result<Node, Diagnostic> {
        let mut map: IndexMap<String, Member> = IndexMap::new();
        // Where each key of `map` was written here, by index; `None` for a key only merged in with `<<`.
        let mut written: Vec<Option<Origin>> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let key = self.node(event, span, depth + 1)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span, depth + 1)?;
            let name = match &key.value {
                // A merge key applies in place, as in go-yaml v2: it overrides
                // keys above it and is overridden by keys below it.
                Value::Str(s) if s == "<<" => {
                    merge_into(&mut map, value)?;
                    continue;
                }
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Null => return Err(Diagnostic::new(key.origin, "a map key cannot be null")),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(Diagnostic::new(key.origin, "a map key must be a scalar"));
                }
            };
            // Helm keeps the last of duplicate keys silently; that hides typos, so it is an error here.
            if let Some(first) = map.get_index_of(&name).and_then(|index| written.get(index)?.as_ref()) {
                return Err(Diagnostic::new(key.origin, format!("duplicate key `{name}`"))
                    .with_help(format!("`{name}` is already set at {}", first.location())));
            }
            let (index, _) = map.insert_full(name, Member { key: key.origin.clone(), node: value });
            written.resize(map.len(), None);
            written[index] = Some(key.origin);
        }
        Ok(Node::new(Value::Map(map), origin))
    }

    fn scalar(&self, text: &str, style: ScalarStyle, tag: Option<&str>, origin: &Origin) -> Result<Value, Diagnostic> {
        let plain = matches!(style, ScalarStyle::Plain);
        match tag {
            None if plain => Ok(resolve_plain(text)),
            None | Some("str") => Ok(Value::Str(text.to_string())),
            Some("null") => Ok(Value::Null),
            Some(t @ ("int" | "float" | "bool")) => match resolve_plain(text) {
                v @ (Value::Int(_) | Value::Float(_)) if t != "bool" => Ok(v),
                v @ Value::Bool(_) if t == "bool" => Ok(v),
                _ => Err(Diagnostic::new(origin.clone(), format!("`{text}` is not a valid !!{t}"))),
            },
            Some(other) => Err(Diagnostic::new(origin.clone(), format!("unsupported YAML tag `{other}`"))
                .with_help("values are plain YAML; remove the tag or quote the value")),
        }
    }
}

fn merge_into(map: &mut IndexMap<String, Member>, source: Node) -> Result<(), Diagnostic> {
    let maps = match source.value {
        Value::Seq(items) => items,
        _ => vec![source],
    };
    for m in maps {
        let Value::Map(entries) = m.value else {
            return Err(Diagnostic::new(m.origin, "`<<` must merge a map or a list of maps"));
        };
        map.extend(entries);
    }
    Ok(())
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(map) => map.values().map(|m| count(&m.node)).sum(),
        _ => 0,
    }
}

/// Resolves an unquoted scalar the way go-yaml v2 (and so Helm) does.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first == b'.' {
        return match text {
            ".inf" | ".Inf" | ".INF" => Value::Float(f64::INFINITY),
            ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
            _ => go_float(text).map_or_else(|| Value::Str(text.to_string()), number),
        };
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Value::Str(text.to_string());
    }
    match text {
        "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let plain = text.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return number_from_i128(i);
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = go_float(&plain) {
            return number(f);
        }
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    if let Some(bin) = digits.strip_prefix("0b")
        && let Ok(i) = i64::from_str_radix(bin, 2) {
            return Value::Int(if negative { -i } else { i });
        }
    Value::Str(text.to_string())
}

fn number_from_i128(i: i128) -> Value {
    match i64::try_from(i) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Float(i as f64),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint(s, 0, 64)`: sign, then
/// `0x`, `0o`, `0b` or a leading `0` (octal) prefix.
fn go_parse_int(s: &str) -> Option<i128> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()? as i128;
    let value = if negative { -magnitude } else { magnitude };
    // ParseInt covers the int64 range; ParseUint only non-negative values.
    (value >= i64::MIN as i128 && (value <= u64::MAX as i128)).then_some(value)
}

fn is_yaml_style_float(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap())
        .is_match(s)
}

fn go_float(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Helm's `mergeMaps`: maps merge key by key, anything else replaces.
pub fn merge_maps(dest: &mut Node, src: Node) {
    let (Value::Map(dest_map), Value::Map(src_map)) = (&mut dest.value, src.value) else { return };
    for (key, member) in src_map {
        match dest_map.get_mut(&key) {
            Some(existing) if matches!(existing.node.value, Value::Map(_)) && matches!(member.node.value, Value::Map(_)) => {
                merge_maps(&mut existing.node, member.node);
            }
            _ => {
                dest_map.insert(key, member);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> serde_json::Value {
        Node::new(resolve_plain(text), Origin::Default).to_json()
    }

    #[test]
    fn plain_scalars_resolve_like_helm() {
        // Expected values were read from helm_python.values_from_yaml.
        let cases: &[(&str, serde_json::Value)] = &[
            ("yes", true.into()),
            ("on", true.into()),
            ("y", true.into()),
            ("NO", false.into()),
            ("off", false.into()),
            ("0x1F", 31.into()),
            ("1e3", 1000.into()),
            ("0123", 83.into()),
            ("0o17", 15.into()),
            ("010", 8.into()),
            ("08", 8.into()),
            ("1_000", 1000.into()),
            ("+12", 12.into()),
            ("-0x10", (-16).into()),
            ("0b101", 5.into()),
            ("1.0", 1.into()),
            ("1.", 1.into()),
            ("-.5", (-0.5).into()),
            ("0.5", 0.5.into()),
            ("~", serde_json::Value::Null),
            ("Null", serde_json::Value::Null),
            ("12:30", "12:30".into()),
            ("0x", "0x".into()),
            ("12e", "12e".into()),
            ("2001-12-14", "2001-12-14".into()),
        ];
        for (text, expected) in cases {
            assert_eq!(&scalar(text), expected, "resolving {text:?}");
        }
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let node = load_str(&Source::new("v.yaml", "a: 'yes'\nb: \"0123\"\nc: |\n  on\n")).unwrap();
        assert_eq!(node.to_json(), serde_json::json!({"a": "yes", "b": "0123", "c": "on\n"}));
    }

    #[test]
    fn merge_keys_apply_in_place_like_helm() {
        // Helm gives {"o": {"x": 1, "z": 3}} and {"p": {"x": 1, "z": 2}}.
        let text = "b: &b {x: 1, z: 2}\no:\n  <<: *b\n  z: 3\np:\n  z: 3\n  <<: *b\n";
        let node = load_str(&Source::new("v.yaml", text)).unwrap();
        assert_eq!(node.get("o").unwrap().to_json(), serde_json::json!({"x": 1, "z": 3}));
        assert_eq!(node.get("p").unwrap().to_json(), serde_json::json!({"x": 1, "z": 2}));
    }

    #[test]
    fn yaml_1_1_keys_become_strings_like_helm() {
        let node = load_str(&Source::new("v.yaml", "on: 2\n1: 3\n0x10: 4\n")).unwrap();
        assert_eq!(node.to_json(), serde_json::json!({"true": 2, "1": 3, "16": 4}));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = load_str(&Source::new("v.yaml", "a: 1\na: 2\n")).unwrap_err();
        assert_eq!(err.origin.location(), "v.yaml:2:1");
        assert!(err.message.contains("duplicate key `a`"));
    }

    #[test]
    fn merge_maps_merges_maps_and_replaces_the_rest() {
        let mut dest = Node::from_json(&serde_json::json!({"a": {"b": 1}, "l": [1, 2]}), &Origin::Default);
        merge_maps(&mut dest, Node::from_json(&serde_json::json!({"a": {"c": 2}, "l": [3]}), &Origin::Default));
        assert_eq!(dest.to_json(), serde_json::json!({"a": {"b": 1, "c": 2}, "l": [3]}));
    }
}
