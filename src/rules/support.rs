//! What several rules need beyond the extract layer: walking PromQL, and
//! the gaps between the base backups of CloudNativePG schedules.

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


/// The longest gap between two consecutive firings of any of these
/// CloudNativePG schedules (six-field cron, seconds first, in UTC as the
/// operator runs them) during 2026, and when it begins; `None` when none of
/// them parses (rule CG101's business) or none fires twice. Computed once
/// per set of schedules per process.
pub fn longest_gap_with_seconds(schedules: &[&str]) -> Option<(chrono::Duration, String)> {
    type Cache = std::collections::HashMap<Vec<String>, Option<(chrono::Duration, String)>>;
    static GAPS: std::sync::Mutex<Option<Cache>> = std::sync::Mutex::new(None);
    let mut key: Vec<String> = schedules.iter().map(|s| s.to_string()).collect();
    key.sort();
    key.dedup();
    if let Some(known) = GAPS.lock().expect("not poisoned").get_or_insert_with(Cache::new).get(&key) {
        return known.clone();
    }
    let gap = compute_gap(&key);
    let mut cache = GAPS.lock().expect("not poisoned");
    let cache = cache.get_or_insert_with(Cache::new);
    // Bounded: hostile input must not grow it without end.
    if cache.len() < 1024 {
        cache.insert(key, gap.clone());
    }
    gap
}

fn compute_gap(schedules: &[String]) -> Option<(chrono::Duration, String)> {
    use chrono::TimeZone as _;
    let parsed: Vec<crate::scalars::CronWithSeconds> = schedules.iter().filter_map(|s| s.parse().ok()).collect();
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single()?;
    let end = start + chrono::Duration::days(366);
    // A year of minutes bounds the walk of each schedule; one that fires
    // more often has gaps far below any retention policy.
    let mut firings: Vec<chrono::DateTime<chrono::Utc>> = parsed
        .iter()
        .flat_map(|schedule| schedule.cron().iter_from(start, croner::Direction::Forward).take(530_000).take_while(move |t| *t <= end))
        .collect();
    firings.sort();
    firings.dedup();
    firings
        .windows(2)
        .map(|pair| (pair[1] - pair[0], pair[0]))
        .reduce(|longest, next| if next.0 > longest.0 { next } else { longest })
        .map(|(gap, from)| (gap, from.format("%Y-%m-%d %H:%M:%S UTC").to_string()))
}
