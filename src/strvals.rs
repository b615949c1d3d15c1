//! Helm's `--set` syntax (strvals).
//!
//! `--set`, `--set-string` and `--set-json` arguments are parsed into the
//! located value tree exactly as Helm's own strvals parser does it: dotted
//! paths, list indexes (`a[0].b`), `{x,y}` lists, commas between
//! assignments, backslash escapes (`\,` and `\.`), and type inference for
//! `--set` (`true`, `null`, integers without a leading zero; everything else
//! is a string). A `--set-json` value is read as Go's JSON decoder reads it
//! inside Helm: the document ends where its grammar ends, whatever follows
//! (`a=1=` sets `a: 1`), and every number is a float64, so integers above
//! 2^53 round as they do in Helm. Helm's quirks are kept on purpose: `a=`
//! sets an empty string, `a[0]` with no value leaves an empty list, a path
//! that runs out before its value creates nothing new but keeps what it
//! changed in existing items. A table test pins this behaviour to results
//! read from real Helm, and `tests/strvals_fuzz.rs` compares thousands of
//! random arguments with it.
//!
//! Hostile arguments meet limits rather than exhausting the stack or memory:
//! [`MAX_ARGUMENT_BYTES`], [`MAX_DEPTH`] and [`MAX_INDEXED_ITEMS`].

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

/// Most dots in one key path (`a.b.c` has two): Helm's `MaxNestedNameLevel`.
pub const MAX_NESTING: usize = 30;

/// Largest list index: Helm's `MaxIndex`. As in Helm it is checked when an
/// item is stored, so `a[70000]` with nothing after it still leaves `a: []`.
pub const MAX_INDEX: usize = 65536;

/// Deepest level one argument may build below the root, counting every key,
/// list index, `{x,y}` list and JSON array or object on the way down. Helm
/// bounds only dotted keys ([`MAX_NESTING`]) and JSON (10,000 levels in Go's
/// decoder) and recurses once per `[N]` without any bound, so 14,000 nested
/// `[0]` once overflowed chartgen's stack. This is the depth a values file
/// may have ([`crate::source::MAX_DEPTH`]), so no tree chartgen holds is
/// deeper, and the walks that recurse once per level (this parser,
/// `Node::to_json`, `source::merge_maps` and `coalesce`, deserialization,
/// dropping a tree) stay far from the end of even a 2 MiB thread stack.
pub const MAX_DEPTH: usize = crate::source::MAX_DEPTH;

/// Most list items one argument may create through indexes, padding
/// included (`a[9]=x` creates ten). Helm has no such bound; without it
/// 200 nested `[65536]` (1.4 KB) would ask for 13 million items, over a
/// gigabyte, and a megabyte of `x[65536]=1,` for billions.
pub const MAX_INDEXED_ITEMS: usize = 1 << 20;

/// Longest argument, in bytes, refused before anything is parsed. Helm reads
/// any length; Linux caps one command-line argument at 128 KiB, so this
/// bounds arguments that arrive another way (runbooks, library callers).
pub const MAX_ARGUMENT_BYTES: usize = 1 << 20;

const SYNTAX_HELP: &str =
    "the syntax is key.path=value, several separated by commas; escape a literal `,` or `.` with `\\`";
const JSON_HELP: &str = "--set-json takes key=JSON, for instance key={\"a\":[1,2]} or key=\"text\"";

/// Parses one argument and merges it into `dest`, a map node.
pub fn parse_into(arg: &str, kind: SetKind, dest: &mut Node) -> Result<(), Diagnostic> {
    if arg.len() > MAX_ARGUMENT_BYTES {
        return Err(too_long(arg, kind));
    }
    let Value::Map(map) = &mut dest.value else {
        return Err(Diagnostic::plain("values must be a map"));
    };
    let mut parser = StrvalParser { source: Source::new(kind.flag(), arg), pos: 0, kind, indexed_items: 0 };
    while parser.key(map, 1, 0)? == Flow::More {}
    Ok(())
}

fn too_long(arg: &str, kind: SetKind) -> Diagnostic {
    // Only the start is shown: echoing a megabyte would bury the message.
    let shown = &arg[..arg.floor_char_boundary(60)];
    let source = Source::new(kind.flag(), shown);
    Diagnostic::new(
        Origin::span(&source, 0, shown.len()),
        format!("the argument is {} bytes long, over the limit of {MAX_ARGUMENT_BYTES} bytes", arg.len()),
    )
    .with_help("split it into several arguments, or put the values in a file given with -f")
}

/// Whether input remains after a step, standing in for Go's `io.EOF`.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    More,
    End,
}

/// A list index as written: its value and where it stands.
struct Index {
    value: usize,
    origin: Origin,
}

struct StrvalParser {
    source: Arc<Source>,
    /// Byte offset of the next character.
    pos: usize,
    kind: SetKind,
    /// List items created through indexes so far, against [`MAX_INDEXED_ITEMS`].
    indexed_items: usize,
}

impl StrvalParser {
    fn origin(&self, start: usize) -> Origin {
        Origin::span(&self.source, start, self.pos)
    }

    fn error(&self, start: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.origin(start), message).with_help(SYNTAX_HELP)
    }

    fn peek(&self) -> Option<char> {
        self.source.text[self.pos..].chars().next()
    }

    fn read(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Reads up to (and consumes) a stop character; `None` at the end of input.
    /// Also gives the offset where the text ends, before the stop character.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>, usize) {
        let mut text = String::new();
        while let Some(c) = self.read() {
            if stop.contains(&c) {
                return (text, Some(c), self.pos - c.len_utf8());
            }
            if c == '\\' {
                match self.read() {
                    Some(next) => text.push(next),
                    None => break,
                }
            } else {
                text.push(c);
            }
        }
        (text, None, self.pos)
    }

    /// The level below `level`, unless that passes [`MAX_DEPTH`].
    fn descend(&self, level: usize, start: usize) -> Result<usize, Diagnostic> {
        if level >= MAX_DEPTH {
            return Err(Diagnostic::new(self.origin(start), format!("the value is nested deeper than {MAX_DEPTH} levels"))
                .with_help(format!("one argument may nest keys, indexes and JSON at most {MAX_DEPTH} levels deep")));
        }
        Ok(level + 1)
    }

    // The functions below recurse once per level. Each keeps its frame small
    // (one arm per function, errors built by helpers): even unoptimised,
    // MAX_DEPTH levels then take well under 1 MiB of stack.

    /// One assignment into `data`, whose values sit `level` levels below the
    /// root, on a path that has passed `nesting` dots so far.
    fn key(&mut self, data: &mut IndexMap<String, Member>, level: usize, nesting: usize) -> Result<Flow, Diagnostic> {
        let start = self.pos;
        let (key, last, key_end) = self.until(&['=', '[', ',', '.']);
        let key_origin = Origin::span(&self.source, start, key_end);
        match last {
            None if key.is_empty() => Ok(Flow::End),
            None | Some(',') => Err(self.no_value(start, &key, last.is_some())),
            Some('=') => {
                let (node, flow) = self.value(level)?;
                set(data, key, key_origin, node);
                Ok(flow)
            }
            Some('[') => self.list_under_key(data, key, start, key_end, level, nesting),
            Some(_) => self.map_under_key(data, key, key_origin, start, level, nesting + 1),
        }
    }

    /// `key[N]...`: the key holds a list from here on, even if no item is
    /// then set (`a[0]` leaves `a: []`); Helm stores nothing under an empty key.
    fn list_under_key(
        &mut self,
        data: &mut IndexMap<String, Member>,
        key: String,
        start: usize,
        key_end: usize,
        level: usize,
        nesting: usize,
    ) -> Result<Flow, Diagnostic> {
        let Some(index) = self.index()? else { return Ok(Flow::End) };
        let item_level = self.descend(level, start)?;
        if key.is_empty() {
            return self.list_item(&mut Vec::new(), index, item_level, nesting);
        }
        let key_origin = Origin::span(&self.source, start, key_end);
        let member = data.entry(key).or_insert_with(|| Member {
            key: key_origin.clone(),
            node: Node::new(Value::Seq(Vec::new()), key_origin.clone()),
        });
        member.key = key_origin.clone();
        member.node.origin = key_origin;
        match &mut member.node.value {
            Value::Seq(list) => self.list_item(list, index, item_level, nesting),
            _ => Err(self.not_a_list(start, key_end, &member.node)),
        }
    }

    /// `key.rest`: the rest of the path goes into the map under `key`. A map
    /// is created only if something lands in it; an existing one is edited in place.
    fn map_under_key(
        &mut self,
        data: &mut IndexMap<String, Member>,
        key: String,
        key_origin: Origin,
        start: usize,
        level: usize,
        nesting: usize,
    ) -> Result<Flow, Diagnostic> {
        if nesting > MAX_NESTING {
            return Err(self.too_many_dots(start));
        }
        let inner_level = self.descend(level, start)?;
        let (flow, empty) = match data.get_mut(&key) {
            Some(member) => {
                let Value::Map(inner) = &mut member.node.value else { return Err(self.not_a_map(start, &key)) };
                let flow = self.key(inner, inner_level, nesting)?;
                let empty = inner.is_empty();
                if !empty {
                    member.key = key_origin.clone();
                    member.node.origin = key_origin;
                }
                (flow, empty)
            }
            None => {
                let mut inner = IndexMap::new();
                let flow = self.key(&mut inner, inner_level, nesting)?;
                let empty = inner.is_empty();
                if !empty {
                    set(data, key.clone(), key_origin.clone(), Node::new(Value::Map(inner), key_origin));
                }
                (flow, empty)
            }
        };
        if empty && flow == Flow::More {
            return Err(self.empty_map(start, &key));
        }
        Ok(flow)
    }

    /// What follows `[N]`: `=value`, another index, or `.key` below the item,
    /// whose level is `level`.
    fn list_item(&mut self, list: &mut Vec<Node>, index: Index, level: usize, nesting: usize) -> Result<Flow, Diagnostic> {
        let start = self.pos;
        let (rest, last, _) = self.until(&['[', '.', '=']);
        if !rest.is_empty() {
            return Err(self.data_after_index(start, &rest));
        }
        match last {
            None => Ok(Flow::End),
            Some('=') => self.assign_item(list, &index, level),
            Some('[') => self.list_in_item(list, index, start, level, nesting),
            Some(_) => self.map_in_item(list, index, start, level, nesting),
        }
    }

    /// `[N]=value`: unlike a key, an item is stored even when the input ends at `=`.
    fn assign_item(&mut self, list: &mut Vec<Node>, index: &Index, level: usize) -> Result<Flow, Diagnostic> {
        let (node, _) = self.value(level)?;
        self.set_index(list, index, node)?;
        Ok(Flow::More)
    }

    /// `[N][M]...`: an existing list item is edited in place; a new one is
    /// stored only once an item reached it (`a[0][1]` alone leaves `a: []`).
    fn list_in_item(
        &mut self,
        list: &mut Vec<Node>,
        index: Index,
        start: usize,
        level: usize,
        nesting: usize,
    ) -> Result<Flow, Diagnostic> {
        let Some(next) = self.index()? else { return Ok(Flow::End) };
        let inner_level = self.descend(level, start)?;
        match list.get_mut(index.value) {
            Some(Node { value: Value::Seq(inner), .. }) => self.list_item(inner, next, inner_level, nesting),
            None | Some(Node { value: Value::Null, .. }) => {
                let mut inner = Vec::new();
                let flow = self.list_item(&mut inner, next, inner_level, nesting)?;
                if flow == Flow::More {
                    let origin = index.origin.clone();
                    self.set_index(list, &index, Node::new(Value::Seq(inner), origin))?;
                }
                Ok(flow)
            }
            Some(item) => Err(self.item_not_a_list(start, &index, item)),
        }
    }

    /// `[N].key...`: Helm turns an existing item into a map before reading
    /// the key and keeps it so whatever follows; a new item is stored only
    /// once the key got a value.
    fn map_in_item(
        &mut self,
        list: &mut Vec<Node>,
        index: Index,
        start: usize,
        level: usize,
        nesting: usize,
    ) -> Result<Flow, Diagnostic> {
        let inner_level = self.descend(level, start)?;
        match list.get_mut(index.value) {
            Some(item) => {
                let mut inner = match std::mem::replace(&mut item.value, Value::Null) {
                    Value::Map(map) => map,
                    _ => IndexMap::new(),
                };
                let flow = self.key(&mut inner, inner_level, nesting);
                item.value = Value::Map(inner);
                flow
            }
            None => {
                let mut inner = IndexMap::new();
                let flow = self.key(&mut inner, inner_level, nesting)?;
                if flow == Flow::More {
                    let origin = index.origin.clone();
                    self.set_index(list, &index, Node::new(Value::Map(inner), origin))?;
                }
                Ok(flow)
            }
        }
    }

    fn no_value(&self, start: usize, key: &str, before_comma: bool) -> Diagnostic {
        let ending = if before_comma { " (cannot end with ,)" } else { "" };
        self.error(start, format!("key `{key}` has no value{ending}"))
    }

    fn not_a_list(&self, start: usize, key_end: usize, node: &Node) -> Diagnostic {
        let key = &self.source.text[start..key_end];
        Diagnostic::new(Origin::span(&self.source, start, key_end), format!("`{key}` is {}, so it cannot be indexed", node.kind()))
            .with_help(SYNTAX_HELP)
    }

    fn not_a_map(&self, start: usize, key: &str) -> Diagnostic {
        self.error(start, format!("`{key}` is not a map, so `{key}.` cannot set a key below it"))
    }

    fn empty_map(&self, start: usize, key: &str) -> Diagnostic {
        self.error(start, format!("key map `{key}` has no value"))
    }

    fn too_many_dots(&self, start: usize) -> Diagnostic {
        Diagnostic::new(self.origin(start), format!("the key is nested deeper than {MAX_NESTING} levels"))
            .with_help(format!("Helm accepts at most {MAX_NESTING} dots in one key path"))
    }

    fn data_after_index(&self, start: usize, rest: &str) -> Diagnostic {
        self.error(start, format!("unexpected data at end of array index: `{rest}`"))
    }

    fn item_not_a_list(&self, start: usize, index: &Index, item: &Node) -> Diagnostic {
        self.error(start, format!("item {} is {}, not a list", index.value, item.kind()))
    }

    /// Reads `N]`; `None` when the input ends first, which Helm takes as the end.
    fn index(&mut self) -> Result<Option<Index>, Diagnostic> {
        let start = self.pos;
        let (text, last, end) = self.until(&[']']);
        if last.is_none() {
            return Ok(None);
        }
        let origin = Origin::span(&self.source, start, end);
        let located = |message: String| Diagnostic::new(origin.clone(), message).with_help(SYNTAX_HELP);
        let value: i64 = text.parse().map_err(|_| located(format!("list index `{text}` is not a number")))?;
        let value = usize::try_from(value).map_err(|_| located(format!("negative {value} index not allowed")))?;
        Ok(Some(Index { value, origin }))
    }

    /// Stores an item, padding the list with nulls.
    fn set_index(&mut self, list: &mut Vec<Node>, index: &Index, node: Node) -> Result<(), Diagnostic> {
        if index.value > MAX_INDEX {
            return Err(Diagnostic::new(
                index.origin.clone(),
                format!("index {} is greater than the maximum of {MAX_INDEX}", index.value),
            )
            .with_help(format!("Helm accepts list indexes from 0 to {MAX_INDEX}")));
        }
        if list.len() <= index.value {
            self.indexed_items += index.value + 1 - list.len();
            if self.indexed_items > MAX_INDEXED_ITEMS {
                return Err(Diagnostic::new(
                    index.origin.clone(),
                    format!("the indexes of this argument create more than {MAX_INDEXED_ITEMS} list items"),
                )
                .with_help("list items are created up to each index; write long lists in a values file"));
            }
            list.resize(index.value + 1, Node::new(Value::Null, index.origin.clone()));
        }
        list[index.value] = node;
        Ok(())
    }

    /// The value after `=`, at `level`, and whether input remains after it.
    fn value(&mut self, level: usize) -> Result<(Node, Flow), Diagnostic> {
        let start = self.pos;
        if self.kind == SetKind::Json {
            if self.blank_then_separator() {
                return Ok((Node::new(Value::Null, self.origin(start)), Flow::More));
            }
            let node = self.json(level)?;
            self.blank_then_separator();
            return Ok((node, Flow::More));
        }
        match self.peek() {
            // Helm reads `a=` at the very end as an empty string, and as the end.
            None => Ok((Node::new(Value::Str(String::new()), self.origin(start)), Flow::End)),
            Some('{') => {
                self.pos += 1;
                let items = self.list(level, start)?;
                Ok((Node::new(Value::Seq(items), self.origin(start)), Flow::More))
            }
            Some(_) => {
                let (text, _, end) = self.until(&[',']);
                Ok((Node::new(self.typed(&text), Origin::span(&self.source, start, end)), Flow::More))
            }
        }
    }

    /// The items of `{x,y}` after its `{`; a comma right after `}` is consumed.
    fn list(&mut self, level: usize, start: usize) -> Result<Vec<Node>, Diagnostic> {
        self.descend(level, start)?;
        let mut items = Vec::new();
        loop {
            let item_start = self.pos;
            let (text, last, end) = self.until(&[',', '}']);
            let Some(last) = last else {
                return Err(self.error(start, "list must terminate with `}`"));
            };
            items.push(Node::new(self.typed(&text), Origin::span(&self.source, item_start, end)));
            if last == '}' {
                if self.peek() == Some(',') {
                    self.pos += 1;
                }
                return Ok(items);
            }
        }
    }

    fn typed(&self, text: &str) -> Value {
        if self.kind == SetKind::String {
            return Value::Str(text.to_string());
        }
        typed_value(text)
    }

    /// Skips Unicode blanks (Go's `unicode.IsSpace`) and consumes a following
    /// comma. True when nothing but blanks and a comma (or the end) came.
    fn blank_then_separator(&mut self) -> bool {
        loop {
            match self.peek() {
                None => return true,
                Some(',') => {
                    self.pos += 1;
                    return true;
                }
                Some(c) if c.is_whitespace() => self.pos += c.len_utf8(),
                Some(_) => return false,
            }
        }
    }

    /// One JSON document at `level`, as Go's decoder reads it for Helm: it
    /// ends where its grammar ends, numbers are float64, a lone UTF-16
    /// surrogate escape becomes U+FFFD, and a repeated key keeps its last value.
    fn json(&mut self, level: usize) -> Result<Node, Diagnostic> {
        let start = self.pos;
        let value = match self.peek() {
            Some('{') => Value::Map(self.json_object(level, start)?),
            Some('[') => Value::Seq(self.json_array(level, start)?),
            _ => return self.json_scalar(),
        };
        Ok(Node::new(value, self.origin(start)))
    }

    fn json_scalar(&mut self) -> Result<Node, Diagnostic> {
        let start = self.pos;
        let value = match self.peek() {
            Some('"') => {
                self.pos += 1;
                Value::Str(self.json_string()?)
            }
            Some('-' | '0'..='9') => return self.json_number(),
            Some('t') => self.json_literal("true", Value::Bool(true))?,
            Some('f') => self.json_literal("false", Value::Bool(false))?,
            Some('n') => self.json_literal("null", Value::Null)?,
            _ => return Err(self.json_error("a JSON value")),
        };
        Ok(Node::new(value, self.origin(start)))
    }

    fn json_error(&self, expected: &str) -> Diagnostic {
        let (found, end) = match self.peek() {
            Some(c) => (format!("`{}`", c.escape_default()), self.pos + c.len_utf8()),
            None => ("the end".to_string(), self.pos),
        };
        Diagnostic::new(Origin::span(&self.source, self.pos, end), format!("invalid JSON: expected {expected}, found {found}"))
            .with_help(JSON_HELP)
    }

    fn skip_json_blanks(&mut self) {
        while let Some(' ' | '\t' | '\n' | '\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// An object from its `{` at `start`, its members a level below `level`.
    fn json_object(&mut self, level: usize, start: usize) -> Result<IndexMap<String, Member>, Diagnostic> {
        let level = self.descend(level, start)?;
        let mut map = IndexMap::new();
        if self.json_opens('}') {
            return Ok(map);
        }
        loop {
            let (key, key_origin) = self.json_member_name()?;
            let node = self.json(level)?;
            map.insert(key, Member { key: key_origin, node });
            if self.json_closes('}')? {
                return Ok(map);
            }
        }
    }

    /// An array from its `[` at `start`, its items a level below `level`.
    fn json_array(&mut self, level: usize, start: usize) -> Result<Vec<Node>, Diagnostic> {
        let level = self.descend(level, start)?;
        let mut items = Vec::new();
        if self.json_opens(']') {
            return Ok(items);
        }
        loop {
            items.push(self.json(level)?);
            if self.json_closes(']')? {
                return Ok(items);
            }
        }
    }

    /// Consumes an opening bracket and the blanks after it; true, with the
    /// closing bracket consumed, if the collection is empty.
    fn json_opens(&mut self, close: char) -> bool {
        self.pos += 1;
        self.skip_json_blanks();
        let empty = self.peek() == Some(close);
        if empty {
            self.pos += 1;
        }
        empty
    }

    /// After an item: true at the closing bracket, false after a comma (and blanks).
    fn json_closes(&mut self, close: char) -> Result<bool, Diagnostic> {
        self.skip_json_blanks();
        match self.peek() {
            Some(',') => {
                self.pos += 1;
                self.skip_json_blanks();
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.json_error(&format!("`,` or `{close}`"))),
        }
    }

    /// `"name":` and the blanks after it.
    fn json_member_name(&mut self) -> Result<(String, Origin), Diagnostic> {
        let start = self.pos;
        if self.peek() != Some('"') {
            return Err(self.json_error("a string key"));
        }
        self.pos += 1;
        let name = self.json_string()?;
        let origin = self.origin(start);
        self.skip_json_blanks();
        if self.peek() != Some(':') {
            return Err(self.json_error("`:`"));
        }
        self.pos += 1;
        self.skip_json_blanks();
        Ok((name, origin))
    }

    /// The rest of a JSON string after its opening quote.
    fn json_string(&mut self) -> Result<String, Diagnostic> {
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.json_error("`\"` to end the string")),
                Some(c) if c < ' ' => return Err(self.json_error("an escape instead of a control character")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            self.pos += 1;
                            text.push(self.json_unicode_escape()?);
                            continue;
                        }
                        _ => return Err(self.json_error("an escape such as `\\n` or `\\u00e9`")),
                    };
                    self.pos += 1;
                    text.push(escaped);
                }
                Some(c) => {
                    self.pos += c.len_utf8();
                    text.push(c);
                }
            }
        }
    }

    /// The character of `\uXXXX` after its `\u`, with the low half of a surrogate pair if one follows.
    fn json_unicode_escape(&mut self) -> Result<char, Diagnostic> {
        let unit = self.json_hex4()?;
        if (0xD800..0xDC00).contains(&unit) {
            let rest = &self.source.text[self.pos..];
            let low = rest.strip_prefix("\\u").and_then(|r| r.get(..4)).and_then(|h| u32::from_str_radix(h, 16).ok());
            if let Some(low @ 0xDC00..0xE000) = low {
                self.pos += 6;
                return Ok(char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{FFFD}'));
            }
        }
        Ok(char::from_u32(unit).unwrap_or('\u{FFFD}'))
    }

    fn json_hex4(&mut self) -> Result<u32, Diagnostic> {
        let mut unit = 0;
        for _ in 0..4 {
            let Some(digit) = self.peek().and_then(|c| c.to_digit(16)) else {
                return Err(self.json_error("four hexadecimal digits after `\\u`"));
            };
            self.pos += 1;
            unit = unit * 16 + digit;
        }
        Ok(unit)
    }

    /// A JSON number, held as the float64 Go decodes it to.
    fn json_number(&mut self) -> Result<Node, Diagnostic> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        match self.peek() {
            Some('0') => self.pos += 1,
            Some('1'..='9') => self.json_digits(),
            _ => return Err(self.json_error("a digit")),
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            self.json_required_digits()?;
        }
        if let Some('e' | 'E') = self.peek() {
            self.pos += 1;
            if let Some('+' | '-') = self.peek() {
                self.pos += 1;
            }
            self.json_required_digits()?;
        }
        let origin = self.origin(start);
        let text = &self.source.text[start..self.pos];
        match text.parse::<f64>() {
            // The integer-or-float reading a float from a values file gets.
            Ok(number) if number.is_finite() => Ok(Node::from_json(&number.into(), &origin)),
            _ => Err(Diagnostic::new(origin, format!("the number {text} is too large for a float64, as Helm holds it"))
                .with_help(JSON_HELP)),
        }
    }

    fn json_digits(&mut self) {
        while let Some('0'..='9') = self.peek() {
            self.pos += 1;
        }
    }

    fn json_required_digits(&mut self) -> Result<(), Diagnostic> {
        if !matches!(self.peek(), Some('0'..='9')) {
            return Err(self.json_error("a digit"));
        }
        self.json_digits();
        Ok(())
    }

    fn json_literal(&mut self, word: &str, value: Value) -> Result<Value, Diagnostic> {
        for expected in word.chars() {
            if self.peek() != Some(expected) {
                return Err(self.json_error(&format!("`{word}`")));
            }
            self.pos += 1;
        }
        Ok(value)
    }
}

/// `--set` type inference: booleans and null case-insensitively, decimal
/// integers that do not start with `0` (except `0` itself); all else is a string.
pub fn typed_value(text: &str) -> Value {
    if equal_fold(text, "true") {
        Value::Bool(true)
    } else if equal_fold(text, "false") {
        Value::Bool(false)
    } else if equal_fold(text, "null") {
        Value::Null
    } else if text == "0" {
        Value::Int(0)
    } else if !text.starts_with('0') {
        text.parse::<i64>().map_or_else(|_| Value::Str(text.to_string()), Value::Int)
    } else {
        Value::Str(text.to_string())
    }
}

/// Go's `strings.EqualFold` against a lowercase ASCII word: ASCII letters in
/// either case, and `ſ` (U+017F), which Unicode case folding joins to `s`.
fn equal_fold(text: &str, word: &str) -> bool {
    text.chars().map(|c| if c == 'ſ' { 's' } else { c.to_ascii_lowercase() }).eq(word.chars())
}

fn set(data: &mut IndexMap<String, Member>, key: String, key_origin: Origin, node: Node) {
    if !key.is_empty() {
        data.insert(key, Member { key: key_origin, node });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arg: &str, kind: SetKind) -> Result<serde_json::Value, Diagnostic> {
        let mut root = Node::empty_map(Origin::Default);
        parse_into(arg, kind, &mut root).map(|()| root.to_json())
    }

    /// Equal JSON, where a number may be a float on one side and an integer
    /// on the other (Helm prints its integral float64s as integers) but must
    /// be the same number.
    fn same_json(ours: &serde_json::Value, helm: &serde_json::Value) -> bool {
        use serde_json::Value as Json;
        match (ours, helm) {
            (Json::Number(a), Json::Number(b)) => match (a.as_i128(), b.as_i128()) {
                (Some(a), Some(b)) => a == b,
                _ => a.as_f64() == b.as_f64(),
            },
            (Json::Array(a), Json::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b)),
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same_json(a, b)))
            }
            _ => ours == helm,
        }
    }

    /// Every case in `tests/data/strvals-helm.json` was parsed by real Helm
    /// (`tests/helm/strvals_oracle.py`); a `null` result means Helm rejected it.
    #[test]
    fn parses_every_case_exactly_as_helm_does() {
        let table: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../tests/data/strvals-helm.json")).unwrap();
        assert!(table.len() >= 130);
        for case in &table {
            let arg = case["arg"].as_str().unwrap();
            let kind = match case["kind"].as_str().unwrap() {
                "set" => SetKind::Typed,
                "set-string" => SetKind::String,
                _ => SetKind::Json,
            };
            let ours = parse(arg, kind);
            match &case["result"] {
                serde_json::Value::Null => {
                    assert!(ours.is_err(), "{} {arg:?}: Helm rejects it, we gave {ours:?}", kind.flag())
                }
                expected => match ours {
                    Ok(json) => assert!(same_json(&json, expected), "{} {arg:?}: Helm gives {expected}, we gave {json}", kind.flag()),
                    Err(e) => panic!("{} {arg:?}: Helm gives {expected}, we failed: {e}", kind.flag()),
                },
            }
        }
    }

    #[test]
    fn an_error_points_into_the_argument() {
        let err = parse("a=1,b[x]=2", SetKind::Typed).unwrap_err();
        assert_eq!(err.origin.location(), "--set:1:7");
        assert!(err.message.contains("`x` is not a number"), "{}", err.message);
    }

    #[test]
    fn the_largest_index_helm_accepts_is_stored_and_the_next_is_refused_where_written() {
        let json = parse("a[65536]=x", SetKind::Typed).unwrap();
        assert_eq!(json["a"].as_array().unwrap().len(), MAX_INDEX + 1);
        let err = parse("b=1,a[65537]=x", SetKind::Typed).unwrap_err();
        assert_eq!(err.origin.location(), "--set:1:7");
        assert!(err.message.contains("greater than the maximum of 65536"), "{}", err.message);
    }

    #[test]
    fn an_index_chain_past_the_depth_limit_is_a_located_error_not_a_stack_overflow() {
        let arg = format!("a{}=1", "[0]".repeat(14_000));
        let err = parse(&arg, SetKind::Typed).unwrap_err();
        assert!(err.message.contains("nested deeper than 200 levels"), "{}", err.message);
        // The 200th index is the first one too deep: `a` is level 1.
        assert_eq!(err.origin.location(), format!("--set:1:{}", 2 + 3 * 199));
    }

    #[test]
    fn json_nested_past_the_depth_limit_is_a_located_error() {
        let arg = format!("a.b={}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let err = parse(&arg, SetKind::Json).unwrap_err();
        assert!(err.message.contains("nested deeper than 200 levels"), "{}", err.message);
        assert_eq!(err.origin.location(), format!("--set-json:1:{}", 5 + MAX_DEPTH - 2));
        assert!(parse(&format!("a={}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1)), SetKind::Json).is_ok());
    }

    #[test]
    fn a_key_path_deeper_than_helm_allows_is_refused() {
        let path = vec!["a"; MAX_NESTING + 2].join(".");
        let err = parse(&format!("{path}=1"), SetKind::Typed).unwrap_err();
        assert!(err.message.contains("nested deeper than 30 levels"), "{}", err.message);
        assert!(err.origin.location().starts_with("--set:1:"), "{}", err.origin.location());
    }

    #[test]
    fn indexes_that_would_create_millions_of_items_are_refused() {
        let err = parse("a[65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536][65536]=1", SetKind::Typed).unwrap_err();
        assert!(err.message.contains("more than 1048576 list items"), "{}", err.message);
    }

    #[test]
    fn an_argument_over_the_size_limit_is_refused_before_it_is_read() {
        // Valid, so only its size can be at fault.
        let arg = format!("a={}", "x".repeat(MAX_ARGUMENT_BYTES));
        let err = parse(&arg, SetKind::String).unwrap_err();
        assert_eq!(err.origin.location(), "--set-string:1:1");
        assert!(err.message.contains(&format!("{} bytes long, over the limit of 1048576 bytes", arg.len())), "{}", err.message);
        assert!(err.render(false).len() < 1000, "the message does not echo the argument");
        assert!(parse(&arg[..MAX_ARGUMENT_BYTES], SetKind::String).is_ok());
    }

    #[test]
    fn a_tree_at_the_depth_limit_survives_every_walk_on_half_a_test_thread_stack() {
        let deepest = [
            (format!("a{}=1", "[0]".repeat(MAX_DEPTH - 1)), SetKind::Typed),
            (format!("a={}1{}", "{\"k\":".repeat(MAX_DEPTH - 1), "}".repeat(MAX_DEPTH - 1)), SetKind::Json),
            (format!("a={}1{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1)), SetKind::Json),
        ];
        let walks = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
            for (arg, kind) in deepest {
                let mut root = Node::empty_map(Origin::Default);
                parse_into(&arg, kind, &mut root).unwrap();
                let json = root.to_json();
                let mut merged = Node::empty_map(Origin::Default);
                crate::source::merge_maps(&mut merged, root.clone());
                crate::source::merge_maps(&mut merged, root);
                assert_eq!(merged.to_json(), json);
            }
        });
        walks.unwrap().join().expect("no walk overflows a 1 MiB stack");
    }
}
