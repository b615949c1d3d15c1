//! The S3 backend in the restore drill: a local S3 API (such as moto)
//! stands for the store, and the credentials the cluster would inject from
//! a Secret come from the drill's own environment.

use std::collections::BTreeMap;
use std::path::Path;

/// The drill's stand-in for the store.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct S3Target {
    /// S3 API endpoint to use instead of the values' (the S3 sink, or Barman's object store); credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
}

impl super::SinkOnThisMachine for S3Target {
    fn missing(&self) -> Option<&'static str> {
        self.s3_endpoint.is_none().then_some("the S3 sink needs --s3-endpoint: the S3 API to upload to (a local one such as moto)")
    }

    fn claim(&self) -> Option<&Path> {
        None
    }

    fn environment(&self, env: &mut BTreeMap<String, String>) {
        if let Some(endpoint) = &self.s3_endpoint
            && env.contains_key("S3_ENDPOINT")
        {
            env.insert("S3_ENDPOINT".into(), endpoint.clone());
        }
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            if env.contains_key(name) {
                match std::env::var(name) {
                    Ok(value) => env.insert(name.into(), value),
                    Err(_) => env.remove(name),
                };
            }
        }
    }
}
