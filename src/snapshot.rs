//! Golden snapshots: one reviewed file per combination, `<id>.yaml`, holding
//! every document that combination renders, in `helm template` order.
//!
//! A missing golden is a finding, never written silently; `--update` writes
//! new and changed goldens and deletes those of combinations that no longer
//! exist; a mismatch is reported as a unified diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{BadInput, Diagnostic};

/// How a rendering compares with its golden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    Same,
    Missing,
    /// A unified diff from the golden to the rendering.
    Differs(String),
}

/// What `--update` did to one golden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    Created,
    Updated,
}

/// The golden file of a combination.
pub fn path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.yaml"))
}

pub fn compare(dir: &Path, id: &str, rendered: &str) -> Comparison {
    match std::fs::read_to_string(path(dir, id)) {
        Err(_) => Comparison::Missing,
        Ok(golden) if golden == rendered => Comparison::Same,
        Ok(golden) => {
            let file = path(dir, id).display().to_string();
            Comparison::Differs(
                similar::TextDiff::from_lines(golden.as_str(), rendered)
                    .unified_diff()
                    .context_radius(3)
                    .header(&file, &format!("{file} (rendered)"))
                    .to_string(),
            )
        }
    }
}

pub fn update(dir: &Path, id: &str, rendered: &str) -> Result<Change, BadInput> {
    let change = match compare(dir, id, rendered) {
        Comparison::Same => return Ok(Change::Unchanged),
        Comparison::Missing => Change::Created,
        Comparison::Differs(_) => Change::Updated,
    };
    let file = path(dir, id);
    std::fs::create_dir_all(dir).map_err(|e| Diagnostic::plain(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::write(&file, rendered).map_err(|e| Diagnostic::plain(format!("cannot write {}: {e}", file.display())))?;
    Ok(change)
}

/// Goldens in `dir` whose combination is not among `ids`.
pub fn stale(dir: &Path, ids: &BTreeSet<String>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "yaml")
                && p.file_stem().is_some_and(|stem| !ids.contains(stem.to_string_lossy().as_ref()))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_golden_is_missing_until_written_and_differs_with_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(compare(dir.path(), "a", "x: 1\n"), Comparison::Missing);
        assert_eq!(update(dir.path(), "a", "x: 1\n").unwrap(), Change::Created);
        assert_eq!(compare(dir.path(), "a", "x: 1\n"), Comparison::Same);
        let Comparison::Differs(diff) = compare(dir.path(), "a", "x: 2\n") else { panic!("a change is a difference") };
        assert!(diff.contains("-x: 1\n+x: 2\n"), "{diff}");
        assert_eq!(update(dir.path(), "a", "x: 2\n").unwrap(), Change::Updated);
    }

    #[test]
    fn goldens_of_vanished_combinations_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        update(dir.path(), "kept", "x\n").unwrap();
        update(dir.path(), "gone", "x\n").unwrap();
        let ids = BTreeSet::from(["kept".to_string()]);
        assert_eq!(stale(dir.path(), &ids), vec![dir.path().join("gone.yaml")]);
    }
}
