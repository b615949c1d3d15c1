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

use regex::Regex;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// Declares a string newtype that parses with `FromStr`, (de)serializes as its
/// text and describes itself to the JSON schema with `pattern`.
macro_rules! text_type {
    ($name:ident, $pattern:expr, $what:expr) => {
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
                let pattern: &str = $pattern;
                if pattern.is_empty() {
                    json_schema!({ "type": "string", "description": $what })
                } else {
                    json_schema!({ "type": "string", "pattern": pattern, "description": $what })
                }
            }
        }
    };
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

const CRON_PATTERN: &str = r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+ \S+ \S+ \S+ \S+)$";

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
    fn from_str(text: &str) -> Result<Self, String> {
        let fields = text.split_whitespace().count();
        let help = "; help: use five fields, minute hour day-of-month month day-of-week, for example \"30 2 * * *\"";
        if !text.starts_with('@') && fields != 5 {
            let hint = if fields == 6 {
                format!(
                    "; help: a CronJob takes five fields with no seconds; drop the first field: \"{}\"",
                    text.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
                )
            } else {
                help.to_string()
            };
            return Err(format!("`{text}` has {fields} fields, a cron schedule has 5{hint}"));
        }
        // Kubernetes' parser (robfig/cron) knows no `L`, `W` or `#`.
        if text.contains(['L', 'W', '#']) && !text.starts_with('@') {
            return Err(format!("`{text}` uses `L`, `W` or `#`, which Kubernetes does not support{help}"));
        }
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build()
            .parse(text)
            .map_err(|e| format!("`{text}` is not a valid cron schedule: {e}{help}"))?;
        Ok(CronSchedule { text: text.to_string(), cron })
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(CronSchedule, CRON_PATTERN, "A five-field cron schedule, e.g. \"30 2 * * *\".");

/// A duration in Prometheus' notation (`15m`, `1h30m`, `26h`, `7d`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Duration {
    text: String,
    value: std::time::Duration,
}

pub const DURATION_PATTERN: &str = r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$";

impl Duration {
    pub fn value(&self) -> std::time::Duration {
        self.value
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let help = "; help: write a number and a unit (ms, s, m, h, d, w, y), for example \"15m\" or \"1h30m\"";
        // Prometheus' duration grammar needs a unit; a bare number is not a duration in rules.
        if text.is_empty() || !text.ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(format!("`{text}` is not a duration{help}"));
        }
        static RE: OnceLock<Regex> = OnceLock::new();
        if !regex(&RE, DURATION_PATTERN).is_match(text) {
            return Err(format!("`{text}` is not a duration{help}"));
        }
        // Zero (`0s`) is a valid `for:`; Prometheus' parser only refuses it in range selectors.
        let zero = text.chars().all(|c| c == '0' || c.is_ascii_alphabetic());
        let value = if zero {
            std::time::Duration::ZERO
        } else {
            promql_parser::util::parse_duration(text).map_err(|e| format!("`{text}` is not a duration: {e}{help}"))?
        };
        Ok(Duration { text: text.to_string(), value })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(Duration, DURATION_PATTERN, "A duration such as \"15m\", \"1h30m\" or \"26h\".");

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

text_type!(Quantity, QUANTITY_PATTERN, "A Kubernetes quantity such as \"20Gi\" or \"500m\".");

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

text_type!(TimeZone, "", "An IANA time zone name such as \"Etc/UTC\".");

/// An S3 bucket name, or empty when no bucket is configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketName(String);

pub const BUCKET_PATTERN: &str = r"^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

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
        } else if !regex(&RE, BUCKET_PATTERN).is_match(text) {
            Some("it may hold only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit")
        } else if text.contains("..") || text.contains(".-") || text.contains("-.") {
            Some("dots may not be doubled or sit next to a hyphen")
        } else if regex(&IP, r"^\d+\.\d+\.\d+\.\d+$").is_match(text) {
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

text_type!(BucketName, BUCKET_PATTERN, "An S3 bucket name (lowercase, 3 to 63 characters).");

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

text_type!(ObjectName, OBJECT_NAME_PATTERN, "A Kubernetes object name (DNS-1123 subdomain).");

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

text_type!(SecretKey, SECRET_KEY_PATTERN, "A key inside a Secret.");

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

text_type!(ImageTag, IMAGE_TAG_PATTERN, "A container image tag such as \"16.6\".");

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

text_type!(ImageRepository, IMAGE_REPOSITORY_PATTERN, "A container image repository without a tag.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_six_field_schedule_suggests_dropping_the_seconds() {
        let err = "0 30 2 * * *".parse::<CronSchedule>().unwrap_err();
        assert!(err.contains("drop the first field: \"30 2 * * *\""), "{err}");
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
        assert_eq!("0s".parse::<Duration>().unwrap().value().as_secs(), 0);
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
