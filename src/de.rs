//! Typed reading of a located tree.
//!
//! A serde `Deserializer` over [`Node`], so that the model's own types
//! (`deny_unknown_fields`, enums, parsed newtypes) decide what is valid and
//! every error still knows the node it came from: an unknown key points at
//! the key and suggests the nearest valid name from serde's own list of
//! fields, a wrong type points at the value and says what was expected.

use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::diagnostic::{nearest, Diagnostic, Origin};
use crate::source::{Member, Node, Value};

/// Reads a typed value from a located tree; `path` names the tree's root in messages.
pub fn from_node<T: DeserializeOwned>(node: &Node, path: &str) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, path: path.to_string() }).map_err(|e| e.into_diagnostic(&node.origin))
}

/// A deserialization error, located once the failing node is known.
#[derive(Debug)]
pub struct Error {
    origin: Option<Origin>,
    path: Option<String>,
    message: String,
    help: Option<String>,
}

impl Error {
    fn at(mut self, origin: &Origin, path: &str) -> Error {
        if self.origin.is_none() {
            self.origin = Some(origin.clone());
            self.path = Some(path.to_string());
        }
        self
    }

    fn into_diagnostic(self, fallback: &Origin) -> Diagnostic {
        let message = match self.path.as_deref() {
            Some(path) if !path.is_empty() => format!("`{path}`: {}", self.message),
            _ => self.message,
        };
        let diagnostic = Diagnostic::new(self.origin.unwrap_or_else(|| fallback.clone()), message);
        match self.help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        Error { origin: None, path: None, message, help }
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        let help = match unexpected {
            de::Unexpected::Signed(_) | de::Unexpected::Unsigned(_) | de::Unexpected::Float(_) | de::Unexpected::Bool(_)
                if expected.to_string().contains("string") =>
            {
                Some("quote the value to make it a string, for example \"16\"".to_string())
            }
            de::Unexpected::Str(s) if s.parse::<f64>().is_ok() => {
                Some("remove the quotes to make it a number (or use --set instead of --set-string)".to_string())
            }
            _ => None,
        };
        // serde names a struct by its Rust type; in values it is a map of settings.
        let expected = match expected.to_string() {
            e if e.starts_with("struct ") => "a map of settings".to_string(),
            e => e,
        };
        let help = help.or_else(|| (expected == "a map of settings").then(|| "give the keys under it, one per line, or with --set key.subkey=value".to_string()));
        Error { origin: None, path: None, message: format!("expected {expected}, found {unexpected}"), help }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Error {
        let help = match nearest(field, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? valid keys here: {}", one_of(expected)),
            None => format!("valid keys here: {}", one_of(expected)),
        };
        Error { origin: None, path: None, message: format!("unknown key `{field}`"), help: Some(help) }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Error {
        let help = match nearest(variant, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? it must be one of {}", one_of(expected)),
            None => format!("it must be one of {}", one_of(expected)),
        };
        Error { origin: None, path: None, message: format!("`{variant}` is not a valid choice"), help: Some(help) }
    }

    fn missing_field(field: &'static str) -> Error {
        Error {
            origin: None,
            path: None,
            message: format!("missing key `{field}`"),
            help: Some(format!("add `{field}:` here (a `null` in a values file removes a key)")),
        }
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
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
            Value::Seq(items) => visitor.visit_seq(SeqDe { items: items.iter().enumerate(), path: &self.path }),
            Value::Map(map) => visitor.visit_map(MapDe { entries: map.iter(), pending: None, path: &self.path }),
        };
        result.map_err(|e| e.at(&self.node.origin, &self.path))
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
        result.map_err(|e: Error| e.at(&self.node.origin, &self.path))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
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
    path: &'a str,
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqDe<'a, I> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some((i, node)) => {
                let path = format!("{}[{i}]", self.path);
                // Errors raised after the node was read (a failed `try_from`) are located here.
                seed.deserialize(NodeDe { node, path: path.clone() }).map(Some).map_err(|e| e.at(&node.origin, &path))
            }
            None => Ok(None),
        }
    }
}

struct MapDe<'a, I> {
    entries: I,
    pending: Option<(&'a str, &'a Member)>,
    path: &'a str,
}

impl<'de, 'a, I: Iterator<Item = (&'a String, &'a Member)>> de::MapAccess<'de> for MapDe<'a, I> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, member)) = self.entries.next() else { return Ok(None) };
        self.pending = Some((key, member));
        let key_de: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
        seed.deserialize(key_de).map(Some).map_err(|e| e.at(&member.key, &child_path(self.path, key)))
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, member) = self.pending.take().expect("serde asks for a value after its key");
        let path = child_path(self.path, key);
        seed.deserialize(NodeDe { node: &member.node, path: path.clone() }).map_err(|e| e.at(&member.node.origin, &path))
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
        from_node(&load_str(&Source::new("v.yaml", text)).unwrap(), "")
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
        assert!(err.message.contains("`pvc.size`: expected u32, found string \"big\""), "{}", err.message);
    }

    #[test]
    fn a_missing_key_points_at_its_map() {
        let err = read("pvc:\n  size: 1\n").unwrap_err();
        assert_eq!(err.origin.location(), "v.yaml:2:3");
        assert!(err.message.contains("missing key `storageClassName`"));
    }
}
