//! The project documents itself: every link in the README, in `docs/` and in the OpenAPI
//! document points at a file (and a heading) the repository holds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use integration_tests::harness::repo_root;
use integration_tests::trials;
use libtest_mimic::Trial;
use utoipa::OpenApi;

pub fn trials() -> Vec<Trial> {
    trials![
        readme_and_docs_link_only_to_what_the_repository_holds,
        openapi_names_only_documents_the_repository_holds,
        the_link_check_catches_a_dead_link,
    ]
}

/// README.md and every page under docs/.
fn pages() -> anyhow::Result<Vec<PathBuf>> {
    let mut pages = vec![repo_root().join("README.md")];
    let docs = repo_root().join("docs");
    for entry in std::fs::read_dir(&docs)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    anyhow::ensure!(pages.len() > 1, "docs/ holds no pages");
    Ok(pages)
}

async fn readme_and_docs_link_only_to_what_the_repository_holds() -> anyhow::Result<()> {
    let mut dead = Vec::new();
    for page in pages()? {
        let text = std::fs::read_to_string(&page)?;
        dead.extend(dead_links(&page, &text));
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
    Ok(())
}

async fn openapi_names_only_documents_the_repository_holds() -> anyhow::Result<()> {
    let document = functions::openapi::ApiDoc::openapi().to_pretty_json()?;
    let root = repo_root();
    let named = markdown_files_named(&document);
    let missing: Vec<&String> = named
        .iter()
        .filter(|path| !root.join(path).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "the OpenAPI document names documents the repository does not hold: {missing:?}"
    );
    // Its descriptions are Markdown; a relative link would be read against the repository.
    let dead = dead_links(&root.join("openapi.json"), &document);
    assert!(
        dead.is_empty(),
        "dead links in the OpenAPI document:\n{}",
        dead.join("\n")
    );
    Ok(())
}

async fn the_link_check_catches_a_dead_link() -> anyhow::Result<()> {
    let page = repo_root().join("README.md");
    let text = "See [rules](docs/rules.md#phases), [gone](../shared/docs/domain-rules.md), \
                [the web](https://example.com) and [a bad heading](docs/rules.md#no-such-part).";
    let dead = dead_links(&page, text);
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead[0].contains("../shared/docs/domain-rules.md"));
    assert!(dead[1].contains("#no-such-part"));
    assert_eq!(
        markdown_files_named("as `domain-rules.md` says, and docs/rules.md"),
        BTreeSet::from(["domain-rules.md".to_string(), "docs/rules.md".to_string()])
    );
    Ok(())
}

/// The links of `text` (on `page`) whose file or heading the repository does not hold.
fn dead_links(page: &Path, text: &str) -> Vec<String> {
    let folder = page.parent().unwrap_or(Path::new("."));
    let mut dead = Vec::new();
    for target in link_targets(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let path = if file.is_empty() {
            page.to_path_buf()
        } else {
            folder.join(file)
        };
        let shown = format!("{}: ({target})", page.display());
        let Ok(resolved) = path.canonicalize() else {
            dead.push(shown);
            continue;
        };
        if !resolved.starts_with(repo_root().canonicalize().unwrap_or_default()) {
            dead.push(format!("{shown} is outside the repository"));
        } else if !anchor.is_empty() && !heading_anchors(&resolved).contains(anchor) {
            dead.push(format!("{shown}: no such heading"));
        }
    }
    dead
}

/// The targets of Markdown links `[text](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split_whitespace().next().unwrap_or_default();
            targets.push(target.trim_matches(['<', '>']).to_string());
            rest = &rest[end..];
        }
    }
    targets
}

/// The anchors GitHub gives a page's headings: lower case, spaces as `-`, punctuation dropped.
fn heading_anchors(page: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(page).unwrap_or_default();
    text.lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| {
            line.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// Every `something.md` a text names, with its path as written.
fn markdown_files_named(text: &str) -> BTreeSet<String> {
    let is_path = |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_');
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices(".md") {
        let after = text[at + 3..].chars().next();
        if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| !is_path(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        named.insert(text[start..at + 3].to_string());
    }
    named
}
