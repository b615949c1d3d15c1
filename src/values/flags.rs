//! The flags: the bool and enum values templates may branch on, in one
//! typed table, and the [`Assignment`] of values to flags that a matrix
//! combination, a helm-mode rendering and a golden's id are made of.
//!
//! A flag may matter only under another flag's value (`backup.sink` only
//! when `backup.enabled`): a combination leaves it out otherwise, so that
//! combinations such a dependency makes identical are never checked twice.
//! A new flag is a row of [`model_flags`]; a test checks each row against
//! the values model.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::values::{BackupMethod, BackupTier, BarmanIntegration, Provider, Sink, Values};

/// A dotted path into the values, parsed once: `backup.sink`. Shared, as
/// every assignment of a matrix holds the same few paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValuePath(Arc<[String]>);

impl ValuePath {
    pub fn parse(dotted: &str) -> ValuePath {
        ValuePath(dotted.split('.').map(str::to_string).collect())
    }

    pub fn keys(&self) -> &[String] {
        &self.0
    }

    /// The value at this path in a JSON tree (`null` where absent).
    pub fn lookup<'a>(&self, tree: &'a serde_json::Value) -> &'a serde_json::Value {
        self.0.iter().fold(tree, |node, key| &node[key.as_str()])
    }

    /// Sets the value at this path in a JSON tree; `None` when a map on the way is missing.
    pub fn set(&self, tree: &mut serde_json::Value, value: serde_json::Value) -> Option<()> {
        let (last, parents) = self.0.split_last()?;
        let parent = parents.iter().try_fold(tree, |node, key| node.as_object_mut()?.get_mut(key.as_str()))?.as_object_mut()?;
        match parent.get_mut(last.as_str()) {
            Some(slot) => *slot = value,
            None => {
                parent.insert(last.clone(), value);
            }
        }
        Some(())
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// One value of a flag's domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagValue {
    Bool(bool),
    /// An enum's value, as the values file writes it (`s3`).
    Choice(Arc<str>),
}

impl FlagValue {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FlagValue::Bool(b) => serde_json::Value::Bool(*b),
            FlagValue::Choice(text) => serde_json::Value::String(text.to_string()),
        }
    }

    /// The value a JSON tree holds, if it is one a flag can take.
    pub fn from_json(value: &serde_json::Value) -> Option<FlagValue> {
        match value {
            serde_json::Value::Bool(b) => Some(FlagValue::Bool(*b)),
            serde_json::Value::String(text) => Some(FlagValue::Choice(text.as_str().into())),
            _ => None,
        }
    }
}

impl fmt::Display for FlagValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagValue::Bool(b) => write!(f, "{b}"),
            FlagValue::Choice(text) => f.write_str(text),
        }
    }
}

impl From<bool> for FlagValue {
    fn from(b: bool) -> FlagValue {
        FlagValue::Bool(b)
    }
}

/// The enums that are flags, as their values-file text.
macro_rules! choice_flags {
    ($($enum:ty),*) => {$(
        impl From<$enum> for FlagValue {
            fn from(value: $enum) -> FlagValue {
                choice(&value)
            }
        }
    )*};
}

choice_flags!(Sink, Provider, BackupMethod, BackupTier, BarmanIntegration);

/// An enum value as its values-file text.
fn choice<T: serde::Serialize>(value: &T) -> FlagValue {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => FlagValue::Choice(text.into()),
        other => panic!("a flag's enum serializes as a string, not {other:?}"),
    }
}

/// A flag: its path, the values it takes (the default first), the flag
/// values it matters under, and values of its domain that are valid only
/// under another flag's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub path: ValuePath,
    pub domain: Vec<FlagValue>,
    pub requires: Option<(ValuePath, Vec<FlagValue>)>,
    pub value_requires: Vec<(FlagValue, ValuePath, FlagValue)>,
}

impl Flag {
    pub fn bool(path: &str) -> Flag {
        Flag { path: ValuePath::parse(path), domain: vec![false.into(), true.into()], requires: None, value_requires: Vec::new() }
    }

    /// An enum flag: every value of `T`.
    pub fn choice<T: serde::Serialize>(path: &str, values: &[T]) -> Flag {
        Flag { path: ValuePath::parse(path), domain: values.iter().map(choice).collect(), requires: None, value_requires: Vec::new() }
    }

    /// The flag, mattering only when `path` holds `value`.
    pub fn when(self, path: &str, value: impl Into<FlagValue>) -> Flag {
        self.when_any(path, [value])
    }

    /// The flag, mattering only when `path` holds one of `values`.
    pub fn when_any<V: Into<FlagValue>>(mut self, path: &str, values: impl IntoIterator<Item = V>) -> Flag {
        self.requires = Some((ValuePath::parse(path), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Its value `own` is valid only when `path` holds `value` (`backup.method=barman` needs a CloudNativePG database).
    pub fn value_when(mut self, own: impl Into<FlagValue>, path: &str, value: impl Into<FlagValue>) -> Flag {
        self.value_requires.push((own.into(), ValuePath::parse(path), value.into()));
        self
    }

    /// Whether its dependency holds under `assignment`.
    pub fn applies(&self, assignment: &Assignment) -> bool {
        self.requires.as_ref().is_none_or(|(path, values)| assignment.get(path).is_some_and(|v| values.contains(v)))
    }

    /// What must hold for it to matter: its dependency, that one's, and so on, outermost first.
    pub fn conditions(&self) -> Vec<(ValuePath, Vec<FlagValue>)> {
        let mut out = Vec::new();
        let mut next = self.requires.clone();
        while let Some((path, values)) = next {
            next = model_flag(&path).and_then(|f| f.requires.clone());
            out.insert(0, (path, values));
        }
        out
    }

    /// The values of its domain that are valid under `assignment`.
    pub fn valid_values<'a>(&'a self, assignment: &'a Assignment) -> impl Iterator<Item = &'a FlagValue> {
        self.domain.iter().filter(|own| {
            self.value_requires.iter().filter(|(v, _, _)| v == *own).all(|(_, path, value)| assignment.get(path) == Some(value))
        })
    }
}

/// The flags of chartgen's values model.
pub fn model_flags() -> &'static [Flag] {
    static FLAGS: std::sync::OnceLock<Vec<Flag>> = std::sync::OnceLock::new();
    FLAGS.get_or_init(|| {
        vec![
            Flag::bool("postgresql.enabled"),
            Flag::choice("postgresql.provider", &[Provider::Statefulset, Provider::Cnpg]).when("postgresql.enabled", true),
            Flag::bool("postgresql.auth.create").when("postgresql.enabled", true),
            Flag::bool("backup.enabled"),
            Flag::choice("backup.method", &[BackupMethod::Dump, BackupMethod::Barman])
                .when("backup.enabled", true)
                .value_when(BackupMethod::Barman, "postgresql.provider", Provider::Cnpg),
            Flag::choice("backup.sink", &[Sink::Pvc, Sink::S3]).when("backup.method", BackupMethod::Dump),
            Flag::bool("backup.pvc.create").when("backup.sink", Sink::Pvc),
            // The restore check of either method: a dump restored, or a base backup and its WAL replayed.
            Flag::bool("backup.verify.enabled").when("backup.enabled", true),
            Flag::choice("backup.barman.tier", &[BackupTier::Pitr, BackupTier::Daily, BackupTier::None]).when("backup.method", BackupMethod::Barman),
            Flag::choice("backup.barman.integration", &[BarmanIntegration::Plugin, BarmanIntegration::InTree]).when_any("backup.barman.tier", [BackupTier::Pitr, BackupTier::Daily]),
            Flag::bool("backup.barman.recovery.enabled").when("backup.barman.tier", BackupTier::Pitr),
            Flag::bool("migrations.viaHook"),
            Flag::bool("monitoring.prometheusRules.enabled"),
            Flag::bool("networkPolicy.enabled"),
            Flag::bool("velero.enabled"),
        ]
    })
}

/// The model's flag at a path.
pub fn model_flag(path: &ValuePath) -> Option<&'static Flag> {
    model_flags().iter().find(|f| f.path == *path)
}

/// Values of flags, by path: what a combination sets, what a helm-mode
/// rendering assumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment(BTreeMap<ValuePath, FlagValue>);

impl Assignment {
    pub fn new() -> Assignment {
        Assignment::default()
    }

    pub fn get(&self, path: &ValuePath) -> Option<&FlagValue> {
        self.0.get(path)
    }

    pub fn insert(&mut self, path: ValuePath, value: FlagValue) {
        self.0.insert(path, value);
    }

    /// With one more flag set.
    pub fn with(&self, path: &ValuePath, value: &FlagValue) -> Assignment {
        let mut next = self.clone();
        next.insert(path.clone(), value.clone());
        next
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ValuePath, &FlagValue)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The flags as `path=value` words: `backup.enabled=true backup.sink=s3`.
    pub fn describe(&self) -> String {
        self.0.iter().map(|(path, value)| format!("{path}={value}")).collect::<Vec<_>>().join(" ")
    }

    /// The flags as a values tree, as a values file would set them.
    pub fn to_tree(&self) -> serde_json::Value {
        let mut root = serde_json::Map::new();
        for (path, value) in &self.0 {
            let (last, parents) = path.keys().split_last().expect("a path has a key");
            let mut target = &mut root;
            for key in parents {
                target = target
                    .entry(key.clone())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                    .as_object_mut()
                    .expect("flag paths nest in maps");
            }
            target.insert(last.clone(), value.to_json());
        }
        serde_json::Value::Object(root)
    }

    /// The flags a values tree sets, leaving out those whose dependency does not hold.
    pub fn of_tree(flags: &[Flag], tree: &serde_json::Value) -> Assignment {
        let mut assignment = Assignment::new();
        for flag in flags {
            if flag.applies(&assignment)
                && let Some(value) = FlagValue::from_json(flag.path.lookup(tree))
            {
                assignment.insert(flag.path.clone(), value);
            }
        }
        assignment
    }
}

impl FromIterator<(ValuePath, FlagValue)> for Assignment {
    fn from_iter<I: IntoIterator<Item = (ValuePath, FlagValue)>>(items: I) -> Assignment {
        Assignment(items.into_iter().collect())
    }
}

impl serde::Serialize for Assignment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(path, value)| (path.to_string(), value.to_json())))
    }
}

/// Each model flag's default value for a spec.
pub fn flag_defaults(spec: &crate::spec::Spec) -> Assignment {
    let defaults = serde_json::to_value(Values::defaults(spec)).expect("the defaults serialize");
    let mut out = Assignment::new();
    for flag in model_flags() {
        let value = FlagValue::from_json(flag.path.lookup(&defaults)).expect("a flag's default is a bool or a string");
        out.insert(flag.path.clone(), value);
    }
    out
}

/// A digest of a values tree without the model's flags: two trees with the
/// same digest differ in their flags at most. A matrix sets flags over one
/// base, so the digest of its combinations is computed once.
pub fn digest_without_flags(tree: &serde_json::Value) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    /// Hashes `node`, whose key path is `path`, skipping the flags; `flags`
    /// are the flag paths still under `path`, so most keys are told apart
    /// from flags without comparing whole paths.
    fn walk<'a>(node: &'a serde_json::Value, path: &mut Vec<&'a str>, flags: &[&'static [String]], hasher: &mut impl Hasher) {
        match node {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    path.push(key);
                    let depth = path.len();
                    let leads_to_flag = |f: &&'static [String]| f.len() >= depth && f[depth - 1] == *key;
                    // Most keys lead to no flag: then nothing is collected, and nothing allocated.
                    let under: Vec<&'static [String]> =
                        if flags.iter().any(leads_to_flag) { flags.iter().copied().filter(leads_to_flag).collect() } else { Vec::new() };
                    if !under.iter().any(|f| f.len() == path.len()) {
                        key.hash(hasher);
                        walk(child, path, &under, hasher);
                    }
                    path.pop();
                }
            }
            leaf => {
                // The kind first, so that the string "1" and the number 1 differ.
                std::mem::discriminant(leaf).hash(hasher);
                match leaf {
                    serde_json::Value::String(text) => text.hash(hasher),
                    other => other.to_string().hash(hasher),
                }
            }
        }
    }
    let flags: Vec<&'static [String]> = model_flags().iter().map(|f| f.path.keys()).collect();
    let mut hasher = crate::extract::DIGEST.build_hasher();
    walk(tree, &mut Vec::new(), &flags, &mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema of the field at a path of the model.
    fn field(path: &ValuePath) -> &'static serde_json::Value {
        path.keys().iter().fold(crate::values::raw_values_schema(), |node, key| &node["properties"][key.as_str()])
    }

    #[test]
    fn every_flag_is_a_bool_or_enum_field_of_the_model_with_its_whole_domain() {
        for flag in model_flags() {
            let schema = field(&flag.path);
            match schema["enum"].as_array() {
                Some(values) => assert_eq!(values.iter().map(|v| FlagValue::from_json(v).unwrap()).collect::<Vec<_>>(), flag.domain, "{}", flag.path),
                None => assert_eq!(schema["type"], "boolean", "{} is not a bool or an enum", flag.path),
            }
            let dependencies = flag.requires.iter().flat_map(|(path, values)| values.iter().map(move |value| (path, value))).chain(flag.value_requires.iter().map(|(_, path, value)| (path, value)));
            for (path, value) in dependencies {
                let required = model_flag(path).unwrap_or_else(|| panic!("{} depends on {path}, which is not a flag", flag.path));
                assert!(required.domain.contains(value), "{}: {path} never takes {value}", flag.path);
            }
        }
    }

    #[test]
    fn the_digest_without_flags_ignores_every_flag_and_nothing_else() {
        let base = serde_json::to_value(Values::defaults(&crate::spec::load(None).unwrap().spec)).unwrap();
        let mut flipped = base.clone();
        for flag in model_flags() {
            let other = flag.domain.iter().find(|value| Some(*value) != FlagValue::from_json(flag.path.lookup(&base)).as_ref()).unwrap();
            flag.path.set(&mut flipped, other.to_json()).unwrap();
        }
        assert_ne!(flipped, base);
        assert_eq!(digest_without_flags(&flipped), digest_without_flags(&base));
        let mut renamed = base.clone();
        ValuePath::parse("backup.s3.bucket").set(&mut renamed, "other-bucket".into()).unwrap();
        assert_ne!(digest_without_flags(&renamed), digest_without_flags(&base));
        let mut retyped = base.clone();
        ValuePath::parse("backup.s3.bucket").set(&mut retyped, 1.into()).unwrap();
        let mut as_text = base.clone();
        ValuePath::parse("backup.s3.bucket").set(&mut as_text, "1".into()).unwrap();
        assert_ne!(digest_without_flags(&retyped), digest_without_flags(&as_text));
    }

    #[test]
    fn an_assignment_becomes_the_values_tree_that_sets_it() {
        let mut assignment = Assignment::new();
        assignment.insert(ValuePath::parse("backup.enabled"), true.into());
        assignment.insert(ValuePath::parse("backup.method"), BackupMethod::Dump.into());
        assignment.insert(ValuePath::parse("backup.sink"), Sink::S3.into());
        assert_eq!(assignment.to_tree(), serde_json::json!({"backup": {"enabled": true, "method": "dump", "sink": "s3"}}));
        assert_eq!(assignment.describe(), "backup.enabled=true backup.method=dump backup.sink=s3");
        assert_eq!(Assignment::of_tree(model_flags(), &assignment.to_tree()).get(&ValuePath::parse("backup.sink")), Some(&FlagValue::Choice("s3".into())));
    }
}
