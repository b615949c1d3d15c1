//! Progress of a long run on a terminal: after a second, one line on
//! stderr that rewrites itself (done of total, elapsed, remaining). Never
//! written when stderr is not a terminal or the output is for machines.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts finished steps of a run; shows them when asked to.
pub struct Progress {
    done: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    painter: Option<std::thread::JoinHandle<()>>,
}

/// How long a run goes unannounced, and how often the line changes.
const QUIET: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(200);

impl Progress {
    /// Counts without showing anything.
    pub fn hidden() -> Progress {
        Progress { done: Arc::new(AtomicUsize::new(0)), stop: Arc::new(AtomicBool::new(true)), painter: None }
    }

    /// Shows `what` (such as "rendered") of `total` on stderr when it is a
    /// terminal and `show` holds (a human output format).
    pub fn on_terminal(what: &'static str, total: usize, show: bool) -> Progress {
        let mut progress = Progress::hidden();
        if !show || !std::io::stderr().is_terminal() {
            return progress;
        }
        progress.stop.store(false, Ordering::Relaxed);
        let (done, stop) = (progress.done.clone(), progress.stop.clone());
        progress.painter = Some(std::thread::spawn(move || {
            let start = Instant::now();
            let mut shown = false;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                let elapsed = start.elapsed();
                if elapsed < QUIET {
                    continue;
                }
                let count = done.load(Ordering::Relaxed).min(total);
                let left = if count == 0 { String::from("?") } else { format!("{:.0} s", elapsed.as_secs_f64() * (total - count) as f64 / count as f64) };
                let _ = write!(std::io::stderr(), "\r{what} {count} of {total}, {:.0} s elapsed, about {left} left\x1b[K", elapsed.as_secs_f64());
                shown = true;
            }
            if shown {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
        }));
        progress
    }

    pub fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(painter) = self.painter.take() {
            let _ = painter.join();
        }
    }
}
