//! Golden snapshots: one reviewed file per combination, `<id>.yaml`, holding
//! every document that combination renders, in `helm template` order.
//!
//! A missing golden is a finding, never written silently; `--update` writes
//! new and changed goldens and deletes those of combinations that no longer
//! exist; a mismatch is reported as a unified diff. Every golden begins with
//! a marker naming its combination, so that a file chartgen did not write is
//! never taken for a golden and deleted.

use std::collections::BTreeSet;

use crate::diagnostic::{BadInput, Diagnostic};
use crate::place::Place;

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

/// How the first line of every golden begins, before the combination's id
/// in backquotes.
pub const MARKER: &str = "# chartgen golden snapshot of combination ";

/// The start of a combination's golden: the marker with its id.
pub fn marker(id: &str) -> String {
    format!("{MARKER}`{id}`")
}

/// The combination a golden's marker names, if the text begins with one.
pub fn marked_id(text: &str) -> Option<&str> {
    let (id, _) = text.strip_prefix(MARKER)?.strip_prefix('`')?.split_once('`')?;
    (!id.contains('\n')).then_some(id)
}

/// The golden file of a combination.
pub fn path(dir: &Place, id: &str) -> Place {
    dir.join(&format!("{id}.yaml"))
}

pub fn compare(dir: &Place, id: &str, rendered: &str) -> Comparison {
    match path(dir, id).read() {
        Err(_) => Comparison::Missing,
        Ok(golden) if golden == rendered => Comparison::Same,
        Ok(golden) => {
            let file = path(dir, id).to_string();
            Comparison::Differs(
                similar::TextDiff::from_lines(&*golden, rendered)
                    .unified_diff()
                    .context_radius(3)
                    .header(&file, &format!("{file} (rendered)"))
                    .to_string(),
            )
        }
    }
}

pub fn update(dir: &Place, id: &str, rendered: &str) -> Result<Change, BadInput> {
    let change = match compare(dir, id, rendered) {
        Comparison::Same => return Ok(Change::Unchanged),
        Comparison::Missing => Change::Created,
        Comparison::Differs(_) => Change::Updated,
    };
    let Some(dir) = dir.disk() else {
        return Err(Diagnostic::plain(format!("the goldens of the built-in example ({dir}) are part of chartgen and cannot be updated"))
            .with_help("give --golden DIR to write goldens there, or use a spec file of your own (chartgen init writes one)")
            .into());
    };
    let file = dir.join(format!("{id}.yaml"));
    std::fs::create_dir_all(dir).map_err(|e| Diagnostic::plain(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::write(&file, rendered).map_err(|e| Diagnostic::plain(format!("cannot write {}: {e}", file.display())))?;
    Ok(change)
}

/// Goldens in `dir` whose combination is not among `ids`: files whose
/// marker names the combination of their file name, as chartgen writes them.
/// Any other file is someone else's and is left alone.
pub fn stale(dir: &Place, ids: &BTreeSet<String>) -> Vec<Place> {
    let Ok(files) = dir.files("yaml") else { return Vec::new() };
    files
        .into_iter()
        .filter(|p| {
            let id = p.stem();
            !ids.contains(&id) && p.read_to_string().is_ok_and(|text| marked_id(&text) == Some(id.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(dir: &tempfile::TempDir) -> Place {
        Place::Disk(dir.path().to_path_buf())
    }

    #[test]
    fn a_golden_is_missing_until_written_and_differs_with_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(compare(&place(&dir), "a", "x: 1\n"), Comparison::Missing);
        assert_eq!(update(&place(&dir), "a", "x: 1\n").unwrap(), Change::Created);
        assert_eq!(compare(&place(&dir), "a", "x: 1\n"), Comparison::Same);
        let Comparison::Differs(diff) = compare(&place(&dir), "a", "x: 2\n") else { panic!("a change is a difference") };
        assert!(diff.contains("-x: 1\n+x: 2\n"), "{diff}");
        assert_eq!(update(&place(&dir), "a", "x: 2\n").unwrap(), Change::Updated);
    }

    fn golden(id: &str) -> String {
        format!("{} (x=1)\nx: 1\n", marker(id))
    }

    #[test]
    fn the_marker_names_the_combination() {
        assert_eq!(marked_id(&golden("backup+sink-s3")), Some("backup+sink-s3"));
        assert_eq!(marked_id("x: 1\n"), None);
        assert_eq!(marked_id(&format!("x: 1\n{}", golden("a"))), None, "only at the start");
        assert_eq!(marked_id(&format!("{MARKER}`a\n`")), None);
    }

    #[test]
    fn goldens_of_vanished_combinations_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        update(&place(&dir), "kept", &golden("kept")).unwrap();
        update(&place(&dir), "gone", &golden("gone")).unwrap();
        let ids = BTreeSet::from(["kept".to_string()]);
        assert_eq!(stale(&place(&dir), &ids), vec![Place::Disk(dir.path().join("gone.yaml"))]);
    }

    #[test]
    fn files_without_their_own_marker_are_never_stale() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("values-prod.yaml"), "# values for production\nreplicas: 3\n").unwrap();
        std::fs::write(dir.path().join("copy-of-defaults.yaml"), golden("defaults")).unwrap();
        std::fs::write(dir.path().join("chartgen.yaml"), format!("# mentions {MARKER}\n")).unwrap();
        assert_eq!(stale(&place(&dir), &BTreeSet::new()), Vec::<Place>::new());
    }

    #[test]
    fn the_built_in_goldens_are_read_but_never_written() {
        let builtin = Place::Builtin("fixtures/golden/certctl".into());
        let golden = path(&builtin, "defaults").read_to_string().unwrap();
        assert_eq!(compare(&builtin, "defaults", &golden), Comparison::Same);
        let refused = update(&builtin, "defaults", "x: 1\n").unwrap_err().to_string();
        assert!(refused.contains("part of chartgen"), "{refused}");
    }
}
