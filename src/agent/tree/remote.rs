//! Remote directory operations: structured listings collected within their bounds, `mkdir -p`,
//! and removing a tree. Each is retried as a whole on transient failures.

use super::walk::{join_remote, loop_ancestor, Ancestors, Walk};
use crate::agent::Agent;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::listing::{Entry, EntryKind};

/// A collected listing: its entries without `.` and `..`, and the MLSD `unique` fact of the
/// listed directory itself (its `cdir` line), when the server gives one.
pub(crate) struct Collected {
    pub(crate) entries: Vec<Entry>,
    pub(crate) unique: Option<String>,
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
            return Ok(Err(Error::bound(
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
            return Ok(Err(Error::bound(
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
    match session.cwd_for_a_moment(path) {
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
