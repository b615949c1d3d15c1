//! The CloudNativePG backend's values section: `postgresql.cnpg`, read
//! when `postgresql.provider` is `cnpg`. The operator runs the server; the
//! chart renders its Cluster from these settings and the shared ones of
//! `postgresql` (credentials, storage, resources, scheduling).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{Int, LabelKey, LabelValue, ObjectName, OptionalName, Positive};
use crate::values::Image;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CnpgCluster {
    /// PostgreSQL instances: one primary and the rest streaming replicas the operator fails over to.
    pub instances: Positive,
    /// Operand image (ghcr.io/cloudnative-pg/postgresql); a `system` image carries Barman Cloud for the in-tree integration, `minimal` and `standard` need the plugin.
    pub image: Image,
    /// Take the operand image from an image catalog instead of `image`.
    pub image_catalog: ImageCatalogRef,
    /// The CloudNativePG operator, which must reach the instances when networkPolicy.enabled.
    pub operator: OperatorPeer,
}

/// An image catalog the operator picks the operand image from, by PostgreSQL major version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageCatalogRef {
    /// Name of the catalog; empty uses `postgresql.cnpg.image`.
    pub name: OptionalName,
    /// ClusterImageCatalog (cluster-wide) or ImageCatalog (in the release namespace).
    pub kind: CatalogKind,
    /// The PostgreSQL major version whose image the catalog gives.
    pub major: Int<10, 99>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CatalogKind {
    ClusterImageCatalog,
    ImageCatalog,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OperatorPeer {
    /// Namespace the operator runs in.
    pub namespace: ObjectName,
    /// Labels of the operator's pods.
    pub pod_labels: BTreeMap<LabelKey, LabelValue>,
}

/// Who runs the in-cluster PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Statefulset,
    Cnpg,
}
