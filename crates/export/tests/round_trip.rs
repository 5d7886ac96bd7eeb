//! The export read back: Parquet with the `parquet` crate's own reader, compared with the
//! engine's report for the project's recordings; CSV and JSON Lines read back with
//! `arrow-csv` and `arrow-json` into the very batches the Parquet files hold.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rtcscope_analysis::report::Report;
use rtcscope_analysis::Engine;
use rtcscope_capture::CaptureReader;
use rtcscope_export::{Dataset, Format, Options, ReadOutcome, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const RECORDINGS: &[&str] = &[
    "webrtc/direct/capture.pcapng",
    "webrtc/relay/capture.pcapng",
    "webrtc/fail-one-way/capture.pcapng",
    // IP fragments: the fragment that completes a datagram carries its payload.
    "webrtc/firefox-relay/capture.pcapng",
    "captures/turn-udp.pcapng",
    "captures/turn-tcp.pcap",
];

fn out_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rtcscope-export-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Exports `file` (relative to fixtures/) as capture `name`; returns the report.
fn export(dir: &Path, name: &str, file: &str, options: Options) -> Report {
    let bytes = std::fs::read(rtcscope_testkit::fixtures().join(file)).unwrap();
    let dataset = Dataset::create(
        dir,
        &[name.to_owned()],
        Options {
            force: true,
            ..options
        },
    )
    .unwrap();
    let mut out = dataset.capture(name, file).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut engine = Engine::default();
    while let Some(p) = reader.next_packet().unwrap() {
        let v = engine.feed_packet(&p);
        out.packet(&p, &v).unwrap();
    }
    engine.finish();
    let report = Report::new(&engine);
    let rows = out
        .finish(
            &report,
            &ReadOutcome {
                source: file.into(),
                ..ReadOutcome::default()
            },
        )
        .unwrap();
    assert_eq!(rows[&Table::Packets], report.counters.packets, "{file}");
    report
}

fn part(dir: &Path, table: Table, name: &str, ext: &str) -> PathBuf {
    dir.join(table.name())
        .join(format!("capture={name}"))
        .join(format!("part-0.{ext}"))
}

/// The batches of a Parquet file, with its row-group count and key-value metadata.
fn read_parquet(path: &Path) -> (Vec<RecordBatch>, usize, BTreeMap<String, String>) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    let meta = builder.metadata().clone();
    let kv = meta
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter_map(|k| Some((k.key.clone(), k.value.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (batches, meta.num_row_groups(), kv)
}

fn concat(batches: &[RecordBatch]) -> Option<RecordBatch> {
    let schema = batches.first()?.schema();
    Some(arrow_select::concat::concat_batches(&schema, batches).unwrap())
}

fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_owned()))
        .collect()
}

fn u64s(b: &RecordBatch, col: &str) -> Vec<Option<u64>> {
    let a = b.column_by_name(col).unwrap();
    match a.data_type() {
        arrow_schema::DataType::UInt64 => {
            let a = a.as_primitive::<UInt64Type>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect()
        }
        arrow_schema::DataType::UInt32 => {
            let a = a.as_primitive::<UInt32Type>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| u64::from(a.value(i))))
                .collect()
        }
        t => panic!("{col}: {t}"),
    }
}

#[test]
fn parquet_read_back_equals_the_report() {
    let dir = out_dir("parquet");
    for (i, file) in RECORDINGS.iter().enumerate() {
        let name = format!("rec{i}");
        let report = export(&dir, &name, file, Options::default());

        // packets: one row per frame; transport payload bytes per flow are the flows' bytes.
        let (batches, _, kv) = read_parquet(&part(&dir, Table::Packets, &name, "parquet"));
        assert_eq!(
            kv.get(rtcscope_export::SCHEMA_KEY).map(String::as_str),
            Some(rtcscope_export::SCHEMA_VERSION)
        );
        assert_eq!(kv.get("rtcscope.export.table").unwrap(), "packets");
        let packets = concat(&batches).unwrap();
        assert_eq!(packets.num_rows() as u64, report.counters.packets, "{file}");
        let (a, b) = (strings(&packets, "flow_a"), strings(&packets, "flow_b"));
        let (tr, len) = (
            strings(&packets, "transport"),
            u64s(&packets, "payload_len"),
        );
        let mut bytes: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        for i in 0..packets.num_rows() {
            if let (Some(a), Some(b), Some(t), Some(n)) = (&a[i], &b[i], &tr[i], len[i]) {
                *bytes.entry((t.clone(), a.clone(), b.clone())).or_default() += n;
            }
        }
        for f in report.flows.iter().filter(|f| f.relay.is_none()) {
            let key = (f.transport.to_string(), f.a.to_string(), f.b.to_string());
            assert_eq!(
                bytes.get(&key).copied().unwrap_or(0),
                f.bytes[0] + f.bytes[1],
                "{file}: bytes of flow {key:?}"
            );
        }

        // RTP rows per SSRC (the second sighting of a relayed datagram not counted again) are
        // the streams' packets, on UDP where every datagram is one message.
        let (ssrc, kind, inner, copy) = (
            u64s(&packets, "rtp_ssrc"),
            strings(&packets, "kind"),
            strings(&packets, "inner_kind"),
            u64s(&packets, "relay_copy"),
        );
        let mut per_ssrc: BTreeMap<u64, u64> = BTreeMap::new();
        for i in 0..packets.num_rows() {
            let rtp = kind[i].as_deref() == Some("rtp") || inner[i].as_deref() == Some("rtp");
            if rtp && copy[i].is_none() && tr[i].as_deref() == Some("udp") {
                *per_ssrc.entry(ssrc[i].unwrap()).or_default() += 1;
            }
        }
        let mut expected: BTreeMap<u64, u64> = BTreeMap::new();
        for s in report
            .streams
            .iter()
            .filter(|s| s.flow.transport.to_string() == "udp")
        {
            *expected.entry(u64::from(s.ssrc)).or_default() += s.packets;
        }
        for (s, n) in &expected {
            assert_eq!(per_ssrc.get(s), Some(n), "{file}: packets of SSRC {s:#x}");
        }

        // streams, ice_checks and flows hold the report's items in its order.
        let (batches, _, _) = read_parquet(&part(&dir, Table::Streams, &name, "parquet"));
        let streams = concat(&batches);
        let n = streams.as_ref().map_or(0, RecordBatch::num_rows);
        assert_eq!(n, report.streams.len(), "{file}");
        if let Some(streams) = streams {
            let (ssrcs, pk) = (u64s(&streams, "ssrc"), u64s(&streams, "packets"));
            for (i, s) in report.streams.iter().enumerate() {
                assert_eq!(ssrcs[i], Some(u64::from(s.ssrc)));
                assert_eq!(pk[i], Some(s.packets));
            }
        }
        // stream_bins: each stream's bins, in the report's order of streams, one row per bin
        // of its bandwidth or quality series, adding up to the stream's totals.
        let (batches, _, _) = read_parquet(&part(&dir, Table::StreamBins, &name, "parquet"));
        let bins = concat(&batches);
        let rows = bins.as_ref().map_or(0, RecordBatch::num_rows);
        let col = |c: &str| bins.as_ref().map_or_else(Vec::new, |b| u64s(b, c));
        let (ssrcs, received, expected, duplicates) = (
            col("ssrc"),
            col("received"),
            col("expected"),
            col("duplicates"),
        );
        let lost = bins.as_ref().map_or_else(Vec::new, |b| {
            let a = b
                .column_by_name("lost")
                .unwrap()
                .as_primitive::<Int64Type>();
            (0..a.len()).map(|i| a.value(i)).collect()
        });
        let mut at = 0;
        for s in &report.streams {
            let mut idx: Vec<usize> = s.series.iter().map(|(i, _)| i).collect();
            idx.extend(s.quality.iter().map(|(i, _)| i));
            idx.sort_unstable();
            idx.dedup();
            let r = at..at + idx.len();
            assert!(ssrcs[r.clone()]
                .iter()
                .all(|x| *x == Some(u64::from(s.ssrc))));
            let sum = |v: &[Option<u64>]| v[r.clone()].iter().map(|x| x.unwrap()).sum::<u64>();
            assert_eq!(sum(&received), s.packets, "{file}");
            assert_eq!(sum(&expected), s.expected, "{file}");
            let unique_lost = lost[r.clone()].iter().sum::<i64>() + sum(&duplicates) as i64;
            assert_eq!(unique_lost, s.lost as i64, "{file}");
            at = r.end;
        }
        assert_eq!(at, rows, "{file}: stream_bins rows");

        let (batches, _, _) = read_parquet(&part(&dir, Table::IceChecks, &name, "parquet"));
        let pairs: Vec<_> = report.ice_sessions.iter().flat_map(|s| &s.pairs).collect();
        match concat(&batches) {
            Some(ice) => {
                let req = u64s(&ice, "requests");
                assert_eq!(req.len(), pairs.len());
                for (i, p) in pairs.iter().enumerate() {
                    assert_eq!(req[i], Some(u64::from(p.requests)), "{file}");
                }
            }
            None => assert!(pairs.is_empty(), "{file}"),
        }
        let (batches, _, _) = read_parquet(&part(&dir, Table::Captures, &name, "parquet"));
        let captures = concat(&batches).unwrap();
        assert_eq!(captures.num_rows(), 1);
        assert_eq!(u64s(&captures, "packets")[0], Some(report.counters.packets));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn packets_are_written_in_bounded_row_groups() {
    let dir = out_dir("rowgroups");
    let report = export(
        &dir,
        "direct",
        RECORDINGS[0],
        Options {
            batch_rows: 100,
            ..Options::default()
        },
    );
    let (batches, groups, _) = read_parquet(&part(&dir, Table::Packets, "direct", "parquet"));
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows as u64, report.counters.packets);
    assert!(report.counters.packets > 1000);
    assert_eq!(groups as u64, report.counters.packets.div_ceil(100));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn packets_are_split_into_files_of_bounded_rows() {
    let dir = out_dir("files");
    let report = export(
        &dir,
        "direct",
        RECORDINGS[0],
        Options {
            batch_rows: 100,
            file_rows: 500,
            ..Options::default()
        },
    );
    let n = report.counters.packets;
    let files = n.div_ceil(500);
    let mut rows = 0;
    let mut numbers = Vec::new();
    for i in 0..files {
        let path = dir
            .join("packets/capture=direct")
            .join(format!("part-{i}.parquet"));
        let (batches, groups, _) = read_parquet(&path);
        let b = concat(&batches).unwrap();
        assert!(b.num_rows() <= 500 && groups <= 5, "{}", path.display());
        rows += b.num_rows() as u64;
        numbers.extend(u64s(&b, "number"));
    }
    assert_eq!(rows, n);
    assert!(!dir
        .join(format!("packets/capture=direct/part-{files}.parquet"))
        .exists());
    // In order, none lost or repeated.
    assert_eq!(numbers, (1..=n).map(Some).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}

/// CSV and JSON Lines carry the same values as Parquet: read back with the table's schema,
/// every table equals the Parquet file's batches.
#[test]
fn csv_and_jsonl_round_trip_to_the_parquet_tables() {
    let dir = out_dir("formats");
    for (i, file) in [RECORDINGS[1], RECORDINGS[4]].into_iter().enumerate() {
        // A name per file: a dataset's capture name stays with the file it was exported from.
        let (p, t) = (format!("p{i}"), format!("t{i}"));
        export(&dir, &p, file, Options::default());
        for format in [Format::Csv, Format::Jsonl] {
            export(
                &dir,
                &t,
                file,
                Options {
                    format,
                    ..Options::default()
                },
            );
            for table in Table::ALL {
                let (batches, _, _) = read_parquet(&part(&dir, table, &p, "parquet"));
                let Some(expected) = concat(&batches) else {
                    continue;
                };
                // The text formats write times with a `+00:00` offset: read them back so, then
                // compare the instants.
                let schema = utc_offset(&expected.schema());
                let path = part(&dir, table, &t, format.extension());
                let f = std::fs::File::open(&path).unwrap();
                let got: Vec<RecordBatch> = match format {
                    Format::Csv => arrow_csv::ReaderBuilder::new(schema.clone())
                        .with_header(true)
                        .build(f)
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap(),
                    _ => arrow_json::ReaderBuilder::new(schema.clone())
                        .build(std::io::BufReader::new(f))
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap(),
                };
                let got = arrow_select::concat::concat_batches(&schema, &got).unwrap();
                let expected = retag(&expected, &schema);
                assert_eq!(
                    got.num_rows(),
                    expected.num_rows(),
                    "{file} {table:?} {format:?}"
                );
                for (i, field) in schema.fields().iter().enumerate() {
                    assert_eq!(
                        got.column(i).to_data(),
                        expected.column(i).to_data(),
                        "{file} {table:?} {format:?}: column {}",
                        field.name()
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_with_files_is_refused_without_force() {
    let dir = out_dir("refuse");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = Dataset::create(&dir, &["x".into()], Options::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not empty"), "{err}");
    // With --force, only the named captures' partitions are replaced.
    export(&dir, "x", RECORDINGS[3], Options::default());
    export(&dir, "y", RECORDINGS[3], Options::default());
    export(&dir, "x", RECORDINGS[3], Options::default());
    assert!(dir.join("notes.txt").is_file());
    assert!(part(&dir, Table::Packets, "y", "parquet").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_name_taken_by_another_file_is_refused_and_kept() {
    for (format, ext) in [
        (Format::Parquet, "parquet"),
        (Format::Csv, "csv"),
        (Format::Jsonl, "jsonl"),
    ] {
        let dir = out_dir(&format!("taken-{ext}"));
        let options = Options {
            format,
            ..Options::default()
        };
        // `calls/a/capture.pcapng` exported alone is `capture`; so is a later
        // `calls/b/capture.pcapng`, which must not replace it.
        export(&dir, "capture", RECORDINGS[4], options.clone());
        let dataset = Dataset::create(
            &dir,
            &["capture".into()],
            Options {
                force: true,
                ..options.clone()
            },
        )
        .unwrap();
        let err = dataset
            .capture("capture", RECORDINGS[5])
            .err()
            .expect("refused");
        assert!(
            matches!(&err, rtcscope_export::Error::NameTaken(n, other)
                if n == "capture" && other == RECORDINGS[4]),
            "{err}"
        );
        assert!(err.to_string().contains(RECORDINGS[4]), "{err}");
        assert!(part(&dir, Table::Packets, "capture", ext).is_file());
        // The same file again replaces its partitions (export() unwraps), and the name stays
        // taken for the other file.
        export(&dir, "capture", RECORDINGS[4], options);
        assert!(dataset.capture("capture", RECORDINGS[5]).is_err(), "{ext}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn capture_names_tell_same_named_files_apart() {
    let names = rtcscope_export::capture_names(&[
        "fixtures/webrtc/direct/capture.pcapng",
        "fixtures/webrtc/relay/capture.pcapng",
        "x/turn-udp.pcapng",
        "/abs/a b=c.pcap",
        "-",
    ]);
    assert_eq!(
        names,
        [
            "direct-capture",
            "relay-capture",
            "turn-udp",
            "a_b_c",
            "stdin"
        ]
    );
}

fn utc_offset(schema: &arrow_schema::Schema) -> arrow_schema::SchemaRef {
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    std::sync::Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) => Field::new(
                    f.name(),
                    DataType::Timestamp(TimeUnit::Nanosecond, Some("+00:00".into())),
                    f.is_nullable(),
                ),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// `batch`'s columns under `schema` (timestamps re-tagged, values untouched).
fn retag(batch: &RecordBatch, schema: &arrow_schema::SchemaRef) -> RecordBatch {
    use arrow_array::types::TimestampNanosecondType;
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| match f.data_type() {
            arrow_schema::DataType::Timestamp(_, Some(tz)) => std::sync::Arc::new(
                c.as_primitive::<TimestampNanosecondType>()
                    .clone()
                    .with_timezone(tz.clone()),
            )
                as arrow_array::ArrayRef,
            _ => c.clone(),
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns).unwrap()
}
