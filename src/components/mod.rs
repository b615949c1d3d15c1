//! The parts of a generated chart, in one table: each component's
//! `app.kubernetes.io/component` label and the base of its objects' names.
//! Templates name components through this table (`component.backup`),
//! and rules, references and the drill recognise objects by it, never by
//! label strings of their own. A new component is a row here.
//!
//! Beside this file, each component's folder holds what is its own, and
//! each backend (one way of providing a component: the database as a
//! StatefulSet or external, the backup to a PVC or to S3) a folder inside
//! it: `templates/*.j2`, `rules/*.rs` and `schemas/*.json`, which `build.rs`
//! finds. A new backend is such a folder, its values section and its flag;
//! the engine does not change. `docs/architecture.md` has the details.

use std::fmt;

/// Declares the components: variant, template name, label, object name.
macro_rules! components {
    ($($variant:ident $key:literal $label:literal $name:literal: $doc:literal,)*) => {
        /// A part of the chart.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Component {
            $(#[doc = $doc] $variant,)*
        }

        impl Component {
            pub const ALL: &'static [Component] = &[$(Component::$variant,)*];

            /// How templates name it: `component.backup`.
            pub fn key(self) -> &'static str {
                match self {
                    $(Component::$variant => $key,)*
                }
            }

            /// Its objects' `app.kubernetes.io/component` label.
            pub fn label(self) -> &'static str {
                match self {
                    $(Component::$variant => $label,)*
                }
            }

            /// What its objects' names end with, after the release's full name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Component::$variant => $name,)*
                }
            }
        }
    };
}

components! {
    Database "database" "postgresql" "postgresql": "The PostgreSQL server the chart runs: its workload, Service, credentials and network policy.",
    Connection "connection" "database" "database": "How the application reaches the database: the ConfigMap it reads its settings from.",
    Backup "backup" "backup" "backup": "The scheduled backups.",
    BackupStorage "backup_storage" "backup" "backups": "The volume the backups are kept on.",
    Verify "verify" "verify" "verify": "The restore drill that checks the newest backup.",
    Migrations "migrations" "migrate" "migrate": "The schema migrations run by a Helm hook.",
    Monitoring "monitoring" "rules" "rules": "The Prometheus alerting rules.",
    VolumeBackup "volume_backup" "volume-backup" "volumes": "The backups of the namespace's other volumes, the database's left out.",
}

impl Component {
    /// The component whose objects carry this label (the first, when several share it).
    pub fn of_label(label: &str) -> Option<Component> {
        Component::ALL.iter().copied().find(|c| c.label() == label)
    }

    /// The component of a rendered object, by its label.
    pub fn of(object: &serde_json::Value) -> Option<Component> {
        object["metadata"]["labels"]["app.kubernetes.io/component"].as_str().and_then(Component::of_label)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names_are_unique() {
        for (i, a) in Component::ALL.iter().enumerate() {
            for b in &Component::ALL[i + 1..] {
                assert_ne!(a.key(), b.key());
                assert_ne!(a.name(), b.name());
            }
        }
    }
}
