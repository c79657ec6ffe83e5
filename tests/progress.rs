//! Progress people can read: a sync or mirror tells files done and in all, and bytes done and
//! in all, on every path and while each file moves, so one bar can cover a whole run.

mod common;

use ftpc::{Flow, SyncAction, SyncOptions};

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    path: String,
    files: (u64, u64),
    bytes: (u64, u64),
}

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn sync_and_mirror_report_files_and_bytes_across_the_run() {
    use common::{Kind, Mode, Server};
    let server = Server::start(Kind::Pyftpdlib);
    let dir = common::scratch_dir("progress");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    let sizes = [
        ("a.bin", 300_000usize),
        ("sub/b.bin", 150_000),
        ("sub/c.txt", 10),
    ];
    for (i, (name, size)) in sizes.iter().enumerate() {
        std::fs::write(tree.join(name), common::pattern(*size, i as u64)).unwrap();
    }
    let total: u64 = sizes.iter().map(|(_, s)| *s as u64).sum();
    let mut options = server.options(Mode::Epsv);
    options.block_size = 16 * 1024;
    let mut ftp = server.agent_with(options);
    for direction in ["sync", "mirror"] {
        let mut events = Vec::new();
        let mut progress = Vec::new();
        let mut on_event = |e: &ftpc::SyncEvent<'_>| {
            if e.action != SyncAction::CreatedDirectory {
                events.push(Seen {
                    path: e.path.to_string(),
                    files: (e.files_done, e.files_total),
                    bytes: (e.bytes_done, e.bytes_total),
                });
            }
            Flow::Continue
        };
        let mut on_progress = |p: &ftpc::SyncProgress<'_>| {
            progress.push(Seen {
                path: p.path.to_string(),
                files: (p.files_done, p.files_total),
                bytes: (p.bytes_done, p.bytes_total),
            });
            Flow::Continue
        };
        let options = SyncOptions {
            on_event: Some(&mut on_event),
            on_progress: Some(&mut on_progress),
            ..Default::default()
        };
        let report = if direction == "sync" {
            ftp.sync_directory(&tree, "up", options)
        } else {
            ftp.mirror_directory("up", dir.join("back"), options)
        };
        let report = server.check(report, direction);
        assert_eq!(report.failed, 0, "{direction}: {report:?}");
        assert_eq!(events.len(), 3, "{direction}: {events:?}");
        // Every path: files and bytes done so far, out of the run's totals.
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.files, (i as u64 + 1, 3), "{direction}: {e:?}");
            assert_eq!(e.bytes.1, total, "{direction}: {e:?}");
        }
        assert_eq!(events.last().unwrap().bytes.0, total, "{direction}");
        // While files move: many reports, never going back, never past the total. Uploads
        // report each 16 KiB block; downloads into files are spliced (Linux) in chunks of
        // what the socket holds, up to 1 MiB, so fewer but at least one per file.
        let least = if direction == "sync" { 20 } else { 3 };
        assert!(progress.len() >= least, "{direction}: {}", progress.len());
        assert!(progress.windows(2).all(|w| w[0].bytes.0 <= w[1].bytes.0));
        assert!(progress
            .iter()
            .all(|p| p.bytes.0 <= total && p.bytes.1 == total));
        let big = progress.iter().filter(|p| p.path == "a.bin").count();
        let least = if direction == "sync" { 18 } else { 1 };
        assert!(
            big >= least,
            "{direction}: a 300 kB file in 16 KiB blocks (spliced chunks down): {big}"
        );
    }
}
