//! The fingerprint as a report (text), as a profile file annotated knob by knob, and as files:
//! the profile and, beside it, `<stem>.evidence/<knob>.jsonl` traces.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Confidence, Fingerprint};

impl Fingerprint {
    /// The evidence folder for a profile written to `out`: `<out without extension>.evidence`.
    pub fn evidence_dir(out: &Path) -> PathBuf {
        let stem = out
            .file_stem()
            .map_or_else(|| "profile".into(), |s| s.to_string_lossy().into_owned());
        out.with_file_name(format!("{stem}.evidence"))
    }

    /// The learned profile as a profile file, each knob preceded by its documentation and a
    /// `# fingerprint:` line (confidence, evidence; a knob not observed says it kept the base
    /// profile's value). [`crate::Profile::from_toml`] reads it as [`Fingerprint::profile`].
    pub fn to_toml(&self, evidence_dir: &str) -> String {
        let text = self.profile.to_toml();
        let mut out = format!(
            "# Learned by `oauth-oracle fingerprint --target {}` (base profile {}).\n",
            self.target, self.base
        );
        for line in text.lines() {
            let key = line.split_once(" = ").map(|(k, _)| k);
            if let Some(k) = key.and_then(|key| self.knobs.iter().find(|k| k.key == key)) {
                let evidence = k
                    .evidence
                    .as_ref()
                    .map(|e| format!(", evidence {evidence_dir}/{e}"))
                    .unwrap_or_default();
                let kept = match k.confidence {
                    Confidence::Decided => String::new(),
                    Confidence::Inconsistent | Confidence::NotObservable => {
                        format!(" (value kept from the base profile {})", self.base)
                    }
                };
                let kept = if k.confidence == Confidence::Inconsistent && self.knob_changed(k.key) {
                    String::new()
                } else {
                    kept
                };
                let _ = writeln!(
                    out,
                    "# fingerprint: {}{kept}{evidence}",
                    k.confidence.as_str()
                );
                if !k.note.is_empty() {
                    let _ = writeln!(out, "#   {}", k.note.replace('\n', " "));
                }
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Whether knob `key` differs from the base profile's.
    fn knob_changed(&self, key: &str) -> bool {
        let Ok(base) = crate::Profile::by_name(&self.base) else {
            return true;
        };
        super::infer::knob_value(&base, key) != super::infer::knob_value(&self.profile, key)
    }

    /// The report as text: one line per knob (value, confidence, evidence), the behaviours no
    /// knob describes, the lifetimes the server stated.
    pub fn to_text(&self, evidence_dir: &str) -> String {
        let count = |c: Confidence| self.knobs.iter().filter(|k| k.confidence == c).count();
        let mut out = format!(
            "fingerprint of {} ({} requests; base profile {}): {} knobs, {} decided, {} inconsistent, {} not observable\n",
            self.target,
            self.requests,
            self.base,
            self.knobs.len(),
            count(Confidence::Decided),
            count(Confidence::Inconsistent),
            count(Confidence::NotObservable),
        );
        for k in &self.knobs {
            let _ = writeln!(
                out,
                "  {:<34} {:<24} {:<15} {}",
                k.key,
                k.value.to_string(),
                k.confidence.as_str(),
                k.evidence
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |e| format!("{evidence_dir}/{e}"))
            );
        }
        if self.unexpressed.is_empty() {
            out.push_str("behaviours no knob describes: none seen\n");
        } else {
            out.push_str("behaviours no knob describes:\n");
            for u in &self.unexpressed {
                let step = if u.step == 0 {
                    String::new()
                } else {
                    format!(", step {}", u.step)
                };
                let _ = writeln!(
                    out,
                    "  - {} (probe {}{step}): server {}; model {}; trace {evidence_dir}/{}",
                    u.what, u.probe, u.server, u.model, u.evidence
                );
            }
        }
        for l in &self.lifetimes {
            let _ = writeln!(out, "lifetimes (configuration, not profile knobs): {l}");
        }
        out
    }

    /// Write the profile to `out` and the evidence traces to [`Fingerprint::evidence_dir`]
    /// (whose earlier `.jsonl` files are removed first).
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        let dir = Self::evidence_dir(out);
        if dir.is_dir() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "jsonl") && path.is_file() {
                    std::fs::remove_file(path)?;
                }
            }
        }
        std::fs::create_dir_all(&dir)?;
        for (name, trace) in &self.evidence {
            std::fs::write(dir.join(name), trace.to_jsonl())?;
        }
        let shown = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        std::fs::write(out, self.to_toml(&shown))
    }
}
