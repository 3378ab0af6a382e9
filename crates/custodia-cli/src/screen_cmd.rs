//! `custodia screen`: docs/rules.md over a person file, with the output contract of docs/command-line.md.
//!
//! Built to stream millions of rows: the file is read in 256 KiB chunks cut at record boundaries,
//! chunks are parsed and screened in parallel on every core into per-chunk output buffers (no
//! allocation per row), and a single writer emits them in input order. Duplicate ids are decided by
//! the writer, in order, against a fingerprint set — the only state that grows with the input.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use custodia_core::csv::{Delimiter, last_record_end, write_field, write_json_string};
use custodia_core::eligibility::{Decision, Outcome, Rule, Screener, SentenceFacts};
use custodia_core::person::{Column, PersonHeader, PersonRecord, RowError};
use custodia_core::table::{self, Row, Rows};
use custodia_core::{Agreement, Date};
use rayon::prelude::*;

use crate::output::AtomicOutput;
use crate::{CmdResult, Failure, agreement_cmd};

/// Chunks are small and batches large, so the cores rarely wait for each other at the end of a
/// batch; memory stays at a few batches (about 30 MiB of buffers) whatever the file size.
const CHUNK_BYTES: usize = 256 << 10;
/// Chunks per batch, per thread.
const CHUNKS_PER_THREAD: usize = 8;
/// Longest record accepted; a longer one (typically an unclosed quote) makes the file unreadable.
const MAX_RECORD_BYTES: usize = 16 << 20;
/// Files larger than this get a progress line on a terminal.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

const AFTER_HELP: &str = "\
Output (docs/command-line.md), in input order: CSV `person_id,decision,reasons` with a header, or with
--format jsonl one JSON object per line with the same keys. decision is eligible, ineligible, review,
or invalid for a row that cannot be read (reasons then starts with `INPUT:` and names the column).
reasons lists every rule that did not pass, failures as E07 and unknowns as E02?, joined by `;`.
A summary (counts per decision and per rule, then header names that are no column and columns the
header lacks) goes to standard error. The file may be comma- or semicolon-separated (--delimiter, or
detected from the header), with LF, CRLF or CR line endings and an optional byte-order mark.

Exit status: 0 whenever the agreement and the file could be read, even if rows are invalid; 2 when
the agreement or the file itself cannot be read (missing file, no header, no person_id column).

Examples:
  custodia synth persons --count 1000000 --seed 1 --out persons.csv
  custodia screen --agreement examples/agreements/us-sv-cecot.toml --persons persons.csv \\
      --as-of 2025-06-01 --out decisions.csv
  custodia screen --agreement examples/agreements/us-sv-cecot.toml --persons persons.csv \\
      --as-of 2025-06-01 --explain P000000042";

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Arguments of `custodia screen`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct ScreenArgs {
    /// The agreement file (TOML) whose eligibility rules apply.
    #[arg(long, value_name = "FILE")]
    agreement: PathBuf,
    /// The sending state's person file (CSV, docs/person-file.md).
    #[arg(long, value_name = "FILE")]
    persons: PathBuf,
    /// The date the rules are evaluated on, YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    as_of: Date,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write the decisions to FILE (atomically: complete or not at all) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Instead of screening the file, explain every rule's outcome for one person (first row with
    /// this person_id).
    #[arg(long, value_name = "PERSON_ID", conflicts_with_all = ["out", "format"])]
    explain: Option<String>,
    /// Field delimiter of the person file: `,` or `;` (default: detected from the header line).
    #[arg(long, value_name = ",|;", value_parser = parse_delimiter_arg)]
    delimiter: Option<Delimiter>,
}

/// Parses `--delimiter`: `,` or `;` (also `comma`, `semicolon`).
pub(crate) fn parse_delimiter_arg(text: &str) -> Result<Delimiter, String> {
    Delimiter::parse(text).ok_or_else(|| format!("{text:?} is not a delimiter: use , or ;"))
}

/// What the writer needs to know about one screened row.
#[derive(Debug, Clone, Copy)]
struct RowMeta {
    /// Fingerprint of the raw person_id, 0 when it is empty (empty ids are never duplicates).
    fingerprint: u64,
    /// The row's output line in the chunk buffer.
    line_start: u32,
    line_end: u32,
    /// Length of the line's prefix that echoes the person id (through the separator after it).
    prefix_len: u32,
    decision: RowDecision,
    /// Bit n: rule n failed; bit 16 + n: rule n unknown.
    rule_bits: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowDecision {
    Screened(Decision),
    Invalid,
}

/// One chunk's results.
#[derive(Debug, Default)]
struct ChunkOut {
    out: Vec<u8>,
    rows: Vec<RowMeta>,
}

/// Shared, read-only context for workers.
struct Context<'a> {
    header: &'a PersonHeader,
    delimiter: Delimiter,
    screener: &'a Screener,
    as_of: Date,
    format: Format,
}

/// Screening totals for the summary.
#[derive(Debug, Default)]
struct Summary {
    rows: u64,
    eligible: u64,
    ineligible: u64,
    review: u64,
    invalid: u64,
    fails: [u64; 15],
    unknowns: [u64; 15],
}

impl Summary {
    fn add(&mut self, decision: RowDecision, rule_bits: u32) {
        self.rows += 1;
        match decision {
            RowDecision::Screened(Decision::Eligible) => self.eligible += 1,
            RowDecision::Screened(Decision::Ineligible) => self.ineligible += 1,
            RowDecision::Screened(Decision::Review) => self.review += 1,
            RowDecision::Invalid => self.invalid += 1,
        }
        for i in 0..15 {
            if rule_bits & (1 << i) != 0
                && let Some(n) = self.fails.get_mut(i)
            {
                *n += 1;
            }
            if rule_bits & (1 << (16 + i)) != 0
                && let Some(n) = self.unknowns.get_mut(i)
            {
                *n += 1;
            }
        }
    }
}

/// Fingerprints of every non-empty person_id seen so far: open addressing with linear probing,
/// sized from an estimate of the row count so it rarely grows. Eight bytes per slot.
///
/// Ids are compared by 64-bit xxh3 fingerprint: two different ids collide with probability about
/// n²/2⁶⁵ (7·10⁻⁷ for five million rows), in which case the later row would be reported as a
/// duplicate. That is the price of memory independent of id length.
struct FingerprintSet {
    slots: Vec<u64>,
    len: usize,
}

impl FingerprintSet {
    fn with_capacity(expected: usize) -> Self {
        let slots = (expected.max(1024) / 3 * 4).max(1024);
        Self { slots: zeroed_by_writing(slots), len: 0 }
    }

    fn slot_of(&self, fingerprint: u64) -> usize {
        ((u128::from(fingerprint) * self.slots.len() as u128) >> 64) as usize
    }

    /// Loads the slot where `fingerprint` would go, to warm the cache for a coming insert.
    fn touch(&self, fingerprint: u64) {
        std::hint::black_box(self.slots.get(self.slot_of(fingerprint)).copied());
    }

    /// Inserts; false if it was already present.
    fn insert(&mut self, fingerprint: u64) -> bool {
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mut i = self.slot_of(fingerprint);
        loop {
            match self.slots.get_mut(i) {
                Some(slot) if *slot == 0 => {
                    *slot = fingerprint;
                    self.len += 1;
                    return true;
                }
                Some(slot) if *slot == fingerprint => return false,
                Some(_) => i += 1,
                None => i = 0,
            }
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = zeroed_by_writing(old.len() / 2 * 3 + 1024);
        self.len = 0;
        for fingerprint in old.into_iter().filter(|f| *f != 0) {
            self.insert(fingerprint);
        }
    }
}

/// A zeroed table whose pages are written now, by this thread. `vec![0; n]` would map the shared
/// zero page lazily, and the first write to each page later costs a fault plus a TLB shootdown
/// across every thread of the process — measurable when screening millions of rows.
#[allow(clippy::slow_vector_initialization)] // deliberately not vec![0; n]: see above
fn zeroed_by_writing(slots: usize) -> Vec<u64> {
    let mut table = Vec::with_capacity(slots);
    table.resize(slots, 0);
    table
}

fn fingerprint(id: &[u8]) -> u64 {
    if id.is_empty() {
        return 0;
    }
    // 0 marks an empty slot; map the (astronomically unlikely) zero hash elsewhere.
    xxhash_rust::xxh3::xxh3_64(id).max(1)
}

fn write_prefix(out: &mut Vec<u8>, format: Format, person_id: &[u8]) {
    match format {
        Format::Csv => {
            write_field(out, person_id);
            out.push(b',');
        }
        Format::Jsonl => {
            out.extend_from_slice(b"{\"person_id\":");
            write_json_string(out, &String::from_utf8_lossy(person_id));
            out.push(b',');
        }
    }
}

fn write_rest(out: &mut Vec<u8>, format: Format, decision: &str, reasons: &[u8]) {
    match format {
        Format::Csv => {
            out.extend_from_slice(decision.as_bytes());
            out.push(b',');
            write_field(out, reasons);
            out.push(b'\n');
        }
        Format::Jsonl => {
            out.extend_from_slice(b"\"decision\":\"");
            out.extend_from_slice(decision.as_bytes());
            out.extend_from_slice(b"\",\"reasons\":");
            write_json_string(out, &String::from_utf8_lossy(reasons));
            out.extend_from_slice(b"}\n");
        }
    }
}

fn invalid_reason(message: &str) -> Vec<u8> {
    format!("INPUT: {message}").into_bytes()
}

/// Screens every record of one chunk.
fn screen_chunk(ctx: &Context<'_>, chunk: &[u8], result: &mut ChunkOut) {
    result.out.clear();
    result.rows.clear();
    let mut reasons: Vec<u8> = Vec::with_capacity(64);
    let pid_position = ctx.header.position(Column::PersonId).unwrap_or(0);
    // Chunks carry no line numbers: the output is in input order, one line per row.
    let mut rows = Rows::new(chunk, ctx.delimiter, ctx.header.field_count(), 0);
    while let Some(row) = rows.next() {
        let line_start = result.out.len();
        // A record that ends inside an open quote fails to split, like any other broken quoting.
        let person_id = row.fields.get(pid_position).unwrap_or_default();
        let outcome = screen_row(ctx, &row, &mut reasons);
        let fingerprint = fingerprint(person_id);
        write_prefix(&mut result.out, ctx.format, person_id);
        let prefix_len = result.out.len() - line_start;
        let (decision, rule_bits) = match outcome {
            Ok((decision, bits)) => {
                write_rest(&mut result.out, ctx.format, decision.as_str(), &reasons);
                (RowDecision::Screened(decision), bits)
            }
            Err(message) => {
                write_rest(&mut result.out, ctx.format, "invalid", &invalid_reason(&message));
                (RowDecision::Invalid, 0)
            }
        };
        result.rows.push(RowMeta {
            fingerprint,
            line_start: line_start as u32,
            line_end: result.out.len() as u32,
            prefix_len: prefix_len as u32,
            decision,
            rule_bits,
        });
    }
}

/// Reads and screens one row as every person reader does ([`PersonRecord::from_row`]); writes
/// its reasons into `reasons`.
fn screen_row(ctx: &Context<'_>, row: &Row<'_>, reasons: &mut Vec<u8>) -> Result<(Decision, u32), String> {
    reasons.clear();
    let person = PersonRecord::from_row(ctx.header, row).map_err(|e| e.to_string())?;
    let screening = ctx.screener.screen(&person, ctx.as_of).map_err(|e: RowError| e.to_string())?;
    let mut bits = 0u32;
    for (rule, outcome) in screening.outcomes() {
        let n = rule as u32;
        match outcome {
            Outcome::Fail => bits |= 1 << n,
            Outcome::Unknown => bits |= 1 << (16 + n),
            Outcome::Pass => {}
        }
    }
    // The decision and the reasons from the bits, as Screening::decision and write_reasons give
    // them (one pass over the rules instead of three).
    let decision = if bits & 0xFFFF != 0 {
        Decision::Ineligible
    } else if bits != 0 {
        Decision::Review
    } else {
        Decision::Eligible
    };
    for rule in Rule::ALL {
        let n = rule as u32;
        let (fail, unknown) = (bits & (1 << n) != 0, bits & (1 << (16 + n)) != 0);
        if !fail && !unknown {
            continue;
        }
        if !reasons.is_empty() {
            reasons.push(b';');
        }
        reasons.extend_from_slice(rule.code().as_bytes());
        if unknown {
            reasons.push(b'?');
        }
    }
    Ok((decision, bits))
}

/// Reads the file in chunks that end at record boundaries.
struct ChunkReader {
    file: File,
    delimiter: Delimiter,
    carry: Vec<u8>,
    eof: bool,
    bytes_read: u64,
}

impl ChunkReader {
    /// Fills `buf` with the next chunk of whole records; false at the end of the file.
    fn next_chunk(&mut self, buf: &mut Vec<u8>) -> Result<bool, Failure> {
        buf.clear();
        buf.append(&mut self.carry);
        if buf.len() < CHUNK_BYTES {
            self.fill(buf, CHUNK_BYTES - buf.len())?;
        }
        loop {
            if self.eof {
                return Ok(!buf.is_empty());
            }
            if let Some(end) = last_record_end(buf, self.delimiter) {
                self.carry.extend_from_slice(buf.get(end..).unwrap_or_default());
                buf.truncate(end);
                return Ok(true);
            }
            if buf.len() > MAX_RECORD_BYTES {
                return Err(Failure::Input(format!(
                    "a record is longer than {} MiB (is a quoted field never closed?)",
                    MAX_RECORD_BYTES >> 20
                )));
            }
            // No record boundary yet: read more.
            self.fill(buf, CHUNK_BYTES)?;
        }
    }

    /// Appends up to `bytes` bytes (fewer only at the end of the file, which sets `eof`). Reads
    /// into spare capacity, so recycled buffers are never zeroed.
    fn fill(&mut self, buf: &mut Vec<u8>, bytes: usize) -> Result<(), Failure> {
        let n = (&mut self.file)
            .take(bytes as u64)
            .read_to_end(buf)
            .map_err(|e| Failure::Input(format!("cannot read the person file: {e}")))?;
        self.bytes_read += n as u64;
        if n < bytes {
            self.eof = true;
        }
        Ok(())
    }
}

/// Opens the person file and reads its header (through [`table::read_start`]: byte-order mark,
/// blank lines, delimiter). Everything that makes the *file* unreadable is reported here, before
/// any output is written.
fn open_persons(path: &Path, delimiter: Option<Delimiter>) -> Result<(ChunkReader, PersonHeader, u64), Failure> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| Failure::Input(format!("{shown}: cannot open: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Record ends do not depend on the delimiter unless a quoted field follows a `;`; the header
    // decides, and chunks are cut with the delimiter it names.
    let mut reader =
        ChunkReader { file, delimiter: delimiter.unwrap_or_default(), carry: Vec::new(), eof: false, bytes_read: 0 };
    let mut first = Vec::new();
    let mut held = Vec::new();
    loop {
        if !reader.next_chunk(&mut first)? {
            return Err(Failure::Input(format!("{shown}: the file has no header row")));
        }
        held.append(&mut first);
        let start = table::read_start(&held, delimiter, PersonHeader::COLUMNS)
            .map_err(|e| Failure::Input(format!("{shown}: {e}")))?;
        let Some(start) = start else { continue };
        reader.delimiter = start.delimiter;
        // Put the rest of what was read back in front of what the reader carries.
        let mut carry = held.get(start.body_offset..).unwrap_or_default().to_vec();
        carry.append(&mut reader.carry);
        reader.carry = carry;
        return Ok((reader, PersonHeader::from_header(start.header), size));
    }
}

pub(crate) fn run(args: &ScreenArgs) -> CmdResult {
    let agreement = agreement_cmd::load(&args.agreement)?;
    if let Some(id) = &args.explain {
        return explain(args, &agreement, id);
    }
    let screener = Screener::new(&agreement).for_date(args.as_of);
    let (reader, header, file_size) = open_persons(&args.persons, args.delimiter)?;
    let delimiter = reader.delimiter;
    let ctx = Context { header: &header, delimiter, screener: &screener, as_of: args.as_of, format: args.format };
    let mut sink = AtomicOutput::new(args.out.as_deref())?;
    if args.format == Format::Csv {
        sink.write_all(b"person_id,decision,reasons\n")?;
    }
    let progress = std::io::stderr().is_terminal() && file_size >= PROGRESS_MIN_BYTES;
    // The binary is the edge: it may read the clock, here only to report the elapsed time.
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let summary = pipeline(&ctx, reader, file_size, &mut sink, progress)?;
    sink.commit()?;
    if progress {
        let _ = writeln!(std::io::stderr());
    }
    print_summary(&agreement, args.as_of, &summary, started.elapsed());
    if let Some(notes) = header.table().column_notes() {
        let _ = writeln!(std::io::stderr(), "  {notes}");
    }
    Ok(())
}

/// A batch of chunks and their results.
#[derive(Default)]
struct Batch {
    inputs: Vec<Vec<u8>>,
    outputs: Vec<ChunkOut>,
}

/// Three stages overlap: a reader thread fills chunks ahead; the rayon pool screens batch k while
/// one of its threads writes batch k − 1 in order (duplicates are decided there). Buffers are
/// recycled, so memory stays at a few batches whatever the file size.
fn pipeline(
    ctx: &Context<'_>,
    mut reader: ChunkReader,
    file_size: u64,
    sink: &mut AtomicOutput,
    progress: bool,
) -> Result<Summary, Failure> {
    let batch_chunks = rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(batch_chunks * 2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let mut summary = Summary::default();
    let mut seen: Option<FingerprintSet> = None;
    std::thread::scope(|scope| -> Result<(), Failure> {
        let reading = scope.spawn(move || -> Result<u64, Failure> {
            loop {
                let mut buf = empty_rx.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES * 2));
                if !reader.next_chunk(&mut buf)? {
                    return Ok(reader.bytes_read);
                }
                if full_tx.send(buf).is_err() {
                    return Ok(reader.bytes_read); // the writer stopped; its error is reported
                }
            }
        });
        let mut previous: Option<Batch> = None;
        let mut spare: Vec<ChunkOut> = Vec::new();
        let mut bytes_done = 0u64;
        loop {
            let mut current = Batch::default();
            while current.inputs.len() < batch_chunks {
                match full_rx.recv() {
                    Ok(buf) => {
                        bytes_done += buf.len() as u64;
                        current.inputs.push(buf);
                    }
                    Err(_) => break,
                }
            }
            current.outputs.resize_with(current.inputs.len(), || spare.pop().unwrap_or_default());
            if current.inputs.is_empty() && previous.is_none() {
                break;
            }
            let (screened, written) = rayon::join(
                || {
                    current
                        .inputs
                        .par_iter()
                        .zip(current.outputs.par_iter_mut())
                        .for_each(|(chunk, out)| screen_chunk(ctx, chunk, out));
                },
                || -> Result<(), Failure> {
                    let Some(batch) = &previous else { return Ok(()) };
                    let seen = seen.get_or_insert_with(|| estimate_set(batch, file_size));
                    for out in &batch.outputs {
                        write_in_order(out, seen, &mut summary, sink, ctx.format)?;
                    }
                    Ok(())
                },
            );
            let () = screened;
            written?;
            if let Some(done) = previous.take() {
                for buf in done.inputs {
                    let _ = empty_tx.send(buf);
                }
                spare.extend(done.outputs);
            }
            if progress {
                let percent = bytes_done.saturating_mul(100) / file_size.max(1);
                let _ = write!(std::io::stderr(), "\rscreening: {percent:>3}% ({} rows)", summary.rows);
            }
            previous = if current.inputs.is_empty() { None } else { Some(current) };
        }
        drop(full_rx);
        reading.join().map_err(|_| Failure::Other(anyhow::anyhow!("the reader thread panicked")))??;
        Ok(())
    })?;
    Ok(summary)
}

/// Sizes the duplicate index from the first batch's bytes per row, so it rarely has to grow.
fn estimate_set(batch: &Batch, file_size: u64) -> FingerprintSet {
    let rows: u64 = batch.outputs.iter().map(|o| o.rows.len() as u64).sum::<u64>().max(1);
    let bytes: u64 = batch.inputs.iter().map(|c| c.len() as u64).sum::<u64>().max(1);
    FingerprintSet::with_capacity((file_size / bytes * rows + rows) as usize)
}

fn write_in_order(
    out: &ChunkOut,
    seen: &mut FingerprintSet,
    summary: &mut Summary,
    sink: &mut AtomicOutput,
    format: Format,
) -> Result<(), Failure> {
    // Runs of rows that are not duplicates are written with one call.
    let mut run_start: Option<usize> = None;
    let mut run_end = 0usize;
    let mut line = Vec::new();
    const LOOKAHEAD: usize = 8;
    for (i, row) in out.rows.iter().enumerate() {
        // Read the slot a few rows ahead so the cache misses of the index overlap instead of
        // queueing one after another (the only sequential work in screening).
        if let Some(ahead) = out.rows.get(i + LOOKAHEAD) {
            seen.touch(ahead.fingerprint);
        }
        // Every earlier row counts for duplicates, valid or not (docs/person-file.md); a row that is already
        // invalid keeps its own reason.
        let seen_before = row.fingerprint != 0 && !seen.insert(row.fingerprint);
        let duplicate = seen_before && row.decision != RowDecision::Invalid;
        if !duplicate {
            summary.add(row.decision, row.rule_bits);
            if run_start.is_none() {
                run_start = Some(row.line_start as usize);
            }
            run_end = row.line_end as usize;
            continue;
        }
        if let Some(start) = run_start.take() {
            sink.write_all(out.out.get(start..run_end).unwrap_or_default())?;
        }
        summary.add(RowDecision::Invalid, 0);
        line.clear();
        let start = row.line_start as usize;
        line.extend_from_slice(out.out.get(start..start + row.prefix_len as usize).unwrap_or_default());
        write_rest(&mut line, format, "invalid", b"INPUT: person_id: the same person_id appears in an earlier row");
        sink.write_all(&line)?;
    }
    if let Some(start) = run_start {
        sink.write_all(out.out.get(start..run_end).unwrap_or_default())?;
    }
    Ok(())
}

fn print_summary(agreement: &Agreement, as_of: Date, s: &Summary, elapsed: std::time::Duration) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "screened {} rows against {} as of {as_of} in {:.2} s",
        s.rows,
        agreement.id,
        elapsed.as_secs_f64()
    );
    for (name, n) in
        [("eligible", s.eligible), ("ineligible", s.ineligible), ("review", s.review), ("invalid", s.invalid)]
    {
        let _ = writeln!(err, "  {name:<11} {n:>10}");
    }
    let _ = writeln!(err, "  rule        {:>10} {:>10}", "fail", "unknown");
    for rule in Rule::ALL {
        let i = rule as usize;
        let (fail, unknown) = (s.fails.get(i).copied().unwrap_or(0), s.unknowns.get(i).copied().unwrap_or(0));
        if fail > 0 || unknown > 0 {
            let _ = writeln!(err, "  {:<11} {fail:>10} {unknown:>10}", rule.code());
        }
    }
}

/// `--explain`: every rule's outcome for the first row with this person id.
fn explain(args: &ScreenArgs, agreement: &Agreement, id: &str) -> CmdResult {
    let (mut reader, header, _) = open_persons(&args.persons, args.delimiter)?;
    let screener = Screener::new(agreement);
    let pid_position = header.position(Column::PersonId).unwrap_or(0);
    let mut chunk = Vec::new();
    let language = crate::language();
    while reader.next_chunk(&mut chunk)? {
        let mut rows = Rows::new(&chunk, reader.delimiter, header.field_count(), 0);
        while let Some(row) = rows.next() {
            if row.fields.get(pid_position) != Some(id.as_bytes()) {
                continue;
            }
            let person = match PersonRecord::from_row(&header, &row) {
                Ok(p) => p,
                Err(e) => return explain_invalid(id, &e.to_string()),
            };
            let screening = match screener.screen(&person, args.as_of) {
                Ok(s) => s,
                Err(e) => return explain_invalid(id, &e.to_string()),
            };
            let mut out = std::io::stdout().lock();
            let reasons = screening.reasons();
            writeln!(out, "person {id} — {} on {} under {}", screening.decision(), args.as_of, agreement.id)?;
            if !reasons.is_empty() {
                writeln!(out, "reasons: {reasons}")?;
            }
            match screener.sentence_facts(&person) {
                Ok(SentenceFacts::Fixed { term_days, projected_release }) => writeln!(
                    out,
                    "sentence: {term_days} days, projected release {projected_release} ({} profile, GCT rate 54, jail credit {} days)",
                    agreement.sentence_profile.as_str(),
                    person.jail_credit_days
                )?,
                Ok(SentenceFacts::Life) => writeln!(out, "sentence: life")?,
                _ => writeln!(out, "sentence: unknown (sentence_start or sentence_term missing)")?,
            }
            writeln!(out)?;
            for rule in Rule::ALL {
                let outcome = screening.outcome(rule).map_or("not configured", |o| o.as_str());
                writeln!(out, "{}  {:<15} {}", rule.code(), outcome, rule.message(language))?;
                writeln!(out, "     {:<15} {} — {}", "", rule.key(), rule.citation())?;
            }
            out.flush()?;
            return Ok(());
        }
    }
    Err(Failure::Input(format!("--explain: person_id {id:?} is not in {}", args.persons.display())))
}

fn explain_invalid(id: &str, message: &str) -> CmdResult {
    let mut out = std::io::stdout().lock();
    writeln!(out, "person {id} — invalid: the row cannot be read")?;
    writeln!(out, "INPUT: {message}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_set_finds_every_repeat_and_grows() {
        let mut set = FingerprintSet::with_capacity(10);
        for i in 1..=10_000u64 {
            assert!(set.insert(fingerprint(&i.to_le_bytes())));
        }
        for i in 1..=10_000u64 {
            assert!(!set.insert(fingerprint(&i.to_le_bytes())));
        }
        assert_eq!(set.len, 10_000);
    }
}
