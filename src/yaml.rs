//! YAML text for values in native rendering.
//!
//! Scalars are written so that YAML 1.1 and 1.2 readers (Helm, kubectl,
//! Kubernetes) all read back the same value: a string stays plain only when
//! it cannot be mistaken for anything else, otherwise it is double-quoted
//! with JSON escapes (plus the characters YAML forbids raw). Numbers are
//! written as Go's `toJson` writes them, so native and Helm renderings agree.

use serde_json::Value;

/// A number as Go's `encoding/json` writes a float64 (what `toJson` prints).
pub fn go_json_number(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go writes exponents with a sign and at least one digit: 1e-07 -> 1e-7, 1e+21.
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        }
    } else {
        format!("{f}")
    }
}

/// A YAML scalar for a JSON scalar (maps and lists are written by [`block`]).
pub fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_json_number(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => string(s),
        Value::Array(_) | Value::Object(_) => flow(value),
    }
}

/// A string, plain when that is unambiguous, else double-quoted.
pub fn string(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Words YAML 1.1 (Helm's reader) takes for booleans or null.
const RESERVED: [&str; 22] = [
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if first.is_ascii_digit() {
        // Quantities such as 20Gi and 500m: digits, a dot, then letters; never a number or a date.
        return s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && matches!(crate::source::resolve_plain(s), crate::source::Value::Str(_))
            && !s.contains(['e', 'E', 'x', 'X', 'o', 'O', 'b', 'B']);
    }
    first.is_ascii_alphabetic()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.contains(&s)
        && !matches!(s.to_ascii_lowercase().as_str(), "null" | "nan" | "inf")
}

/// A double-quoted YAML string: JSON escapes, plus the code points YAML does not allow raw.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: plain when safe, else quoted.
fn key(k: &str) -> String {
    string(k)
}

fn flow(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{}: {}", key(k), flow(v))).collect::<Vec<_>>().join(", "))
        }
        scalar_value => scalar(scalar_value),
    }
}

/// A map or list as block YAML, every line indented by `indent` spaces, keys sorted
/// as Go's `toYaml` sorts them. Empty collections are `{}` and `[]`.
pub fn block(value: &Value, indent: usize) -> String {
    let mut lines = Vec::new();
    write_block(value, indent, &mut lines);
    lines.join("\n")
}

fn write_block(value: &Value, indent: usize, lines: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                let v = &map[k];
                if is_nonempty_collection(v) {
                    lines.push(format!("{pad}{}:", key(k)));
                    write_block(v, indent + 2, lines);
                } else {
                    lines.push(format!("{pad}{}: {}", key(k), scalar(v)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_nonempty_collection(item) {
                    let mut inner = Vec::new();
                    write_block(item, indent + 2, &mut inner);
                    // The first line of the item shares the dash.
                    let first = inner.remove(0);
                    lines.push(format!("{pad}- {}", first.trim_start()));
                    lines.extend(inner);
                } else {
                    lines.push(format!("{pad}- {}", scalar(item)));
                }
            }
        }
        other => lines.push(format!("{pad}{}", scalar(other))),
    }
}

fn is_nonempty_collection(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_as_go_to_json_prints_them() {
        assert_eq!(go_json_number(0.05), "0.05");
        assert_eq!(go_json_number(1_000_000.0), "1000000");
        assert_eq!(go_json_number(1e-7), "1e-7");
        assert_eq!(go_json_number(1e21), "1e+21");
        assert_eq!(go_json_number(0.0), "0");
    }

    #[test]
    fn strings_that_yaml_would_retype_are_quoted() {
        for s in ["yes", "on", "null", "0123", "1e3", "", "a: b", " lead", "#x", "*x", "&x", "!x", "%x", "@x", "`x", "x #y"] {
            assert!(string(s).starts_with('"'), "{s:?} must be quoted");
        }
        assert_eq!(string("rel-certctl-backup"), "rel-certctl-backup");
        assert_eq!(string("20Gi"), "20Gi");
        assert!(string("1e3").starts_with('"'));
        assert!(string("0x1F").starts_with('"'));
        assert_eq!(quoted("a\"b\\c\nd\u{7f}"), "\"a\\\"b\\\\c\\nd\\u007f\"");
    }

    #[test]
    fn blocks_sort_keys_and_indent_nested_items() {
        let value = json!({"b": [{"x": 1, "a": "q"}], "a": {}, "c": {"d": "e"}});
        assert_eq!(block(&value, 2), "  a: {}\n  b:\n    - a: q\n      x: 1\n  c:\n    d: e");
    }
}
