//! Walking a tree for a sync or mirror: one directory at a time from an explicit stack (never
//! recursion, so no tree is too deep for a small thread stack), within the depth and entry
//! bounds. The walker reads (local directories, the server's listings); the planner decides.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::plan::{
    plan_mirror_dir, plan_upload_dir, Compare, LocalEntry, LocalKind, MirrorDir, Step, UploadDir,
};
use crate::agent::Agent;
use crate::error::{Error, Result};
use crate::listing::Entry;
use crate::protocol::Timestamp;

pub(crate) fn join_remote(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

pub(crate) fn join_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

#[cfg(unix)]
fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}

pub(crate) fn local_io(path: &Path, err: std::io::Error) -> Error {
    Error::io(path.display().to_string(), err)
}

/// Local directory entries, sorted by name, each described without following a symbolic link.
pub(crate) fn read_local(dir: &Path) -> Result<Vec<LocalEntry>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| local_io(dir, e))? {
        let entry = entry.map_err(|e| local_io(dir, e))?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| local_io(&path, e))?;
        let kind = if meta.file_type().is_symlink() {
            LocalKind::Symlink
        } else if meta.is_dir() {
            LocalKind::Dir
        } else if meta.is_file() {
            LocalKind::File
        } else {
            LocalKind::Other
        };
        out.push(LocalEntry {
            name: os_bytes(&entry.file_name()),
            path,
            kind,
            len: meta.len(),
            mtime: mtime_of(&meta),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A local symbolic link where a sync or mirror would write or descend: never followed, never
/// replaced.
pub(crate) fn symlink_refused(path: &Path) -> Error {
    Error::io(
        path.display().to_string(),
        std::io::Error::other(
            "is a symbolic link: mirror never writes through, descends or replaces one",
        ),
    )
}

/// The limits of one walk over a tree, and what it has used of them.
pub(crate) struct Walk {
    max_depth: u32,
    max_entries: u64,
    entries: u64,
    operation: &'static str,
}

impl Walk {
    pub(crate) fn new(agent: &Agent, operation: &'static str) -> Walk {
        Walk {
            max_depth: agent.options.max_tree_depth,
            max_entries: agent.options.max_tree_entries,
            entries: 0,
            operation,
        }
    }

    /// Counts the entries of one more listing.
    pub(crate) fn count(&mut self, listed: usize, shown: &str) -> Result<()> {
        self.entries += listed as u64;
        if self.entries > self.max_entries {
            return Err(Error::bound(
                format!("{} at {shown:?}", self.operation),
                format!(
                    "the server listed more than {} entries in all",
                    self.max_entries
                ),
                "max_tree_entries",
                "max_tree_entries",
            ));
        }
        Ok(())
    }

    /// Checks that a directory `depth` levels below the root may be walked. Sync walks the
    /// local tree, so its error is a local one (`Io`); the others walk the server's.
    pub(crate) fn check_depth(&self, depth: u32, shown: &str) -> Result<()> {
        if depth <= self.max_depth {
            return Ok(());
        }
        let error = Error::bound(
            format!("{} at {shown:?}", self.operation),
            format!("directories nest more than {} levels deep", self.max_depth),
            "max_tree_depth",
            "max_tree_depth",
        );
        Err(match error {
            Error::Protocol { context, detail } if self.operation == "sync" => {
                Error::io(context, std::io::Error::other(detail))
            }
            other => other,
        })
    }
}

/// (MLSD `unique` fact, path shown) of the directories above the one being walked.
pub(crate) type Ancestors = Vec<(String, String)>;

/// Where a directory's MLSD `unique` fact says it is one of its own ancestors: a loop.
pub(crate) fn loop_ancestor<'a>(
    entry: &Entry,
    ancestors: &'a [(String, String)],
) -> Option<&'a str> {
    let unique = entry.unique()?;
    ancestors
        .iter()
        .find(|(u, _)| u == unique)
        .map(|(_, rel)| rel.as_str())
}

fn mtime_of(meta: &fs::Metadata) -> Timestamp {
    meta.modified()
        .map(Timestamp::from_system_time)
        .unwrap_or_else(|_| Timestamp::from_unix_seconds(0))
}

impl Agent {
    /// Plans a sync of `local_root` to `remote_root` (which exists or not).
    pub(super) fn plan_sync(
        &mut self,
        local_root: &Path,
        remote_root: &[u8],
        remote_exists: bool,
        delete: bool,
        compare: Compare,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let mut walk = Walk::new(self, "sync");
        let mut stack = vec![UploadDir {
            local: local_root.to_path_buf(),
            remote: remote_root.to_vec(),
            rel: String::new(),
            remote_exists,
            depth: 0,
        }];
        while let Some(dir) = stack.pop() {
            let local = read_local(&dir.local)?;
            let remote: BTreeMap<Vec<u8>, Entry> = if dir.remote_exists {
                let listed = self.list_dir(&dir.remote)?;
                walk.count(listed.len(), &dir.rel)?;
                listed
                    .into_iter()
                    .map(|e| (e.name_bytes().to_vec(), e))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let children = plan_upload_dir(&dir, &local, &remote, delete, compare, steps);
            for child in &children {
                walk.check_depth(child.depth, &child.rel)?;
            }
            // In name order, like the steps of this directory.
            stack.extend(children.into_iter().rev());
        }
        Ok(())
    }

    /// Plans a mirror of `remote_root` into `local_root` (which exists or not).
    pub(super) fn plan_mirror(
        &mut self,
        remote_root: &[u8],
        local_root: &Path,
        local_exists: bool,
        delete: bool,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let mut walk = Walk::new(self, "mirror");
        let mut stack = vec![MirrorDir {
            remote: remote_root.to_vec(),
            local: local_root.to_path_buf(),
            rel: String::new(),
            local_exists,
            depth: 0,
            ancestors: Vec::new(),
        }];
        while let Some(mut dir) = stack.pop() {
            let listed = self.collect_listing(&dir.remote)?;
            walk.count(listed.entries.len(), &dir.rel)?;
            if let Some(unique) = listed.unique {
                dir.ancestors.push((unique, dir.rel.clone()));
            }
            let local: BTreeMap<Vec<u8>, LocalEntry> = if dir.local_exists {
                read_local(&dir.local)?
                    .into_iter()
                    .map(|e| (e.name.clone(), e))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let children = plan_mirror_dir(&dir, &listed.entries, &local, delete, steps);
            for child in &children {
                walk.check_depth(child.depth, &child.rel)?;
            }
            stack.extend(children.into_iter().rev());
        }
        Ok(())
    }
}
