//! The shape of the source tree: no module imports one that imports it (directly or
//! round a longer loop), and no source file grows past what a reader takes in at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file, in lines.
const MAX_LINES: usize = 500;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The module a file is, as a path from the crate root: `db/mod.rs` is `db`,
/// `db/pool.rs` is `db::pool`, `lib.rs` and `main.rs` the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src/");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The paths a file names through `crate::`, `self::` or `super::`, outside comments,
/// each made absolute. `use crate::{a, b::c}` names `a` and `b::c`.
fn paths_named(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let own = module.to_vec();
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    let mut found = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("self::", own),
        ("super::", parent),
    ] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let boundary = rest[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
            rest = &rest[at + prefix.len()..];
            if !boundary {
                continue;
            }
            for tail in expand(rest) {
                let mut path = base.clone();
                path.extend(tail);
                found.push(path);
            }
        }
    }
    found
}

/// The identifier paths at the start of `text`: `a::b::c`, or the members of a `{...}`
/// group one level deep (`{a, b::c}`), each as its segments.
fn expand(text: &str) -> Vec<Vec<String>> {
    let segments = |text: &str| -> Vec<String> {
        text.split("::")
            .map(|segment| {
                segment
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|segment| !segment.is_empty())
            .collect()
    };
    let head: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let base = segments(&head);
    if let Some(group) = text[head.len()..].strip_prefix('{') {
        let group = group.split('}').next().unwrap_or_default();
        return group
            .split(',')
            .map(|member| {
                let mut path = base.clone();
                path.extend(segments(member.trim()));
                path
            })
            .collect();
    }
    if base.is_empty() {
        return Vec::new();
    }
    vec![base]
}

#[test]
fn no_module_imports_one_that_imports_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|file| module_of(&src, file)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for path in paths_named(&text, &module) {
            // The longest prefix of the path that is a module of the tree.
            let target = (1..=path.len())
                .rev()
                .map(|len| path[..len].to_vec())
                .find(|prefix| modules.contains(prefix));
            if let Some(target) = target.filter(|target| *target != module) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    assert!(
        edges.len() > 10,
        "the scan found the tree's imports: {edges:?}"
    );
    let cycles = cycles(&edges);
    let shown: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            cycle
                .iter()
                .map(|module| module.join("::"))
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .collect();
    assert!(
        shown.is_empty(),
        "modules that import each other:\n{}",
        shown.join("\n")
    );
}

/// One loop through each group of modules that reach each other.
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    let reaches = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(next) = stack.pop() {
            for target in edges.get(&next).into_iter().flatten() {
                if seen.insert(target.clone()) {
                    stack.push(target.clone());
                }
            }
        }
        seen
    };
    let mut found: Vec<BTreeSet<Vec<String>>> = Vec::new();
    for module in edges.keys() {
        let from_here = reaches(module);
        if !from_here.contains(module) || found.iter().any(|group| group.contains(module)) {
            continue;
        }
        let group: BTreeSet<Vec<String>> = from_here
            .into_iter()
            .filter(|other| reaches(other).contains(module))
            .collect();
        found.push(group);
    }
    found
        .into_iter()
        .map(|group| group.into_iter().collect())
        .collect()
}

#[test]
fn no_source_file_is_500_lines_long() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long: Vec<(usize, PathBuf)> = ["src", "bench"]
        .iter()
        .map(|dir| root.join(dir))
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| sources(&dir))
        .map(|file| {
            let lines = std::fs::read_to_string(&file)
                .expect("a readable source file")
                .lines()
                .count();
            (lines, file)
        })
        .filter(|(lines, _)| *lines >= MAX_LINES)
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "files of {MAX_LINES} lines or more: split them by concern: {long:?}"
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let module = |path: &str| path.split("::").map(str::to_owned).collect::<Vec<_>>();
    let mut edges = BTreeMap::new();
    edges.insert(module("a"), BTreeSet::from([module("b")]));
    edges.insert(module("b"), BTreeSet::from([module("c::d")]));
    edges.insert(module("c::d"), BTreeSet::from([module("a")]));
    edges.insert(module("e"), BTreeSet::from([module("a")]));
    assert_eq!(
        cycles(&edges),
        [vec![module("a"), module("b"), module("c::d")]]
    );
    let named = paths_named(
        "use crate::{db::error, http};\n// use crate::nothing;\nlet x = super::sibling::f();",
        &module("db::pool"),
    );
    assert_eq!(
        named,
        [
            module("db::error"),
            module("http"),
            module("db::sibling::f")
        ]
    );
}

/// The first column of `docs/architecture.md`'s module table: the paths it names.
fn documented_paths(architecture: &str) -> Vec<String> {
    architecture
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line.split('|').nth(1))
        // Inside a cell, every other piece between backticks is code.
        .flat_map(|cell| {
            cell.split('`')
                .enumerate()
                .filter(|(index, _)| index % 2 == 1)
                .map(|(_, piece)| piece.to_owned())
        })
        .filter(|path| {
            path.ends_with('/') || Path::new(path).extension().is_some_and(|ext| ext == "rs")
        })
        .collect()
}

#[test]
fn the_architecture_doc_maps_the_tree_one_to_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let architecture =
        std::fs::read_to_string(root.join("docs/architecture.md")).expect("docs/architecture.md");
    let documented = documented_paths(&architecture);
    let missing: Vec<String> = sources(&src)
        .iter()
        .map(|file| {
            file.strip_prefix(&src)
                .expect("under src/")
                .to_string_lossy()
                .into_owned()
        })
        .filter(|file| {
            !documented.iter().any(|path| {
                path == file || (path.ends_with('/') && file.starts_with(path.as_str()))
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files docs/architecture.md does not name: {missing:?}"
    );
    let gone: Vec<&String> = documented
        .iter()
        .filter(|path| !src.join(path).exists())
        .collect();
    assert!(
        gone.is_empty(),
        "docs/architecture.md names what is not in src/: {gone:?}"
    );
}
