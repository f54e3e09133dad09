//! `--login-hook CMD`: a provider's login done by an external program (a browser driver, a
//! script with the provider's test credentials) instead of the built-in user agent. The hook gets
//! the authorization request URL as its argument and prints the URL it was finally redirected to
//! (the client's redirect URI with the response parameters) on stdout. It is bounded: at most
//! [`HOOK_TIMEOUT`] of running time and [`HOOK_OUTPUT`] bytes of output.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The longest a hook may run for one authorization request.
pub(crate) const HOOK_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a hook's stdout that is read.
pub(crate) const HOOK_OUTPUT: u64 = 64 * 1024;
/// How often a running hook is looked at.
const POLL: Duration = Duration::from_millis(20);

/// Run `cmd` (a shell command line; the URL is appended as its last argument) for `url`: the
/// final redirect URL it printed (its last non-empty line), or why there is none.
pub(crate) fn run(cmd: &str, url: &str) -> Result<String, String> {
    run_bounded(cmd, url, HOOK_TIMEOUT)
}

/// [`run`] with a given time limit.
pub(crate) fn run_bounded(cmd: &str, url: &str, timeout: Duration) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$1\""))
        .arg("oauth-oracle-login-hook")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("login hook {cmd:?} could not start: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(format!("login hook {cmd:?}: no stdout"));
    };
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.take(HOOK_OUTPUT + 1).read_to_end(&mut bytes);
        bytes
    });
    let polls = timeout.as_millis() / POLL.as_millis().max(1);
    let mut status = None;
    for _ in 0..=polls {
        match child.try_wait() {
            Ok(Some(s)) => {
                status = Some(s);
                break;
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return Err(format!("login hook {cmd:?}: {e}")),
        }
    }
    let Some(status) = status else {
        // Our own child, by its handle.
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "login hook {cmd:?} did not finish within {} s",
            timeout.as_secs()
        ));
    };
    let bytes = reader.join().unwrap_or_default();
    if bytes.len() as u64 > HOOK_OUTPUT {
        return Err(format!(
            "login hook {cmd:?} printed more than {HOOK_OUTPUT} bytes"
        ));
    }
    if !status.success() {
        return Err(format!("login hook {cmd:?} failed ({status})"));
    }
    let text = String::from_utf8_lossy(&bytes);
    match text.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        Some(last) if url::Url::parse(last).is_ok() => Ok(last.to_owned()),
        Some(last) => Err(format!(
            "login hook {cmd:?} printed {:?}, not a URL",
            crate::diff::abbreviate(last)
        )),
        None => Err(format!("login hook {cmd:?} printed nothing")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_last_line_printed_is_the_redirect() {
        let got = run(
            "printf 'log line\\n%s?code=c\\n' http://client/cb; true",
            "http://as/authorize?x=1",
        );
        assert_eq!(got, Ok("http://client/cb?code=c".to_owned()));
        let echo = run("echo", "http://as/authorize?a=1&b=2");
        assert_eq!(echo, Ok("http://as/authorize?a=1&b=2".to_owned()));
    }

    #[test]
    fn failures_are_said() {
        let e = run("exit 3; echo", "http://x/").unwrap_err();
        assert!(e.contains("failed"), "{e}");
        let e = run("echo not-a-url; true", "http://x/").unwrap_err();
        assert!(e.contains("not a URL"), "{e}");
        let e = run_bounded("sleep 5; echo", "http://x/", Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("did not finish"), "{e}");
        let e = run("head -c 70000 /dev/zero | tr '\\0' a; true", "http://x/").unwrap_err();
        assert!(e.contains("more than"), "{e}");
    }
}
