//! One file over several connections at once. Each connection reads one byte range: REST to
//! its start, RETR, read up to its end, then ABOR (the last range reads to the end of the
//! file and takes the server's 226). Ranges are written at their offsets into one partial
//! file, created as [`Agent::download_file`] creates it, and renamed into place only when
//! every byte is there, the size checked and, where the server offers HASH, the SHA-256.
//!
//! Adaptive, after lftp's `pget` and aria2: the download starts with one or two connections;
//! while the throughput rises, another one is added, up to the pool's cap. A new connection
//! takes the second half of the range with the most left, so every connection works until the
//! end. A range whose connection fails is resumed on its own from where it got to, on the
//! same session after a reconnect (with the pool's retry policy), or by another worker.
//! Where the server does not announce `REST STREAM`, or the file has no known size, one
//! connection downloads it as [`Agent::download_file`] does.

use std::fs::{self, File};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Pool, PooledAgent};
use crate::agent::files::{open_partial, part_path, remote_stat};
use crate::agent::hash::local_sha256;
use crate::agent::{is_partial_file_name, DownloadOptions};
use crate::error::{Error, Result};
use crate::options::TransferType;
use crate::transfer::Flow;

/// Told `(bytes so far, total)` on the thread that started the download, a few times a
/// second; [`Flow::Stop`] stops it with [`Error::Aborted`].
pub type SegmentedProgressFn<'a> = dyn FnMut(u64, u64) -> Flow + 'a;

/// Options of [`Pool::download_segmented`].
pub struct SegmentedOptions<'a> {
    /// Connections at most; 0 means the pool's cap.
    pub max_segments: usize,
    /// Connections to start with (1 or 2 is usual); more are added while throughput rises.
    pub initial_segments: usize,
    /// No range is split below this size; a file smaller than twice this is one stream.
    pub min_segment: u64,
    /// How often the throughput is measured to decide whether to add a connection.
    pub probe_interval: Duration,
    /// Check the server's SHA-256 (HASH) of the file before the rename, where it offers one.
    pub verify_hash: bool,
    pub progress: Option<&'a mut SegmentedProgressFn<'a>>,
}

impl Default for SegmentedOptions<'_> {
    fn default() -> Self {
        SegmentedOptions {
            max_segments: 0,
            initial_segments: 2,
            min_segment: 1 << 20,
            probe_interval: Duration::from_millis(200),
            verify_hash: true,
            progress: None,
        }
    }
}

/// How a segmented download went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentedReport {
    /// The file's size.
    pub size: u64,
    /// Connections used at most at once (1 for a single stream).
    pub connections: usize,
    /// Ranges read in all (a range that was split counts twice).
    pub ranges: usize,
    /// Ranges resumed after their connection failed.
    pub resumed: usize,
    /// Whether the server's SHA-256 was compared with the file's.
    pub hash_checked: bool,
    /// Why the file went over one stream, when it did.
    pub single_stream: Option<String>,
}

/// A byte range `[pos, end)` still to read; `end` shrinks when another connection takes the
/// second half.
#[derive(Debug)]
struct Range {
    pos: u64,
    end: u64,
    /// A worker is reading it.
    owned: bool,
}

struct Shared<'a> {
    remote: &'a [u8],
    file: &'a File,
    size: u64,
    min_segment: u64,
    ranges: Mutex<Vec<Range>>,
    done: AtomicU64,
    stop: AtomicBool,
    resumed: AtomicUsize,
    failure: Mutex<Option<Error>>,
}

/// Why a range's read ended.
enum Failed {
    /// The network or server: worth another attempt from where it got to.
    Remote(Error),
    /// The local file: never retried.
    Local(Error),
}

impl Pool {
    /// Downloads `remote` to `local` over up to `options.max_segments` connections (see the
    /// module documentation). Returns how it went; on failure the partial file stays.
    pub fn download_segmented(
        &self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
        options: SegmentedOptions<'_>,
    ) -> Result<SegmentedReport> {
        let remote = remote.as_ref();
        let local = local.as_ref();
        let refuse =
            |why: &str| Error::InvalidArgument(format!("download to {}: {why}", local.display()));
        let part = part_path(local).ok_or_else(|| refuse("the path has no file name"))?;
        let name = local.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| is_partial_file_name(n.as_bytes())) {
            return Err(refuse(
                "names of the form .NAME.ftpc-part are reserved for partial files",
            ));
        }
        let mut first = self.session()?;
        let context = format!("download {}", String::from_utf8_lossy(remote));
        let (stat, rest) = first.with_retry(|client, _| {
            let stat = remote_stat(client, remote)?;
            let rest = client
                .features()?
                .params("REST")
                .is_some_and(|p| p.eq_ignore_ascii_case("STREAM"));
            Ok((stat, rest))
        })?;
        let cap = match options.max_segments {
            0 => self.max_sessions(),
            n => n.min(self.max_sessions()),
        };
        let min_segment = options.min_segment.max(1);
        let single = match stat.0 {
            None => Some("the server does not tell the size"),
            Some(_) if !rest => Some("the server does not announce REST STREAM"),
            Some(size) if size < 2 * min_segment || cap < 2 => Some("the file is small"),
            Some(_) => None,
        };
        if let Some(why) = single {
            return single_stream(&mut first, remote, local, options.progress, why);
        }
        let size = stat.0.expect("a known size past the checks");
        let io = |e| Error::io(format!("{context}: {}", part.display()), e);
        let initial = options.initial_segments.clamp(1, cap);
        let file = open_partial(&part, false).map_err(io)?;
        file.set_len(size).map_err(io)?;
        let shared = Shared {
            remote,
            file: &file,
            size,
            min_segment,
            ranges: Mutex::new(initial_ranges(size, initial, min_segment)),
            done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            resumed: AtomicUsize::new(0),
            failure: Mutex::new(None),
        };
        let mut progress = options.progress;
        let mut told = None;
        let mut connections = 0;
        std::thread::scope(|scope| {
            let mut workers = Vec::new();
            let start = |agent: PooledAgent| {
                let shared = &shared;
                let pool = self;
                scope.spawn(move || pool.segment_worker(shared, agent))
            };
            workers.push(start(first));
            connections += 1;
            while connections < initial {
                match self.try_session() {
                    Ok(Some(agent)) => {
                        workers.push(start(agent));
                        connections += 1;
                    }
                    _ => break,
                }
            }
            // Add connections while the throughput rises.
            let mut best = 0.0f64;
            let mut growing = true;
            let mut last = (Instant::now(), 0u64);
            while !workers.iter().all(|w| w.is_finished()) {
                std::thread::sleep(options.probe_interval.min(Duration::from_millis(50)));
                let done = shared.done.load(Ordering::SeqCst);
                if let Some(progress) = progress.as_deref_mut() {
                    if told != Some(done) && progress(done, size) == Flow::Stop {
                        shared.fail(Error::Aborted {
                            context: "segmented download: stopped by the progress observer".into(),
                        });
                    }
                    told = Some(done);
                }
                let elapsed = last.0.elapsed();
                if elapsed < options.probe_interval || !growing || connections >= cap {
                    continue;
                }
                let done = shared.done.load(Ordering::SeqCst);
                let rate = (done - last.1) as f64 / elapsed.as_secs_f64();
                last = (Instant::now(), done);
                if rate <= best * 1.1 && best > 0.0 {
                    // No gain from the last connection added: enough.
                    growing = false;
                    continue;
                }
                best = best.max(rate);
                if !shared.splittable() || shared.stop.load(Ordering::SeqCst) {
                    continue;
                }
                match self.try_session() {
                    Ok(Some(agent)) => {
                        workers.push(start(agent));
                        connections += 1;
                        // The next window measures the new connection, not its login.
                        last = (Instant::now(), shared.done.load(Ordering::SeqCst));
                    }
                    _ => growing = false,
                }
            }
        });
        if let Some(error) = shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            if !is_rest_refusal(&error) {
                return Err(error);
            }
            // FEAT promised REST STREAM, but the server refuses it: one stream after all.
            drop(file);
            let _ = fs::remove_file(&part);
            let why = "the server refused REST";
            return single_stream(&mut self.session()?, remote, local, progress, why);
        }
        let resumed = shared.resumed.load(Ordering::SeqCst);
        let got: u64 = shared.done.load(Ordering::SeqCst);
        if let Some(progress) = progress {
            if told != Some(got) {
                progress(got, size);
            }
        }
        let ranges = shared
            .ranges
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        if ranges.iter().any(|r| r.pos < r.end) || got != size {
            return Err(Error::io(
                context,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("{got} of {size} bytes arrived"),
                ),
            ));
        }
        file.sync_all().map_err(io)?;
        // The file must not have changed while its ranges were read.
        let mut last = self.session()?;
        let (after, hash) = last.with_retry(|client, _| {
            let after = remote_stat(client, remote)?;
            let hash = if options.verify_hash && client.select_sha256_hash()? {
                Some(client.remote_sha256(remote)?)
            } else {
                None
            };
            Ok((after, hash))
        })?;
        drop(last);
        if after != stat {
            return Err(Error::io(
                context,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the remote file changed during the download",
                ),
            ));
        }
        if let Some(expected) = &hash {
            let actual = local_sha256(&part)?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Error::io(
                    context,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("SHA-256 {actual}, but the server has {expected}"),
                    ),
                ));
            }
        }
        drop(file);
        fs::rename(&part, local)
            .map_err(|e| Error::io(format!("download: renaming {}", local.display()), e))?;
        Ok(SegmentedReport {
            size,
            connections,
            ranges: ranges.len(),
            resumed,
            hash_checked: hash.is_some(),
            single_stream: None,
        })
    }

    /// One connection: reads ranges until none is left to take.
    fn segment_worker(&self, shared: &Shared<'_>, mut agent: PooledAgent) {
        while let Some(index) = shared.claim() {
            if let Err(error) = shared.read_range(&mut agent, index) {
                shared.release(index);
                shared.fail(error);
                return;
            }
        }
    }
}

impl Shared<'_> {
    fn ranges(&self) -> std::sync::MutexGuard<'_, Vec<Range>> {
        self.ranges.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A range to read: one nobody reads (left by a failed worker), or the second half of the
    /// range with the most left.
    fn claim(&self) -> Option<usize> {
        if self.stop.load(Ordering::SeqCst) {
            return None;
        }
        let mut ranges = self.ranges();
        if let Some(i) = ranges.iter().position(|r| !r.owned && r.pos < r.end) {
            ranges[i].owned = true;
            return Some(i);
        }
        let (i, left) = ranges
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.end - r.pos))
            .max_by_key(|&(_, left)| left)?;
        if left < 2 * self.min_segment {
            return None;
        }
        let victim = &mut ranges[i];
        let mid = victim.pos + left / 2;
        let end = victim.end;
        victim.end = mid;
        ranges.push(Range {
            pos: mid,
            end,
            owned: true,
        });
        Some(ranges.len() - 1)
    }

    /// Whether a new connection would find a range to take.
    fn splittable(&self) -> bool {
        self.ranges()
            .iter()
            .any(|r| r.end - r.pos >= 2 * self.min_segment || (!r.owned && r.pos < r.end))
    }

    fn release(&self, index: usize) {
        self.ranges()[index].owned = false;
    }

    fn fail(&self, error: Error) {
        self.stop.store(true, Ordering::SeqCst);
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(error);
    }

    /// Reads range `index` to its end, resuming after transient failures (reconnecting when
    /// the session was lost) with the pool's retry policy.
    fn read_range(&self, agent: &mut PooledAgent, index: usize) -> Result<()> {
        let mut attempt = 1;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Err(Error::Aborted {
                    context: "segmented download: stopped".into(),
                });
            }
            let result = if agent.session_ref().is_usable() {
                self.fetch(agent, index)
            } else {
                agent
                    .reconnect()
                    .map_err(Failed::Remote)
                    .and_then(|()| self.fetch(agent, index))
            };
            let error = match result {
                Ok(()) => return Ok(()),
                Err(Failed::Local(error)) => return Err(error),
                Err(Failed::Remote(error)) => error,
            };
            let canceller = agent.canceller();
            let error = if canceller.is_cancelled() {
                error.cancelled()
            } else {
                error
            };
            let policy = agent.retry_policy().clone();
            if !error.is_transient() || attempt >= policy.max_attempts {
                return Err(error);
            }
            let delay = policy.delay(attempt, 0.5);
            if !canceller.wait(delay) {
                return Err(error.cancelled());
            }
            self.resumed.fetch_add(1, Ordering::SeqCst);
            attempt += 1;
        }
    }

    /// One attempt at a range: REST to where it got to, RETR, read up to its end (which may
    /// move closer while reading), then ABOR, or the final reply for the file's last range.
    fn fetch(&self, agent: &mut PooledAgent, index: usize) -> std::result::Result<(), Failed> {
        let remote = Failed::Remote;
        let start = self.ranges()[index].pos;
        // Renewed first when its TLS session can no longer resume (ProFTPD, see
        // `Agent::data_session`).
        let session = agent.data_session().map_err(remote)?;
        session.set_transfer_type(TransferType::Binary);
        let mut command = b"RETR ".to_vec();
        command.extend_from_slice(self.remote);
        let mut conn = session.begin_data(&command, start).map_err(remote)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let (pos, end) = {
                let r = &self.ranges()[index];
                (r.pos, r.end)
            };
            if pos >= end || self.stop.load(Ordering::SeqCst) {
                break;
            }
            let want = buf.len().min((end - pos) as usize);
            let n = match conn.read_data(&mut buf[..want]) {
                Ok(n) => n,
                Err(e) => return Err(remote(session.fail_transfer(conn, e))),
            };
            if n == 0 {
                // The data ended before the range did.
                let _ = session.finish_data(conn);
                return Err(remote(Error::io(
                    format!("RETR {}", String::from_utf8_lossy(self.remote)),
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("the data ended at byte {pos}, before {end}"),
                    ),
                )));
            }
            // The range may have been split meanwhile: keep only what is still ours.
            let keep = {
                let mut ranges = self.ranges();
                let r = &mut ranges[index];
                let keep = (n as u64).min(r.end.saturating_sub(r.pos));
                r.pos += keep;
                keep
            };
            write_at(self.file, &buf[..keep as usize], pos).map_err(|e| {
                Failed::Local(Error::io(format!("writing the partial file at {pos}"), e))
            })?;
            self.done.fetch_add(keep, Ordering::SeqCst);
        }
        let end = self.ranges()[index].end;
        if end == self.size && !self.stop.load(Ordering::SeqCst) {
            // The file's last range: the server ends the data itself.
            session.finish_data(conn).map_err(remote)?;
        } else {
            session.abort_data(conn).map_err(remote)?;
        }
        Ok(())
    }
}

/// The whole file over one connection, as [`Agent::download_file`] downloads it.
fn single_stream(
    agent: &mut PooledAgent,
    remote: &[u8],
    local: &Path,
    mut progress: Option<&mut SegmentedProgressFn<'_>>,
    why: &str,
) -> Result<SegmentedReport> {
    let mut forward = |done: u64, total: Option<u64>| match progress.as_deref_mut() {
        Some(p) => p(done, total.unwrap_or(done)),
        None => Flow::Continue,
    };
    let size = agent.download_file(
        remote,
        local,
        DownloadOptions {
            resume: false,
            progress: Some(&mut forward),
            ..Default::default()
        },
    )?;
    Ok(SegmentedReport {
        size,
        connections: 1,
        ranges: 1,
        single_stream: Some(why.to_string()),
        ..SegmentedReport::default()
    })
}

/// Whether the server refused REST itself (a 5xx answer to it).
fn is_rest_refusal(error: &Error) -> bool {
    matches!(error, Error::Permanent { command, .. } if command.starts_with("REST"))
}

/// The file cut into `count` ranges of nearly equal size (the first ones a byte longer when
/// the size does not divide), none shorter than `min_segment`; nobody reads them yet.
fn initial_ranges(size: u64, count: usize, min_segment: u64) -> Vec<Range> {
    let count = (count as u64).clamp(1, (size / min_segment).max(1));
    let (base, extra) = (size / count, size % count);
    let mut pos = 0;
    (0..count)
        .map(|i| {
            let len = base + u64::from(i < extra);
            let range = Range {
                pos,
                end: pos + len,
                owned: false,
            };
            pos += len;
            range
        })
        .collect()
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_ranges_cover_the_file_once() {
        for (size, count, min) in [
            (7, 4, 1),
            (2, 4, 1),
            (1_000_003, 4, 1),
            (10, 4, 6),
            (9, 3, 3),
        ] {
            let ranges = initial_ranges(size, count, min);
            assert_eq!(ranges[0].pos, 0);
            assert_eq!(ranges.last().unwrap().end, size);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].pos);
            }
            assert!(ranges.len() <= count);
            assert!(
                ranges.iter().all(|r| r.end - r.pos >= min.min(size)),
                "{ranges:?}"
            );
        }
        assert_eq!(initial_ranges(2, 4, 1).len(), 2);
        assert_eq!(initial_ranges(10, 4, 6).len(), 1);
    }
}

#[cfg(windows)]
fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_write(buf, offset)?;
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}
