//! The module graph: dependencies run one way, from the spec to the
//! commands, never back; no module depends on itself through others; and
//! the engine (rendering, validation, checking, reporting, the chart
//! compiler) names no backend, so adding one never edits it.
//! `docs/architecture.md` says where each kind of addition goes.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::root;

/// Each top-level module's layer: a module may use its own layer (without a
/// cycle) and the layers below, never one above.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["diagnostic", "memo", "place", "progress", "shell", "extract", "components"]),
    ("reading and scalars", &["source", "yaml", "scalars", "snapshot", "codes"]),
    ("parsing", &["de", "strvals"]),
    ("spec", &["spec", "init"]),
    ("values", &["values"]),
    ("values schema, matrix and hand-written charts", &["schema", "matrix", "chart"]),
    ("render", &["render", "docs"]),
    ("validate and rules", &["validate", "rules", "helm", "drill"]),
    ("check", &["findings", "check"]),
    ("report", &["report"]),
    ("commands", &["commands"]),
];

/// Files of the engine, which must not name a backend.
const ENGINE: &[&str] = &["src/check", "src/validate.rs", "src/report", "src/helm", "src/render", "src/matrix.rs", "src/findings.rs"];

/// Words that name a backend: its values section or its values types.
const BACKEND_WORDS: &[&str] = &["postgresql", "Postgresql", "externalDatabase", "ExternalDatabase", "external_database", "backup.pvc", "backup.s3", "PvcSink", "S3Sink", "\"s3\"", "\"pvc\""];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and its unit tests.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The top-level module a source file belongs to. A component's or
/// backend's rule files are compiled into `rules` (build.rs lists them
/// there), its values section into `values`, its drill into `drill`.
fn module_of(relative: &str) -> String {
    if relative.starts_with("components/") && relative.ends_with("/drill.rs") {
        return "drill".to_string();
    }
    if relative.starts_with("components/") && relative.contains("/rules/") {
        return "rules".to_string();
    }
    if relative.starts_with("components/") && relative.ends_with("/values.rs") {
        return "values".to_string();
    }
    relative.split('/').next().unwrap().trim_end_matches(".rs").to_string()
}

/// The top-level modules each module's code refers to through `crate::`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let path_use = regex::Regex::new(r"crate::(\w+)").unwrap();
    let group_use = regex::Regex::new(r"use crate::\{([^}]*)\}").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        if relative == "lib.rs" || relative == "main.rs" {
            continue;
        }
        let module = module_of(&relative);
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let mut used: BTreeSet<String> = path_use.captures_iter(&code).map(|c| c[1].to_string()).collect();
        for group in group_use.captures_iter(&code) {
            used.extend(group[1].split(',').filter_map(|item| item.trim().split("::").next()).filter(|m| !m.is_empty()).map(str::to_string));
        }
        used.remove(&module);
        graph.entry(module).or_default().extend(used);
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = dependencies().keys().filter(|m| layer_of(m).is_none()).cloned().collect();
    assert!(unplaced.is_empty(), "modules missing from the layer table in tests/architecture.rs: {unplaced:?}");
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for (module, used) in dependencies() {
        let Some(own) = layer_of(&module) else { continue };
        for other in used {
            if layer_of(&other).is_some_and(|layer| layer > own) {
                upward.push(format!("{module} ({}) uses {other} ({})", LAYERS[own].0, LAYERS[layer_of(&other).unwrap()].0));
            }
        }
    }
    assert!(upward.is_empty(), "dependencies that run upward:\n{}", upward.join("\n"));
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = dependencies();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit(module: &str, graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let cycle = visit(module, &graph, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "a dependency cycle: {}", cycle.unwrap().join(" → "));
    }
}

#[test]
fn the_engine_names_no_backend() {
    let mut files = Vec::new();
    for entry in ENGINE {
        let path = root().join(entry);
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path);
        }
    }
    assert!(files.len() >= ENGINE.len(), "{files:?}");
    let mut named = Vec::new();
    for file in files {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for word in BACKEND_WORDS {
            if code.contains(word) {
                named.push(format!("{} names `{word}`", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(named.is_empty(), "engine files that name a backend:\n{}", named.join("\n"));
}

#[test]
fn the_checks_see_what_they_guard_against() {
    // The graph holds the edges every check relies on: without them, the
    // checks above would pass on an empty or unparsed graph.
    let graph = dependencies();
    assert!(graph["check"].contains("render"), "{graph:?}");
    assert!(graph["commands"].contains("report"), "{graph:?}");
    assert!(graph["rules"].contains("extract"), "{graph:?}");
    assert!(code_of("let a = 1; // postgresql\n").find("postgresql").is_none());
    assert!(code_of("let a = \"postgresql\";\n").contains("postgresql"));
}
