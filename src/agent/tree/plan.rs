//! Planning a sync or mirror, one directory at a time, from what the walker read: the local
//! entries and the server's listing in, the steps and the directories to walk next out. No
//! network and no file system here, so every rule is unit-tested; what only the server can
//! answer (a HASH or MDTM of a file whose size matches) becomes a step the executor verifies.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::walk::{join_rel, join_remote, loop_ancestor, Ancestors};
use crate::agent::files::is_partial_file_name;
use crate::agent::names::safe_local_name;
use crate::error::Error;
use crate::listing::Entry;
use crate::protocol::Timestamp;

/// A local directory entry as the walker read it (a symbolic link is described as one, never
/// followed).
#[derive(Debug, Clone)]
pub(crate) struct LocalEntry {
    pub(crate) name: Vec<u8>,
    pub(crate) path: PathBuf,
    pub(crate) kind: LocalKind,
    pub(crate) len: u64,
    pub(crate) mtime: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalKind {
    File,
    Dir,
    Symlink,
    Other,
}

/// How a sync decides that a remote file is the local one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Compare {
    /// MFMT recorded local times on the server: times must match.
    pub(crate) mfmt: bool,
    /// Listing times have seconds (MLSD); LIST times need MDTM.
    pub(crate) from_mlsd: bool,
    /// The server computes SHA-256 (HASH): contents are compared, times do not matter.
    pub(crate) hash: bool,
}

/// What the executor asks the server before an upload of a file whose size already matches:
/// the SHA-256 (where offered, falling back to times if the server cannot hash the file), and
/// the modification time (from the listing when it has seconds, else MDTM).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verify {
    pub(crate) hash: bool,
    /// The time the MLSD listing gave (`Some(None)`: it gave none); `None`: ask MDTM.
    pub(crate) listed: Option<Option<Timestamp>>,
}

/// One planned step.
#[derive(Debug)]
pub(crate) enum Step {
    RemoteDir {
        remote: Vec<u8>,
        rel: String,
    },
    /// Uploaded, unless `verify` is given and the server shows its copy is current (then the
    /// path is skipped).
    Upload {
        local: PathBuf,
        remote: Vec<u8>,
        rel: String,
        mtime: Timestamp,
        verify: Option<Verify>,
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
        /// The size the listing gave, for overall progress.
        size: Option<u64>,
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
    pub(crate) fn counts_as_file(&self) -> bool {
        !matches!(self, Step::RemoteDir { .. } | Step::LocalDir { .. })
    }
}

/// Whether a remote time shows the remote copy is this version of the local file: equal (to
/// the second) where MFMT recorded the local time, not older where it could not. No time at
/// all is taken as current (the size already matched).
pub(crate) fn times_say_current(remote: Option<Timestamp>, local: Timestamp, mfmt: bool) -> bool {
    match remote {
        None => true,
        Some(remote) if mfmt => (remote.unix_seconds() - local.unix_seconds()).abs() <= 1,
        Some(remote) => remote.unix_seconds() >= local.unix_seconds(),
    }
}

/// A directory of a sync still to be planned.
#[derive(Debug)]
pub(crate) struct UploadDir {
    pub(crate) local: PathBuf,
    pub(crate) remote: Vec<u8>,
    pub(crate) rel: String,
    pub(crate) remote_exists: bool,
    pub(crate) depth: u32,
}

/// Plans one directory of a sync from its local entries (sorted by name) and what the server
/// lists there; returns the subdirectories to plan next, in name order.
pub(crate) fn plan_upload_dir(
    dir: &UploadDir,
    local: &[LocalEntry],
    remote: &BTreeMap<Vec<u8>, Entry>,
    delete: bool,
    compare: Compare,
    steps: &mut Vec<Step>,
) -> Vec<UploadDir> {
    let mut children = Vec::new();
    for item in local {
        let rel = join_rel(&dir.rel, &String::from_utf8_lossy(&item.name));
        let remote_path = join_remote(&dir.remote, &item.name);
        let existing = remote.get(&item.name);
        let skip_note = match item.kind {
            LocalKind::Symlink => Some("a local symbolic link: not followed"),
            _ if is_partial_file_name(&item.name) => {
                Some("a partial file of a download: not uploaded")
            }
            LocalKind::Other => Some("neither a regular file nor a directory"),
            LocalKind::File | LocalKind::Dir => None,
        };
        if let Some(note) = skip_note {
            steps.push(Step::Skip {
                rel,
                note: Some(note),
            });
        } else if item.kind == LocalKind::Dir {
            let there = existing.is_some_and(Entry::is_dir);
            if !there {
                if existing.is_some() {
                    steps.push(Step::DeleteRemote {
                        remote: remote_path.clone(),
                        rel: rel.clone(),
                        dir: false,
                    });
                }
                steps.push(Step::RemoteDir {
                    remote: remote_path.clone(),
                    rel: rel.clone(),
                });
            }
            children.push(UploadDir {
                local: item.path.clone(),
                remote: remote_path,
                rel,
                remote_exists: there,
                depth: dir.depth + 1,
            });
        } else {
            plan_upload_file(item, existing, remote_path, rel, compare, steps);
        }
    }
    if delete {
        for (name, entry) in remote {
            if !local.iter().any(|item| &item.name == name) {
                steps.push(Step::DeleteRemote {
                    remote: join_remote(&dir.remote, name),
                    rel: join_rel(&dir.rel, entry.name()),
                    dir: entry.is_dir(),
                });
            }
        }
    }
    children
}

/// A local file of a sync: skipped when the remote copy is known current, uploaded when it is
/// known not to be, uploaded after the executor's check otherwise.
fn plan_upload_file(
    item: &LocalEntry,
    existing: Option<&Entry>,
    remote: Vec<u8>,
    rel: String,
    compare: Compare,
    steps: &mut Vec<Step>,
) {
    let same_size = existing
        .filter(|e| e.is_file())
        .filter(|e| e.size() == Some(item.len));
    let verify = match same_size {
        None => None,
        Some(_) if compare.hash => Some(Verify {
            hash: true,
            listed: compare
                .from_mlsd
                .then(|| same_size.and_then(Entry::modified)),
        }),
        Some(entry) if compare.from_mlsd => {
            if times_say_current(entry.modified(), item.mtime, compare.mfmt) {
                steps.push(Step::Skip { rel, note: None });
                return;
            }
            None
        }
        Some(_) => Some(Verify {
            hash: false,
            listed: None,
        }),
    };
    if existing.is_some_and(Entry::is_dir) {
        steps.push(Step::DeleteRemote {
            remote: remote.clone(),
            rel: rel.clone(),
            dir: true,
        });
    }
    steps.push(Step::Upload {
        local: item.path.clone(),
        remote,
        rel,
        mtime: item.mtime,
        verify,
    });
}

/// A directory of a mirror still to be planned.
#[derive(Debug)]
pub(crate) struct MirrorDir {
    pub(crate) remote: Vec<u8>,
    pub(crate) local: PathBuf,
    pub(crate) rel: String,
    pub(crate) local_exists: bool,
    pub(crate) depth: u32,
    /// For loop detection: the MLSD `unique` facts above, this directory's own included.
    pub(crate) ancestors: Ancestors,
}

/// Plans one directory of a mirror from the server's listing of it and its local entries (by
/// name); returns the subdirectories to plan next, in the listing's order. Names from the
/// server are checked here, before anything is planned for them.
pub(crate) fn plan_mirror_dir(
    dir: &MirrorDir,
    listed: &[Entry],
    local: &BTreeMap<Vec<u8>, LocalEntry>,
    delete: bool,
    steps: &mut Vec<Step>,
) -> Vec<MirrorDir> {
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut children = Vec::new();
    for entry in listed {
        let rel = join_rel(&dir.rel, entry.name());
        let name = match refuse_server_name(entry) {
            Ok(name) => name,
            Err(error) => {
                steps.push(Step::Refuse { rel, error });
                continue;
            }
        };
        seen.push(entry.name_bytes());
        let local_path = dir.local.join(name);
        let remote_path = join_remote(&dir.remote, entry.name_bytes());
        let existing = local.get(entry.name_bytes());
        let existing_kind = existing.map(|e| e.kind);
        if existing_kind == Some(LocalKind::Symlink) && (entry.is_dir() || entry.is_file()) {
            steps.push(Step::Refuse {
                error: super::walk::symlink_refused(&local_path),
                rel,
            });
            continue;
        }
        if entry.is_dir() {
            if let Some(above) = loop_ancestor(entry, &dir.ancestors) {
                let above = if above.is_empty() { "/" } else { above };
                steps.push(Step::Refuse {
                    error: Error::protocol(
                        format!("mirror at {rel:?}"),
                        format!(
                            "directory loop: the server gives it the same MLSD unique fact \
                             as {above:?}; not walked"
                        ),
                    ),
                    rel,
                });
                continue;
            }
            let there = existing_kind == Some(LocalKind::Dir);
            if !there {
                if existing.is_some() {
                    steps.push(Step::DeleteLocal {
                        local: local_path.clone(),
                        rel: rel.clone(),
                    });
                }
                steps.push(Step::LocalDir {
                    local: local_path.clone(),
                    rel: rel.clone(),
                });
            }
            let mut ancestors = dir.ancestors.clone();
            if let Some(unique) = entry.unique() {
                ancestors.push((unique.to_owned(), rel.clone()));
            }
            children.push(MirrorDir {
                remote: remote_path,
                local: local_path,
                rel,
                local_exists: there,
                depth: dir.depth + 1,
                ancestors,
            });
        } else if entry.is_file() {
            let current = existing.is_some_and(|item| {
                item.kind == LocalKind::File
                    && entry.size() == Some(item.len)
                    && entry
                        .modified()
                        .is_none_or(|m| m.unix_seconds() == item.mtime.unix_seconds())
            });
            if current {
                steps.push(Step::Skip { rel, note: None });
                continue;
            }
            if existing_kind == Some(LocalKind::Dir) {
                steps.push(Step::DeleteLocal {
                    local: local_path.clone(),
                    rel: rel.clone(),
                });
            }
            steps.push(Step::Download {
                remote: remote_path,
                local: local_path,
                rel,
                mtime: entry.modified(),
                size: entry.size(),
            });
        } else {
            steps.push(Step::Skip {
                rel,
                note: Some("neither a file nor a directory on the server"),
            });
        }
    }
    if delete {
        for (name, item) in local {
            // Partial files belong to downloads (this one's or another's).
            if !seen.contains(&name.as_slice()) && !is_partial_file_name(name) {
                steps.push(Step::DeleteLocal {
                    local: item.path.clone(),
                    rel: join_rel(&dir.rel, &String::from_utf8_lossy(name)),
                });
            }
        }
    }
    children
}

/// The local name for a name the server listed, or why it is refused: not one plain path
/// component, or of the form reserved for partial files.
fn refuse_server_name(entry: &Entry) -> Result<&std::ffi::OsStr, Error> {
    let name = safe_local_name(entry.name_bytes())?;
    if is_partial_file_name(entry.name_bytes()) {
        return Err(Error::Protocol {
            context: format!("server name {:?}", entry.name()),
            detail: "refused as a local file name: names of the form .NAME.ftpc-part are \
                     reserved for partial files"
                .into(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::parse_mlsd_line;

    fn remote(lines: &[&str]) -> BTreeMap<Vec<u8>, Entry> {
        lines
            .iter()
            .map(|l| parse_mlsd_line(l.as_bytes()).unwrap())
            .map(|e| (e.name_bytes().to_vec(), e))
            .collect()
    }

    fn local(name: &str, kind: LocalKind, len: u64, mtime: i64) -> LocalEntry {
        LocalEntry {
            name: name.as_bytes().to_vec(),
            path: PathBuf::from("/l").join(name),
            kind,
            len,
            mtime: Timestamp::from_unix_seconds(mtime),
        }
    }

    fn root_up() -> UploadDir {
        UploadDir {
            local: "/l".into(),
            remote: b"r".to_vec(),
            rel: String::new(),
            remote_exists: true,
            depth: 0,
        }
    }

    const MLSD_ONLY: Compare = Compare {
        mfmt: true,
        from_mlsd: true,
        hash: false,
    };

    fn kinds(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::RemoteDir { rel, .. } => format!("mkdir-remote {rel}"),
                Step::Upload { rel, verify, .. } => {
                    format!(
                        "upload {rel}{}",
                        if verify.is_some() { " (verify)" } else { "" }
                    )
                }
                Step::LocalDir { rel, .. } => format!("mkdir-local {rel}"),
                Step::Download { rel, .. } => format!("download {rel}"),
                Step::Skip { rel, note } => {
                    format!("skip {rel}{}", if note.is_some() { " (note)" } else { "" })
                }
                Step::DeleteRemote { rel, dir, .. } => format!("delete-remote {rel} dir={dir}"),
                Step::DeleteLocal { rel, .. } => format!("delete-local {rel}"),
                Step::Refuse { rel, .. } => format!("refuse {rel}"),
            })
            .collect()
    }

    #[test]
    fn sync_uploads_what_differs_skips_what_matches_and_deletes_the_rest() {
        // 1546300800 is 2019-01-01 00:00:00 UTC.
        let listed = remote(&[
            "type=file;size=3;modify=20190101000000; same.txt",
            "type=file;size=4;modify=20190101000000; grown.txt",
            "type=file;size=3;modify=20180101000000; older.txt",
            "type=file;size=1;modify=20190101000000; gone.txt",
            "type=dir;modify=20190101000000; sub",
        ]);
        let items = vec![
            local("grown.txt", LocalKind::File, 5, 1546300800),
            local("link", LocalKind::Symlink, 0, 0),
            local("older.txt", LocalKind::File, 3, 1546300800),
            local("same.txt", LocalKind::File, 3, 1546300800),
            local("sub", LocalKind::Dir, 0, 0),
        ];
        let mut steps = Vec::new();
        let children = plan_upload_dir(&root_up(), &items, &listed, true, MLSD_ONLY, &mut steps);
        assert_eq!(
            kinds(&steps),
            [
                "upload grown.txt",
                "skip link (note)",
                "upload older.txt",
                "skip same.txt",
                "delete-remote gone.txt dir=false",
            ]
        );
        assert_eq!(children.len(), 1);
        assert!(children[0].remote_exists && children[0].depth == 1);
        assert_eq!(children[0].remote, b"r/sub");
    }

    #[test]
    fn a_matching_size_is_verified_by_the_executor_where_only_the_server_can_say() {
        let listed = remote(&["type=file;size=3;modify=20190101000000; a.txt"]);
        let items = vec![local("a.txt", LocalKind::File, 3, 1546300800)];
        for (compare, want) in [
            (
                Compare {
                    hash: true,
                    ..MLSD_ONLY
                },
                "upload a.txt (verify)",
            ),
            (
                Compare {
                    from_mlsd: false,
                    ..MLSD_ONLY
                },
                "upload a.txt (verify)",
            ),
            (MLSD_ONLY, "skip a.txt"),
        ] {
            let mut steps = Vec::new();
            plan_upload_dir(&root_up(), &items, &listed, false, compare, &mut steps);
            assert_eq!(kinds(&steps), [want]);
        }
    }

    #[test]
    fn a_local_directory_where_the_server_has_a_file_replaces_it() {
        let listed = remote(&["type=file;size=3; d"]);
        let items = vec![local("d", LocalKind::Dir, 0, 0)];
        let mut steps = Vec::new();
        let children = plan_upload_dir(&root_up(), &items, &listed, false, MLSD_ONLY, &mut steps);
        assert_eq!(
            kinds(&steps),
            ["delete-remote d dir=false", "mkdir-remote d"]
        );
        assert!(!children[0].remote_exists);
    }

    #[test]
    fn times_rule() {
        let t = |s| Some(Timestamp::from_unix_seconds(s));
        let local = Timestamp::from_unix_seconds(1000);
        assert!(times_say_current(None, local, true));
        assert!(times_say_current(t(1001), local, true));
        assert!(!times_say_current(t(1005), local, true));
        assert!(times_say_current(t(1005), local, false));
        assert!(!times_say_current(t(999), local, false));
    }

    fn root_mirror() -> MirrorDir {
        MirrorDir {
            remote: b"r".to_vec(),
            local: "/l".into(),
            rel: String::new(),
            local_exists: true,
            depth: 0,
            ancestors: vec![("root-id".into(), String::new())],
        }
    }

    #[test]
    fn mirror_refuses_unsafe_names_links_and_loops_and_plans_the_rest() {
        let listed: Vec<Entry> = [
            "type=file;size=1; ..",
            "type=file;size=1; .x.ftpc-part",
            "type=file;size=3;modify=20190101000000; same.txt",
            "type=file;size=3;modify=20190101000000; new.txt",
            "type=file;size=3; linked.txt",
            "type=dir;unique=root-id; loop",
            "type=dir;unique=other; sub",
            "type=OS.unix=chr-4/1; dev",
        ]
        .iter()
        .map(|l| parse_mlsd_line(l.as_bytes()).unwrap())
        .collect();
        let local_items: BTreeMap<Vec<u8>, LocalEntry> = [
            local("same.txt", LocalKind::File, 3, 1546300800),
            local("linked.txt", LocalKind::Symlink, 0, 0),
            local("stale", LocalKind::File, 1, 0),
            local(".y.ftpc-part", LocalKind::File, 1, 0),
        ]
        .into_iter()
        .map(|e| (e.name.clone(), e))
        .collect();
        let mut steps = Vec::new();
        let children = plan_mirror_dir(&root_mirror(), &listed, &local_items, true, &mut steps);
        assert_eq!(
            kinds(&steps),
            [
                "refuse ..",
                "refuse .x.ftpc-part",
                "skip same.txt",
                "download new.txt",
                "refuse linked.txt",
                "refuse loop",
                "mkdir-local sub",
                "skip dev (note)",
                "delete-local stale",
            ]
        );
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].ancestors.len(), 2);
        assert!(!children[0].local_exists);
    }
}
