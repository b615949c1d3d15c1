//! Typed scalars, parsed once where they enter.
//!
//! Cron schedules, durations, quantities, time zones, bucket and object
//! names arrive as text; each has a type here that parses and checks it on
//! the way in (with a message that says what would be right) and keeps the
//! parsed form, so nothing downstream parses the text again. Each type
//! serializes back to its original text and describes itself to the JSON
//! schema with a pattern.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{DateTime, Duration as Span, TimeZone as _};
use regex::Regex;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::memo::Memo;

/// Declares a string newtype that parses with `FromStr`, (de)serializes as its
/// text and describes itself to the JSON schema: `schema` gives the keywords
/// beside `"type": "string"`, which must accept exactly what `FromStr` accepts
/// (or the difference is listed in `SCHEMA_EXCEPTIONS`).
macro_rules! text_type {
    ($name:ident, $what:expr, $schema:expr) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                text.parse()
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.to_string()
            }
        }
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let mut schema = serde_json::json!({ "type": "string", "description": $what });
                let keywords: serde_json::Value = $schema;
                for (key, value) in keywords.as_object().expect("schema keywords are a map") {
                    schema[key] = value.clone();
                }
                Schema::try_from(schema).expect("an object is a schema")
            }
        }
    };
}

/// Where `values.schema.json` (what Helm checks on install) accepts a value
/// that chartgen refuses: what a regular expression cannot say. Each is
/// tested both ways in `tests/helm_parity.rs` and listed in the README.
pub const SCHEMA_EXCEPTIONS: [&str; 4] = [
    "a cron range whose start is above its end (`0 5-1 * * *`), which Kubernetes refuses too",
    "a recovery target time on a day the calendar does not have (`2026-02-30T00:00:00Z`)",
    "a number threshold that is not finite (`.nan`, `.inf` in a values file): JSON Schema has no words for them",
    "a backup TTL or maximum age shorter than the longest gap its schedule leaves (`velero.ttl: 1h` with a daily schedule): a schema cannot compare a duration with a schedule",
];

/// Characters no value may hold: C0 controls (tab and newline included),
/// DEL and C1 controls. Helm writes them raw into YAML and then refuses
/// its own output, or silently drops the map they are in.
pub fn control_character(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control())
}

/// The JSON schema pattern of [`control_character`]: no such character.
pub const NO_CONTROL_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

fn refuse_control(text: &str, what: &str) -> Result<(), String> {
    match control_character(text) {
        Some(c) => Err(format!("{what} contains the control character U+{:04X}; help: remove it (values may not hold control characters, tabs or line breaks)", c as u32)),
        None => Ok(()),
    }
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid built-in pattern"))
}

/// A five-field cron schedule as a Kubernetes CronJob reads it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CronSchedule {
    text: String,
    cron: croner::Cron,
}

/// Letters matched in either case without inline flags, which JSON Schema's
/// regular expressions (ECMA 262, and Go's in Helm) do not share.
fn any_case(word: &str) -> String {
    word.chars().map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())).collect()
}

/// The grammar of a schedule as Kubernetes' parser (robfig/cron) reads it:
/// five fields of comma-separated parts, each `*`, `?`, a value or a range,
/// optionally with a step; values in range; month and weekday names in any
/// case; or one of the `@` descriptors. `@every` is left out: its interval
/// is not a calendar schedule the RPO checks can read.
pub fn cron_pattern() -> &'static str {
    static PATTERN: OnceLock<String> = OnceLock::new();
    PATTERN.get_or_init(|| format!("^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|{})$", cron_fields(false)))
}

/// The grammar of CloudNativePG's six-field schedule: a seconds field, then
/// the five of [`cron_pattern`]. Descriptors are left out: CloudNativePG
/// warns on anything but six fields.
pub fn cron_with_seconds_pattern() -> &'static str {
    static PATTERN: OnceLock<String> = OnceLock::new();
    PATTERN.get_or_init(|| format!("^{}$", cron_fields(true)))
}

fn cron_fields(seconds: bool) -> String {
    let names = |words: &[&str]| words.iter().map(|w| any_case(w)).collect::<Vec<_>>().join("|");
    let months = names(&["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]);
    let days = names(&["sun", "mon", "tue", "wed", "thu", "fri", "sat"]);
    // Leading zeros are read as decimal (`05`), as Go's Atoi reads them.
    let sixty = "0*[1-5]?[0-9]".to_string();
    let mut fields = if seconds { vec![sixty.clone()] } else { Vec::new() };
    fields.extend([
        sixty,
        "0*(1?[0-9]|2[0-3])".to_string(),
        "0*([1-9]|[12][0-9]|3[01])".to_string(),
        format!("0*([1-9]|1[0-2])|{months}"),
        format!("0*[0-6]|{days}"),
    ]);
    let field = |value: &str| {
        let part = format!(r"(\*|\?|({value})(-({value}))?)(/0*[1-9][0-9]*)?");
        format!("{part}(,{part})*")
    };
    fields.iter().map(|v| field(v)).collect::<Vec<_>>().join("[ \t]+")
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl CronSchedule {
    pub fn cron(&self) -> &croner::Cron {
        &self.cron
    }
}

impl FromStr for CronSchedule {
    type Err = String;
    /// Parsed once per distinct text: a check reads the same few schedules in every combination.
    fn from_str(text: &str) -> Result<Self, String> {
        static PARSED: OnceLock<std::sync::Mutex<std::collections::HashMap<String, Result<CronSchedule, String>>>> = OnceLock::new();
        let cache = PARSED.get_or_init(Default::default);
        if let Some(known) = cache.lock().expect("not poisoned").get(text) {
            return known.clone();
        }
        let parsed = CronSchedule::parse(text);
        let mut cache = cache.lock().expect("not poisoned");
        // Bounded: hostile input must not grow it without end.
        if cache.len() < 4096 {
            cache.insert(text.to_string(), parsed.clone());
        }
        parsed
    }
}

impl CronSchedule {
    fn parse(text: &str) -> Result<Self, String> {
        let fields = text.split_whitespace().count();
        if !text.starts_with('@') && fields == 6 {
            let dropped = text.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
            return Err(format!("`{text}` has 6 fields, a cron schedule has 5; help: a CronJob and a Velero Schedule take five fields with no seconds; drop the first field: \"{dropped}\""));
        }
        let cron = parse_cron(text, CronFields::Five)?;
        Ok(CronSchedule { text: text.to_string(), cron })
    }
}

/// Which of the two cron dialects a schedule is written in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum CronFields {
    /// Kubernetes CronJobs: minute hour day-of-month month day-of-week.
    Five,
    /// CloudNativePG: seconds first, then the five.
    Six,
}

/// How many distinct schedules or durations a check keeps parsed.
const PARSED_KEPT: usize = 1024;

/// Schedules already parsed: every combination of a check reads the same ones.
static CRONS: Memo<(String, CronFields), Result<croner::Cron, String>> = Memo::new(PARSED_KEPT);

/// [`parse_cron_once`], remembered per schedule.
fn parse_cron(text: &str, dialect: CronFields) -> Result<croner::Cron, String> {
    CRONS.get_or((text.to_string(), dialect), || parse_cron_once(text, dialect))
}

/// Checks a schedule as its controller's parser (robfig/cron) would, with
/// a message that says what would be right, and parses it for the gap checks.
fn parse_cron_once(text: &str, dialect: CronFields) -> Result<croner::Cron, String> {
    let (count, help, pattern) = match dialect {
        CronFields::Five => (5, "; help: use five fields, minute hour day-of-month month day-of-week, for example \"30 2 * * *\"", cron_pattern()),
        CronFields::Six => (6, "; help: use six fields, second minute hour day-of-month month day-of-week, for example \"0 30 2 * * *\"", cron_with_seconds_pattern()),
    };
    let descriptor = dialect == CronFields::Five && text.starts_with('@');
    let fields = text.split_whitespace().count();
    if !descriptor && fields != count {
        return Err(format!("`{text}` has {fields} fields, a cron schedule has {count}{help}"));
    }
    // The controllers' parser (robfig/cron) knows no `L`, `W` or `#`.
    if text.contains(['L', 'W', '#']) && !descriptor {
        return Err(format!("`{text}` uses `L`, `W` or `#`, which Kubernetes does not support{help}"));
    }
    static FIVE: OnceLock<Regex> = OnceLock::new();
    static SIX: OnceLock<Regex> = OnceLock::new();
    let re = regex(if dialect == CronFields::Five { &FIVE } else { &SIX }, pattern);
    if !re.is_match(text) {
        let seconds = if dialect == CronFields::Six { "second 0-59, " } else { "" };
        return Err(format!("`{text}` is not a valid cron schedule: a field is out of range or malformed ({seconds}minute 0-59, hour 0-23, day 1-31, month 1-12 or JAN-DEC, weekday 0-6 or SUN-SAT){help}"));
    }
    // Kubernetes refuses a range that runs backwards; a regular expression cannot say so.
    let backwards = text.split(|c: char| c.is_whitespace() || c == ',').find_map(|part| {
        let (start, end) = part.split('/').next()?.split_once('-')?;
        let (start, end) = (start.parse::<u32>().ok()?, end.parse::<u32>().ok()?);
        (start > end).then(|| format!("{start}-{end}"))
    });
    if let Some(range) = backwards {
        return Err(format!("`{text}` has the range {range}, which runs backwards; help: write the smaller number first"));
    }
    let seconds = if dialect == CronFields::Six { croner::parser::Seconds::Required } else { croner::parser::Seconds::Disallowed };
    croner::parser::CronParser::builder()
        .seconds(seconds)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| format!("`{text}` is not a valid cron schedule: {e}{help}"))
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(CronSchedule, "A five-field cron schedule, e.g. \"30 2 * * *\".", serde_json::json!({ "pattern": cron_pattern() }));

/// A six-field cron schedule as CloudNativePG reads a ScheduledBackup's:
/// seconds first. A five-field text is refused with the six-field form it
/// was probably meant as, since CloudNativePG would read its minute as seconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CronWithSeconds {
    text: String,
    cron: croner::Cron,
}

impl PartialEq for CronWithSeconds {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl CronWithSeconds {
    pub fn cron(&self) -> &croner::Cron {
        &self.cron
    }
}

impl FromStr for CronWithSeconds {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if text.split_whitespace().count() == 5 {
            return Err(format!(
                "`{text}` has 5 fields; CloudNativePG reads the first as seconds, so it would run every hour; help: put the seconds first: \"0 {text}\""
            ));
        }
        Ok(CronWithSeconds { text: text.to_string(), cron: parse_cron(text, CronFields::Six)? })
    }
}

impl fmt::Display for CronWithSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(
    CronWithSeconds,
    "A six-field cron schedule, seconds first, e.g. \"0 30 2 * * *\".",
    serde_json::json!({ "pattern": cron_with_seconds_pattern() })
);

/// A duration in Prometheus' notation (`15m`, `1h30m`, `26h`, `7d`), longer
/// than zero unless `ZERO` allows it (an alert's `for: 0s`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Duration<const ZERO: bool = false> {
    text: String,
    value: std::time::Duration,
}

/// A duration that may be zero.
pub type DurationOrZero = Duration<true>;

/// Prometheus' duration grammar, each unit at most once and in order. The
/// digits are bounded so that the total stays within Prometheus' 64-bit
/// milliseconds.
pub const DURATION_PATTERN: &str = r"^([0-9]{1,8}y)?([0-9]{1,9}w)?([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?([0-9]{1,9}ms)?$";

impl<const ZERO: bool> Duration<ZERO> {
    pub fn value(&self) -> std::time::Duration {
        self.value
    }
}

/// Durations already parsed.
static DURATIONS: Memo<String, Result<std::time::Duration, String>> = Memo::new(PARSED_KEPT);

impl<const ZERO: bool> FromStr for Duration<ZERO> {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let help = "; help: write a number and a unit (ms, s, m, h, d, w, y), for example \"15m\" or \"1h30m\"";
        // Prometheus' duration grammar needs a unit; a bare number is not a duration in rules.
        static RE: OnceLock<Regex> = OnceLock::new();
        if text.is_empty() || !regex(&RE, DURATION_PATTERN).is_match(text) {
            return Err(format!("`{text}` is not a duration{help}"));
        }
        let zero = !text.contains(|c: char| ('1'..='9').contains(&c));
        if zero {
            if !ZERO {
                return Err(format!("`{text}` is zero; help: give a duration longer than zero, for example \"1h\""));
            }
            return Ok(Duration { text: text.to_string(), value: std::time::Duration::ZERO });
        }
        let value = DURATIONS.get_or(text.to_string(), || promql_parser::util::parse_duration(text).map_err(|e| format!("`{text}` is not a duration: {e}{help}")))?;
        Ok(Duration { text: text.to_string(), value })
    }
}

impl<const ZERO: bool> fmt::Display for Duration<ZERO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<const ZERO: bool> TryFrom<String> for Duration<ZERO> {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl<const ZERO: bool> From<Duration<ZERO>> for String {
    fn from(value: Duration<ZERO>) -> String {
        value.to_string()
    }
}

impl<const ZERO: bool> JsonSchema for Duration<ZERO> {
    fn schema_name() -> Cow<'static, str> {
        if ZERO { "DurationOrZero".into() } else { "Duration".into() }
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        if ZERO {
            json_schema!({ "type": "string", "minLength": 1, "pattern": DURATION_PATTERN, "description": "A duration such as \"15m\" or \"0s\"." })
        } else {
            // A non-zero digit somewhere: the duration is longer than zero.
            json_schema!({ "type": "string", "allOf": [{ "pattern": DURATION_PATTERN }, { "pattern": "[1-9]" }], "description": "A duration such as \"15m\", \"1h30m\" or \"26h\"." })
        }
    }
}

/// A duration as Go's `time.ParseDuration` reads it (`720h`, `1h30m`,
/// `90s`), longer than zero: what Velero reads a Schedule's `ttl` with.
/// Each unit at most once and from hours down, the digits bounded so that
/// the total stays within Go's 64-bit nanoseconds and no fraction is below a
/// nanosecond (a non-zero digit is then a duration longer than zero); Go has
/// no unit above `h`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GoDuration {
    text: String,
    value: std::time::Duration,
}

/// The grammar of [`GoDuration`].
pub const GO_DURATION_PATTERN: &str = r"^([0-9]{1,6}(\.[0-9]{1,9})?h)?([0-9]{1,6}(\.[0-9]{1,9})?m)?([0-9]{1,6}(\.[0-9]{1,9})?s)?([0-9]{1,6}(\.[0-9]{1,6})?ms)?([0-9]{1,6}(\.[0-9]{1,3})?(us|µs))?([0-9]{1,6}ns)?$";

impl GoDuration {
    pub fn value(&self) -> std::time::Duration {
        self.value
    }
}

impl FromStr for GoDuration {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let help = "; help: write a number and a unit (h, m, s, ms, us, ns), for example \"720h\" or \"1h30m\"";
        static RE: OnceLock<Regex> = OnceLock::new();
        if text.is_empty() || !regex(&RE, GO_DURATION_PATTERN).is_match(text) {
            // The usual mistake: a duration in Prometheus' or CloudNativePG's notation, with days or weeks.
            if let Ok(duration) = text.parse::<Duration>() {
                let seconds = duration.value().as_secs();
                let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
                let go = [(hours, "h"), (minutes, "m"), (seconds, "s")].iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect::<String>();
                return Err(format!("`{text}` is not a Go duration: Go has no unit above `h`; help: write \"{go}\""));
            }
            return Err(format!("`{text}` is not a Go duration{help}"));
        }
        let mut nanos = 0f64;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
            let number: f64 = rest[..digits].parse().map_err(|_| format!("`{text}` is not a Go duration{help}"))?;
            let unit_end = rest[digits..].find(|c: char| c.is_ascii_digit()).map_or(rest.len(), |i| digits + i);
            let scale = match &rest[digits..unit_end] {
                "h" => 3.6e12,
                "m" => 6e10,
                "s" => 1e9,
                "ms" => 1e6,
                "us" | "µs" => 1e3,
                _ => 1.0,
            };
            nanos += number * scale;
            rest = &rest[unit_end..];
        }
        if !text.contains(|c: char| ('1'..='9').contains(&c)) {
            return Err(format!("`{text}` is zero; help: give a duration longer than zero, for example \"720h\""));
        }
        Ok(GoDuration { text: text.to_string(), value: std::time::Duration::from_nanos(nanos as u64) })
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

// A non-zero digit somewhere: the duration is longer than zero.
text_type!(GoDuration, "A Go duration such as \"720h\" or \"1h30m\" (no `d`).", serde_json::json!({ "allOf": [{ "pattern": GO_DURATION_PATTERN }, { "pattern": "[1-9]" }] }));

/// A Kubernetes resource quantity (`20Gi`, `500m`, `1.5`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quantity(String);

pub const QUANTITY_PATTERN: &str = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$";

impl FromStr for Quantity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if regex(&RE, QUANTITY_PATTERN).is_match(text) {
            return Ok(Quantity(text.to_string()));
        }
        let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &text[digits.len()..];
        let help = match suffix.chars().next() {
            Some(c @ ('k' | 'K' | 'm' | 'M' | 'g' | 'G' | 't' | 'T' | 'p' | 'P' | 'e' | 'E')) if !digits.is_empty() => {
                let upper = if c == 'k' || c == 'K' { 'K' } else { c.to_ascii_uppercase() };
                let decimal = if upper == 'K' { 'k' } else { upper };
                format!("did you mean \"{digits}{upper}i\" (powers of 1024) or \"{digits}{decimal}\" (powers of 1000)?")
            }
            _ => "write a number with an optional suffix: Ki, Mi, Gi, Ti (powers of 1024), k, M, G, T (powers of 1000), or m (thousandths)".to_string(),
        };
        Err(format!("`{text}` is not a Kubernetes quantity; help: {help}"))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(Quantity, "A Kubernetes quantity such as \"20Gi\" or \"500m\".", serde_json::json!({ "pattern": QUANTITY_PATTERN }));

/// An IANA time zone name (`Etc/UTC`, `Europe/Berlin`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        text.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            let near = crate::diagnostic::nearest(text, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()));
            let help = near.map_or("use an IANA name such as \"Etc/UTC\" or \"Europe/Berlin\"".to_string(), |n| {
                format!("did you mean \"{n}\"?")
            });
            format!("`{text}` is not an IANA time zone; help: {help}")
        })
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

text_type!(TimeZone, "An IANA time zone name such as \"Etc/UTC\".", serde_json::json!({ "enum": chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect::<Vec<_>>() }));

/// An S3 bucket name, or empty when no bucket is configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketName(String);

/// Labels of lowercase letters, digits and hyphens, each starting and ending
/// with a letter or digit, joined by single dots.
pub const BUCKET_PATTERN: &str = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$";
const BUCKET_IP_PATTERN: &str = r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$";

impl BucketName {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for BucketName {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        static IP: OnceLock<Regex> = OnceLock::new();
        let problem = if text.is_empty() {
            None
        } else if !(3..=63).contains(&text.len()) {
            Some("it must be 3 to 63 characters long")
        } else if text.contains("..") || text.contains(".-") || text.contains("-.") {
            Some("dots may not be doubled or sit next to a hyphen")
        } else if !regex(&RE, BUCKET_PATTERN).is_match(text) {
            Some("it may hold only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit")
        } else if regex(&IP, BUCKET_IP_PATTERN).is_match(text) {
            Some("it may not look like an IP address")
        } else if text.starts_with("xn--") || text.ends_with("-s3alias") || text.ends_with("--ol-s3") {
            Some("the prefix `xn--` and the suffixes `-s3alias` and `--ol-s3` are reserved")
        } else {
            None
        };
        match problem {
            None => Ok(BucketName(text.to_string())),
            Some(p) => Err(format!("`{text}` is not a valid S3 bucket name: {p}; help: for example \"my-app-backups\"")),
        }
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(
    BucketName,
    "An S3 bucket name (lowercase, 3 to 63 characters).",
    serde_json::json!({
        "anyOf": [{ "const": "" }, { "minLength": 3, "maxLength": 63, "pattern": BUCKET_PATTERN }],
        "not": { "anyOf": [{ "pattern": BUCKET_IP_PATTERN }, { "pattern": "^xn--" }, { "pattern": "-s3alias$" }, { "pattern": "--ol-s3$" }] }
    })
);

/// The name of a Kubernetes object (a DNS-1123 subdomain), such as a Secret or PVC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectName(String);

/// A DNS-1123 label without its length limit: lowercase letters, digits and
/// `-`, starting and ending with a letter or digit.
pub fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

pub const OBJECT_NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

impl FromStr for ObjectName {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if text.len() <= 253 && regex(&RE, OBJECT_NAME_PATTERN).is_match(text) {
            Ok(ObjectName(text.to_string()))
        } else {
            Err(format!(
                "`{text}` is not a valid Kubernetes object name; help: use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters"
            ))
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(ObjectName, "A Kubernetes object name (DNS-1123 subdomain).", serde_json::json!({ "maxLength": 253, "pattern": OBJECT_NAME_PATTERN }));

/// A key inside a Secret (`password`, `AWS_ACCESS_KEY_ID`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretKey(String);

pub const SECRET_KEY_PATTERN: &str = r"^[-._a-zA-Z0-9]+$";

impl FromStr for SecretKey {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if text.len() <= 253 && regex(&RE, SECRET_KEY_PATTERN).is_match(text) {
            Ok(SecretKey(text.to_string()))
        } else {
            Err(format!("`{text}` is not a valid Secret key; help: use letters, digits, `-`, `_` and `.`"))
        }
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(SecretKey, "A key inside a Secret.", serde_json::json!({ "maxLength": 253, "pattern": SECRET_KEY_PATTERN }));

/// A container image tag (`16.6`, `2.22.4`), pinned: never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageTag(String);

pub const IMAGE_TAG_PATTERN: &str = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";

impl ImageTag {
    /// The leading number of the tag (`16` of `16.6-bookworm`), if it has one.
    pub fn major(&self) -> Option<u32> {
        self.0.split(|c: char| !c.is_ascii_digit()).next().and_then(|d| d.parse().ok())
    }
}

impl FromStr for ImageTag {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if regex(&RE, IMAGE_TAG_PATTERN).is_match(text) {
            Ok(ImageTag(text.to_string()))
        } else {
            Err(format!("`{text}` is not a valid image tag; help: use letters, digits, `_`, `.` and `-`, for example \"16.6\""))
        }
    }
}

impl fmt::Display for ImageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(ImageTag, "A container image tag such as \"16.6\".", serde_json::json!({ "pattern": IMAGE_TAG_PATTERN }));

/// A container image repository (`postgres`, `docker.io/amazon/aws-cli`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRepository(String);

pub const IMAGE_REPOSITORY_PATTERN: &str = r"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$";

impl FromStr for ImageRepository {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if regex(&RE, IMAGE_REPOSITORY_PATTERN).is_match(text) {
            Ok(ImageRepository(text.to_string()))
        } else {
            Err(format!(
                "`{text}` is not a valid image repository; help: write it without a tag, for example \"postgres\" or \"registry.example.com/team/app\""
            ))
        }
    }
}

impl fmt::Display for ImageRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(ImageRepository, "A container image repository without a tag.", serde_json::json!({ "pattern": IMAGE_REPOSITORY_PATTERN }));

/// An integer from `MIN` to `MAX`: the schema says the same bounds, so
/// Helm on install and chartgen refuse the same numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Int<const MIN: i64, const MAX: i64>(i64);

/// A TCP port.
pub type Port = Int<1, 65535>;
/// A count that may be zero (retries, Jobs kept), within Kubernetes' int32.
pub type Count = Int<0, 2147483647>;
/// A count of at least one (dumps kept, probe thresholds), or seconds that
/// must be positive (deadlines, probe periods), within Kubernetes' int32.
pub type Positive = Int<1, 2147483647>;
/// A user or group id other than root's, within Kubernetes' limit.
pub type UnixId = Int<1, 2147483647>;
/// Seconds Helm still holds exactly: it reads every number as a float64.
pub type ExactSeconds = Int<0, 9007199254740991>;

impl<const MIN: i64, const MAX: i64> Int<MIN, MAX> {
    /// The value; panics on a built-in default out of range.
    pub fn new(value: i64) -> Int<MIN, MAX> {
        assert!((MIN..=MAX).contains(&value), "built-in default {value} is outside {MIN}..={MAX}");
        Int(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    fn expected() -> String {
        format!("an integer from {MIN} to {MAX}")
    }
}

impl<const MIN: i64, const MAX: i64> fmt::Display for Int<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<const MIN: i64, const MAX: i64>;
        impl<const MIN: i64, const MAX: i64> serde::de::Visitor<'_> for Visit<MIN, MAX> {
            type Value = Int<MIN, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&Int::<MIN, MAX>::expected())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                if (MIN..=MAX).contains(&v) {
                    Ok(Int(v))
                } else {
                    Err(E::custom(format!("expected {}, found {v}", Int::<MIN, MAX>::expected())))
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                match i64::try_from(v) {
                    Ok(v) => self.visit_i64(v),
                    Err(_) => Err(E::custom(format!("expected {}, found {v}", Int::<MIN, MAX>::expected()))),
                }
            }
            // JSON Schema counts 3.0 as an integer; so does Helm's validator.
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.fract() == 0.0 && v >= MIN as f64 && v <= MAX as f64 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::custom(format!("expected {}, found {}", Int::<MIN, MAX>::expected(), crate::yaml::go_json_number(v))))
                }
            }
        }
        deserializer.deserialize_any(Visit::<MIN, MAX>)
    }
}

impl<const MIN: i64, const MAX: i64> JsonSchema for Int<MIN, MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Int_{MIN}_{MAX}").into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": MIN, "maximum": MAX })
    }
}

/// Declares a string newtype checked by one pattern (and a length), with
/// the message `what` says when it does not match.
macro_rules! pattern_type {
    ($name:ident, $pattern:expr, $max:expr, $what:expr, $help:expr) => {
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                static RE: OnceLock<Regex> = OnceLock::new();
                refuse_control(text, &format!("`{}`", text.escape_default()))?;
                if text.chars().count() <= $max && regex(&RE, $pattern).is_match(text) {
                    Ok($name(text.to_string()))
                } else {
                    Err(format!("`{text}` is not {}; help: {}", $what, $help))
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        text_type!($name, concat!("A value that is ", $what, "."), if $max == usize::MAX {
            serde_json::json!({ "pattern": $pattern })
        } else {
            serde_json::json!({ "maxLength": $max, "pattern": $pattern })
        });
    };
}

pattern_type!(Text, NO_CONTROL_PATTERN, usize::MAX, "text without control characters", "remove tabs, line breaks and other control characters");

pattern_type!(
    PgIdentifier,
    r"^[A-Za-z_][A-Za-z0-9_$-]*$",
    63,
    "a PostgreSQL name chartgen can pass safely",
    "use letters, digits, `_`, `$` and `-`, starting with a letter or `_`, at most 63 characters"
);

pattern_type!(
    Hostname,
    r"^$|^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$",
    253,
    "a host name or IPv4 address",
    "give a DNS name such as \"db.example.internal\" or an address such as \"10.0.0.5\""
);

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at
/// most 63 characters.
/// What [`LABEL_KEY_PATTERN`] cannot count: a prefix of at most 253 characters.
pub const LABEL_PREFIX_PATTERN: &str = "^([^/]{1,253}/)?[^/]*$";

pub const LABEL_KEY_PATTERN: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabelKey(String);

impl LabelKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LabelKey {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        let prefix_fits = text.rsplit_once('/').is_none_or(|(prefix, _)| prefix.len() <= 253);
        if prefix_fits && regex(&RE, LABEL_KEY_PATTERN).is_match(text) {
            Ok(LabelKey(text.to_string()))
        } else {
            Err(format!(
                "`{}` is not a valid label key; help: a name of letters, digits, `-`, `_` and `.` (at most 63), optionally after a DNS prefix and `/`, such as \"example.com/team\"",
                text.escape_default()
            ))
        }
    }
}

impl fmt::Display for LabelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(
    LabelKey,
    "A Kubernetes label key.",
    // The second pattern bounds the prefix, which the first cannot count.
    serde_json::json!({ "maxLength": 317, "pattern": LABEL_KEY_PATTERN, "allOf": [{ "pattern": LABEL_PREFIX_PATTERN }] })
);

pattern_type!(
    LabelValue,
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
    63,
    "a valid label value",
    "use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, at most 63 characters"
);

pattern_type!(
    StorageClassName,
    r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    253,
    "a StorageClass name",
    "leave it empty for the cluster's default, or use lowercase letters, digits, `-` and `.`"
);

pattern_type!(
    S3Prefix,
    r"^$|^[^/\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*/$",
    512,
    "a key prefix that is empty or ends with `/`",
    "end the prefix with `/`, such as \"certctl/\", so that it names a folder and not the start of file names; do not start it with `/`"
);

pattern_type!(
    EndpointUrl,
    r"^$|^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[^\s\x00-\x1f\x7f-\x9f]*)?$",
    2048,
    "an http or https URL",
    "leave it empty for AWS, or give the S3 endpoint such as \"https://minio.storage.svc:9000\""
);

impl EndpointUrl {
    /// The TCP port the endpoint listens on: the URL's, else its scheme's
    /// (AWS, when empty, is https).
    pub fn port(&self) -> u16 {
        let rest = self.0.split_once("://").map_or("", |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        match authority.rsplit_once(':') {
            Some((_, port)) if !authority.ends_with(']') && !port.is_empty() => port.parse().unwrap_or(443),
            _ if self.0.starts_with("http://") => 80,
            _ => 443,
        }
    }
}

pattern_type!(
    RetentionPolicy,
    r"^[1-9][0-9]*[dwm]$",
    16,
    "a recovery window such as \"30d\", \"4w\" or \"3m\"",
    "give a positive number of days (d), weeks (w) or months (m), as CloudNativePG's retentionPolicy takes it"
);

/// What a rendered retention policy (`35d`, `4w`, `3m`) keeps, as Barman reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryWindow {
    /// Its length in days, a month being 31 as Barman counts it.
    pub days: i64,
    /// Barman's own form: `RECOVERY WINDOW OF 35 DAYS`.
    pub barman: String,
}

impl RecoveryWindow {
    pub fn of(policy: &str) -> Option<RecoveryWindow> {
        let unit = policy.chars().last()?;
        let n: i64 = policy[..policy.len() - unit.len_utf8()].parse().ok().filter(|n| *n > 0 && *n < 100_000)?;
        let (days, word) = match unit {
            'd' => (n, "DAYS"),
            'w' => (7 * n, "WEEKS"),
            'm' => (31 * n, "MONTHS"),
            _ => return None,
        };
        Some(RecoveryWindow { days, barman: format!("RECOVERY WINDOW OF {n} {word}") })
    }
}

pattern_type!(
    BackupId,
    r"^([0-9]{8}T[0-9]{6})?$",
    15,
    "a Barman backup id such as \"20260504T020000\"",
    "give the id `kubectl cnpg backup` and the Backup's status.backupId show, or leave it empty"
);

/// When a recovery stops replaying WAL: an RFC 3339 time with its zone, or
/// empty for the end of the archive. Parsed, so that a day that does not
/// exist is refused here rather than by the operator mid-recovery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecoveryTime(String);

/// RFC 3339 as far as a pattern can say it; [`RecoveryTime`] also checks the calendar.
const RFC3339_PATTERN: &str = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$";

impl RecoveryTime {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for RecoveryTime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        if text.is_empty() || (regex(&RE, RFC3339_PATTERN).is_match(text) && DateTime::parse_from_rfc3339(text).is_ok()) {
            return Ok(RecoveryTime(text.to_string()));
        }
        Err(format!("`{}` is not an RFC 3339 time; help: give the date, time and zone, such as \"2026-05-04T15:30:00Z\", or leave it empty to replay to the end of the archive", text.escape_default()))
    }
}

impl fmt::Display for RecoveryTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_type!(RecoveryTime, "An RFC 3339 time with its zone, e.g. \"2026-05-04T15:30:00Z\", or empty.", serde_json::json!({ "pattern": RFC3339_PATTERN }));

pattern_type!(
    PgDuration,
    r"^[1-9][0-9]*(s|min|h)$",
    16,
    "a PostgreSQL time setting such as \"5min\"",
    "give a positive whole number of seconds (s), minutes (min) or hours (h), as postgresql.conf writes it"
);

impl PgDuration {
    /// The span it stands for.
    pub fn span(&self) -> Span {
        let digits = self.0.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        // Bounded so that no setting overflows a span.
        let n = digits.parse::<i64>().unwrap_or(i64::MAX).min(1_000_000_000);
        match &self.0[digits.len()..] {
            "s" => Span::seconds(n),
            "min" => Span::minutes(n),
            _ => Span::hours(n),
        }
    }
}

pattern_type!(
    S3DestinationPath,
    r"^$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s\x00-\x1f\x7f-\x9f]*)?$",
    1024,
    "an S3 URL such as \"s3://my-backups/ledger\"",
    "give s3:// then the bucket name and, optionally, a path inside it"
);

pattern_type!(
    OptionalName,
    r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    253,
    "a Kubernetes object name",
    "use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, or leave it empty"
);

pattern_type!(
    Region,
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    64,
    "a region name",
    "use letters, digits, `-`, `_` and `.`, such as \"us-east-1\""
);

/// The longest gap between two firings, and when it starts.
pub type Gap = Option<(Span, String)>;

/// Longest gap between firings, by the schedule's digest and the zone;
/// computed once per process, by the first caller while the others with the
/// same key wait.
static GAPS: std::sync::Mutex<Option<std::collections::HashMap<(u64, chrono_tz::Tz), GapCell>>> = std::sync::Mutex::new(None);

/// One schedule's gap, filled by the first caller.
type GapCell = std::sync::Arc<std::sync::OnceLock<Gap>>;

/// The longest gap between consecutive firings during 2026, and when it
/// begins, for a five-field or a six-field (seconds first) schedule; `None`
/// when the schedule is not valid cron (rule CG101's business).
pub fn longest_gap(schedule: &str, zone: chrono_tz::Tz) -> Gap {
    let key = (crate::extract::digest(schedule), zone);
    let cell = GAPS.lock().expect("not poisoned").get_or_insert_with(std::collections::HashMap::new).entry(key).or_default().clone();
    cell.get_or_init(|| compute_longest_gap(schedule, zone)).clone()
}

/// How many firings the walk looks at, at most: a year of minutes.
const FIRINGS_WALKED: usize = 530_000;

fn compute_longest_gap(schedule: &str, zone: chrono_tz::Tz) -> Gap {
    let cron = parse_any_cron(schedule)?;
    let start = zone.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).earliest()?;
    match firings_by_day(&cron.pattern, start) {
        Some(firings) => longest_within_a_year(firings.into_iter(), start),
        None => longest_within_a_year(cron.iter_from(start, croner::Direction::Forward), start),
    }
}

/// A five-field or a six-field (seconds first) schedule: six fields are
/// CloudNativePG's, five are Kubernetes'.
fn parse_any_cron(schedule: &str) -> Option<croner::Cron> {
    let fields = if schedule.split_whitespace().count() == 6 { CronFields::Six } else { CronFields::Five };
    parse_cron(schedule, fields).ok()
}

/// The longest gap between consecutive firings within a year from `start`,
/// the first one when several are as long.
fn longest_within_a_year(firings: impl Iterator<Item = DateTime<chrono_tz::Tz>>, start: DateTime<chrono_tz::Tz>) -> Gap {
    let end = start + Span::days(366);
    let mut previous: Option<DateTime<chrono_tz::Tz>> = None;
    let mut longest: Gap = None;
    for next in firings.take(FIRINGS_WALKED) {
        if next > end {
            break;
        }
        if let Some(before) = previous {
            let gap = next - before;
            if longest.as_ref().is_none_or(|(g, _)| gap > *g) {
                longest = Some((gap, before.format("%Y-%m-%d %H:%M %Z").to_string()));
            }
        }
        previous = Some(next);
    }
    longest
}

/// The firings of a pattern within a year from `start`, a local midnight:
/// the local times of day and the local days that match are each found
/// once, as croner matches an instant (second, minute and hour; day, month
/// and year), instead of searching for every next firing. `None` when a
/// firing falls in a daylight-saving change (a time skipped or repeated),
/// which croner resolves by its own rules.
fn firings_by_day(pattern: &croner::CronPattern, start: DateTime<chrono_tz::Tz>) -> Option<Vec<DateTime<chrono_tz::Tz>>> {
    use chrono::{Datelike, LocalResult, NaiveTime};
    let matches = |result: Result<bool, croner::errors::CronError>| result.unwrap_or(false);
    let hours = (0..24).filter(|&h| matches(pattern.hour_match(h)));
    let minutes = |h| (0..60).filter(move |&m| matches(pattern.minute_match(m))).map(move |m| (h, m));
    let seconds = |(h, m)| (0..60).filter(move |&s| matches(pattern.second_match(s))).filter_map(move |s| NaiveTime::from_hms_opt(h, m, s));
    let times: Vec<NaiveTime> = hours.flat_map(minutes).flat_map(seconds).collect();
    let end = start + Span::days(366);
    let mut firings = Vec::new();
    for day in start.date_naive().iter_days().take(368) {
        let weekday = croner::Weekday::from_days_from_sunday(day.weekday().num_days_from_sunday());
        let fires = matches(pattern.day_match(day.year(), day.month(), day.day(), weekday)) && matches(pattern.month_match(day.month())) && matches(pattern.year_match(day.year()));
        if !fires {
            continue;
        }
        for time in &times {
            match start.timezone().from_local_datetime(&day.and_time(*time)) {
                LocalResult::Single(firing) if firing > end || firings.len() == FIRINGS_WALKED => return Some(firings),
                LocalResult::Single(firing) => firings.push(firing),
                _ => return None,
            }
        }
    }
    Some(firings)
}

/// `1d 2h`-style text for a span.
pub fn human(span: Span) -> String {
    let minutes = span.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 || parts.is_empty() {
        parts.push(format!("{minutes}m"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_gap_found_by_day_is_the_one_croner_finds_walking_every_firing() {
        let schedules = [
            "0 2 * * *", "*/7 * * * *", "0 2 1 * *", "0 0 L * *", "0 9 * * 1-5", "0 0 29 2 *", "30 4 1,15 * 5", "0 0 * * 0",
            "0 0 2 * * *", "0 */15 * * * *", "*/20 * * * * *", "0 0 0 * * MON#2", "0 30 3 LW * *", "0 0 12 ? * 6L", "0 0 0 1 1 *",
        ];
        let mut by_day = 0;
        for zone in [chrono_tz::UTC, chrono_tz::Etc::UTC, chrono_tz::Asia::Kolkata, chrono_tz::Etc::GMTPlus5, chrono_tz::Europe::Berlin, chrono_tz::America::New_York] {
            let start = zone.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            for schedule in schedules {
                // Kubernetes' and CloudNativePG's schedules, and croner's own syntax beyond them (`L`, `W`, `#`).
                let cron = parse_any_cron(schedule).or_else(|| schedule.parse().ok()).unwrap_or_else(|| panic!("{schedule} parses"));
                let walked = longest_within_a_year(cron.iter_from(start, croner::Direction::Forward), start);
                assert_eq!(walked.is_none(), schedule == "0 0 29 2 *", "{schedule}: only the leap day never fires in 2026");
                if let Some(firings) = firings_by_day(&cron.pattern, start) {
                    by_day += 1;
                    assert_eq!(longest_within_a_year(firings.into_iter(), start), walked, "{schedule} in {zone}");
                }
                if parse_any_cron(schedule).is_some() {
                    assert_eq!(compute_longest_gap(schedule, zone), walked, "{schedule} in {zone}");
                }
            }
        }
        assert!(by_day > 70, "most schedules are found by day: {by_day}");
        // 02:30 is skipped when Berlin moves its clocks forward, and repeated when it moves them back: croner decides.
        let start = chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert!(firings_by_day(&parse_any_cron("30 2 * * *").unwrap().pattern, start).is_none());
    }

    #[test]
    fn go_durations_are_read_as_go_reads_them_and_days_get_their_hours() {
        for (text, nanos) in [("720h", 720 * 3_600_000_000_000u64), ("1h30m", 5_400_000_000_000), ("1.5h", 5_400_000_000_000), ("90s", 90_000_000_000), ("5µs", 5_000), ("5us", 5_000), ("0.5ms", 500_000), ("100ns", 100)] {
            assert_eq!(text.parse::<GoDuration>().map(|d| d.value().as_nanos()), Ok(u128::from(nanos)), "{text}");
        }
        assert_eq!("30d".parse::<GoDuration>().unwrap_err(), "`30d` is not a Go duration: Go has no unit above `h`; help: write \"720h\"");
        assert_eq!("1w1d2m".parse::<GoDuration>().unwrap_err(), "`1w1d2m` is not a Go duration: Go has no unit above `h`; help: write \"192h2m\"");
        for text in ["", "0h", "0h0m", "90", "1h1h", "30m1h", "1e3h", "-1h", "1.h"] {
            assert!(text.parse::<GoDuration>().is_err(), "{text}");
        }
    }


    #[test]
    fn a_recovery_window_counts_a_month_as_31_days_as_barman_does() {
        let window = |p: &str| RecoveryWindow::of(p).map(|w| (w.days, w.barman));
        assert_eq!(window("35d"), Some((35, "RECOVERY WINDOW OF 35 DAYS".to_string())));
        assert_eq!(window("4w"), Some((28, "RECOVERY WINDOW OF 4 WEEKS".to_string())));
        assert_eq!(window("3m"), Some((93, "RECOVERY WINDOW OF 3 MONTHS".to_string())));
        assert_eq!(window("0d"), None);
        assert_eq!(window("7y"), None);
        assert_eq!(window(""), None);
    }


    #[test]
    fn a_six_field_schedule_suggests_dropping_the_seconds() {
        let err = "0 30 2 * * *".parse::<CronSchedule>().unwrap_err();
        assert!(err.contains("drop the first field: \"30 2 * * *\""), "{err}");
    }

    #[test]
    fn cron_follows_kubernetes_parser() {
        for good in ["30 2 * * *", "0 0 * * SUN", "0 0 1 jan *", "0 2 ? * MON-FRI", "*/15 * * * *", "05 02 * * *", "@weekly"] {
            assert!(good.parse::<CronSchedule>().is_ok(), "{good}");
        }
        for bad in ["0 0 * * 7", "*/0 * * * *", "0 0 32 * *", "@every 1h", "0 0 L * *", "0 2 * *"] {
            assert!(bad.parse::<CronSchedule>().is_err(), "{bad}");
        }
        assert!("0 5-1 * * *".parse::<CronSchedule>().unwrap_err().contains("the range 5-1, which runs backwards"));
    }

    #[test]
    fn cron_rejects_out_of_range_fields() {
        assert!("61 2 * * *".parse::<CronSchedule>().is_err());
        assert!("30 2 * * *".parse::<CronSchedule>().is_ok());
        assert!("@daily".parse::<CronSchedule>().is_ok());
    }

    #[test]
    fn quantity_with_a_wrong_suffix_suggests_both_units() {
        let err = "20Gb".parse::<Quantity>().unwrap_err();
        assert!(err.contains("did you mean \"20Gi\" (powers of 1024) or \"20G\""), "{err}");
        assert!("500m".parse::<Quantity>().is_ok());
        assert!("1.5".parse::<Quantity>().is_ok());
    }

    #[test]
    fn duration_needs_a_unit() {
        assert_eq!("1h30m".parse::<Duration>().unwrap().value().as_secs(), 5400);
        assert!("90".parse::<Duration>().is_err());
        assert!("1 hour".parse::<Duration>().is_err());
        assert_eq!("0s".parse::<DurationOrZero>().unwrap().value().as_secs(), 0);
        assert!("0s".parse::<Duration>().unwrap_err().contains("is zero"));
    }

    #[test]
    fn the_longest_duration_the_pattern_allows_still_parses() {
        assert!("99999999y999999999w999999999d999999999h999999999m999999999s999999999ms".parse::<Duration>().is_ok());
        assert!("999999999y".parse::<Duration>().is_err());
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!("my-app-backups".parse::<BucketName>().is_ok());
        assert!("".parse::<BucketName>().is_ok());
        for bad in ["My_Bucket", "ab", "a..b", "192.168.1.1", "x\"; rm -rf / #"] {
            assert!(bad.parse::<BucketName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones_suggest_the_nearest_name() {
        let err = "Europe/Berlinn".parse::<TimeZone>().unwrap_err();
        assert!(err.contains("did you mean \"Europe/Berlin\"?"), "{err}");
    }

    #[test]
    fn image_tag_major_is_its_leading_number() {
        assert_eq!("16.6-bookworm".parse::<ImageTag>().unwrap().major(), Some(16));
        assert_eq!("latest".parse::<ImageTag>().unwrap().major(), None);
    }
}
