//! The external database backend's values section: `externalDatabase`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{Hostname, ObjectName, PgIdentifier, Port, SecretKey};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalDatabase {
    /// Host name of the external server.
    pub host: Hostname,
    /// Port of the external server.
    pub port: Port,
    /// Database the application uses.
    pub database: PgIdentifier,
    /// TLS mode for connections (libpq sslmode).
    pub ssl_mode: SslMode,
    /// Existing Secret with the credentials.
    #[schemars(extend("x-chartgen-external" = "Secret"))]
    pub existing_secret: ObjectName,
    /// Key of the username in the Secret.
    pub username_key: SecretKey,
    /// Key of the password in the Secret.
    pub password_key: SecretKey,
}

/// libpq's sslmode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}
