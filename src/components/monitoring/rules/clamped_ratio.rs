//! CG605: a ratio of rates is not divided by `clamp_min(..., 1)`.

use promql_parser::parser::Expr;

use crate::extract::alert_rules;
use crate::rules::support::walk_promql;
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: ClampedRatioRule = ClampedRatioRule;

pub struct ClampedRatioRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG605,
    severity: Severity::Warning,
    checks: "No division has a denominator of the form `clamp_min(X, c)` with `c >= 1` where X is built from `rate` or \
             `irate` (per-second values).",
    why: "Per-second rates are usually far below 1, so clamping the denominator at 1 replaces the real traffic with 1 and \
          the ratio becomes failures per second: a 5 % threshold then needs 0.05 failures every second before it fires, \
          and a low-traffic service never alerts. Guard the division with `> 0` on the denominator instead.",
    bad: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlJobFailureRateHigh\n          expr: sum(rate(certctl_job_failed_total[15m])) / clamp_min(sum(rate(certctl_job_completed_total[15m])), 1) > 0.05\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlJobFailureRateHigh\n          expr: sum(rate(certctl_job_failed_total[15m])) / (sum(rate(certctl_job_completed_total[15m])) > 0) > 0.05\n",
    },
};

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

fn has_rate(expr: &Expr) -> bool {
    let mut found = false;
    walk_promql(expr, &mut |node| {
        if let Expr::Call(call) = node
            && (call.func.name == "rate" || call.func.name == "irate")
        {
            found = true;
        }
    });
    found
}

impl Rule for ClampedRatioRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (document, pointer, rule) in alert_rules(subject.manifests) {
            let Ok(expr) = promql_parser::parser::parse(rule["expr"].as_str().unwrap_or_default()) else { continue };
            let mut clamped = false;
            walk_promql(&expr, &mut |node| {
                let Expr::Binary(binary) = node else { return };
                if binary.op.to_string() != "/" {
                    return;
                }
                if let Expr::Call(call) = unparen(&binary.rhs)
                    && call.func.name == "clamp_min"
                    && let [inner, floor] = call.args.args.as_slice()
                    && let Expr::NumberLiteral(n) = unparen(floor)
                    && n.val >= 1.0
                    && has_rate(inner)
                {
                    clamped = true;
                }
            });
            if clamped {
                out.push(Violation::at(document, format!("{pointer}/expr"), "the denominator is per-second rates clamped at 1 or more, which raises the threshold silently"));
            }
        }
    }
}
