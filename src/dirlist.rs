//! Listing commands: NLST, LIST (raw lines or parsed), MLSD as a streaming iterator, MLST.

use std::time::SystemTime;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::listing::{
    measure_utc_offset, parse_mlsd_line, parse_mlst_reply, Entry, ListConfig, ListFormat,
    ListParser,
};
use crate::options::Options;
use crate::protocol::{Command, Timestamp};
use crate::transfer::{line_error, Flow, LineReader};

/// How much of a listing stopped early is read to its end rather than aborted.
const LISTING_DRAIN_LIMIT: usize = 256 * 1024;

/// Longest listing line accepted: a long path plus its facts fits many times over.
pub const MAX_LISTING_LINE: usize = 64 * 1024;

/// How listing lines become entries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LineFormat {
    Mlsd,
    /// LIST, Unix or DOS style; `now` anchors year inference.
    List {
        now: Timestamp,
    },
}

impl LineFormat {
    /// LIST lines, with years inferred relative to now.
    pub(crate) fn list_now() -> LineFormat {
        LineFormat::List {
            now: Timestamp::from_system_time(SystemTime::now()),
        }
    }

    /// The parser for one entry (a VMS entry may take two lines), with the options' forced
    /// format and UTC offset.
    pub(crate) fn parser(self, options: &Options, hint: Option<ListFormat>) -> LineParser {
        match self {
            LineFormat::Mlsd => LineParser::Mlsd,
            LineFormat::List { now } => {
                let mut config = ListConfig::new(now);
                config.forced = options.list_format;
                config.hint = hint;
                config.utc_offset_minutes = options.server_utc_offset_minutes;
                LineParser::List(Box::new(ListParser::new(config)))
            }
        }
    }
}

/// A listing's parser: for LIST, it carries the format detected, a z/OS header and a VMS
/// name line from one line to the next.
pub(crate) enum LineParser {
    Mlsd,
    List(Box<ListParser>),
}

impl LineParser {
    /// The LIST format the listing turned out to be in, once an entry parsed.
    fn detected(&self) -> Option<ListFormat> {
        match self {
            LineParser::Mlsd => None,
            LineParser::List(parser) => parser.format(),
        }
    }

    fn feed(&mut self, line: &[u8]) -> std::result::Result<Option<Entry>, String> {
        match self {
            LineParser::Mlsd => parse_mlsd_line(line).map(Some),
            LineParser::List(parser) => parser.feed(line),
        }
    }

    fn finish(&mut self) -> std::result::Result<Option<Entry>, String> {
        match self {
            LineParser::Mlsd => Ok(None),
            LineParser::List(parser) => parser.finish(),
        }
    }
}

fn command_with_optional_path(verb: &str, path: Option<&[u8]>) -> Result<Command> {
    match path {
        Some(p) if !p.is_empty() => Command::with_arg(verb, p),
        _ => Command::bare(verb),
    }
}

impl Client {
    /// NLST: names in a directory (the current one when `path` is `None`), collected within
    /// [`Options::max_listing_entries`](crate::Options::max_listing_entries) and
    /// `max_listing_bytes`; past either the listing is aborted and the call fails.
    pub fn nlst(&mut self, path: Option<&[u8]>) -> Result<Vec<String>> {
        self.collect_lines("NLST", path)
    }

    /// LIST: the raw listing lines, collected within the same bounds as [`Client::nlst`].
    pub fn list(&mut self, path: Option<&[u8]>) -> Result<Vec<String>> {
        self.collect_lines("LIST", path)
    }

    fn collect_lines(&mut self, verb: &str, path: Option<&[u8]>) -> Result<Vec<String>> {
        let (max_entries, max_bytes) = (
            self.options.max_listing_entries,
            self.options.max_listing_bytes,
        );
        let mut lines = Vec::new();
        let mut bytes: u64 = 0;
        let mut passed = None;
        let result = self.list_lines_of(verb, path, &mut |line| {
            bytes += line.len() as u64;
            if lines.len() as u64 >= max_entries {
                passed = Some("max_listing_entries");
                return Flow::Stop;
            }
            if bytes > max_bytes {
                passed = Some("max_listing_bytes");
                return Flow::Stop;
            }
            lines.push(String::from_utf8_lossy(line).into_owned());
            Flow::Continue
        });
        if let Some(option) = passed {
            let what = match option {
                "max_listing_entries" => format!("the listing has more than {max_entries} lines"),
                _ => format!("the listing is more than {max_bytes} bytes"),
            };
            return Err(Error::bound(verb.to_string(), what, option, option));
        }
        result?;
        Ok(lines)
    }

    /// LIST, handing each raw line to `on_line` as it arrives.
    pub fn list_lines(
        &mut self,
        path: Option<&[u8]>,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        self.list_lines_of("LIST", path, on_line)
    }

    pub(crate) fn list_lines_of(
        &mut self,
        verb: &str,
        path: Option<&[u8]>,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        match self.enter_to_list(verb, path)? {
            Some(back) => {
                let listed = self.list_lines_here(verb, None, on_line);
                let returned = self.cwd(back.as_bytes());
                listed.and(returned.map(drop))
            }
            None => self.list_lines_here(verb, path, on_line),
        }
    }

    /// Servers pass LIST's and NLST's argument to `ls`, which splits it at spaces and expands
    /// wildcards (Pure-FTPd lists nothing for `LIST sub dir`). Such a directory is listed
    /// from inside it: this goes there and returns the directory to go back to, or `None`
    /// when the path is to be sent as it is (no such characters, MLSD, or not a directory).
    fn enter_to_list(&mut self, verb: &str, path: Option<&[u8]>) -> Result<Option<String>> {
        let Some(p) = path else {
            return Ok(None);
        };
        let ls_style = verb.eq_ignore_ascii_case("LIST") || verb.eq_ignore_ascii_case("NLST");
        if !ls_style
            || !p
                .iter()
                .any(|b| b.is_ascii_whitespace() || b"*?[".contains(b))
        {
            return Ok(None);
        }
        let here = self.pwd()?;
        match self.cwd_for_a_moment(p) {
            Ok(_) => Ok(Some(here)),
            Err(e) if e.reply().is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn list_lines_here(
        &mut self,
        verb: &str,
        path: Option<&[u8]>,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        let command = command_with_optional_path(verb, path)?;
        let transfer_type = self.transfer_type;
        self.read_lines(&command, transfer_type, MAX_LISTING_LINE, &mut |line| {
            if line.is_empty() {
                Flow::Continue
            } else {
                on_line(line)
            }
        })
    }

    /// MLSD as a streaming iterator of parsed entries: lines are parsed as they arrive, never
    /// buffered whole. A line that does not parse yields an `Err` item and the listing goes
    /// on. Dropping the iterator early aborts the listing.
    pub fn mlsd(&mut self, path: Option<&[u8]>) -> Result<Listing<'_>> {
        self.borrowed_listing(ListingKind::Mlsd, path)
    }

    /// LIST parsed into entries (Unix or DOS/IIS style), for servers without MLSD.
    pub fn list_entries(&mut self, path: Option<&[u8]>) -> Result<Listing<'_>> {
        self.borrowed_listing(ListingKind::List, path)
    }

    fn borrowed_listing(&mut self, kind: ListingKind, path: Option<&[u8]>) -> Result<Listing<'_>> {
        let cursor = self.open_listing(kind, path)?;
        Ok(Listing {
            cursor,
            client: self,
        })
    }

    /// Starts a listing whose cursor the caller owns (it does not borrow the session, as
    /// [`Client::mlsd`]'s iterator does): step it with [`Client::next_entry`], end it with
    /// [`Client::close_listing`]. Until then the session's other commands fail with
    /// [`Error::InvalidState`]. Lines are parsed as they arrive, never buffered whole.
    pub fn open_listing(
        &mut self,
        kind: ListingKind,
        path: Option<&[u8]>,
    ) -> Result<ListingCursor> {
        let (verb, format) = match kind {
            ListingKind::Mlsd => ("MLSD", LineFormat::Mlsd),
            ListingKind::List => ("LIST", LineFormat::list_now()),
        };
        let hint = match kind {
            ListingKind::List => self.list_format_hint()?,
            ListingKind::Mlsd => None,
        };
        let reader = self.begin_listing(verb, path)?;
        // One parser for the whole listing: it carries the format detected so far, and the
        // first line of an entry written over two (VMS) or a header (z/OS).
        Ok(ListingCursor {
            reader: Some(reader),
            parser: format.parser(&self.options, hint),
        })
    }

    /// The LIST format to try first on this connection: the one the last listing was in, or
    /// else what SYST says (asked once per connection; not when a format is forced).
    fn list_format_hint(&mut self) -> Result<Option<ListFormat>> {
        if self.options.list_format.is_some() {
            return Ok(None);
        }
        if self.state.list_format.is_none() {
            let syst = self.exchange(&Command::bare("SYST")?)?;
            let hint = syst
                .is_completion()
                .then(|| ListFormat::from_syst(&syst.text()))
                .flatten();
            self.state.list_format = Some(hint);
        }
        Ok(self.state.list_format.flatten())
    }

    /// The next entry of `cursor`: `Ok(Some)`, `Ok(None)` when the listing is complete (its
    /// final reply was 2xx), or an error. A line that does not parse is an error for that line
    /// only: the next call goes on with the next line.
    pub fn next_entry(&mut self, cursor: &mut ListingCursor) -> Result<Option<Entry>> {
        self.next_listing_entry_with(&mut cursor.reader, &mut cursor.parser)
    }

    /// Ends a listing: nothing to do for one read to the end; of one stopped early, a short
    /// rest (up to 256 KiB) is read and dropped and a longer one aborted with ABOR, leaving
    /// the session usable.
    pub fn close_listing(&mut self, mut cursor: ListingCursor) -> Result<()> {
        match cursor.reader.take() {
            Some(reader) => self.stop_listing(reader),
            None => Ok(()),
        }
    }

    /// Starts a listing command; its entries are read with [`Client::next_listing_entry`].
    pub(crate) fn begin_listing(&mut self, verb: &str, path: Option<&[u8]>) -> Result<LineReader> {
        let return_to = self.enter_to_list(verb, path)?;
        let path = if return_to.is_some() { None } else { path };
        let begun = command_with_optional_path(verb, path).and_then(|command| {
            let transfer_type = self.transfer_type;
            self.prepare_data_transfer(transfer_type)?;
            self.begin_transfer(&command, 0)
        });
        let conn = match begun {
            Ok(conn) => conn,
            Err(e) => {
                if let Some(back) = return_to {
                    let _ = self.cwd(back.as_bytes());
                }
                return Err(e);
            }
        };
        let mut reader = LineReader::new(conn, MAX_LISTING_LINE);
        reader.return_to = return_to;
        Ok(reader)
    }

    /// After a listing ended: back to where it was asked from, if it was taken from inside
    /// its directory.
    fn leave_listing(&mut self, return_to: Option<String>) -> Result<()> {
        match return_to {
            Some(back) if self.is_usable() => self.cwd(back.as_bytes()).map(drop),
            _ => Ok(()),
        }
    }

    /// The next entry of a listing begun with [`Client::begin_listing`], parsed with the
    /// listing's own parser: `Ok(None)` when it is complete (the reader is then gone); an error
    /// for a line that does not parse (the listing goes on) or for a failed listing (the reader
    /// is then gone).
    pub(crate) fn next_listing_entry_with(
        &mut self,
        reader: &mut Option<LineReader>,
        parser: &mut LineParser,
    ) -> Result<Option<Entry>> {
        loop {
            let Some(lines) = reader.as_mut() else {
                return Ok(None);
            };
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    let done = reader.take().expect("reader is present");
                    let context = done.conn.command.clone();
                    self.end_transfer(done.conn)?;
                    self.leave_listing(done.return_to)?;
                    if let Some(format) = parser.detected() {
                        self.state.list_format = Some(Some(format));
                    }
                    return parser.finish().map_err(|why| Error::protocol(context, why));
                }
                Err(e) => {
                    let failed = reader.take().expect("reader is present");
                    let context = failed.conn.command.clone();
                    let err = line_error(&context, e, self.options.data_idle_timeout);
                    let err = self.fail_transfer(failed.conn, err);
                    let _ = self.leave_listing(failed.return_to);
                    return Err(err);
                }
            };
            if line.is_empty() {
                continue;
            }
            match parser.feed(line) {
                Ok(Some(entry)) => return Ok(Some(entry)),
                Ok(None) => continue,
                Err(why) => {
                    let context = lines.conn.command.clone();
                    return Err(Error::protocol(context, why));
                }
            }
        }
    }

    /// Ends a listing its reader stopped early. A short rest is read and dropped so the
    /// listing ends as the server meant (Pure-FTPd sends the rest of an aborted listing at the
    /// start of the next one); a long one is aborted with ABOR.
    pub(crate) fn stop_listing(&mut self, reader: LineReader) -> Result<()> {
        let return_to = reader.return_to;
        let mut conn = reader.conn;
        let mut scratch = [0u8; 16 * 1024];
        let mut drained = 0usize;
        let mut at_end = false;
        while drained <= LISTING_DRAIN_LIMIT {
            match std::io::Read::read(&mut conn, &mut scratch) {
                Ok(0) => {
                    at_end = true;
                    break;
                }
                Ok(n) => drained += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let ended = if at_end {
            self.end_transfer(conn).map(drop)
        } else {
            self.abort_transfer(conn)
        };
        let left = self.leave_listing(return_to);
        ended.and(left)
    }

    /// The server's offset from UTC for LIST times, in minutes (for
    /// [`Options::server_utc_offset_minutes`]), measured on one file: the time its LIST line
    /// shows against its MDTM time, which is UTC. Take a file modified within the last six
    /// months, whose LIST line shows the time of day. `Ok(None)` when the line shows no time
    /// of day or the two differ by more than 14 hours.
    pub fn measure_list_utc_offset(&mut self, file: impl AsRef<[u8]>) -> Result<Option<i32>> {
        let file = file.as_ref();
        let mut config = ListConfig::new(Timestamp::from_system_time(SystemTime::now()));
        config.forced = self.options.list_format;
        let mut parser = ListParser::new(config);
        let (mut listed, mut failure) = (None, None);
        self.list_lines(Some(file), &mut |line| {
            match parser.feed(line) {
                Ok(Some(entry)) if listed.is_none() => listed = Some(entry),
                Ok(_) => {}
                Err(why) => {
                    failure.get_or_insert(why);
                }
            }
            Flow::Continue
        })?;
        let Some(entry) = listed else {
            let why = failure.unwrap_or_else(|| "LIST gave no entry for the file".into());
            return Err(Error::protocol("LIST", why));
        };
        let Some(time) = entry.modified() else {
            return Ok(None);
        };
        let shown = [
            format!("{:02}:{:02}", time.hour, time.minute),
            format!("{}:{:02}", time.hour, time.minute),
        ];
        if !shown.iter().any(|t| entry.raw().contains(t.as_str())) {
            return Ok(None);
        }
        let mdtm = self.mdtm(file)?;
        Ok(measure_utc_offset(time, mdtm))
    }

    /// MLST: facts about one path.
    pub fn mlst(&mut self, path: Option<&[u8]>) -> Result<Entry> {
        let command = command_with_optional_path("MLST", path)?;
        let reply = self.expect(&command, |c| c == 250)?;
        parse_mlst_reply(&reply).map_err(|why| Error::protocol(command.shown(), why))
    }
}

/// Which listing command a cursor runs: MLSD (machine-readable facts) or LIST (parsed from
/// the server's `ls`-like lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    Mlsd,
    List,
}

/// A listing being received, owned by the caller rather than borrowing the session (see
/// [`Client::open_listing`]); the C listing handles hold one.
pub struct ListingCursor {
    reader: Option<LineReader>,
    parser: LineParser,
}

impl ListingCursor {
    /// Whether the listing was read to its end (its final reply was read).
    pub fn is_complete(&self) -> bool {
        self.reader.is_none()
    }

    /// Bytes of the listing's lines read so far (line endings not counted), while it is being
    /// received; 0 once it is complete.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.as_ref().map_or(0, |r| r.line_bytes)
    }
}

/// A directory listing being received, borrowing its session; see [`Client::mlsd`] and
/// [`Client::list_entries`].
pub struct Listing<'a> {
    client: &'a mut Client,
    cursor: ListingCursor,
}

impl Listing<'_> {
    /// The next entry: `Ok(Some)`, `Ok(None)` when the listing is complete (its final reply
    /// was 2xx), or an error. A line that does not parse is an error for that line only.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        self.client.next_entry(&mut self.cursor)
    }

    /// Bytes of the listing's lines read so far (line endings not counted), while it is being
    /// received; 0 once it is complete.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.cursor.bytes_read()
    }

    /// Stops the listing early, leaving the control connection usable: a short rest (up to
    /// 256 KiB) is read and dropped, a longer listing is aborted with ABOR.
    pub fn abort(mut self) -> Result<()> {
        match self.cursor.reader.take() {
            Some(reader) => self.client.stop_listing(reader),
            None => Ok(()),
        }
    }
}

impl Iterator for Listing<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        self.next_entry().transpose()
    }
}

impl Drop for Listing<'_> {
    fn drop(&mut self) {
        if let Some(reader) = self.cursor.reader.take() {
            let _ = self.client.stop_listing(reader);
        }
    }
}
