//! `check` checks each generated step as the model answers it (`Generator::run_checked`) instead
//! of generating a trace and replaying it through a second model: the violations and tallies must
//! be exactly what replaying the trace finds (`check_trace`), for every built-in profile.
#![allow(clippy::unwrap_used)]

use oauth_oracle::check::check_trace;
use oauth_oracle::generate::Generator;
use oauth_oracle::invariant::{Checker, Expectations};
use oauth_oracle::{Config, Profile, Seed};

#[test]
fn checking_while_generating_finds_what_replaying_finds() {
    let mut broken = 0;
    for profile in Profile::all() {
        for seed in 0..12u8 {
            let config = Config {
                seed: Seed([seed; 32]),
                ..Config::for_profile(&profile)
            };
            let checker = Checker::new(Expectations::for_model(&config, &profile));
            let (steps, found, checker) = Generator::new(profile.clone(), config.clone())
                .unwrap()
                .run_checked(60, checker);
            let trace = Generator::new(profile.clone(), config).unwrap().run(60);
            assert_eq!(steps, trace.steps.len(), "{}: same steps", profile.name);
            let (replayed, rechecker) = check_trace(&trace).unwrap();
            let ids = |v: &[oauth_oracle::invariant::Violation]| {
                v.iter()
                    .map(|v| (v.invariant, v.step, v.detail.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&found), ids(&replayed), "{} seed {seed}", profile.name);
            assert_eq!(
                format!("{:?}", checker.tallies()),
                format!("{:?}", rechecker.tallies()),
                "{} seed {seed}",
                profile.name
            );
            broken += found.len();
        }
    }
    assert!(
        broken > 0,
        "the broken profiles break invariants: the comparison saw violations"
    );
}
