//! Differential test against real Helm: random `--set`, `--set-string` and
//! `--set-json` arguments, each parsed by chartgen and by Helm's own strvals
//! parser (helm-python-sdk through `tests/helm/strvals_batch.py`, one process
//! for the whole batch), must give the same values, and one side rejecting
//! an argument means the other rejects it too.
//!
//! The generator aims at the corners where the two parsers have disagreed:
//! nested indexes with and without a value, indexes around Helm's maximum,
//! paths that stop short, `=` inside values, escapes, `{x,y}` lists, JSON
//! documents followed by more text, integers around 2^53 and past int64,
//! case-folded keywords, leading zeros, unicode, and random edits on top.
//!
//! Each run draws a new seed and prints it; `CHARTGEN_STRVALS_SEED=N` replays it.

mod common;

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Stdio};

use chartgen::diagnostic::Origin;
use chartgen::source::Node;
use chartgen::strvals::{parse_into, SetKind};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const CASES_PER_KIND: usize = 1000;
const KINDS: [(SetKind, &str); 3] = [(SetKind::Typed, "set"), (SetKind::String, "set-string"), (SetKind::Json, "set-json")];

/// Keys that collide often, so later assignments meet earlier ones.
const COMMON_KEYS: &[&str] = &["a", "a", "a", "b", "b", "c"];
const ODD_KEYS: &[&str] = &[
    "", "true", "0", "01", "x_y", "a b", " a", "-", "é", "日本", "ſ", "k\\.d", "k\\,c", "k\\\\", "k\\=v", "k\\[0]", "k\\",
];
const SMALL_INDEXES: &[&str] = &["[0]", "[0]", "[1]", "[1]", "[2]", "[3]", "[-0]", "[+1]", "[01]", "[\\1]"];
const ODD_INDEXES: &[&str] = &[
    "[-1]", "[x]", "[]", "[ 1]", "[1 ]", "[1_0]", "[++1]", "[9223372036854775807]", "[99999999999999999999]", "[1",
    "[0]x", "[0]]",
];
const HUGE_INDEXES: &[&str] = &["[65535]", "[65536]", "[65537]", "[70000]"];
const SCALARS: &[&str] = &[
    "1", "0", "-5", "+5", "-0", "007", "00", "-012", "9007199254740992", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1.5", "1e3", "0x1F",
    "true", "TRUE", "False", "falſe", "tRuE", "null", "NULL", "Null", "nil", "yes", "", "", "x", "hello world", "=",
    "1=", "a=1", "x\\,y", "\\", "\\\\", "\\.", "{a,b}", "{}", "{1,true,null}", "{a,{b}", "{x", "}", "{a}b", "{a},",
    "{\\,}", "é", "☃", "𝄞", " ", "\t", "\u{a0}", "[0]", ".", "a.b", "\"q\"",
];
const JSON_SCALARS: &[&str] = &[
    "null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e3", "1E+2", "2e-3", "1e-400", "1e400", "-1e400", "0.1",
    "1.0", "5e-324", "9007199254740992", "9007199254740993", "-9007199254740993", "9223372036854775807",
    "9223372036854775808", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890", "\"x\"",
    "\"\"", "\"a,b\"", "\"a=b\"", "\"é\\u00e9\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"",
    "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\\udc00\"", "\"q\\\"q\"", "\"\\\\\"", "\"\\n\\t\\/\\b\\f\\r\"", "\"日本\"",
];
const BAD_JSON: &[&str] = &[
    "tru", "nul", "nulx", "truex", "[1,", "{\"a\"}", "01", "-", "1.", "1e", "1e+", ".5", "+1", "NaN", "Infinity", "'x'",
    "x", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "\"open", "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "[1 2]", "{\"a\" 1}",
    "\"tab\there\"", "]", "}", "1.5.3",
];
const JSON_AFTER: &[&str] = &["=", "=1", ".b=1", "x", "x=2", "1", "\"y\"", ",", ", ", ",b=1", " ,b=2", "\u{a0},", "[0]=1"];
const BLANKS: &[&str] = &[" ", "\t", "\n", "\u{a0}", "\u{b}", "\u{2003}"];
/// Characters the random edits insert.
const EDIT_CHARS: &[char] = &[
    '=', ',', '.', '[', ']', '{', '}', '\\', '"', ':', '0', '1', '9', '-', '+', 'a', 'e', ' ', 'é', '☃', '\u{a0}',
];

fn seed() -> u64 {
    match std::env::var("CHARTGEN_STRVALS_SEED") {
        Ok(text) => text.parse().expect("CHARTGEN_STRVALS_SEED is a number"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
    }
}

fn pick<'a>(rng: &mut StdRng, choices: &[&'a str]) -> &'a str {
    choices.choose(rng).unwrap()
}

fn key(rng: &mut StdRng) -> &'static str {
    if rng.random_bool(0.8) { pick(rng, COMMON_KEYS) } else { pick(rng, ODD_KEYS) }
}

fn index(rng: &mut StdRng) -> &'static str {
    match rng.random_range(0..100) {
        0 => pick(rng, HUGE_INDEXES),
        1..6 => pick(rng, ODD_INDEXES),
        _ => pick(rng, SMALL_INDEXES),
    }
}

/// A key path: keys joined by dots, each with a few indexes; now and then a
/// long run of dots around Helm's nesting limit or a long chain of indexes.
fn path(rng: &mut StdRng) -> String {
    match rng.random_range(0..40) {
        0 => return vec!["a"; rng.random_range(28..=33)].join("."),
        1 => return format!("a{}", "[0]".repeat(rng.random_range(2..=60))),
        _ => {}
    }
    let segments: Vec<String> = (0..rng.random_range(1..=3))
        .map(|_| {
            let indexes = if rng.random_bool(0.5) { 0 } else { rng.random_range(1..=3) };
            let mut segment = key(rng).to_string();
            for _ in 0..indexes {
                segment.push_str(index(rng));
            }
            segment
        })
        .collect();
    let mut path = segments.join(".");
    if rng.random_bool(0.03) {
        path.push('.');
    }
    path
}

fn scalar_value(rng: &mut StdRng) -> String {
    let pieces = if rng.random_bool(0.25) { 2 } else { 1 };
    (0..pieces).map(|_| pick(rng, SCALARS)).collect()
}

fn blanks(rng: &mut StdRng) -> &'static str {
    if rng.random_bool(0.15) { pick(rng, BLANKS) } else { "" }
}

/// A JSON document, valid or not, at most `depth` containers deep.
fn json_document(rng: &mut StdRng, depth: usize) -> String {
    match rng.random_range(0..40) {
        0 => pick(rng, BAD_JSON).to_string(),
        1..=8 if depth > 0 => {
            let items: Vec<String> =
                (0..rng.random_range(0..=3)).map(|_| format!("{}{}{}", blanks(rng), json_document(rng, depth - 1), blanks(rng))).collect();
            format!("[{}]", items.join(","))
        }
        9..=16 if depth > 0 => {
            let members: Vec<String> = (0..rng.random_range(0..=3))
                .map(|_| {
                    let name = pick(rng, &["a", "b", "a", "", "é", "k.d", "\\u00e9", "\\ud800"]);
                    format!("\"{name}\"{}:{}", blanks(rng), json_document(rng, depth - 1))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        _ => pick(rng, JSON_SCALARS).to_string(),
    }
}

fn json_value(rng: &mut StdRng) -> String {
    let mut value = format!("{}{}", blanks(rng), json_document(rng, 3));
    if rng.random_bool(0.1) {
        value.clear();
    }
    if rng.random_bool(0.15) {
        value.push_str(pick(rng, JSON_AFTER));
    }
    value
}

/// One `path=value`; the last assignment of an argument is often left without a value.
fn assignment(rng: &mut StdRng, kind: SetKind, last: bool) -> String {
    let mut text = path(rng);
    if rng.random_bool(if last { 0.75 } else { 0.98 }) {
        text.push('=');
        text.push_str(&if kind == SetKind::Json { json_value(rng) } else { scalar_value(rng) });
    }
    text
}

/// Inserts, deletes or duplicates a few characters at random places.
fn edit(rng: &mut StdRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.random_range(1..=3) {
        let at = rng.random_range(0..=chars.len());
        match rng.random_range(0..3) {
            0 => chars.insert(at, *EDIT_CHARS.choose(rng).unwrap()),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars.insert(at, chars[at]),
            _ => chars.push(*EDIT_CHARS.choose(rng).unwrap()),
        }
    }
    chars.into_iter().collect()
}

fn argument(rng: &mut StdRng, kind: SetKind) -> String {
    let count = rng.random_range(1..=3);
    let assignments: Vec<String> = (0..count).map(|i| assignment(rng, kind, i + 1 == count)).collect();
    let separator = if rng.random_bool(0.03) { ",," } else { "," };
    let mut text = assignments.join(separator);
    if rng.random_bool(0.03) {
        text.push(',');
    }
    if rng.random_bool(0.2) { edit(rng, &text) } else { text }
}

fn ask_helm(python: &OsString, cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new(python)
        .arg(common::root().join("tests/helm/strvals_batch.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the Helm helper starts");
    let input = serde_json::to_vec(cases).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "the Helm helper failed: {}", String::from_utf8_lossy(&output.stderr));
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), cases.len(), "one answer per argument");
    answers
}

/// Equal JSON, where a number may be a float on one side and an integer on
/// the other (Helm decodes `--set-json` numbers to float64 and prints the
/// integral ones as integers) but must be the same number.
fn same_values(ours: &Value, helm: &Value) -> bool {
    match (ours, helm) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i128(), b.as_i128()) {
            (Some(a), Some(b)) => a == b,
            _ => a.as_f64() == b.as_f64(),
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_values(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same_values(a, b)))
        }
        _ => ours == helm,
    }
}

fn shortened(text: String) -> String {
    match text.char_indices().nth(400) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text,
    }
}

#[test]
#[ignore = "needs real Helm: helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn random_arguments_parse_exactly_as_helm_parses_them() {
    let python = common::helm_python();
    let seed = seed();
    eprintln!("strvals differential test: seed {seed} (replay with CHARTGEN_STRVALS_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let cases: Vec<(SetKind, &str, String)> = KINDS
        .iter()
        .flat_map(|&kind| std::iter::repeat_n(kind, CASES_PER_KIND))
        .map(|(kind, name)| (kind, name, argument(&mut rng, kind)))
        .collect();
    let request: Vec<Value> = cases.iter().map(|(_, name, arg)| json!({"kind": name, "arg": arg})).collect();
    let answers = ask_helm(&python, &request);
    std::fs::write("/tmp/fuzzdump.json", serde_json::to_string(&json!([request, answers])).unwrap()).unwrap();

    let mut mismatches = Vec::new();
    let mut accepted = [0usize; 3];
    for ((kind, _, arg), answer) in cases.iter().zip(&answers) {
        let mut root = Node::empty_map(Origin::Default);
        let ours = parse_into(arg, *kind, &mut root).map(|()| root.to_json());
        let agree = match (&ours, answer.get("values")) {
            (Ok(ours), Some(helm)) => same_values(ours, helm),
            (Err(_), None) => true,
            _ => false,
        };
        if answer.get("values").is_some() {
            accepted[KINDS.iter().position(|(k, _)| k == kind).unwrap()] += 1;
        }
        if !agree {
            let ours = match ours {
                Ok(json) => json.to_string(),
                Err(e) => format!("error: {} at {}", e.message, e.origin.location()),
            };
            let helm = match answer.get("values") {
                Some(values) => values.to_string(),
                None => format!("error: {}", answer["error"].as_str().unwrap_or_default()),
            };
            mismatches.push(format!(
                "{} {arg:?}\n  Helm:     {}\n  chartgen: {}",
                kind.flag(),
                shortened(helm),
                shortened(ours)
            ));
        }
    }
    eprintln!("Helm accepted {accepted:?} of {CASES_PER_KIND} --set, --set-string and --set-json arguments");
    assert!(
        mismatches.is_empty(),
        "{} of {} arguments parse differently from Helm (seed {seed}; replay with CHARTGEN_STRVALS_SEED={seed}):\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
    // The generator must keep reaching both sides of Helm's grammar.
    for ((_, name), accepted) in KINDS.iter().zip(accepted) {
        assert!(
            (CASES_PER_KIND / 5..CASES_PER_KIND * 19 / 20).contains(&accepted),
            "--{name}: Helm accepted {accepted} of {CASES_PER_KIND} arguments (seed {seed})"
        );
    }
}
