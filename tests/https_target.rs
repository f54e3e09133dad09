//! An https target: `audit` against `serve` behind a TLS-terminating proxy
//! (`scripts/tls-proxy.py`, Python's standard library) whose certificate is issued by a CA made
//! for the test with the `openssl` command. With `--ca-cert` naming that CA the audit runs
//! through TLS (codes issued, invariants checked); without it the certificate is refused (it
//! does not chain to Mozilla's roots) and the target is unusable, exit 2, saying why.
#![allow(clippy::unwrap_used)]

#[path = "common/canned.rs"]
mod canned;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use canned::{Serve, oracle, scratch, text};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// A CA (`ca.pem`) and a certificate for 127.0.0.1 it issued (`leaf.pem`, `leaf.key`).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=oauth-oracle test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
}

/// A child process killed on drop.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn audit_runs_through_tls_with_the_ca_it_is_given() {
    let dir = scratch("https-target");
    certificates(&dir);
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    // `serve` prints its --base-url, not where it listens: it gets a port of its own.
    let backend_port = free_port().to_string();
    let serve = Serve::start_at(&backend_port, &["--base-url", &base]);
    assert_eq!(serve.base, base);
    let backend = format!("http://127.0.0.1:{backend_port}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/tls-proxy.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(["leaf.pem", "leaf.key", &port.to_string(), &backend])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let _proxy = Proxy(child);
    let args = [
        "audit",
        "--target",
        &base,
        "--cases",
        "4",
        "--steps",
        "20",
        "--shrink-budget",
        "1",
    ];
    let out = oracle(&dir, &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("certificate") || stderr.contains("Certificate"),
        "{stderr}"
    );
    let mut trusted = args.to_vec();
    trusted.extend(["--ca-cert", "ca.pem"]);
    let out = oracle(&dir, &trusted);
    let stdout = text(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("code-single-use"))
        .unwrap();
    assert!(line.contains("PASS"), "{line}");
    // A file that is no PEM certificate is named.
    let out = oracle(&dir, &["audit", "--target", &base, "--ca-cert", "leaf.csr"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--ca-cert leaf.csr"), "{stderr}");
}
