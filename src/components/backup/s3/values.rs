//! The S3 backup backend's values section: `backup.s3`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{BucketName, EndpointUrl, ObjectName, Region, S3Prefix, SecretKey};
use crate::values::Image;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct S3Sink {
    /// Bucket the dumps are uploaded to (required with sink s3).
    pub bucket: BucketName,
    /// Key prefix inside the bucket: empty, or ending with "/" such as "certctl/".
    pub prefix: S3Prefix,
    /// Region of the bucket.
    pub region: Region,
    /// Endpoint URL of an S3-compatible store; empty for AWS.
    pub endpoint: EndpointUrl,
    /// Secret with the access key pair.
    pub credentials_secret: CredentialsSecret,
    /// Image with the aws command that uploads the dump.
    pub image: Image,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CredentialsSecret {
    /// Name of the existing Secret.
    #[schemars(extend("x-chartgen-external" = "Secret"))]
    pub name: ObjectName,
    /// Key of the access key id in the Secret.
    pub access_key_id_key: SecretKey,
    /// Key of the secret access key in the Secret.
    pub secret_access_key_key: SecretKey,
}
