//! Directories: structured listings, `mkdir -p`, and recursive sync (local to remote) and
//! mirror (remote to local), each planned first and then carried out, so a dry run reports
//! exactly what a real run would do.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::files::{is_partial_file_name, DownloadOptions, UploadOptions};
use super::names::safe_local_name;
use super::Agent;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::listing::{Entry, EntryKind};
use crate::protocol::Timestamp;
use crate::transfer::Flow;

/// What happened to one path during a sync or mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    Uploaded,
    Downloaded,
    /// Already up to date.
    Skipped,
    Deleted,
    CreatedDirectory,
    /// The operation on this path failed; the sync went on with the others.
    Failed,
}

/// Told for every path a sync or mirror handles (or, in a dry run, would handle).
#[derive(Debug)]
pub struct SyncEvent<'a> {
    pub action: SyncAction,
    /// The path relative to the synced directories, `/`-separated.
    pub path: &'a str,
    /// Bytes transferred for this path.
    pub bytes: u64,
    pub error: Option<&'a Error>,
    /// For [`SyncAction::Skipped`], why, when it is not that the path is up to date (a local
    /// symbolic link, a partial file, not a regular file or directory).
    pub note: Option<&'a str>,
    pub dry_run: bool,
    /// Files handled so far (uploaded, downloaded, skipped, deleted or failed) and in all.
    pub files_done: u64,
    pub files_total: u64,
}

/// Options of [`Client::sync_directory`] and [`Client::mirror_directory`].
#[derive(Default)]
pub struct SyncOptions<'a> {
    /// Delete what the destination has and the source does not.
    pub delete: bool,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// Told of every path; [`Flow::Stop`] ends the sync with [`Error::Aborted`].
    pub on_event: Option<&'a mut dyn FnMut(&SyncEvent<'_>) -> Flow>,
}

/// What a sync or mirror did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub uploaded: u64,
    pub downloaded: u64,
    pub skipped: u64,
    pub deleted: u64,
    pub directories_created: u64,
    pub failed: u64,
    /// Bytes transferred in all.
    pub bytes: u64,
    /// The first failure, when any path failed.
    pub first_error: Option<Error>,
}

/// How a sync decides that a remote file is the local one.
#[derive(Clone, Copy)]
struct Compare {
    /// MFMT recorded local times on the server: times must match.
    mfmt: bool,
    /// Listing times have seconds (MLSD); LIST times need MDTM.
    from_mlsd: bool,
    /// The server computes SHA-256 (HASH): contents are compared, times do not matter.
    hash: bool,
}

/// One planned step.
enum Step {
    RemoteDir {
        remote: Vec<u8>,
        rel: String,
    },
    Upload {
        local: PathBuf,
        remote: Vec<u8>,
        rel: String,
        mtime: Timestamp,
    },
    LocalDir {
        local: PathBuf,
        rel: String,
    },
    Download {
        remote: Vec<u8>,
        local: PathBuf,
        rel: String,
        mtime: Option<Timestamp>,
    },
    Skip {
        rel: String,
        note: Option<&'static str>,
    },
    DeleteRemote {
        remote: Vec<u8>,
        rel: String,
        dir: bool,
    },
    DeleteLocal {
        local: PathBuf,
        rel: String,
    },
    Refuse {
        rel: String,
        error: Error,
    },
}

impl Step {
    fn counts_as_file(&self) -> bool {
        !matches!(self, Step::RemoteDir { .. } | Step::LocalDir { .. })
    }
}

fn join_remote(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.is_empty() && !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

fn join_rel(rel: &str, name: &str) -> String {
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

fn local_io(path: &Path, err: std::io::Error) -> Error {
    Error::io(path.display().to_string(), err)
}

/// Local directory entries, sorted by name: (name bytes, path, metadata of the entry itself:
/// a symbolic link is described as one, never followed).
fn read_local(dir: &Path) -> Result<Vec<(Vec<u8>, PathBuf, fs::Metadata)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| local_io(dir, e))? {
        let entry = entry.map_err(|e| local_io(dir, e))?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| local_io(&path, e))?;
        out.push((os_bytes(&entry.file_name()), path, meta));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A local symbolic link where a sync or mirror would write or descend: never followed, never
/// replaced.
fn symlink_refused(path: &Path) -> Error {
    Error::io(
        path.display().to_string(),
        std::io::Error::other(
            "is a symbolic link: mirror never writes through, descends or replaces one",
        ),
    )
}

/// Fails when a directory between `root` (not included) and `path` (not included) is a
/// symbolic link or missing, so nothing is written through a link that appeared after the
/// plan was made.
fn check_local_parents(root: &Path, path: &Path) -> Result<()> {
    let Ok(rest) = path.strip_prefix(root) else {
        return Ok(());
    };
    let parts: Vec<_> = rest.components().collect();
    let mut current = root.to_path_buf();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        current.push(part);
        let meta = fs::symlink_metadata(&current).map_err(|e| local_io(&current, e))?;
        if meta.file_type().is_symlink() {
            return Err(symlink_refused(&current));
        }
    }
    Ok(())
}

/// The error of a bound that was hit: it names the bound and the option that raises it.
fn bound_error(context: String, what: String, rust: &str, c: &str) -> Error {
    Error::bound(context, what, rust, c)
}

/// A collected listing: its entries without `.` and `..`, and the MLSD `unique` fact of the
/// listed directory itself (its `cdir` line), when the server gives one.
pub(crate) struct Collected {
    pub(crate) entries: Vec<Entry>,
    pub(crate) unique: Option<String>,
}

/// The limits of one walk over a tree, and what it has used of them.
struct Walk {
    max_depth: u32,
    max_entries: u64,
    entries: u64,
    operation: &'static str,
}

impl Walk {
    fn new(agent: &Agent, operation: &'static str) -> Walk {
        Walk {
            max_depth: agent.options.max_tree_depth,
            max_entries: agent.options.max_tree_entries,
            entries: 0,
            operation,
        }
    }

    /// Counts the entries of one more listing.
    fn count(&mut self, listed: usize, shown: &str) -> Result<()> {
        self.entries += listed as u64;
        if self.entries > self.max_entries {
            return Err(bound_error(
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
    fn check_depth(&self, depth: u32, shown: &str) -> Result<()> {
        if depth <= self.max_depth {
            return Ok(());
        }
        let error = bound_error(
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
type Ancestors = Vec<(String, String)>;

/// Where a directory's MLSD `unique` fact says it is one of its own ancestors: a loop.
fn loop_ancestor<'a>(entry: &Entry, ancestors: &'a [(String, String)]) -> Option<&'a str> {
    let unique = entry.unique()?;
    ancestors
        .iter()
        .find(|(u, _)| u == unique)
        .map(|(_, rel)| rel.as_str())
}

/// Creates one directory of a mirror (its parent exists); one that is already there as a
/// real directory is fine, a symbolic link is not.
fn create_local_dir(path: &Path) -> Result<()> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(path).map_err(|e| local_io(path, e))?;
            if meta.file_type().is_symlink() {
                Err(symlink_refused(path))
            } else if meta.is_dir() {
                Ok(())
            } else {
                Err(local_io(path, e))
            }
        }
        Err(e) => Err(local_io(path, e)),
    }
}

/// Removes a local file, symbolic link (the link, never its target) or directory tree (whose
/// links are removed, not followed).
fn remove_local(path: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(path).map_err(|e| local_io(path, e))?;
    if meta.is_dir() {
        fs::remove_dir_all(path).map_err(|e| local_io(path, e))
    } else {
        fs::remove_file(path).map_err(|e| local_io(path, e))
    }
}

fn mtime_of(meta: &fs::Metadata) -> Timestamp {
    meta.modified()
        .map(Timestamp::from_system_time)
        .unwrap_or_else(|_| Timestamp::from_unix_seconds(0))
}

impl Agent {
    /// A directory as structured records: MLSD where the server has it, parsed LIST otherwise,
    /// without `.` and `..`. Retried on transient failures.
    ///
    /// The listing is collected whole, within [`Options::max_listing_entries`] and
    /// [`Options::max_listing_bytes`](crate::Options::max_listing_bytes); a listing over
    /// either, or with a line that fails (too long, not parsable), fails as a whole.
    ///
    /// [`Options::max_listing_entries`]: crate::Options::max_listing_entries
    pub fn list_dir(&mut self, path: impl AsRef<[u8]>) -> Result<Vec<Entry>> {
        Ok(self.collect_listing(path.as_ref())?.entries)
    }

    /// [`Client::list_dir`] with the listed directory's own `unique` fact.
    pub(crate) fn collect_listing(&mut self, path: &[u8]) -> Result<Collected> {
        // A bound that was hit is not retried: the same listing would hit it again.
        self.with_retry(|client, _| list_dir_once(client, path))?
    }

    /// `mkdir -p`: creates each missing component of `path`. A refusal of MKD is success when
    /// the directory turns out to exist (checked with MLST or CWD, never by reading reply
    /// text), so a directory another client creates at the same moment is fine.
    pub fn ensure_directory(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        let path = path.as_ref();
        self.with_retry(|client, _| ensure_directory_once(client, path))
    }

    /// Makes the remote directory `remote_dir` (recursively) hold what the local directory
    /// `local_dir` holds: creates directories, uploads files that are missing or differ in
    /// size or modification time (MFMT then records the local time where the server has it),
    /// and with `delete` removes remote files and directories that are not present locally.
    /// Every path is reported to `on_event`; a failed path does not stop the others, and the
    /// report counts them.
    ///
    /// Local symbolic links below `local_dir` are never followed, to files or directories:
    /// each is reported as [`SyncAction::Skipped`] with a note, and a remote file of the same
    /// name is left alone. So are partial files of downloads (`.NAME.ftpc-part`) and what is
    /// neither a regular file nor a directory. The walk is bounded by
    /// [`Options::max_tree_depth`](crate::Options::max_tree_depth) and, for what the server
    /// lists, [`Options::max_tree_entries`](crate::Options::max_tree_entries) and the listing
    /// bounds; a bound that is hit fails the sync before anything is changed.
    pub fn sync_directory(
        &mut self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<[u8]>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let remote_dir = remote_dir.as_ref();
        let mut steps = Vec::new();
        let exists = self.with_retry(|c, _| is_directory(c, remote_dir))?;
        if !exists {
            steps.push(Step::RemoteDir {
                remote: remote_dir.to_vec(),
                rel: String::new(),
            });
        }
        let compare = Compare {
            mfmt: self.session.features()?.has("MFMT"),
            from_mlsd: has_mlst(&mut self.session)?,
            hash: self.session.select_sha256_hash()?,
        };
        self.plan_upload(local_dir, remote_dir, exists, &options, compare, &mut steps)?;
        self.run_steps(steps, options, compare.mfmt, None)
    }

    /// The reverse of [`Client::sync_directory`]: makes `local_dir` hold what the remote
    /// directory holds. Names from the server are checked before they touch the local file
    /// system: `..`, absolute paths, separators and NUL are refused (a `Failed` event), never
    /// written; so are names of the form of partial files (`.NAME.ftpc-part`, see
    /// [`is_partial_file_name`](crate::is_partial_file_name)), which are reserved for the
    /// partial files downloads are written to.
    ///
    /// Local symbolic links below `local_dir` are never followed, written through or
    /// replaced: where the server has a file or directory of that name, the path is a
    /// `Failed` event of its own and the mirror goes on; with `delete`, a link the server does
    /// not have is removed (the link, never its target). `local_dir` itself is used as given.
    /// Directories whose MLSD `unique` fact shows them to be their own ancestor are `Failed`
    /// events (a loop), not walked. The walk is bounded as a sync's is, and a bound that is
    /// hit fails the mirror before anything is changed.
    pub fn mirror_directory(
        &mut self,
        remote_dir: impl AsRef<[u8]>,
        local_dir: impl AsRef<Path>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let remote_dir = remote_dir.as_ref();
        let mut steps = Vec::new();
        let exists = local_dir.is_dir();
        if !exists {
            steps.push(Step::LocalDir {
                local: local_dir.to_path_buf(),
                rel: String::new(),
            });
        }
        self.plan_download(remote_dir, local_dir, exists, &options, &mut steps)?;
        self.run_steps(steps, options, false, Some(local_dir))
    }

    /// Plans a sync, one directory at a time from an explicit stack (never recursion, so no
    /// tree is too deep for a small thread stack).
    fn plan_upload(
        &mut self,
        local_root: &Path,
        remote_root: &[u8],
        remote_exists: bool,
        options: &SyncOptions<'_>,
        compare: Compare,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        struct Dir {
            local: PathBuf,
            remote: Vec<u8>,
            rel: String,
            remote_exists: bool,
            depth: u32,
        }
        let mut walk = Walk::new(self, "sync");
        let mut stack = vec![Dir {
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
            let mut children = Vec::new();
            for (name, path, meta) in &local {
                let shown = String::from_utf8_lossy(name).into_owned();
                let rel_path = join_rel(&dir.rel, &shown);
                let remote_path = join_remote(&dir.remote, name);
                let existing = remote.get(name);
                let skip_note = if meta.file_type().is_symlink() {
                    Some("a local symbolic link: not followed")
                } else if is_partial_file_name(name) {
                    Some("a partial file of a download: not uploaded")
                } else if !meta.is_dir() && !meta.is_file() {
                    Some("neither a regular file nor a directory")
                } else {
                    None
                };
                if let Some(note) = skip_note {
                    steps.push(Step::Skip {
                        rel: rel_path,
                        note: Some(note),
                    });
                } else if meta.is_dir() {
                    let there = existing.is_some_and(Entry::is_dir);
                    if !there {
                        if existing.is_some() {
                            steps.push(Step::DeleteRemote {
                                remote: remote_path.clone(),
                                rel: rel_path.clone(),
                                dir: false,
                            });
                        }
                        steps.push(Step::RemoteDir {
                            remote: remote_path.clone(),
                            rel: rel_path.clone(),
                        });
                    }
                    walk.check_depth(dir.depth + 1, &rel_path)?;
                    children.push(Dir {
                        local: path.clone(),
                        remote: remote_path,
                        rel: rel_path,
                        remote_exists: there,
                        depth: dir.depth + 1,
                    });
                } else {
                    let mtime = mtime_of(meta);
                    let current = match existing {
                        Some(entry) if entry.is_file() => {
                            self.remote_is_current(entry, &remote_path, path, mtime, compare)?
                        }
                        _ => false,
                    };
                    if current {
                        steps.push(Step::Skip {
                            rel: rel_path,
                            note: None,
                        });
                    } else {
                        if existing.is_some_and(Entry::is_dir) {
                            steps.push(Step::DeleteRemote {
                                remote: remote_path.clone(),
                                rel: rel_path.clone(),
                                dir: true,
                            });
                        }
                        steps.push(Step::Upload {
                            local: path.clone(),
                            remote: remote_path,
                            rel: rel_path,
                            mtime,
                        });
                    }
                }
            }
            if options.delete {
                for (name, entry) in &remote {
                    if local.iter().any(|(n, _, _)| n == name) {
                        continue;
                    }
                    steps.push(Step::DeleteRemote {
                        remote: join_remote(&dir.remote, name),
                        rel: join_rel(&dir.rel, entry.name()),
                        dir: entry.is_dir(),
                    });
                }
            }
            // In name order, like the steps of this directory.
            stack.extend(children.into_iter().rev());
        }
        Ok(())
    }

    /// Same size, and then: the same SHA-256 where the server computes it (HASH); otherwise
    /// a modification time that shows the remote copy is this version, equal (to the second)
    /// where MFMT recorded the local time, not older where it could not. LIST times lack
    /// seconds, so MDTM is asked for them.
    fn remote_is_current(
        &mut self,
        entry: &Entry,
        remote_path: &[u8],
        local_path: &Path,
        local_mtime: Timestamp,
        compare: Compare,
    ) -> Result<bool> {
        let size = fs::metadata(local_path)
            .map_err(|e| local_io(local_path, e))?
            .len();
        if entry.size() != Some(size) {
            return Ok(false);
        }
        if compare.hash {
            match self.with_retry(|c, _| c.remote_sha256(remote_path)) {
                Ok(remote) => return Ok(remote == super::hash::local_sha256(local_path)?),
                // The server could not hash this file: fall back to times.
                Err(e) if e.reply().is_some() => {}
                Err(e) => return Err(e),
            }
        }
        let remote_mtime = if compare.from_mlsd {
            entry.modified()
        } else {
            self.with_retry(|c, _| super::files::remote_stat(c, remote_path))?
                .1
        };
        Ok(match remote_mtime {
            None => true,
            Some(remote) if compare.mfmt => {
                (remote.unix_seconds() - local_mtime.unix_seconds()).abs() <= 1
            }
            Some(remote) => remote.unix_seconds() >= local_mtime.unix_seconds(),
        })
    }

    /// Plans a mirror, one directory at a time from an explicit stack.
    fn plan_download(
        &mut self,
        remote_root: &[u8],
        local_root: &Path,
        local_exists: bool,
        options: &SyncOptions<'_>,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        struct Dir {
            remote: Vec<u8>,
            local: PathBuf,
            rel: String,
            local_exists: bool,
            depth: u32,
            /// For loop detection.
            ancestors: Ancestors,
        }
        let mut walk = Walk::new(self, "mirror");
        let mut stack = vec![Dir {
            remote: remote_root.to_vec(),
            local: local_root.to_path_buf(),
            rel: String::new(),
            local_exists,
            depth: 0,
            ancestors: Vec::new(),
        }];
        while let Some(dir) = stack.pop() {
            let listed = self.collect_listing(&dir.remote)?;
            walk.count(listed.entries.len(), &dir.rel)?;
            let mut ancestors = dir.ancestors;
            if let Some(unique) = listed.unique {
                ancestors.push((unique, dir.rel.clone()));
            }
            let local: BTreeMap<Vec<u8>, (PathBuf, fs::Metadata)> = if dir.local_exists {
                read_local(&dir.local)?
                    .into_iter()
                    .map(|(n, p, m)| (n, (p, m)))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut children = Vec::new();
            for entry in &listed.entries {
                let rel_path = join_rel(&dir.rel, entry.name());
                let name = match safe_local_name(entry.name_bytes()) {
                    Ok(name) => name,
                    Err(error) => {
                        steps.push(Step::Refuse {
                            rel: rel_path,
                            error,
                        });
                        continue;
                    }
                };
                if is_partial_file_name(entry.name_bytes()) {
                    steps.push(Step::Refuse {
                        rel: rel_path.clone(),
                        error: Error::Protocol {
                            context: format!("server name {:?}", entry.name()),
                            detail: "refused as a local file name: names of the form \
                                     .NAME.ftpc-part are reserved for partial files"
                                .into(),
                        },
                    });
                    continue;
                }
                seen.push(entry.name_bytes().to_vec());
                let local_path = dir.local.join(name);
                let remote_path = join_remote(&dir.remote, entry.name_bytes());
                let existing = local.get(entry.name_bytes());
                if existing.is_some_and(|(_, m)| m.file_type().is_symlink())
                    && (entry.is_dir() || entry.is_file())
                {
                    steps.push(Step::Refuse {
                        rel: rel_path,
                        error: symlink_refused(&local_path),
                    });
                    continue;
                }
                if entry.is_dir() {
                    if let Some(above) = loop_ancestor(entry, &ancestors) {
                        let above = if above.is_empty() { "/" } else { above };
                        steps.push(Step::Refuse {
                            error: Error::protocol(
                                format!("mirror at {rel_path:?}"),
                                format!(
                                    "directory loop: the server gives it the same MLSD unique \
                                     fact as {above:?}; not walked"
                                ),
                            ),
                            rel: rel_path,
                        });
                        continue;
                    }
                    walk.check_depth(dir.depth + 1, &rel_path)?;
                    let there = existing.is_some_and(|(_, m)| m.is_dir());
                    if !there {
                        if existing.is_some() {
                            steps.push(Step::DeleteLocal {
                                local: local_path.clone(),
                                rel: rel_path.clone(),
                            });
                        }
                        steps.push(Step::LocalDir {
                            local: local_path.clone(),
                            rel: rel_path.clone(),
                        });
                    }
                    let mut below = ancestors.clone();
                    if let Some(unique) = entry.unique() {
                        below.push((unique.to_owned(), rel_path.clone()));
                    }
                    children.push(Dir {
                        remote: remote_path,
                        local: local_path,
                        rel: rel_path,
                        local_exists: there,
                        depth: dir.depth + 1,
                        ancestors: below,
                    });
                } else if entry.is_file() {
                    let current = existing.is_some_and(|(_, meta)| {
                        meta.is_file()
                            && entry.size() == Some(meta.len())
                            && entry
                                .modified()
                                .is_none_or(|m| m.unix_seconds() == mtime_of(meta).unix_seconds())
                    });
                    if current {
                        steps.push(Step::Skip {
                            rel: rel_path,
                            note: None,
                        });
                    } else {
                        if existing.is_some_and(|(_, m)| m.is_dir()) {
                            steps.push(Step::DeleteLocal {
                                local: local_path.clone(),
                                rel: rel_path.clone(),
                            });
                        }
                        steps.push(Step::Download {
                            remote: remote_path,
                            local: local_path,
                            rel: rel_path,
                            mtime: entry.modified(),
                        });
                    }
                } else {
                    steps.push(Step::Skip {
                        rel: rel_path,
                        note: Some("neither a file nor a directory on the server"),
                    });
                }
            }
            if options.delete {
                for (name, (path, _)) in &local {
                    // Partial files belong to downloads (this one's or another's).
                    if !seen.contains(name) && !is_partial_file_name(name) {
                        steps.push(Step::DeleteLocal {
                            local: path.clone(),
                            rel: join_rel(&dir.rel, &String::from_utf8_lossy(name)),
                        });
                    }
                }
            }
            stack.extend(children.into_iter().rev());
        }
        Ok(())
    }

    fn run_steps(
        &mut self,
        steps: Vec<Step>,
        mut options: SyncOptions<'_>,
        mfmt: bool,
        local_root: Option<&Path>,
    ) -> Result<SyncReport> {
        // Before each local write, the directories it goes through are checked again: none
        // may have become a symbolic link since the plan was made.
        let parents_ok = |path: &Path| match local_root {
            Some(root) => check_local_parents(root, path),
            None => Ok(()),
        };
        let files_total = steps.iter().filter(|s| s.counts_as_file()).count() as u64;
        let mut report = SyncReport::default();
        let mut files_done = 0;
        for step in steps {
            let dry_run = options.dry_run;
            let mut note = None;
            let (action, rel, outcome): (SyncAction, String, Result<u64>) = match step {
                Step::RemoteDir { remote, rel } => {
                    let r = if dry_run {
                        Ok(0)
                    } else {
                        self.ensure_directory(&remote).map(|_| 0)
                    };
                    (SyncAction::CreatedDirectory, rel, r)
                }
                Step::LocalDir { local, rel } => {
                    let r = if dry_run {
                        Ok(0)
                    } else if rel.is_empty() {
                        // The directory the caller named.
                        fs::create_dir_all(&local)
                            .map(|_| 0)
                            .map_err(|e| local_io(&local, e))
                    } else {
                        parents_ok(&local).and_then(|()| create_local_dir(&local).map(|_| 0))
                    };
                    (SyncAction::CreatedDirectory, rel, r)
                }
                Step::Upload {
                    local,
                    remote,
                    rel,
                    mtime,
                } => {
                    let r = if dry_run {
                        fs::metadata(&local)
                            .map(|m| m.len())
                            .map_err(|e| local_io(&local, e))
                    } else {
                        self.upload_file(&local, &remote, UploadOptions::default())
                            .inspect(|_| {
                                if mfmt {
                                    // Best effort: the size check already passed.
                                    let _ = self.session.mfmt(&remote, mtime);
                                }
                            })
                    };
                    (SyncAction::Uploaded, rel, r)
                }
                Step::Download {
                    remote,
                    local,
                    rel,
                    mtime,
                } => {
                    let r = if dry_run {
                        Ok(0)
                    } else {
                        parents_ok(&local).and_then(|()| {
                            self.download_file_timed(
                                &remote,
                                &local,
                                DownloadOptions::default(),
                                mtime,
                            )
                        })
                    };
                    (SyncAction::Downloaded, rel, r)
                }
                Step::Skip { rel, note: why } => {
                    note = why;
                    (SyncAction::Skipped, rel, Ok(0))
                }
                Step::DeleteRemote { remote, rel, dir } => {
                    let r = if dry_run {
                        Ok(0)
                    } else if dir {
                        self.remove_tree(&remote).map(|_| 0)
                    } else {
                        self.with_retry(|c, _| c.delete(&remote).map(|_| 0))
                    };
                    (SyncAction::Deleted, rel, r)
                }
                Step::DeleteLocal { local, rel } => {
                    let r = if dry_run {
                        Ok(0)
                    } else {
                        parents_ok(&local).and_then(|()| remove_local(&local).map(|_| 0))
                    };
                    (SyncAction::Deleted, rel, r)
                }
                Step::Refuse { rel, error } => (SyncAction::Failed, rel, Err(error)),
            };
            let counts = !matches!(action, SyncAction::CreatedDirectory);
            if counts {
                files_done += 1;
            }
            let (action, bytes, error) = match outcome {
                Ok(bytes) => (action, bytes, None),
                Err(e) => (SyncAction::Failed, 0, Some(e)),
            };
            match action {
                SyncAction::Uploaded => report.uploaded += 1,
                SyncAction::Downloaded => report.downloaded += 1,
                SyncAction::Skipped => report.skipped += 1,
                SyncAction::Deleted => report.deleted += 1,
                SyncAction::CreatedDirectory => report.directories_created += 1,
                SyncAction::Failed => report.failed += 1,
            }
            if !dry_run {
                report.bytes += bytes;
            }
            if let Some(on_event) = options.on_event.as_mut() {
                let event = SyncEvent {
                    action,
                    path: &rel,
                    bytes,
                    error: error.as_ref(),
                    note,
                    dry_run,
                    files_done,
                    files_total,
                };
                if on_event(&event) == Flow::Stop {
                    return Err(Error::Aborted {
                        context: format!("sync at {rel}"),
                    });
                }
            }
            if report.first_error.is_none() {
                report.first_error = error;
            }
        }
        Ok(report)
    }

    /// Deletes a remote directory and everything in it. The whole tree is listed first, one
    /// directory at a time from an explicit stack, within
    /// [`Options::max_tree_depth`](crate::Options::max_tree_depth),
    /// [`Options::max_tree_entries`](crate::Options::max_tree_entries) and the listing
    /// bounds, and nothing is removed when a bound is hit or a directory's MLSD `unique`
    /// fact shows a loop. Then files are deleted, and directories removed deepest first.
    pub fn remove_tree(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        let root = path.as_ref();
        let mut walk = Walk::new(self, "remove_tree");
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        let mut stack: Vec<(Vec<u8>, u32, Ancestors)> = vec![(root.to_vec(), 0, Vec::new())];
        while let Some((dir, depth, mut ancestors)) = stack.pop() {
            let shown = String::from_utf8_lossy(&dir).into_owned();
            let listed = self.collect_listing(&dir)?;
            walk.count(listed.entries.len(), &shown)?;
            if let Some(unique) = listed.unique {
                ancestors.push((unique, shown.clone()));
            }
            for entry in &listed.entries {
                let child = join_remote(&dir, entry.name_bytes());
                if !entry.is_dir() {
                    files.push(child);
                    continue;
                }
                let child_shown = String::from_utf8_lossy(&child).into_owned();
                if let Some(above) = loop_ancestor(entry, &ancestors) {
                    return Err(Error::protocol(
                        format!("remove_tree at {child_shown:?}"),
                        format!(
                            "directory loop: the server gives it the same MLSD unique fact \
                             as {above:?}; nothing removed"
                        ),
                    ));
                }
                walk.check_depth(depth + 1, &child_shown)?;
                let mut below = ancestors.clone();
                if let Some(unique) = entry.unique() {
                    below.push((unique.to_owned(), child_shown));
                }
                stack.push((child, depth + 1, below));
            }
            dirs.push(dir);
        }
        for file in &files {
            self.with_retry(|c, _| c.delete(file).map(drop))?;
        }
        // Parents were listed before their children: the reverse removes children first.
        for dir in dirs.iter().rev() {
            self.with_retry(|c, _| c.rmd(dir).map(drop))?;
        }
        Ok(())
    }
}

pub(crate) fn has_mlst(session: &mut Client) -> Result<bool> {
    Ok(session.features()?.has("MLST"))
}

/// One attempt at a listing: the outer error is the listing's failure (retried when
/// transient), the inner one a bound that was hit (never retried).
pub(crate) fn list_dir_once(session: &mut Client, path: &[u8]) -> Result<Result<Collected>> {
    let max_entries = session.options.max_listing_entries;
    let max_bytes = session.options.max_listing_bytes;
    let shown = String::from_utf8_lossy(path).into_owned();
    let context = || format!("listing {shown:?}");
    let path = (!path.is_empty()).then_some(path);
    let mut listing = if has_mlst(session)? {
        session.mlsd(path)?
    } else {
        session.list_entries(path)?
    };
    let mut collected = Collected {
        entries: Vec::new(),
        unique: None,
    };
    // Dropping the listing on a bound aborts it (ABOR); the session stays usable.
    while let Some(entry) = listing.next_entry()? {
        if listing.bytes_read() > max_bytes {
            return Ok(Err(bound_error(
                context(),
                format!("the listing is more than {max_bytes} bytes"),
                "max_listing_bytes",
                "max_listing_bytes",
            )));
        }
        if entry.is_self_or_parent() {
            if matches!(entry.kind(), EntryKind::CurrentDir) {
                collected.unique = entry.unique().map(str::to_owned);
            }
            continue;
        }
        if collected.entries.len() as u64 >= max_entries {
            return Ok(Err(bound_error(
                context(),
                format!("the listing has more than {max_entries} entries"),
                "max_listing_entries",
                "max_listing_entries",
            )));
        }
        collected.entries.push(entry);
    }
    Ok(Ok(collected))
}

/// Whether `path` is a directory on the server: MLST where offered, else CWD there and back.
/// A refused MLST is checked again with CWD: some servers resolve `MLST a` relative to `/`
/// instead of the working directory.
pub(crate) fn is_directory(session: &mut Client, path: &[u8]) -> Result<bool> {
    if has_mlst(session)? {
        match session.mlst(Some(path)) {
            Ok(entry) => return Ok(entry.is_dir() || matches!(entry.kind(), EntryKind::CurrentDir)),
            Err(e) if e.reply().is_some() => {}
            Err(e) => return Err(e),
        }
    }
    let here = session.pwd()?;
    match session.cwd(path) {
        Ok(_) => {
            session.cwd(here.as_bytes())?;
            Ok(true)
        }
        Err(e) if e.reply().is_some() => Ok(false),
        Err(e) => Err(e),
    }
}

pub(crate) fn ensure_directory_once(session: &mut Client, path: &[u8]) -> Result<()> {
    if path.is_empty() || path == b"/" {
        return Ok(());
    }
    // Absolute paths where the working directory is known: servers differ on what a
    // relative MLST or MKD is relative to, and on what MKD answers for one that exists.
    let absolute;
    let path = if path.starts_with(b"/") {
        path
    } else {
        match session.pwd() {
            Ok(here) if here.starts_with('/') => {
                absolute = join_remote(here.as_bytes(), path);
                &absolute[..]
            }
            _ => path,
        }
    };
    if is_directory(session, path)? {
        return Ok(());
    }
    let mut current: Vec<u8> = if path.starts_with(b"/") {
        b"/".to_vec()
    } else {
        Vec::new()
    };
    for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
        current = join_remote(&current, part);
        match session.mkd(&current) {
            Ok(_) => {}
            Err(e) if e.reply().is_some() => {
                if !is_directory(session, &current)? {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
