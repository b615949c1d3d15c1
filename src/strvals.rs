//! Helm's `--set` syntax (strvals).
//!
//! `--set`, `--set-string` and `--set-json` arguments are parsed into the
//! located value tree exactly as Helm's own strvals parser does it: dotted
//! paths, list indexes (`a[0].b`), `{x,y}` lists, commas between
//! assignments, backslash escapes (`\,` and `\.`), and type inference for
//! `--set` (`true`, `null`, integers without a leading zero; everything else
//! is a string). Its quirks are kept on purpose: `a=` sets an empty string,
//! `a[0]` with no value leaves an empty list. A table test pins this
//! behaviour to results read from real Helm.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Origin, Source};
use crate::source::{Member, Node, Value};

/// How the right-hand side of an assignment is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: `true`/`false`/`null` and integers are typed, the rest are strings.
    Typed,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-json`: every value is a JSON document.
    Json,
}

impl SetKind {
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Typed => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
        }
    }
}

/// Deepest dotted path Helm accepts.
const MAX_NESTING: usize = 30;
/// Largest list index Helm accepts.
const MAX_INDEX: usize = 65536;

/// Parses one argument and merges it into `dest`, a map node.
pub fn parse_into(arg: &str, kind: SetKind, dest: &mut Node) -> Result<(), Diagnostic> {
    let source = Source::new(kind.flag(), arg);
    let Value::Map(map) = &mut dest.value else {
        return Err(Diagnostic::plain("values must be a map"));
    };
    let mut parser = StrvalParser { source, chars: arg.char_indices().collect(), pos: 0, kind };
    loop {
        match parser.key(map, 0)? {
            Flow::More => {}
            Flow::End => return Ok(()),
        }
    }
}

/// Whether input remains after a step, standing in for Go's `io.EOF`.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    More,
    End,
}

/// Why a list literal was not read.
enum ListError {
    End,
    NotList,
    Bad(Diagnostic),
}

struct StrvalParser {
    source: Arc<Source>,
    chars: Vec<(usize, char)>,
    pos: usize,
    kind: SetKind,
}

impl StrvalParser {
    fn offset(&self) -> usize {
        self.chars.get(self.pos).map_or(self.source.text.len(), |(i, _)| *i)
    }

    fn origin(&self, start: usize) -> Origin {
        Origin::span(&self.source, start, self.offset())
    }

    fn error(&self, start: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Origin::span(&self.source, start, self.offset()), message).with_help(
            "the syntax is key.path=value, several separated by commas; escape a literal `,` or `.` with `\\`",
        )
    }

    fn read(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).map(|(_, c)| *c);
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads up to (and consumes) a stop character; `None` at the end of input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut text = String::new();
        while let Some(c) = self.read() {
            if stop.contains(&c) {
                return (text, Some(c));
            }
            if c == '\\' {
                match self.read() {
                    Some(next) => text.push(next),
                    None => return (text, None),
                }
            } else {
                text.push(c);
            }
        }
        (text, None)
    }

    fn key(&mut self, data: &mut IndexMap<String, Member>, depth: usize) -> Result<Flow, Diagnostic> {
        let start = self.offset();
        let (key, last) = self.until(&['=', '[', ',', '.']);
        let key_origin = Origin::span(&self.source, start, start + key.len());
        match last {
            None if key.is_empty() => Ok(Flow::End),
            None => Err(self.error(start, format!("key `{key}` has no value"))),
            Some('[') => {
                let Some(index) = self.index()? else { return Ok(Flow::End) };
                let mut list = match data.get(&key).map(|m| &m.node.value) {
                    None => Vec::new(),
                    Some(Value::Seq(items)) => items.clone(),
                    Some(_) => {
                        return Err(self.error(start, format!("`{key}` is not a list, so it cannot be indexed")))
                    }
                };
                let flow = self.list_item(&mut list, index, depth);
                set(data, &key, key_origin.clone(), Node::new(Value::Seq(list), key_origin));
                flow
            }
            Some('=') => {
                if self.kind == SetKind::Json {
                    let node = self.json_value(start)?;
                    set(data, &key, key_origin, node);
                    return Ok(Flow::More);
                }
                let value_start = self.offset();
                match self.list() {
                    Ok(items) => {
                        set(data, &key, key_origin, Node::new(Value::Seq(items), self.origin(value_start)));
                        Ok(Flow::More)
                    }
                    Err(ListError::End) => {
                        set(data, &key, key_origin, Node::new(Value::Str(String::new()), self.origin(value_start)));
                        Ok(Flow::End)
                    }
                    Err(ListError::NotList) => {
                        let (text, _) = self.until(&[',']);
                        let origin = Origin::span(&self.source, value_start, value_start + text.len());
                        set(data, &key, key_origin, Node::new(self.typed(&text), origin));
                        Ok(Flow::More)
                    }
                    Err(ListError::Bad(d)) => Err(d),
                }
            }
            Some(',') => Err(self.error(start, format!("key `{key}` has no value (cannot end with ,)"))),
            Some(_) => {
                let depth = depth + 1;
                if depth > MAX_NESTING {
                    return Err(self.error(start, format!("the key is nested deeper than {MAX_NESTING} levels")));
                }
                let mut inner = match data.get(&key).map(|m| &m.node.value) {
                    None => IndexMap::new(),
                    Some(Value::Map(map)) => map.clone(),
                    Some(_) => {
                        return Err(self.error(
                            start,
                            format!("`{key}` is not a map, so `{key}.` cannot set a key below it"),
                        ))
                    }
                };
                let flow = self.key(&mut inner, depth)?;
                if inner.is_empty() {
                    if flow == Flow::More {
                        return Err(self.error(start, format!("key map `{key}` has no value")));
                    }
                } else {
                    set(data, &key, key_origin.clone(), Node::new(Value::Map(inner), key_origin));
                }
                Ok(flow)
            }
        }
    }

    /// Reads `N]`; `None` when the input ends first, which Helm ignores.
    fn index(&mut self) -> Result<Option<usize>, Diagnostic> {
        let start = self.offset();
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Ok(None);
        }
        let index: i64 = text
            .trim_start_matches('+')
            .parse()
            .map_err(|_| self.error(start, format!("list index `{text}` is not a number")))?;
        if index < 0 {
            return Err(self.error(start, format!("negative {index} index not allowed")));
        }
        let index = index as usize;
        if index > MAX_INDEX {
            return Err(self.error(start, format!("index {index} is greater than the maximum of {MAX_INDEX}")));
        }
        Ok(Some(index))
    }

    fn list_item(&mut self, list: &mut Vec<Node>, index: usize, depth: usize) -> Result<Flow, Diagnostic> {
        let start = self.offset();
        let (rest, last) = self.until(&['[', '.', '=']);
        if !rest.is_empty() {
            return Err(self.error(start, format!("unexpected data at end of array index: `{rest}`")));
        }
        match last {
            None => Ok(Flow::End),
            Some('=') => {
                let value_start = self.offset();
                let node = if self.kind == SetKind::Json {
                    self.json_value(value_start)?
                } else {
                    match self.list() {
                        Ok(items) => Node::new(Value::Seq(items), self.origin(value_start)),
                        Err(ListError::End) => Node::new(Value::Str(String::new()), self.origin(value_start)),
                        Err(ListError::NotList) => {
                            let (text, _) = self.until(&[',']);
                            let origin = Origin::span(&self.source, value_start, value_start + text.len());
                            Node::new(self.typed(&text), origin)
                        }
                        Err(ListError::Bad(d)) => return Err(d),
                    }
                };
                set_index(list, index, node);
                Ok(Flow::More)
            }
            Some('[') => {
                let Some(next) = self.index()? else { return Ok(Flow::End) };
                let mut inner = match list.get(index).map(|n| &n.value) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Seq(items)) => items.clone(),
                    Some(_) => return Err(self.error(start, format!("item {index} is not a list"))),
                };
                let flow = self.list_item(&mut inner, next, depth)?;
                set_index(list, index, Node::new(Value::Seq(inner), self.origin(start)));
                Ok(flow)
            }
            Some(_) => {
                let existing = match list.get(index).map(|n| &n.value) {
                    Some(Value::Map(map)) => Some(map.clone()),
                    _ => None,
                };
                let existed = list.len() > index;
                let mut inner = existing.unwrap_or_default();
                let flow = self.key(&mut inner, depth)?;
                // Helm drops a new item whose last key had no value (its Go map is
                // only attached on success) but keeps edits to an existing item.
                if flow == Flow::More || existed {
                    set_index(list, index, Node::new(Value::Map(inner), self.origin(start)));
                }
                Ok(flow)
            }
        }
    }

    /// Reads `{a,b}` if the value starts with `{`.
    fn list(&mut self) -> Result<Vec<Node>, ListError> {
        let start = self.offset();
        match self.read() {
            None => return Err(ListError::End),
            Some('{') => {}
            Some(_) => {
                self.pos -= 1;
                return Err(ListError::NotList);
            }
        }
        let mut items = Vec::new();
        loop {
            let item_start = self.offset();
            let (text, last) = self.until(&[',', '}']);
            let origin = Origin::span(&self.source, item_start, item_start + text.len());
            match last {
                None => return Err(ListError::Bad(self.error(start, "list must terminate with `}`"))),
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ',' {
                            self.pos -= 1;
                        }
                    items.push(Node::new(self.typed(&text), origin));
                    return Ok(items);
                }
                Some(_) => items.push(Node::new(self.typed(&text), origin)),
            }
        }
    }

    fn typed(&self, text: &str) -> Value {
        if self.kind == SetKind::String {
            return Value::Str(text.to_string());
        }
        typed_value(text)
    }

    /// `--set-json`: one JSON document, then optional blanks and a comma.
    fn json_value(&mut self, key_start: usize) -> Result<Node, Diagnostic> {
        let start = self.offset();
        if self.blank_then_separator() {
            return Ok(Node::new(Value::Null, self.origin(start)));
        }
        let rest = &self.source.text[start..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        let json = match stream.next() {
            Some(Ok(json)) => json,
            Some(Err(e)) => {
                return Err(self.error(key_start, format!("the value is not valid JSON: {e}")))
            }
            None => serde_json::Value::Null,
        };
        let end = start + stream.byte_offset();
        let origin = Origin::span(&self.source, start, end);
        while self.offset() < end {
            self.pos += 1;
        }
        self.blank_then_separator();
        Ok(Node::from_json(&json, &origin))
    }

    /// Skips blanks; consumes a following comma. True when nothing but blanks and a comma (or the end) came.
    fn blank_then_separator(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(' ' | '\t' | '\n' | '\r') => {}
                Some(_) => {
                    self.pos -= 1;
                    return false;
                }
            }
        }
    }
}

/// `--set` type inference: booleans and null case-insensitively, decimal
/// integers that do not start with `0` (except `0` itself); all else is a string.
pub fn typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if text.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else if text.eq_ignore_ascii_case("null") {
        Value::Null
    } else if text == "0" {
        Value::Int(0)
    } else if !text.starts_with('0') {
        text.parse::<i64>().map_or_else(|_| Value::Str(text.to_string()), Value::Int)
    } else {
        Value::Str(text.to_string())
    }
}

fn set(data: &mut IndexMap<String, Member>, key: &str, key_origin: Origin, node: Node) {
    if !key.is_empty() {
        data.insert(key.to_string(), Member { key: key_origin, node });
    }
}

fn set_index(list: &mut Vec<Node>, index: usize, node: Node) {
    if list.len() <= index {
        list.resize(index + 1, Node::new(Value::Null, node.origin.clone()));
    }
    list[index] = node;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case in `tests/data/strvals-helm.json` was parsed by real Helm
    /// (`tests/helm/strvals_oracle.py`); a `null` result means Helm rejected it.
    #[test]
    fn parses_every_case_exactly_as_helm_does() {
        let table: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../tests/data/strvals-helm.json")).unwrap();
        assert!(table.len() >= 40);
        for case in &table {
            let arg = case["arg"].as_str().unwrap();
            let kind = match case["kind"].as_str().unwrap() {
                "set" => SetKind::Typed,
                "set-string" => SetKind::String,
                _ => SetKind::Json,
            };
            let mut root = Node::empty_map(Origin::Default);
            let ours = parse_into(arg, kind, &mut root).map(|()| root.to_json());
            match &case["result"] {
                serde_json::Value::Null => {
                    assert!(ours.is_err(), "{} {arg:?}: Helm rejects it, we gave {ours:?}", kind.flag())
                }
                expected => match ours {
                    Ok(json) => assert_eq!(&json, expected, "{} {arg:?}", kind.flag()),
                    Err(e) => panic!("{} {arg:?}: Helm gives {expected}, we failed: {e}", kind.flag()),
                },
            }
        }
    }

    #[test]
    fn an_error_points_into_the_argument() {
        let mut root = Node::empty_map(Origin::Default);
        let err = parse_into("a=1,b[x]=2", SetKind::Typed, &mut root).unwrap_err();
        assert_eq!(err.origin.location(), "--set:1:7");
        assert!(err.message.contains("`x` is not a number"), "{}", err.message);
    }
}
