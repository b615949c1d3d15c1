//! The PVC backup backend's values section: `backup.pvc`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{ObjectName, Positive, Quantity, StorageClassName};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PvcSink {
    /// Create the PVC for the dumps; false to use the existing claimName.
    pub create: bool,
    /// Existing PVC for the dumps, used when create is false.
    #[schemars(extend("x-chartgen-external" = "PersistentVolumeClaim"))]
    pub claim_name: ObjectName,
    /// StorageClass of the created PVC; empty for the cluster's default.
    pub storage_class_name: StorageClassName,
    /// Size of the created PVC.
    pub size: Quantity,
    /// How many dumps to keep; older ones are deleted after each successful backup.
    pub keep: Positive,
}
