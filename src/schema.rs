//! `values.schema.json` and the commented `values.yaml`, both from the model.
//!
//! The JSON schema is generated from the Rust types (draft-07, which Helm's
//! validator supports), with every subschema inlined and then tightened for
//! what the types alone cannot say: one typed property per threshold
//! parameter of the spec, the conditional requirements (a bucket when the
//! sink is S3, a host when the database is external, a password when the
//! chart creates the Secret) and the labels the chart reserves. The
//! values.yaml walks the default values beside the schema and writes each
//! field's description above it.

use serde_json::{json, Map, Value};

use crate::yaml;
use crate::spec::{ParameterKind, Spec};
use crate::values::flags::model_flags;
use crate::values::{raw_values_schema, Values, STANDARD_LABELS};

/// The strict `values.schema.json` for a spec.
pub fn values_schema(spec: &Spec) -> Value {
    let mut schema = raw_values_schema().clone();
    strip_formats(&mut schema);
    let root = schema.as_object_mut().expect("the root schema is an object");
    root.insert("title".into(), json!(format!("Values of the {} chart", spec.chart.name)));
    let rules = &mut root["properties"]["monitoring"]["properties"]["prometheusRules"]["properties"];
    rules["thresholds"] = thresholds_schema(spec);
    key_schemas(&mut schema);
    mark_flags(&mut schema);
    let rules = &mut schema["properties"]["monitoring"]["properties"]["prometheusRules"]["properties"];
    rules["labels"]["propertyNames"]["not"] = json!({ "enum": STANDARD_LABELS });
    for path in ["postgresql.auth.username", "postgresql.auth.database", "externalDatabase.database"] {
        property_mut(&mut schema, path)["minLength"] = json!(1);
    }
    let mut conditions = vec![
        when(&[("backup.enabled", json!(true)), ("backup.method", json!("dump")), ("backup.sink", json!("s3"))], "backup.s3.bucket"),
        when(&[("backup.enabled", json!(true)), ("backup.method", json!("barman")), ("backup.barman.tier", json!(["pitr", "daily"]))], "backup.barman.objectStore.destinationPath"),
        when(&[("postgresql.enabled", json!(false))], "externalDatabase.host"),
        when(&[("postgresql.enabled", json!(true)), ("postgresql.auth.create", json!(true))], "postgresql.auth.password"),
        // CloudNativePG reads a basic-auth Secret: its keys are fixed.
        json!({
            "if": conditions(&[("postgresql.enabled", json!(true)), ("postgresql.provider", json!("cnpg"))]),
            "then": nested("postgresql.auth", json!({ "properties": { "usernameKey": { "const": "username" }, "passwordKey": { "const": "password" } } }))
        }),
        // A recovery Cluster reads the continuous backups of tier pitr, and needs a target.
        json!({
            "if": conditions(&[("backup.barman.recovery.enabled", json!(true))]),
            "then": conditions(&[("backup.enabled", json!(true)), ("backup.method", json!("barman")), ("backup.barman.tier", json!("pitr"))])
        }),
        json!({
            "if": conditions(&[("backup.enabled", json!(true)), ("backup.method", json!("barman")), ("backup.barman.tier", json!("pitr")), ("backup.barman.recovery.enabled", json!(true))]),
            "then": { "anyOf": [nested("backup.barman.recovery.targetTime", json!({ "minLength": 1 })), nested("backup.barman.recovery.backupID", json!({ "minLength": 1 }))] }
        }),
    ];
    conditions.extend(value_dependencies());
    schema.as_object_mut().expect("object").insert("allOf".into(), Value::Array(conditions));
    schema
}

/// Each flag's field says it is one, and under which flag value it matters
/// (`backup.enabled=true`), for editors and readers of the schema.
fn mark_flags(schema: &mut Value) {
    for flag in model_flags() {
        let requires = flag.requires.as_ref().map_or(String::new(), |(path, values)| format!("{path}={}", values.iter().map(ToString::to_string).collect::<Vec<_>>().join("|")));
        property_mut(schema, &flag.path.to_string())["x-chartgen-flag"] = json!(requires);
    }
}

/// A map's keys get their whole schema as `propertyNames`: the
/// `patternProperties` the types give carry only the key's main pattern.
fn key_schemas(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("patternProperties") {
                let mut generator = schemars::SchemaGenerator::default();
                let key = <crate::scalars::LabelKey as schemars::JsonSchema>::json_schema(&mut generator).to_value();
                map.insert("propertyNames".into(), key);
            }
            map.values_mut().for_each(key_schemas);
        }
        Value::Array(items) => items.iter_mut().for_each(key_schemas),
        _ => {}
    }
}

/// Integer widths (`uint32`) are Rust's business; the bounds already say it for validators.
fn strip_formats(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("format").is_some_and(|f| f.as_str().is_some_and(|f| f.starts_with("int") || f.starts_with("uint") || f == "double")) {
                map.remove("format");
            }
            map.values_mut().for_each(strip_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_formats),
        _ => {}
    }
}

fn property_mut<'a>(schema: &'a mut Value, path: &str) -> &'a mut Value {
    path.split('.').fold(schema, |s, key| &mut s["properties"][key])
}

fn thresholds_schema(spec: &Spec) -> Value {
    let mut properties = Map::new();
    for (name, parameter) in &spec.parameters {
        let mut property = match parameter.kind {
            ParameterKind::Number => json!({ "type": "number" }),
            ParameterKind::Integer => json!({ "type": "integer" }),
            ParameterKind::Duration => {
                let mut generator = schemars::SchemaGenerator::default();
                <crate::scalars::Duration as schemars::JsonSchema>::json_schema(&mut generator).to_value()
            }
        };
        property["description"] = json!(parameter.description);
        if let Some(min) = parameter.minimum {
            property["minimum"] = json!(min);
        }
        if let Some(max) = parameter.maximum {
            property["maximum"] = json!(max);
        }
        properties.insert(name.clone(), property);
    }
    let required: Vec<&String> = spec.parameters.keys().collect();
    json!({
        "description": "Alert thresholds, one per parameter of the chart spec.",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// `if` every (path = value) holds, `then` the string at `required` is not empty.
fn when(holding: &[(&str, Value)], required: &str) -> Value {
    json!({ "if": conditions(holding), "then": nested(required, json!({ "minLength": 1 })) })
}

/// A schema that holds where each path has its value, or one of its values when given a list.
fn conditions(holding: &[(&str, Value)]) -> Value {
    let mut condition = json!({});
    for (path, value) in holding {
        let leaf = if value.is_array() { json!({ "enum": value }) } else { json!({ "const": value }) };
        merge(&mut condition, nested(path, leaf));
    }
    condition
}

/// A flag value valid only under another flag's value (`backup.method=barman`
/// needs `postgresql.provider=cnpg`) makes that value, and what it in turn
/// matters under, required.
fn value_dependencies() -> Vec<Value> {
    let consts = |pairs: Vec<(String, Vec<Value>)>| {
        let mut out = json!({});
        for (path, values) in pairs {
            let leaf = if let [value] = values.as_slice() { json!({ "const": value }) } else { json!({ "enum": values }) };
            merge(&mut out, nested(&path, leaf));
        }
        out
    };
    let mut out = Vec::new();
    for flag in model_flags() {
        for (own, path, value) in &flag.value_requires {
            let mut condition = flag.conditions();
            condition.push((flag.path.clone(), vec![own.clone()]));
            let mut needed = crate::values::flags::model_flag(path).map(|f| f.conditions()).unwrap_or_default();
            needed.push((path.clone(), vec![value.clone()]));
            let pairs = |list: Vec<(crate::values::flags::ValuePath, Vec<crate::values::flags::FlagValue>)>| {
                list.into_iter().map(|(p, vs)| (p.to_string(), vs.iter().map(|v| v.to_json()).collect())).collect()
            };
            out.push(json!({ "if": consts(pairs(condition)), "then": consts(pairs(needed)) }));
        }
    }
    out
}

fn nested(path: &str, leaf: Value) -> Value {
    path.rsplit('.').fold(leaf, |inner, key| json!({ "properties": { key: inner }, "required": [key] }))
}

fn merge(dest: &mut Value, src: Value) {
    match (dest, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(Value::Array(existing)) => {
                        if let Value::Array(more) = v {
                            existing.extend(more.into_iter().filter(|m| !existing.contains(m)).collect::<Vec<_>>());
                        }
                    }
                    Some(existing) => merge(existing, v),
                    None => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (d, s) => *d = s,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The commented default `values.yaml` for a spec.
pub fn values_yaml(spec: &Spec) -> String {
    let schema = values_schema(spec);
    let defaults = serde_json::to_value(Values::defaults(spec)).expect("the defaults serialize");
    let mut out = String::new();
    out.push_str("# yaml-language-server: $schema=values.schema.json\n");
    out.push_str(&format!("# Default values of the {} chart, generated by chartgen from the chart spec.\n", spec.chart.name));
    out.push_str("# Fields marked \"Flag\" switch parts of the chart on or off; every combination is checked.\n");
    write_map(&defaults, &schema, 0, &mut out);
    out
}

fn write_map(value: &Value, schema: &Value, indent: usize, out: &mut String) {
    let Value::Object(map) = value else { return };
    let pad = " ".repeat(indent);
    for (key, item) in map {
        let property = &schema["properties"][key];
        if indent == 0 {
            out.push('\n');
        }
        if let Some(description) = property["description"].as_str() {
            for line in description.lines() {
                out.push_str(&format!("{pad}# {line}\n"));
            }
        }
        if property.get("x-chartgen-flag").is_some() {
            let choices = match property["enum"].as_array() {
                Some(values) => values.iter().map(yaml::scalar).collect::<Vec<_>>().join(" | "),
                None => "true | false".to_string(),
            };
            out.push_str(&format!("{pad}# Flag: {choices}.\n"));
        }
        match item {
            // A map of settings, each documented; a free map (labels) is data, written whole.
            Value::Object(inner) if !inner.is_empty() && property["properties"].is_object() => {
                out.push_str(&format!("{pad}{}:\n", yaml::string(key)));
                write_map(item, property, indent + 2, out);
            }
            Value::Object(_) | Value::Array(_) if !is_empty(item) => {
                out.push_str(&format!("{pad}{}:\n{}\n", yaml::string(key), yaml::block(item, indent + 2)));
            }
            scalar => out.push_str(&format!("{pad}{}: {}\n", yaml::string(key), yaml::scalar(scalar))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_get_one_typed_property_per_parameter() {
        let spec = crate::spec::load(None).unwrap().spec;
        let schema = values_schema(&spec);
        let thresholds = &schema["properties"]["monitoring"]["properties"]["prometheusRules"]["properties"]["thresholds"];
        assert_eq!(thresholds["properties"]["jobFailureRatio"]["type"], "number");
        assert_eq!(thresholds["properties"]["jobFailureWindow"]["type"], "string");
        assert_eq!(thresholds["additionalProperties"], false);
    }

    #[test]
    fn the_schema_is_draft_07_and_closed() {
        let spec = crate::spec::load(None).unwrap().spec;
        let schema = values_schema(&spec);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["backup"]["properties"]["pvc"]["additionalProperties"], false);
        assert!(!schema.to_string().contains("\"format\":\"uint"));
    }

    #[test]
    fn a_condition_requires_the_field_only_when_its_flags_hold() {
        let rule = when(&[("backup.enabled", json!(true)), ("backup.sink", json!("s3"))], "backup.s3.bucket");
        assert_eq!(rule["if"]["properties"]["backup"]["required"], json!(["enabled", "sink"]));
        assert_eq!(rule["then"]["properties"]["backup"]["properties"]["s3"]["properties"]["bucket"]["minLength"], 1);
    }
}
