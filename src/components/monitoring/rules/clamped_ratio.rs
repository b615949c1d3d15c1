//! CG605: a ratio of rates is not divided by `clamp_min(..., 1)`.

use promql_parser::parser::Expr;

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::support::walk_promql;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG605,
        severity: Severity::Warning,
        checks: "No division has a denominator of the form `clamp_min(X, c)` with `c >= 1` where X is built from `rate` or \
                 `irate` (per-second values).",
        why: "Per-second rates are usually far below 1, so clamping the denominator at 1 replaces the real traffic with 1 and \
              the ratio becomes failures per second: a 5 % threshold then needs 0.05 failures every second before it fires, \
              and a low-traffic service never alerts. Guard the division with `> 0` on the denominator instead.",
    },
    target: Target::Alerts(check),
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

fn check(alert: &Alert<'_>, _: &Spec, out: &mut Problems) {
    let parsed = alert.expr();
    let Ok(expr) = parsed.as_ref() else { return };
    let mut clamped = false;
    walk_promql(expr, &mut |node| {
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
        out.add(format!("{}/expr", alert.pointer), "the denominator is per-second rates clamped at 1 or more, which raises the threshold silently");
    }
}
