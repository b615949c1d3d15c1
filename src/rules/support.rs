//! What several rules need beyond the extract layer: walking PromQL.

/// Calls `visit` on every node of a PromQL expression, parents first.
pub fn walk_promql(expr: &promql_parser::parser::Expr, visit: &mut dyn FnMut(&promql_parser::parser::Expr)) {
    use promql_parser::parser::Expr;
    visit(expr);
    match expr {
        Expr::Aggregate(e) => {
            walk_promql(&e.expr, visit);
            if let Some(param) = &e.param {
                walk_promql(param, visit);
            }
        }
        Expr::Unary(e) => walk_promql(&e.expr, visit),
        Expr::Binary(e) => {
            walk_promql(&e.lhs, visit);
            walk_promql(&e.rhs, visit);
        }
        Expr::Paren(e) => walk_promql(&e.expr, visit),
        Expr::Subquery(e) => walk_promql(&e.expr, visit),
        Expr::Call(call) => call.args.args.iter().for_each(|a| walk_promql(a, visit)),
        _ => {}
    }
}

