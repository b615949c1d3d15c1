//! chartgen generates and verifies the PostgreSQL-operations part of a Helm
//! chart: the backup CronJob, the migration hook Job, the PrometheusRule and
//! the Postgres StatefulSet.
//!
//! The data flow is spec → values → render, one module per stage, with the
//! located input tree (`source`, `strvals`, `de`) underneath and `commands`
//! on top for the command-line entry points.

pub mod chart;
pub mod check;
pub mod codes;
pub mod commands;
pub mod components;
pub mod de;
pub mod diagnostic;
pub mod docs;
pub mod drill;
pub mod extract;
pub mod findings;
pub mod helm;
pub mod init;
pub mod matrix;
pub mod memo;
pub mod place;
pub mod progress;
pub mod render;
pub mod report;
pub mod rules;
pub mod scalars;
pub mod shell;
pub mod schema;
pub mod snapshot;
pub mod source;
pub mod spec;
pub mod strvals;
pub mod validate;
pub mod values;
pub mod yaml;
