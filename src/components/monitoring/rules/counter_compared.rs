//! CG606: an alert does not compare a counter's raw value.

use promql_parser::parser::{Expr, VectorSelector};

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG606,
        severity: Severity::Error,
        checks: "No alerting rule compares (`>`, `>=`, `<`, `<=`, `!=`, `==`) the raw value of a counter: a series whose name \
                 ends in `_total`, `_count`, `_sum` or `_bucket`, or one of CloudNativePG's counters (such as \
                 `cnpg_pg_stat_archiver_failed_count`), that reaches the comparison without going through `rate`, `irate`, \
                 `increase`, `delta`, `idelta`, `resets` or `changes`. Passing through arithmetic or an aggregation (`sum`, \
                 `max`, …) keeps a value raw. Not reported: a counter whose value is discarded (`absent`, \
                 `absent_over_time`, `present_over_time`, `count_over_time`, `timestamp`, `count`, `group`, \
                 `count_values`); a comparison on the right of `and` or `unless`, which only selects which series alert; \
                 `counter == 0` (has it never counted since its last reset, which can be the point of an alert); a \
                 difference of one counter with itself at another `offset`; and a side that mixes a counter with another \
                 series (`agents_total - agents_online`), since a name ending in `_total` is sometimes a gauge of all the \
                 things the other series counts a part of. CloudNativePG's `cnpg_backends_total` and \
                 `cnpg_backends_waiting_total` are gauges. Recording rules are not checked.",
        why: "A counter only grows until its process restarts. `cnpg_pg_stat_archiver_failed_count > 0` (a seed runbook's WAL \
              archiving alert) fires at the first failed segment and then for ever, through every later success, so the \
              alert is silenced and a real archiving outage goes unnoticed; a threshold on a raw counter measures the \
              process's age, not the problem. Compare `increase(x[15m]) > 0` or `rate(x[5m])` instead.",
    },
    target: Target::Alerts(check),
};

/// Functions whose result is a counter's change, which may be compared.
const RATE_LIKE: &[&str] = &["rate", "irate", "increase", "delta", "idelta", "resets", "changes"];

/// Functions and aggregations whose result does not carry their argument's values.
const DISCARDING: &[&str] = &["absent", "absent_over_time", "present_over_time", "count_over_time", "timestamp", "count", "group", "count_values"];

/// CloudNativePG's counters that no suffix tells (its default monitoring
/// queries' `COUNTER` columns, `config/manager/default-monitoring.yaml`).
const KNOWN_COUNTERS: &[&str] = &[
    "cnpg_pg_stat_archiver_archived_count",
    "cnpg_pg_stat_archiver_failed_count",
    "cnpg_pg_stat_bgwriter_checkpoints_timed",
    "cnpg_pg_stat_bgwriter_checkpoints_req",
    "cnpg_pg_stat_bgwriter_checkpoint_write_time",
    "cnpg_pg_stat_bgwriter_checkpoint_sync_time",
    "cnpg_pg_stat_bgwriter_buffers_checkpoint",
    "cnpg_pg_stat_bgwriter_buffers_clean",
    "cnpg_pg_stat_bgwriter_maxwritten_clean",
    "cnpg_pg_stat_bgwriter_buffers_backend",
    "cnpg_pg_stat_bgwriter_buffers_backend_fsync",
    "cnpg_pg_stat_bgwriter_buffers_alloc",
    "cnpg_pg_stat_bgwriter_17_buffers_clean",
    "cnpg_pg_stat_bgwriter_17_maxwritten_clean",
    "cnpg_pg_stat_bgwriter_17_buffers_alloc",
    "cnpg_pg_stat_checkpointer_checkpoints_timed",
    "cnpg_pg_stat_checkpointer_checkpoints_req",
    "cnpg_pg_stat_checkpointer_restartpoints_timed",
    "cnpg_pg_stat_checkpointer_restartpoints_req",
    "cnpg_pg_stat_checkpointer_restartpoints_done",
    "cnpg_pg_stat_checkpointer_write_time",
    "cnpg_pg_stat_checkpointer_sync_time",
    "cnpg_pg_stat_checkpointer_buffers_written",
    "cnpg_pg_stat_database_xact_commit",
    "cnpg_pg_stat_database_xact_rollback",
    "cnpg_pg_stat_database_blks_read",
    "cnpg_pg_stat_database_blks_hit",
    "cnpg_pg_stat_database_tup_returned",
    "cnpg_pg_stat_database_tup_fetched",
    "cnpg_pg_stat_database_tup_inserted",
    "cnpg_pg_stat_database_tup_updated",
    "cnpg_pg_stat_database_tup_deleted",
    "cnpg_pg_stat_database_conflicts",
    "cnpg_pg_stat_database_temp_files",
    "cnpg_pg_stat_database_temp_bytes",
    "cnpg_pg_stat_database_deadlocks",
    "cnpg_pg_stat_database_blk_read_time",
    "cnpg_pg_stat_database_blk_write_time",
];

/// Gauges whose names end like a counter's.
const KNOWN_GAUGES: &[&str] = &["cnpg_backends_total", "cnpg_backends_waiting_total"];

fn is_counter(name: &str) -> bool {
    if KNOWN_GAUGES.contains(&name) {
        return false;
    }
    ["_total", "_count", "_sum", "_bucket"].iter().any(|suffix| name.ends_with(suffix)) || KNOWN_COUNTERS.contains(&name)
}

fn selector_name(selector: &VectorSelector) -> Option<String> {
    selector.name.clone().or_else(|| selector.matchers.matchers.iter().find(|m| m.name == "__name__").map(|m| m.value.clone()))
}

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

/// The series an expression's values come from: the counters read raw, and
/// whether any other series goes in.
#[derive(Default)]
struct Flow {
    counters: Vec<String>,
    other_series: bool,
}

impl Flow {
    fn join(mut self, other: Flow) -> Flow {
        self.counters.extend(other.counters);
        self.other_series |= other.other_series;
        self
    }

    fn of_selector(selector: &VectorSelector) -> Flow {
        match selector_name(selector) {
            Some(name) if is_counter(&name) => Flow { counters: vec![name], other_series: false },
            _ => Flow { counters: Vec::new(), other_series: true },
        }
    }

    /// Whether the values are a counter's raw values, and nothing else's.
    fn is_raw_counter(&self) -> bool {
        !self.counters.is_empty() && !self.other_series
    }
}

/// `c - c offset 1h`: one counter minus itself earlier, which is its increase.
fn is_manual_delta(lhs: &Expr, rhs: &Expr) -> bool {
    match (unparen(lhs), unparen(rhs)) {
        (Expr::VectorSelector(a), Expr::VectorSelector(b)) => {
            selector_name(a) == selector_name(b) && (a.offset.is_some() || b.offset.is_some() || a.at.is_some() || b.at.is_some()) && a.to_string() != b.to_string()
        }
        _ => false,
    }
}

fn flow(expr: &Expr) -> Flow {
    match expr {
        Expr::VectorSelector(v) => Flow::of_selector(v),
        Expr::MatrixSelector(m) => Flow::of_selector(&m.vs),
        Expr::Paren(p) => flow(&p.expr),
        Expr::Unary(u) => flow(&u.expr),
        Expr::Subquery(s) => flow(&s.expr),
        Expr::Call(call) if RATE_LIKE.contains(&call.func.name) || DISCARDING.contains(&call.func.name) => Flow::default(),
        Expr::Call(call) => call.args.args.iter().fold(Flow::default(), |acc, arg| acc.join(flow(arg))),
        Expr::Aggregate(a) if DISCARDING.contains(&a.op.to_string().as_str()) => Flow::default(),
        Expr::Aggregate(a) => flow(&a.expr),
        Expr::Binary(b) => {
            let op = b.op.to_string().to_lowercase();
            if op == "and" || op == "unless" {
                flow(&b.lhs)
            } else if b.op.is_comparison_operator() {
                if b.modifier.as_ref().is_some_and(|m| m.return_bool) {
                    return Flow::default();
                }
                // A comparison keeps the values of its vector side (the left one of two vectors).
                let lhs = flow(&b.lhs);
                if lhs.counters.is_empty() && !lhs.other_series { flow(&b.rhs) } else { lhs }
            } else if op == "-" && is_manual_delta(&b.lhs, &b.rhs) {
                Flow::default()
            } else {
                flow(&b.lhs).join(flow(&b.rhs))
            }
        }
        _ => Flow::default(),
    }
}

fn is_zero(expr: &Expr) -> bool {
    matches!(unparen(expr), Expr::NumberLiteral(n) if n.val == 0.0)
}

/// The counters compared raw, outside the parts of the expression that only select or discard.
fn compared(expr: &Expr, found: &mut Vec<String>) {
    match expr {
        Expr::Paren(p) => compared(&p.expr, found),
        Expr::Unary(u) => compared(&u.expr, found),
        Expr::Subquery(s) => compared(&s.expr, found),
        Expr::Call(call) if RATE_LIKE.contains(&call.func.name) || DISCARDING.contains(&call.func.name) => {}
        Expr::Call(call) => call.args.args.iter().for_each(|arg| compared(arg, found)),
        Expr::Aggregate(a) if DISCARDING.contains(&a.op.to_string().as_str()) => {}
        Expr::Aggregate(a) => compared(&a.expr, found),
        Expr::Binary(b) => {
            let op = b.op.to_string().to_lowercase();
            if b.op.is_comparison_operator() {
                let exempt = op == "==" && (is_zero(&b.lhs) || is_zero(&b.rhs));
                for side in [flow(&b.lhs), flow(&b.rhs)] {
                    if side.is_raw_counter() && !exempt {
                        found.extend(side.counters);
                    }
                }
            }
            compared(&b.lhs, found);
            // The right of `and` and `unless` selects which series alert; its values are dropped.
            if op != "and" && op != "unless" {
                compared(&b.rhs, found);
            }
        }
        _ => {}
    }
}

fn check(alert: &Alert<'_>, _: &Spec, out: &mut Problems) {
    if alert.rule["alert"].is_null() {
        return;
    }
    let parsed = alert.expr();
    let Ok(expr) = parsed.as_ref() else { return };
    let mut found = Vec::new();
    compared(expr, &mut found);
    found.sort();
    found.dedup();
    for name in found {
        out.add(
            format!("{}/expr", alert.pointer),
            format!("`{name}` is a counter, compared by its raw value, which only grows until its process restarts: once past the threshold the alert fires for good; compare its change, `increase({name}[15m])` or `rate({name}[5m])`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::compared;

    fn found(expr: &str) -> Vec<String> {
        let mut out = Vec::new();
        compared(&promql_parser::parser::parse(expr).unwrap(), &mut out);
        out
    }

    #[test]
    fn raw_counters_in_comparisons_are_found() {
        assert_eq!(found("cnpg_pg_stat_archiver_failed_count > 0"), ["cnpg_pg_stat_archiver_failed_count"]);
        assert_eq!(found("sum by (pod) (x_total) >= 5"), ["x_total"]);
        assert_eq!(found("x_errors_total / x_requests_total > 0.1"), ["x_errors_total", "x_requests_total"]);
        assert_eq!(found("0 < max_over_time(x_total[1h])"), ["x_total"]);
        assert_eq!(found("increase(x_total[1h]) > 0 or x_total != 0"), ["x_total"]);
    }

    #[test]
    fn rates_guards_and_discarded_values_pass() {
        for expr in [
            "increase(cnpg_pg_stat_archiver_failed_count[5m]) > 0",
            "sum(rate(a_total[5m])) / sum(rate(b_total[5m])) > 0.05",
            "absent(x_total)",
            "absent(x_total) or x_total == 0",
            "rate(x_total[5m]) > 1 unless x_total == 0",
            "rate(x_total[5m]) > 1 and x_total > 100",
            "(agents_total - agents_online) > 2",
            "x_total - x_total offset 1h > 0",
            "count(x_total) > 3",
            "time() - timestamp(x_total) > 3600",
            "cnpg_backends_total > 100",
            "(time() - cnpg_pg_stat_archiver_last_archived_time) > 3600",
        ] {
            assert_eq!(found(expr), Vec::<String>::new(), "{expr}");
        }
    }
}
