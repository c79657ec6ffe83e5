//! Directories: structured listings, `mkdir -p`, and recursive sync (local to remote) and
//! mirror (remote to local), each planned first and then carried out, so a dry run reports
//! exactly what a real run would do.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::files::{DownloadOptions, UploadOptions};
use super::names::safe_local_name;
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

/// Local directory entries, sorted by name: (name bytes, path, metadata).
fn read_local(dir: &Path) -> Result<Vec<(Vec<u8>, PathBuf, fs::Metadata)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| local_io(dir, e))? {
        let entry = entry.map_err(|e| local_io(dir, e))?;
        let path = entry.path();
        let meta = fs::metadata(&path).map_err(|e| local_io(&path, e))?;
        out.push((os_bytes(&entry.file_name()), path, meta));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn mtime_of(meta: &fs::Metadata) -> Timestamp {
    meta.modified()
        .map(Timestamp::from_system_time)
        .unwrap_or_else(|_| Timestamp::from_unix_seconds(0))
}

impl Client {
    /// A directory as structured records: MLSD where the server has it, parsed LIST otherwise,
    /// without `.` and `..`. Retried on transient failures.
    pub fn list_dir(&mut self, path: impl AsRef<[u8]>) -> Result<Vec<Entry>> {
        let path = path.as_ref();
        self.with_retry(|client, _| client.list_dir_once(path))
    }

    pub(crate) fn has_mlst(&mut self) -> Result<bool> {
        Ok(self.features()?.has("MLST"))
    }

    fn list_dir_once(&mut self, path: &[u8]) -> Result<Vec<Entry>> {
        let path = (!path.is_empty()).then_some(path);
        let listing = if self.has_mlst()? {
            self.mlsd(path)?
        } else {
            self.list_entries(path)?
        };
        let mut entries = Vec::new();
        for entry in listing {
            let entry = entry?;
            if !entry.is_self_or_parent() {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Whether `path` is a directory on the server: MLST where offered, else CWD there and back.
    fn is_directory(&mut self, path: &[u8]) -> Result<bool> {
        if self.has_mlst()? {
            return match self.mlst(Some(path)) {
                Ok(entry) => Ok(entry.is_dir() || matches!(entry.kind(), EntryKind::CurrentDir)),
                Err(e) if e.reply().is_some() => Ok(false),
                Err(e) => Err(e),
            };
        }
        let here = self.pwd()?;
        match self.cwd(path) {
            Ok(_) => {
                self.cwd(here.as_bytes())?;
                Ok(true)
            }
            Err(e) if e.reply().is_some() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `mkdir -p`: creates each missing component of `path`. A refusal of MKD is success when
    /// the directory turns out to exist (checked with MLST or CWD, never by reading reply
    /// text), so a directory another client creates at the same moment is fine.
    pub fn ensure_directory(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        let path = path.as_ref();
        self.with_retry(|client, _| client.ensure_directory_once(path))
    }

    fn ensure_directory_once(&mut self, path: &[u8]) -> Result<()> {
        if path.is_empty() || path == b"/" || self.is_directory(path)? {
            return Ok(());
        }
        let mut current: Vec<u8> = if path.starts_with(b"/") {
            b"/".to_vec()
        } else {
            Vec::new()
        };
        for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
            current = join_remote(&current, part);
            match self.mkd(&current) {
                Ok(_) => {}
                Err(e) if e.reply().is_some() => {
                    if !self.is_directory(&current)? {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Makes the remote directory `remote_dir` (recursively) hold what the local directory
    /// `local_dir` holds: creates directories, uploads files that are missing or differ in
    /// size or modification time (MFMT then records the local time where the server has it),
    /// and with `delete` removes remote files and directories that are not present locally.
    /// Every path is reported to `on_event`; a failed path does not stop the others, and the
    /// report counts them.
    pub fn sync_directory(
        &mut self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<[u8]>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let remote_dir = remote_dir.as_ref();
        let mut steps = Vec::new();
        let exists = self.with_retry(|c, _| c.is_directory(remote_dir))?;
        if !exists {
            steps.push(Step::RemoteDir {
                remote: remote_dir.to_vec(),
                rel: String::new(),
            });
        }
        let compare = Compare {
            mfmt: self.features()?.has("MFMT"),
            from_mlsd: self.has_mlst()?,
            hash: self.select_sha256_hash()?,
        };
        self.plan_upload(
            local_dir, remote_dir, "", exists, &options, compare, &mut steps,
        )?;
        self.run_steps(steps, options, compare.mfmt)
    }

    /// The reverse of [`Client::sync_directory`]: makes `local_dir` hold what the remote
    /// directory holds. Names from the server are checked before they touch the local file
    /// system: `..`, absolute paths, separators and NUL are refused (a `Failed` event), never
    /// written.
    pub fn mirror_directory(
        &mut self,
        remote_dir: impl AsRef<[u8]>,
        local_dir: impl AsRef<Path>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let remote_dir = remote_dir.as_ref();
        let mut steps = Vec::new();
        if !local_dir.is_dir() {
            steps.push(Step::LocalDir {
                local: local_dir.to_path_buf(),
                rel: String::new(),
            });
        }
        self.plan_download(remote_dir, local_dir, "", &options, &mut steps)?;
        self.run_steps(steps, options, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_upload(
        &mut self,
        local_dir: &Path,
        remote_dir: &[u8],
        rel: &str,
        remote_exists: bool,
        options: &SyncOptions<'_>,
        compare: Compare,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let local = read_local(local_dir)?;
        let remote: BTreeMap<Vec<u8>, Entry> = if remote_exists {
            self.list_dir(remote_dir)?
                .into_iter()
                .map(|e| (e.name_bytes().to_vec(), e))
                .collect()
        } else {
            BTreeMap::new()
        };
        for (name, path, meta) in &local {
            let shown = String::from_utf8_lossy(name).into_owned();
            let rel_path = join_rel(rel, &shown);
            let remote_path = join_remote(remote_dir, name);
            let existing = remote.get(name);
            if meta.is_dir() {
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
                self.plan_upload(
                    path,
                    &remote_path,
                    &rel_path,
                    there,
                    options,
                    compare,
                    steps,
                )?;
            } else if meta.is_file() {
                let mtime = mtime_of(meta);
                let current = match existing {
                    Some(entry) if entry.is_file() => {
                        self.remote_is_current(entry, &remote_path, path, mtime, compare)?
                    }
                    _ => false,
                };
                if current {
                    steps.push(Step::Skip { rel: rel_path });
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
                    remote: join_remote(remote_dir, name),
                    rel: join_rel(rel, entry.name()),
                    dir: entry.is_dir(),
                });
            }
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
            self.with_retry(|c, _| c.remote_stat(remote_path))?.1
        };
        Ok(match remote_mtime {
            None => true,
            Some(remote) if compare.mfmt => {
                (remote.unix_seconds() - local_mtime.unix_seconds()).abs() <= 1
            }
            Some(remote) => remote.unix_seconds() >= local_mtime.unix_seconds(),
        })
    }

    fn plan_download(
        &mut self,
        remote_dir: &[u8],
        local_dir: &Path,
        rel: &str,
        options: &SyncOptions<'_>,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let remote = self.list_dir(remote_dir)?;
        let local: BTreeMap<Vec<u8>, (PathBuf, fs::Metadata)> = if local_dir.is_dir() {
            read_local(local_dir)?
                .into_iter()
                .map(|(n, p, m)| (n, (p, m)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for entry in &remote {
            let rel_path = join_rel(rel, entry.name());
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
            seen.push(entry.name_bytes().to_vec());
            let local_path = local_dir.join(name);
            let remote_path = join_remote(remote_dir, entry.name_bytes());
            let existing = local.get(entry.name_bytes());
            if entry.is_dir() {
                if !existing.is_some_and(|(_, m)| m.is_dir()) {
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
                self.plan_download(&remote_path, &local_path, &rel_path, options, steps)?;
            } else if entry.is_file() {
                let current = existing.is_some_and(|(_, meta)| {
                    meta.is_file()
                        && entry.size() == Some(meta.len())
                        && entry
                            .modified()
                            .is_none_or(|m| m.unix_seconds() == mtime_of(meta).unix_seconds())
                });
                if current {
                    steps.push(Step::Skip { rel: rel_path });
                } else {
                    steps.push(Step::Download {
                        remote: remote_path,
                        local: local_path,
                        rel: rel_path,
                        mtime: entry.modified(),
                    });
                }
            } else {
                steps.push(Step::Skip { rel: rel_path });
            }
        }
        if options.delete {
            for (name, (path, _)) in &local {
                if !seen.contains(name) {
                    steps.push(Step::DeleteLocal {
                        local: path.clone(),
                        rel: join_rel(rel, &String::from_utf8_lossy(name)),
                    });
                }
            }
        }
        Ok(())
    }

    fn run_steps(
        &mut self,
        steps: Vec<Step>,
        mut options: SyncOptions<'_>,
        mfmt: bool,
    ) -> Result<SyncReport> {
        let files_total = steps.iter().filter(|s| s.counts_as_file()).count() as u64;
        let mut report = SyncReport::default();
        let mut files_done = 0;
        for step in steps {
            let dry_run = options.dry_run;
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
                    } else {
                        fs::create_dir_all(&local)
                            .map(|_| 0)
                            .map_err(|e| local_io(&local, e))
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
                                    let _ = self.mfmt(&remote, mtime);
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
                        self.download_file(&remote, &local, DownloadOptions::default())
                            .and_then(|n| {
                                if let Some(t) = mtime {
                                    fs::File::options()
                                        .write(true)
                                        .open(&local)
                                        .and_then(|f| f.set_modified(t.to_system_time()))
                                        .map_err(|e| local_io(&local, e))?;
                                }
                                Ok(n)
                            })
                    };
                    (SyncAction::Downloaded, rel, r)
                }
                Step::Skip { rel } => (SyncAction::Skipped, rel, Ok(0)),
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
                    } else if local.is_dir() {
                        fs::remove_dir_all(&local)
                            .map(|_| 0)
                            .map_err(|e| local_io(&local, e))
                    } else {
                        fs::remove_file(&local)
                            .map(|_| 0)
                            .map_err(|e| local_io(&local, e))
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

    /// Deletes a remote directory and everything in it.
    pub fn remove_tree(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        let path = path.as_ref();
        for entry in self.list_dir(path)? {
            let child = join_remote(path, entry.name_bytes());
            if entry.is_dir() {
                self.remove_tree(&child)?;
            } else {
                self.with_retry(|c, _| c.delete(&child).map(drop))?;
            }
        }
        self.with_retry(|c, _| c.rmd(path).map(drop))
    }
}
