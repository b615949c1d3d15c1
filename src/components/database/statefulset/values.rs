//! The StatefulSet backend's values section: `postgresql`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{Count, LabelKey, LabelValue, ObjectName, PgIdentifier, Port, Positive, Quantity, SecretKey, StorageClassName, Text};
use crate::values::{CnpgCluster, Image, Provider, Resources, SecurityContext, Toleration};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Postgresql {
    /// Run PostgreSQL in the cluster; false to connect to externalDatabase.
    pub enabled: bool,
    /// Who runs it: statefulset (the chart's own StatefulSet and Service) or cnpg (a CloudNativePG Cluster; the operator must be installed).
    pub provider: Provider,
    /// The CloudNativePG Cluster, with provider cnpg.
    pub cnpg: CnpgCluster,
    /// PostgreSQL image; the backup and migration jobs use its client tools, so major versions always match the server.
    pub image: Image,
    /// Credentials of the in-cluster server.
    pub auth: PostgresAuth,
    /// Port of the PostgreSQL Service (a CloudNativePG Cluster always listens on 5432).
    pub port: Port,
    /// The data volume.
    pub storage: Storage,
    /// CPU and memory for the server container.
    pub resources: Resources,
    /// Health checks of the server container.
    pub probes: Probes,
    /// User, group and file system settings of the server pod.
    pub security_context: SecurityContext,
    /// Node labels the server pod must match.
    pub node_selector: BTreeMap<LabelKey, LabelValue>,
    /// Taints the server pod tolerates.
    pub tolerations: Vec<Toleration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresAuth {
    /// Create the credentials Secret from username and password; false to use existingSecret.
    pub create: bool,
    /// Database the application uses.
    pub database: PgIdentifier,
    /// User the application and the jobs connect as (written to the Secret when create is true).
    pub username: PgIdentifier,
    /// Password written to the Secret when create is true; prefer an existing Secret in production.
    pub password: Text,
    /// Existing Secret with the credentials, used when create is false.
    #[schemars(extend("x-chartgen-external" = "Secret"))]
    pub existing_secret: ObjectName,
    /// Key of the username in the Secret.
    pub username_key: SecretKey,
    /// Key of the password in the Secret.
    pub password_key: SecretKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// Size of the data volume.
    pub size: Quantity,
    /// StorageClass of the data volume; empty for the cluster's default.
    pub storage_class_name: StorageClassName,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Restart the server when it stops answering.
    pub liveness: Probe,
    /// Take the server out of the Service until it answers.
    pub readiness: Probe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// Seconds to wait after the container starts.
    pub initial_delay_seconds: Count,
    /// Seconds between checks.
    pub period_seconds: Positive,
    /// Seconds before a check counts as failed.
    pub timeout_seconds: Positive,
    /// Failed checks in a row before acting.
    pub failure_threshold: Positive,
}
