//! Directory listings parsed into one entry type, whichever way the server lists: MLSD/MLST
//! facts (RFC 3659), or, for servers without MLSD, the LIST formats of [`ListFormat`]:
//! Unix `ls -l` (English, CJK and numeric dates), DOS/IIS/Windows CE, VMS, z/OS (data sets,
//! PDS members, JES spool), IBM i (OS/400), HP NonStop (Tandem), NetWare and EPLF.
//!
//! [`ListParser`] reads a listing line by line: it detects the format per line (the format
//! that parsed the previous line and the one SYST suggests are tried first), joins VMS
//! entries written over two lines, and converts the server's local times to UTC with the
//! offset it is given. [`parse_list_line`] is the same for one line on its own.

mod dos;
mod eplf;
mod mlsd;
mod mvs;
mod netware;
mod os400;
mod tandem;
mod unix;
mod vms;

use crate::protocol::Timestamp;

pub use mlsd::{parse_mlsd_line, parse_mlst_reply};

/// What kind of object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// The listed directory itself (`type=cdir`).
    CurrentDir,
    /// Its parent (`type=pdir`).
    ParentDir,
    /// A symbolic link (`l` in LIST, `OS.unix=symlink`/`OS.unix=slink:...` in MLSD).
    Link,
    /// Anything else; the server's own word for it is kept.
    Other(String),
}

/// One listed object. Names are kept both as the server's bytes (to send back unchanged) and
/// decoded lossily as UTF-8 (to show), so one undecodable name never fails a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    // Listings can hold millions of entries: each keeps its name once (a lossy copy only when
    // it is not UTF-8) and no spare capacity.
    name_bytes: Box<[u8]>,
    name_lossy: Option<Box<str>>,
    kind: EntryKind,
    size: Option<u64>,
    modified: Option<Timestamp>,
    link_target: Option<String>,
    /// Facts with lower-cased names, in the order the server gave them.
    facts: Facts,
    raw: Box<str>,
    format: ListFormat,
    /// The time was given with its zone (EPLF, `ls --full-time`): no offset applies to it.
    time_is_utc: bool,
}

impl Entry {
    pub(crate) fn new(
        name_bytes: Vec<u8>,
        kind: EntryKind,
        raw: &[u8],
        format: ListFormat,
    ) -> Entry {
        let name_lossy = match String::from_utf8_lossy(&name_bytes) {
            std::borrow::Cow::Owned(lossy) => Some(lossy.into_boxed_str()),
            std::borrow::Cow::Borrowed(_) => None,
        };
        Entry {
            name_bytes: name_bytes.into_boxed_slice(),
            name_lossy,
            kind,
            size: None,
            modified: None,
            link_target: None,
            facts: Facts::default(),
            raw: String::from_utf8_lossy(raw).into(),
            format,
            time_is_utc: false,
        }
    }

    /// Drops spare capacity once parsing is done.
    pub(crate) fn shrink(mut self) -> Entry {
        self.facts.shrink();
        self
    }

    /// The name as shown (lossy UTF-8).
    pub fn name(&self) -> &str {
        match &self.name_lossy {
            Some(lossy) => lossy,
            None => std::str::from_utf8(&self.name_bytes).unwrap_or_default(),
        }
    }

    /// The name exactly as the server sent it.
    pub fn name_bytes(&self) -> &[u8] {
        &self.name_bytes
    }

    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, EntryKind::Dir)
    }

    pub fn is_file(&self) -> bool {
        matches!(self.kind, EntryKind::File)
    }

    /// `.`/`..` entries and MLSD's `cdir`/`pdir`.
    pub fn is_self_or_parent(&self) -> bool {
        matches!(self.kind, EntryKind::CurrentDir | EntryKind::ParentDir)
            || &*self.name_bytes == b"."
            || &*self.name_bytes == b".."
    }

    /// Size in bytes, when listed.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Last modification time, when listed, in UTC: LIST times, which are the server's local
    /// time, are converted with [`ListConfig::utc_offset_minutes`]. From LIST lines that show
    /// only month and day the year is the most recent one in which the date exists and is not
    /// in the future.
    pub fn modified(&self) -> Option<Timestamp> {
        self.modified
    }

    /// Where a symbolic link points, when the listing says.
    pub fn link_target(&self) -> Option<&str> {
        self.link_target.as_deref()
    }

    /// Any fact by name, case-insensitively: MLSD's own (`perm`, `unique`, `unix.mode`, ...)
    /// and, for LIST lines, `unix.mode`, `unix.owner`, `unix.group`, `unix.nlink` derived from
    /// the line.
    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All facts as (name, value), names lower-cased, in the server's order.
    pub fn facts(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.facts.iter()
    }

    /// `perm` fact (MLSD).
    pub fn perm(&self) -> Option<&str> {
        self.fact("perm")
    }

    /// `unique` fact (MLSD).
    pub fn unique(&self) -> Option<&str> {
        self.fact("unique")
    }

    /// Unix permission bits, from the `unix.mode` fact: one to four octal digits
    /// (pyftpdlib's `0o644` form too), or five or six when the server sends the whole
    /// `st_mode` with its file-type bits, of which the permission bits are kept. Any other
    /// value gives `None`; the fact itself stays readable with [`Entry::fact`].
    pub fn unix_mode(&self) -> Option<u32> {
        let value = self.fact("unix.mode")?;
        let digits = value.strip_prefix("0o").unwrap_or(value);
        if digits.is_empty()
            || digits.len() > 6
            || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
        {
            return None;
        }
        u32::from_str_radix(digits, 8)
            .ok()
            .map(|mode| mode & 0o7777)
    }

    /// The listing line this entry was parsed from (for a VMS entry written over two lines,
    /// both, joined by a line feed), lossily decoded.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The format that parsed the entry ([`ListFormat::Mlsd`] for MLSD and MLST).
    pub fn format(&self) -> ListFormat {
        self.format
    }
}

/// An entry's facts in one string (`name`, `value`, `name`, `value`, ... back to back) and
/// where each piece ends: two allocations however many facts, not two per fact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Facts {
    text: String,
    /// End of each fact's name, then of its value, in `text`.
    ends: Vec<(u32, u32)>,
}

impl Facts {
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len() as u32;
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len() as u32));
    }

    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&(name_end, end)| {
            let (name_end, end) = (name_end as usize, end as usize);
            let fact = (&self.text[start..name_end], &self.text[name_end..end]);
            start = end;
            fact
        })
    }
}

/// A listing format: the one that parsed an entry ([`Entry::format`]), or the one to parse a
/// server's LIST lines with when detection is not wanted ([`ListConfig::forced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListFormat {
    /// MLSD/MLST facts (RFC 3659); times in UTC.
    Mlsd,
    /// `ls -l`: `drwxr-xr-x 2 owner group 4096 Jan  5 12:00 name`, with English, Chinese,
    /// Japanese or Korean month names, or numeric dates (`2019-01-05 12:00`, `01-05 12:00`).
    Unix,
    /// DOS, IIS and Windows CE: `01-05-19  12:00PM  <DIR>  name`, `2019-01-05  12:00
    /// 1,048,576 name`.
    Dos,
    /// OpenVMS: `NAME.TXT;3  12/14  5-JAN-2019 12:00:01  [GROUP,OWNER]  (RWED,RWED,RE,)`,
    /// an entry possibly over two lines; sizes in 512-byte blocks.
    Vms,
    /// IBM z/OS: MVS data sets, PDS members (source and load modules) and JES spool jobs.
    Mvs,
    /// IBM i (OS/400): `OWNER  6409 19/01/05 12:00:01 *STMF  name`, `*DIR`, `*FILE`, `*MEM`.
    Os400,
    /// HP NonStop (Tandem) Guardian: `NAME  101  4096 5-Jan-19 12:00:01 255,0 "NUNU"`.
    Tandem,
    /// Novell NetWare: `- [RWCEAFMS] owner  19968 Jan  5 12:00 name`.
    NetWare,
    /// Easily Parsed LIST Format (D. J. Bernstein): `+i8388621.29609,m824255902,/,\tname`.
    Eplf,
}

impl ListFormat {
    /// The LIST formats in the order detection tries them.
    const DETECTION_ORDER: [ListFormat; 8] = [
        ListFormat::Unix,
        ListFormat::Dos,
        ListFormat::Eplf,
        ListFormat::Vms,
        ListFormat::Os400,
        ListFormat::Mvs,
        ListFormat::Tandem,
        ListFormat::NetWare,
    ];

    /// A short name, as used in error messages: `Unix`, `DOS`, `VMS`, `z/OS`, ...
    pub fn name(self) -> &'static str {
        match self {
            ListFormat::Mlsd => "MLSD",
            ListFormat::Unix => "Unix",
            ListFormat::Dos => "DOS",
            ListFormat::Vms => "VMS",
            ListFormat::Mvs => "z/OS",
            ListFormat::Os400 => "OS/400",
            ListFormat::Tandem => "Tandem",
            ListFormat::NetWare => "NetWare",
            ListFormat::Eplf => "EPLF",
        }
    }

    /// The format a SYST reply suggests (`215 UNIX Type: L8`, `215 Windows_NT`,
    /// `215 VMS`, `215 MVS is the operating system of this server`, `215 OS/400 is the remote
    /// operating system`, `215 NONSTOP`, `215 NETWARE`); `None` when it names nothing known.
    /// Only a hint: servers on Windows and z/OS often list in Unix style.
    pub fn from_syst(reply: &str) -> Option<ListFormat> {
        let text = reply.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '-');
        let upper = text.to_ascii_uppercase();
        let first = upper.split_whitespace().next().unwrap_or("");
        Some(match first {
            _ if first.starts_with("UNIX") || first == "LINUX" || first == "MACOS" => {
                ListFormat::Unix
            }
            "WINDOWS_NT" | "WINDOWS" | "WIN32" | "WINCE" | "DOS" => ListFormat::Dos,
            _ if first.starts_with("VMS") || upper.starts_with("OPENVMS") => ListFormat::Vms,
            "MVS" | "Z/OS" | "OS/390" => ListFormat::Mvs,
            "OS/400" => ListFormat::Os400,
            "NONSTOP" | "TANDEM" | "GUARDIAN" => ListFormat::Tandem,
            "NETWARE" => ListFormat::NetWare,
            _ => return None,
        })
    }
}

/// How a listing's LIST lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListConfig {
    /// The present time in UTC: dates listed without a year are given the most recent year
    /// in which they exist and are not in the future.
    pub now: Timestamp,
    /// The server's local time minus UTC, in minutes (+60 for a server on CET in winter).
    /// LIST times are the server's local time; they are converted to UTC with this. Default
    /// 0. Measure it with [`measure_utc_offset`].
    pub utc_offset_minutes: i32,
    /// Parse every line in this format instead of detecting it.
    pub forced: Option<ListFormat>,
    /// The format SYST suggests ([`ListFormat::from_syst`]), tried first.
    pub hint: Option<ListFormat>,
}

impl ListConfig {
    /// Detection, no offset, `now` as given.
    pub fn new(now: Timestamp) -> ListConfig {
        ListConfig {
            now,
            utc_offset_minutes: 0,
            forced: None,
            hint: None,
        }
    }

    /// Now as the server's clock shows it.
    fn now_local(&self) -> Timestamp {
        Timestamp::from_unix_seconds(
            self.now.unix_seconds() + i64::from(self.utc_offset_minutes) * 60,
        )
    }
}

/// Reads one listing's LIST lines into entries. Feed it the lines in order with
/// [`ListParser::feed`], then call [`ListParser::finish`].
#[derive(Debug, Clone)]
pub struct ListParser {
    config: ListConfig,
    /// The format of the last entry, tried first for the next line.
    last: Option<ListFormat>,
    /// A VMS name whose details are on the next line.
    pending: Option<Vec<u8>>,
    /// Which z/OS listing the header line announced.
    mvs: Option<mvs::Listing>,
}

/// Longest VMS name line kept while waiting for its details.
const MAX_PENDING: usize = 4096;

impl ListParser {
    pub fn new(config: ListConfig) -> ListParser {
        ListParser {
            config,
            last: config.forced,
            pending: None,
            mvs: None,
        }
    }

    /// The format of the last entry parsed (or the forced one).
    pub fn format(&self) -> Option<ListFormat> {
        self.last
    }

    /// One line: `Ok(Some)` for an entry, `Ok(None)` for a line that is not one (`total 12`,
    /// headers and trailers, a VMS name whose details follow), `Err` naming the format tried
    /// for a line that does not parse.
    pub fn feed(&mut self, line: &[u8]) -> Result<Option<Entry>, String> {
        let line = trim_line_end(line);
        if let Some(mut name) = self.pending.take() {
            if line.iter().all(u8::is_ascii_whitespace) {
                self.pending = Some(name);
                return Ok(None);
            }
            // Another name, or a trailer, where the details should be: the first name is
            // reported, the line read as itself.
            if vms::is_name_only(line) || vms::is_noise(line) {
                let lost = format!(
                    "VMS entry without its details: {:?}",
                    String::from_utf8_lossy(&name)
                );
                self.pending = vms::is_name_only(line).then(|| line.to_vec());
                return Err(lost);
            }
            // The name line, then its details: one entry.
            name.push(b'\n');
            name.extend_from_slice(line);
            self.last = Some(ListFormat::Vms);
            return self.finish_entry(vms::parse(&name).map(Some));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if is_unix_total(line) {
            return Ok(None);
        }
        if let Some(forced) = self.config.forced {
            let parsed = self.parse_as(forced, line);
            return self.finish_entry(parsed);
        }
        // The format of the last entry, then the SYST hint, then the others, each tried if the
        // line has its shape: in a listing of one format, one parse a line.
        let order = [self.last, self.config.hint]
            .into_iter()
            .flatten()
            .chain(ListFormat::DETECTION_ORDER);
        let mut tried = 0u16;
        let mut first_error = None;
        for format in order {
            let bit = 1u16 << format as u16;
            if tried & bit != 0 {
                continue;
            }
            tried |= bit;
            if !self.looks_like(format, line) {
                continue;
            }
            match self.parse_as(format, line) {
                Ok(parsed) => {
                    if parsed.is_some() {
                        self.last = Some(format);
                    }
                    return self.finish_entry(Ok(parsed));
                }
                Err(why) => {
                    first_error.get_or_insert(why);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            format!(
                "not a line of any known LIST format: {:?}",
                String::from_utf8_lossy(line)
            )
        }))
    }

    /// The end of the listing: an error when a VMS name line was left without its details.
    pub fn finish(&mut self) -> Result<Option<Entry>, String> {
        match self.pending.take() {
            Some(name) => Err(format!(
                "VMS entry without its details at the end of the listing: {:?}",
                String::from_utf8_lossy(&name)
            )),
            None => Ok(None),
        }
    }

    /// The formats whose shape the line has, the likeliest first.
    fn candidates(&self, line: &[u8]) -> Vec<ListFormat> {
        let mut out = Vec::with_capacity(3);
        let preferred = [self.last, self.config.hint];
        for format in preferred.into_iter().flatten() {
            if !out.contains(&format) && self.looks_like(format, line) {
                out.push(format);
            }
        }
        for format in ListFormat::DETECTION_ORDER {
            if !out.contains(&format) && self.looks_like(format, line) {
                out.push(format);
            }
        }
        out
    }

    fn looks_like(&self, format: ListFormat, line: &[u8]) -> bool {
        match format {
            ListFormat::Mlsd => false,
            ListFormat::Unix => unix::looks_like(line),
            ListFormat::Dos => dos::looks_like(line),
            ListFormat::Vms => vms::looks_like(line),
            ListFormat::Mvs => self.mvs.is_some() || mvs::looks_like(line),
            ListFormat::Os400 => os400::looks_like(line),
            ListFormat::Tandem => tandem::looks_like(line),
            ListFormat::NetWare => netware::looks_like(line),
            ListFormat::Eplf => eplf::looks_like(line),
        }
    }

    fn parse_as(&mut self, format: ListFormat, line: &[u8]) -> Result<Option<Entry>, String> {
        let now = self.config.now_local();
        match format {
            ListFormat::Mlsd => mlsd::parse_mlsd_line(line).map(Some),
            ListFormat::Unix => unix::parse(line, now).map(Some),
            ListFormat::Dos => dos::parse(line).map(Some),
            ListFormat::Vms => {
                if vms::is_noise(line) {
                    return Ok(None);
                }
                if vms::is_name_only(line) {
                    if line.len() > MAX_PENDING {
                        return Err(format!(
                            "VMS name line longer than {MAX_PENDING} bytes: {:?}",
                            String::from_utf8_lossy(&line[..64])
                        ));
                    }
                    self.pending = Some(line.to_vec());
                    return Ok(None);
                }
                vms::parse(line).map(Some)
            }
            ListFormat::Mvs => {
                if let Some(kind) = mvs::header(line) {
                    self.mvs = Some(kind);
                    return Ok(None);
                }
                mvs::parse(line, self.mvs).map(Some)
            }
            ListFormat::Os400 => os400::parse(line).map(Some),
            ListFormat::Tandem => {
                if tandem::is_header(line) {
                    return Ok(None);
                }
                tandem::parse(line).map(Some)
            }
            ListFormat::NetWare => netware::parse(line, now).map(Some),
            ListFormat::Eplf => eplf::parse(line).map(Some),
        }
    }

    /// Server-local times to UTC.
    fn finish_entry(&self, parsed: Result<Option<Entry>, String>) -> Result<Option<Entry>, String> {
        let mut entry = match parsed? {
            Some(entry) => entry,
            None => return Ok(None),
        };
        if let (Some(time), false) = (entry.modified, entry.time_is_utc) {
            let offset = i64::from(self.config.utc_offset_minutes) * 60;
            if offset != 0 {
                let utc = Timestamp::from_unix_seconds(time.unix_seconds() - offset);
                entry.modified = Some(Timestamp {
                    nanosecond: time.nanosecond,
                    ..utc
                });
            }
        }
        Ok(Some(entry.shrink()))
    }
}

fn is_unix_total(line: &[u8]) -> bool {
    let rest = match line.strip_prefix(b"total") {
        Some(rest) => rest,
        None => return false,
    };
    let rest = rest.strip_prefix(b":").unwrap_or(rest);
    let digits = rest.trim_ascii();
    !rest.is_empty()
        && rest[0] == b' '
        && !digits.is_empty()
        && digits
            .iter()
            .all(|b| b.is_ascii_digit() || b"KMGkmg.,".contains(b))
}

/// The format a LIST line has the shape of (Unix when none fits). [`ListParser`] does this
/// for every line, trying the formats that fit until one parses.
pub fn detect_list_format(line: &[u8]) -> ListFormat {
    let parser = ListParser::new(ListConfig::new(Timestamp::from_unix_seconds(0)));
    parser
        .candidates(trim_line_end(line))
        .first()
        .copied()
        .unwrap_or(ListFormat::Unix)
}

/// Parses one LIST line in whichever format it is, with no offset from UTC. `Ok(None)` for
/// lines that are not entries (`total 12`, blank lines, headers); `Err` naming the format
/// tried for lines that cannot be parsed. `now` anchors the year of dates listed without
/// one. A VMS entry over two lines needs [`ListParser`].
pub fn parse_list_line(line: &[u8], now: Timestamp) -> Result<Option<Entry>, String> {
    parse_list_line_with(line, &ListConfig::new(now))
}

/// [`parse_list_line`] with an offset, a forced format or a SYST hint.
pub fn parse_list_line_with(line: &[u8], config: &ListConfig) -> Result<Option<Entry>, String> {
    let mut parser = ListParser::new(*config);
    match parser.feed(line)? {
        Some(entry) => Ok(Some(entry)),
        None => parser.finish(),
    }
}

/// The server's offset from UTC in minutes, from one file's LIST time (parsed with an offset
/// of 0, so the server's local time as it shows it) and its MDTM time (UTC, RFC 3659).
/// LIST shows minutes, so the difference is rounded to the nearest quarter hour; `None` when
/// it is more than 14 hours either way (the LIST time was not that file's, or had no time of
/// day). Use a file modified within the last six months, whose LIST line shows the time.
pub fn measure_utc_offset(listed: Timestamp, mdtm: Timestamp) -> Option<i32> {
    let difference = listed.unix_seconds() - mdtm.unix_seconds();
    let quarters = (difference as f64 / 900.0).round() as i64;
    let minutes = quarters * 15;
    (minutes.abs() <= 14 * 60).then_some(minutes as i32)
}

/// `Jan`..`Dec`, any case; `Sept` and full English names too.
pub(crate) fn english_month(tok: &[u8]) -> Option<u8> {
    const MONTHS: [&[u8]; 12] = [
        b"january",
        b"february",
        b"march",
        b"april",
        b"may",
        b"june",
        b"july",
        b"august",
        b"september",
        b"october",
        b"november",
        b"december",
    ];
    let tok = tok.strip_suffix(b".").unwrap_or(tok);
    if tok.len() < 3 || tok.len() > 9 || !tok[0].is_ascii_alphabetic() {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| {
            let fits = tok.len() == 3 || tok.len() == m.len() || tok.eq_ignore_ascii_case(b"sept");
            fits && m.len() >= tok.len() && m[..tok.len()].eq_ignore_ascii_case(tok)
        })
        .map(|p| p as u8 + 1)
}

/// `HH:MM` or `HH:MM:SS`, optionally with a fraction of a second (`12:00:01.25`).
pub(crate) fn time_of_day(tok: &[u8]) -> Option<(u8, u8, u8, u32)> {
    let (clock, fraction) = match tok.iter().position(|&b| b == b'.') {
        Some(dot) => (&tok[..dot], Some(&tok[dot + 1..])),
        None => (tok, None),
    };
    let mut parts = clock.split(|&b| b == b':');
    let hour = small_number(parts.next()?, 1, 2)?;
    let minute = small_number(parts.next()?, 2, 2)?;
    let second = match parts.next() {
        Some(s) => small_number(s, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let nanosecond = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.iter().all(u8::is_ascii_digit) => {
            let digits: Vec<u8> = f
                .iter()
                .copied()
                .chain(std::iter::repeat(b'0'))
                .take(9)
                .collect();
            std::str::from_utf8(&digits).ok()?.parse().ok()?
        }
        Some(_) => return None,
    };
    Some((hour as u8, minute as u8, second as u8, nanosecond))
}

/// A number of `min..=max` ASCII digits.
pub(crate) fn small_number(tok: &[u8], min: usize, max: usize) -> Option<u32> {
    if tok.len() < min || tok.len() > max || !tok.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(tok).ok()?.parse().ok()
}

/// A date listed without a year (`Jan  5 12:00`): the most recent year in which it exists
/// and is not in the future. A day ahead of `now` is allowed for a server whose clock is
/// ahead of UTC and whose offset was not given. `None` for a date that exists in no year
/// (`Nov 31`, `Feb 30`).
pub(crate) fn recent_date(
    now: Timestamp,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
) -> Option<Timestamp> {
    // February 29 recurs within eight years (1896 to 1904 is the longest gap).
    (now.year - 8..=now.year + 1).rev().find_map(|year| {
        let time = Timestamp::new(year, month, day, hour, minute, 0)?;
        (time.unix_seconds() <= now.unix_seconds() + 86_400).then_some(time)
    })
}

/// A size with or without thousands separators (`1048576`, `1,048,576`, `1.048.576`): the
/// groups after the first are of exactly three digits.
pub(crate) fn grouped_size(tok: &[u8]) -> Option<u64> {
    if let Some(plain) = parse_u64(tok) {
        return Some(plain);
    }
    let separator = *tok.iter().find(|b| !b.is_ascii_digit())?;
    if separator != b',' && separator != b'.' && separator != b'\'' {
        return None;
    }
    let mut groups = tok.split(|&b| b == separator);
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut digits = first.to_vec();
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        digits.extend_from_slice(group);
    }
    parse_u64(&digits)
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut line = line;
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

/// Splits a line into whitespace-separated tokens with their byte offsets.
pub(crate) fn tokens(line: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < line.len() && !line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            out.push((start, &line[start..i]));
        }
    }
    out
}

pub(crate) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::new(2024, 6, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn detects_formats_and_skips_noise() {
        assert_eq!(parse_list_line(b"total 12", now()), Ok(None));
        assert_eq!(parse_list_line(b"total: 1.5M", now()), Ok(None));
        assert_eq!(parse_list_line(b"   \r\n", now()), Ok(None));
        for (line, format) in [
            (&b"01-02-20  10:00AM  <DIR>  x"[..], ListFormat::Dos),
            (b"-rw-r--r-- 1 a b 1 Jan 1 2020 x", ListFormat::Unix),
            (b"LOGIN.COM;3  12/14  5-JAN-2019 12:00:01", ListFormat::Vms),
            (b"+i1.2,m824255902,r,s5,\tx", ListFormat::Eplf),
            (
                b"QSYSOPR  6409 19/01/05 12:00:02 *STMF  x",
                ListFormat::Os400,
            ),
            (
                b"WORK01 3390   2019/01/05  1   15  FB  80  3120  PS  X.Y",
                ListFormat::Mvs,
            ),
            (b"NIGHTLY  JOB01234 USER1    OUTPUT A", ListFormat::Mvs),
            (
                b"PAYROLL  101  16384  5-Jan-19 12:00:01  255,12 \"NUNU\"",
                ListFormat::Tandem,
            ),
            (
                b"- [RWCEAFMS] alice  19968 Mar 12 15:20 x",
                ListFormat::NetWare,
            ),
        ] {
            assert_eq!(
                detect_list_format(line),
                format,
                "{}",
                String::from_utf8_lossy(line)
            );
            let entry = parse_list_line(line, now()).unwrap().unwrap();
            assert_eq!(entry.format(), format, "{}", String::from_utf8_lossy(line));
            assert_eq!(entry.raw().as_bytes(), line);
        }
        let err = parse_list_line(b"garbage line here", now()).unwrap_err();
        assert!(err.contains("not a line of any known LIST format"), "{err}");
    }

    #[test]
    fn forced_format_and_syst_hint() {
        let mut config = ListConfig::new(now());
        config.forced = Some(ListFormat::Dos);
        let err = parse_list_line_with(b"-rw-r--r-- 1 a b 1 Jan 1 2020 x", &config).unwrap_err();
        assert!(err.contains("DOS LIST line"), "{err}");
        config.forced = Some(ListFormat::Unix);
        let err = parse_list_line_with(b"01-02-20  10:00AM  <DIR>  x", &config).unwrap_err();
        assert!(err.contains("Unix LIST line"), "{err}");
        assert_eq!(
            ListFormat::from_syst("215 UNIX Type: L8"),
            Some(ListFormat::Unix)
        );
        assert_eq!(
            ListFormat::from_syst("215 Windows_NT"),
            Some(ListFormat::Dos)
        );
        assert_eq!(
            ListFormat::from_syst("215 VMS V7.3 is the operating system"),
            Some(ListFormat::Vms)
        );
        assert_eq!(
            ListFormat::from_syst(
                "215 MVS is the operating system of this server. FTP Server is running on z/OS."
            ),
            Some(ListFormat::Mvs)
        );
        assert_eq!(
            ListFormat::from_syst(
                "215 OS/400 is the remote operating system. The TCP/IP version is \"V7R3M0\"."
            ),
            Some(ListFormat::Os400)
        );
        assert_eq!(
            ListFormat::from_syst("215 NETWARE Type: L8"),
            Some(ListFormat::NetWare)
        );
        assert_eq!(
            ListFormat::from_syst("215 NONSTOP"),
            Some(ListFormat::Tandem)
        );
        assert_eq!(ListFormat::from_syst("215 Plan 9"), None);
        // A hint is tried first but does not stop detection.
        config.forced = None;
        config.hint = Some(ListFormat::Dos);
        let e = parse_list_line_with(b"-rw-r--r-- 1 a b 1 Jan 1 2020 x", &config)
            .unwrap()
            .unwrap();
        assert_eq!(e.format(), ListFormat::Unix);
    }

    #[test]
    fn parser_prefers_the_last_format_and_reports_it() {
        let mut parser = ListParser::new(ListConfig::new(now()));
        assert_eq!(parser.format(), None);
        parser
            .feed(b"01-02-20  10:00AM  <DIR>  x")
            .unwrap()
            .unwrap();
        assert_eq!(parser.format(), Some(ListFormat::Dos));
        // Then a bad line of that shape: the error names DOS.
        let err = parser.feed(b"01-02-20  10:00AM  <DIX>  y").unwrap_err();
        assert!(err.contains("DOS LIST line"), "{err}");
        parser
            .feed(b"-rw-r--r-- 1 a b 1 Jan 1 2020 z")
            .unwrap()
            .unwrap();
        assert_eq!(parser.format(), Some(ListFormat::Unix));
    }

    #[test]
    fn measuring_the_offset() {
        let mdtm = Timestamp::new(2024, 5, 31, 10, 15, 42).unwrap();
        let listed = Timestamp::new(2024, 5, 31, 12, 15, 0).unwrap();
        assert_eq!(measure_utc_offset(listed, mdtm), Some(120));
        let listed = Timestamp::new(2024, 5, 31, 4, 45, 0).unwrap();
        assert_eq!(measure_utc_offset(listed, mdtm), Some(-330));
        let listed = Timestamp::new(2024, 5, 31, 10, 15, 0).unwrap();
        assert_eq!(measure_utc_offset(listed, mdtm), Some(0));
        let listed = Timestamp::new(2024, 5, 31, 0, 0, 0).unwrap();
        assert_eq!(
            measure_utc_offset(listed, Timestamp::new(2024, 6, 1, 0, 0, 0).unwrap()),
            None
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(grouped_size(b"1,048,576"), Some(1_048_576));
        assert_eq!(grouped_size(b"1'048'576"), Some(1_048_576));
        assert_eq!(grouped_size(b"1,048.576"), None);
        assert_eq!(grouped_size(b"1048,576"), None);
        assert_eq!(english_month(b"SEPT"), Some(9));
        assert_eq!(english_month(b"june"), Some(6));
        assert_eq!(english_month(b"jun."), Some(6));
        assert_eq!(english_month(b"ju"), None);
        assert_eq!(english_month(b"janu"), None);
        assert_eq!(recent_date(now(), 11, 31, 0, 0), None);
        assert_eq!(time_of_day(b"12:00:01.5"), Some((12, 0, 1, 500_000_000)));
        assert_eq!(time_of_day(b"12:0"), None);
    }
}
