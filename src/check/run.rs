//! Running a campaign on several threads with a result that does not depend on them: each worker
//! takes the next case from a shared counter and keeps its own partial report; the partial reports
//! are folded by case order ([`Report::absorb`]), never by completion order. Failures are shrunk
//! after all cases ran, in parallel too, each one a pure function of its trace.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::{Failure, Plan, Report, Shard, shrink};
use crate::config::Config;
use crate::coverage::FlowCoverage;
use crate::error::ConfigError;
use crate::generate::Generator;
use crate::invariant::{Checker, Expectations, InvariantId, Violation};
use crate::profile::Profile;
use crate::rng::Seed;
use crate::server::AuthServer;
use crate::trace::Trace;

/// A campaign: `cases` generated flows of `steps` steps each (or one shard of them).
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The profile under test.
    pub profile: Profile,
    /// The server configuration (its seed is replaced per case).
    pub config: Config,
    /// Number of flows of the whole campaign.
    pub cases: u64,
    /// Steps per flow.
    pub steps: usize,
    /// Campaign seed.
    pub seed: u64,
    /// Whether to shrink failures.
    pub shrink: bool,
    /// Run only this shard's cases; `None`: all of them.
    pub shard: Option<Shard>,
}

/// What [`Campaign::run`] reports as it goes (from any of its threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// One more case checked; `steps` checked and `broken` invariants broken so far.
    Case {
        /// Steps checked so far.
        steps: u64,
        /// Invariants broken so far.
        broken: usize,
    },
    /// Every case checked; the failures (one per broken invariant) are being shrunk.
    Shrinking {
        /// Failures to shrink.
        failures: usize,
    },
}

/// Shared by the workers for progress only: nothing here reaches the report.
#[derive(Default)]
struct Seen {
    steps: AtomicU64,
    broken: Mutex<Vec<InvariantId>>,
    broken_count: AtomicUsize,
}

impl Campaign {
    /// The seed of case `case`.
    pub fn case_seed(&self, case: u64) -> Seed {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.seed.to_le_bytes());
        b[8..16].copy_from_slice(&case.to_le_bytes());
        b[16..24].copy_from_slice(b"oauthchk");
        Seed(b)
    }

    /// The generated trace of case `case`.
    pub fn case_trace(&self, case: u64) -> Result<Trace, ConfigError> {
        let config = Config {
            seed: self.case_seed(case),
            ..self.config.clone()
        };
        Ok(Generator::new(self.profile.clone(), config)?.run(self.steps))
    }

    /// Case `case` generated and checked step by step as the model answered it, with no trace
    /// written: its steps, violations and checker (what [`check_trace`](super::check_trace)
    /// finds replaying [`Campaign::case_trace`]).
    /// `start` is what the worker's first case built (the configuration validated, the constant
    /// answers and the checker's expectations), which none of them changes: the later cases start
    /// from it.
    fn case_checked(
        &self,
        start: &mut Option<(AuthServer, Expectations)>,
        case: u64,
    ) -> Result<(usize, Vec<Violation>, Checker), ConfigError> {
        let seed = self.case_seed(case);
        let (server, expectations) = match start {
            Some((first, expectations)) => (first.fresh(seed), expectations.clone()),
            None => {
                let config = Config {
                    seed,
                    ..self.config.clone()
                };
                let expectations = Expectations::for_model(&config, &self.profile);
                let server = AuthServer::new(config, self.profile.clone())?;
                let (first, expectations) = start.insert((server, expectations));
                (first.fresh(seed), expectations.clone())
            }
        };
        Ok(Generator::with_server(server).run_checked(self.steps, Checker::new(expectations)))
    }

    /// What the campaign was asked to run, as its report records it.
    pub fn plan(&self) -> Plan {
        Plan {
            seed: self.seed,
            cases: self.cases,
            steps: self.steps,
            shrink: self.shrink,
            shard: self.shard,
        }
    }

    /// How many cases this campaign (its shard, if any) runs.
    pub fn case_count(&self) -> u64 {
        self.shard.map_or(self.cases, |s| s.len(self.cases))
    }

    /// The `k`-th case this campaign runs.
    fn case(&self, k: u64) -> u64 {
        self.shard.map_or(k, |s| s.case(k))
    }

    /// Run the campaign on `jobs` threads; `progress` is called after each case. The report is the
    /// same, byte for byte, for any `jobs`. On a configuration error, the one of the first case.
    pub fn run(
        &self,
        jobs: NonZeroUsize,
        progress: impl Fn(Progress) + Sync,
    ) -> Result<Report, ConfigError> {
        let total = self.case_count();
        let threads = usize::try_from(total)
            .map_or(jobs.get(), |t| t.min(jobs.get()))
            .max(1);
        let next = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let seen = Seen::default();
        let parts = on_threads(threads, || {
            self.worker(total, &next, &stop, &seen, &progress)
        });
        let mut report = Report::empty(self.profile.name.to_string(), self.plan());
        let mut error: Option<(u64, ConfigError)> = None;
        for part in parts {
            match part {
                Ok(r) => report.absorb(r),
                Err((case, e)) => {
                    if error.as_ref().is_none_or(|(first, _)| case < *first) {
                        error = Some((case, e));
                    }
                }
            }
        }
        if let Some((_, e)) = error {
            return Err(e);
        }
        if self.shrink && !report.failures.is_empty() {
            progress(Progress::Shrinking {
                failures: report.failures.len(),
            });
            shrink_all(&mut report.failures, jobs);
        }
        Ok(report)
    }

    /// One thread's share: cases taken from `next` until none is left; the cases it takes only
    /// grow, so its first failure per invariant is its earliest. A case once taken is always run,
    /// so on errors the first erroring case is among the ones reported.
    fn worker(
        &self,
        total: u64,
        next: &AtomicU64,
        stop: &AtomicBool,
        seen: &Seen,
        progress: &(impl Fn(Progress) + Sync),
    ) -> Result<Report, (u64, ConfigError)> {
        let mut part = Report::empty(String::new(), self.plan());
        let mut start = None;
        while !stop.load(Ordering::Relaxed) {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= total {
                break;
            }
            let case = self.case(k);
            let (steps, violations, checker) =
                self.case_checked(&mut start, case).map_err(|e| {
                    stop.store(true, Ordering::Relaxed);
                    (case, e)
                })?;
            let generated = steps as u64;
            part.coverage.add(&FlowCoverage {
                generated,
                executed: generated,
                unsent: Vec::new(),
                stopped: None,
                refused: Vec::new(),
            });
            part.cases += 1;
            part.steps += generated;
            for (id, t) in checker.tallies() {
                part.tallies.entry(*id).or_default().add(t);
            }
            if !violations.is_empty() {
                let mut broken = seen.broken.lock().unwrap_or_else(PoisonError::into_inner);
                for v in &violations {
                    if !broken.contains(&v.invariant) {
                        broken.push(v.invariant);
                    }
                }
                seen.broken_count.store(broken.len(), Ordering::Relaxed);
            }
            // The trace is written again (the same seed, the same trace) only for a case that
            // holds a failure to keep.
            let mut trace: Option<Trace> = None;
            for v in violations {
                if part.failures.iter().any(|f| f.invariant == v.invariant) {
                    continue;
                }
                let minimal = match &trace {
                    Some(t) => t.clone(),
                    None => trace
                        .insert(self.case_trace(case).map_err(|e| (case, e))?)
                        .clone(),
                };
                // Shrunk later, once the failures to keep are known.
                part.failures.push(Failure {
                    invariant: v.invariant,
                    case,
                    detail: v.detail,
                    minimal_steps: minimal.steps.len(),
                    minimal,
                });
            }
            let steps = generated;
            progress(Progress::Case {
                steps: seen.steps.fetch_add(steps, Ordering::Relaxed) + steps,
                broken: seen.broken_count.load(Ordering::Relaxed),
            });
        }
        Ok(part)
    }
}

/// Shrink every failure's trace, on up to `jobs` threads; each result goes back to its failure.
fn shrink_all(failures: &mut [Failure], jobs: NonZeroUsize) {
    let next = AtomicUsize::new(0);
    let todo: &[Failure] = failures;
    let shrunk = on_threads(jobs.get().min(todo.len()), || {
        let mut done = Vec::new();
        while let Some(f) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((f.case, f.invariant, shrink(&f.minimal, f.invariant)));
        }
        done
    });
    for (case, invariant, minimal) in shrunk.into_iter().flatten() {
        if let Some(f) = failures
            .iter_mut()
            .find(|f| f.case == case && f.invariant == invariant)
        {
            f.minimal_steps = minimal.steps.len();
            f.minimal = minimal;
        }
    }
}

/// `work` run on `threads` threads (this one and `threads - 1` spawned; fewer if the system
/// refuses some, which changes nothing but the time), each result returned.
fn on_threads<T: Send>(threads: usize, work: impl Fn() -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, &work).ok())
            .collect();
        let mut results = vec![work()];
        for h in handles {
            match h.join() {
                Ok(r) => results.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}
