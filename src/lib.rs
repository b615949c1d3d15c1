//! chartgen: generate and verify the PostgreSQL-operations part of a Helm chart.
pub mod diagnostic;
pub mod source;
pub mod strvals;
