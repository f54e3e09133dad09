//! The documents in `docs/` say what the code says: the invariant table of `docs/invariants.md` is
//! the catalogue of `src/invariant/catalog.rs`, every deviation id (D-n) cited in the catalogue,
//! the sources, the tests or the README is a row of `docs/fastmcp-behaviour.md` §8, and nothing
//! cites the research folder the documents were written from (it is not part of the repository).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oauth_oracle::invariant::CATALOG;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The ids of the rows of the deviations table (`| D-n | ...`).
fn deviation_rows() -> BTreeSet<String> {
    read("docs/fastmcp-behaviour.md")
        .lines()
        .filter_map(|l| l.strip_prefix("| D-"))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(n, _)| format!("D-{n}"))
        .collect()
}

/// Every text file under `dir` (sources, documents, scripts), skipping installed packages.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "node_modules" | "target" | "corpus" | "artifacts"
            ) {
                text_files(&path, out);
            }
        } else if [".rs", ".md", ".sh", ".py", ".toml", ".mjs"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            out.push(path);
        }
    }
}

/// The `D-n` ids cited in `text` (a `D` not preceded by a letter or digit, `-`, digits).
fn cited_deviations(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut ids = BTreeSet::new();
    for i in 0..b.len().saturating_sub(2) {
        let starts = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if starts && b[i] == b'D' && b[i + 1] == b'-' && b[i + 2].is_ascii_digit() {
            let digits: String = text[i + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            ids.insert(format!("D-{digits}"));
        }
    }
    ids
}

#[test]
fn invariant_table_is_the_catalogue() {
    let doc = read("docs/invariants.md");
    for inv in CATALOG {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            inv.id,
            inv.level.as_str(),
            inv.citation,
            inv.summary
        );
        assert!(doc.contains(&row), "docs/invariants.md lacks the row {row}");
        let fastmcp = match inv.fastmcp_deviation {
            Some(d) => format!("{row} breaks it ({d}) |"),
            None => format!("{row} keeps it |"),
        };
        assert!(doc.contains(&fastmcp), "docs/invariants.md: {fastmcp}");
    }
    let rows = doc.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, CATALOG.len(), "rows in docs/invariants.md");
}

/// The introduction of `docs/invariants.md` names exactly the invariants the `cloudflare`
/// profile is documented to break.
#[test]
fn cloudflare_deviations_are_the_documented_ones() {
    let doc = read("docs/invariants.md");
    let intro = doc.split("**Levels**").next().unwrap();
    let named: BTreeSet<String> = CATALOG
        .iter()
        .map(|i| i.id.as_str().to_owned())
        .filter(|id| intro.contains(&format!("`{id}`")))
        .collect();
    let listed: BTreeSet<String> = oauth_oracle::invariant::CLOUDFLARE_DEVIATIONS
        .iter()
        .map(|(id, _)| id.as_str().to_owned())
        .collect();
    assert_eq!(named, listed);
}

#[test]
fn every_cited_deviation_has_a_row() {
    let rows = deviation_rows();
    let expected: BTreeSet<String> = (1..=31).map(|n| format!("D-{n}")).collect();
    assert_eq!(rows, expected, "rows of docs/fastmcp-behaviour.md §8");
    for inv in CATALOG {
        if let Some(d) = inv.fastmcp_deviation {
            assert!(rows.contains(d), "{}: {d} has no row", inv.id);
        }
    }
    let mut files = vec![root().join("README.md")];
    for dir in ["src", "tests", "benches", "docs"] {
        text_files(&root().join(dir), &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for id in cited_deviations(&text) {
            assert!(
                rows.contains(&id),
                "{} cites {id}, which docs/fastmcp-behaviour.md §8 does not have",
                file.display()
            );
        }
    }
}

#[test]
fn nothing_cites_the_research_folder() {
    // Spelled in two pieces so that this file does not match itself.
    let needle = ["shared", "/spec"].concat();
    let mut files = vec![root().join("README.md"), root().join("BENCHMARKS.md")];
    for dir in ["src", "tests", "benches", "scripts", "fuzz", "docs"] {
        text_files(&root().join(dir), &mut files);
    }
    let citing: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .map(|t| t.contains(&needle))
                .unwrap_or(false)
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(citing.is_empty(), "{needle} cited in {citing:?}");
}
