//! The PVC backend in the restore drill: a local directory stands for the claim.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The drill's stand-in for the backup claim.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PvcTarget {
    /// Local directory that stands for the backup PVC (the PVC sink).
    #[arg(long, value_name = "DIR")]
    pub pvc_dir: Option<PathBuf>,
}

impl super::SinkOnThisMachine for PvcTarget {
    fn missing(&self) -> Option<&'static str> {
        self.pvc_dir.is_none().then_some("the PVC sink needs --pvc-dir: the local directory that stands for the claim")
    }

    fn claim(&self) -> Option<&Path> {
        self.pvc_dir.as_deref()
    }

    fn environment(&self, _env: &mut BTreeMap<String, String>) {}
}
