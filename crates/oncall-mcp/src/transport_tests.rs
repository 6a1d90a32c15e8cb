//! The transport's judgement of lines: every bad line gets its answer.

use super::*;

fn answer(verdict: Verdict) -> Value {
    match verdict {
        Verdict::Refuse(line) => serde_json::from_slice(&line).unwrap(),
        other => panic!("expected an error answer, got {other:?}"),
    }
}

#[test]
fn a_line_that_is_not_json_gets_a_parse_error_with_a_null_id() {
    let error = answer(judge_value_line(b"{not json"));
    assert_eq!(error["id"], Value::Null);
    assert_eq!(error["error"]["code"], PARSE_ERROR);
}

#[test]
fn a_batch_is_an_invalid_request() {
    let error = answer(judge_value_line(
        br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
    ));
    assert_eq!(error["error"]["code"], INVALID_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("batch")
    );
}

#[test]
fn a_request_with_bad_params_is_answered_with_its_own_id() {
    let error = answer(judge_value_line(
        br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":"logs"}"#,
    ));
    assert_eq!(error["id"], 7);
    assert_eq!(error["error"]["code"], INVALID_PARAMS);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tools/call")
    );
}

#[test]
fn a_wrong_version_or_id_type_is_an_invalid_request() {
    let error = answer(judge_value_line(
        br#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#,
    ));
    assert_eq!(
        (error["id"].clone(), error["error"]["code"].clone()),
        (json!("a"), json!(INVALID_REQUEST))
    );
    let error = answer(judge_value_line(
        br#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
    ));
    assert_eq!(
        (error["id"].clone(), error["error"]["code"].clone()),
        (Value::Null, json!(INVALID_REQUEST))
    );
}

#[test]
fn a_bad_notification_gets_no_answer() {
    assert!(matches!(
        judge_value_line(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":7}"#),
        Verdict::Ignore
    ));
    assert!(matches!(
        judge_value_line(br#"{"jsonrpc":"1.0","method":"notifications/initialized"}"#),
        Verdict::Ignore
    ));
}

#[test]
fn a_good_request_passes() {
    assert!(matches!(
        judge_value_line(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
        Verdict::Message(_)
    ));
}

#[test]
fn the_id_of_an_oversized_request_is_found_in_its_first_bytes() {
    let prefix = br#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"logs","arguments":{"service":"aaaaaaa"#;
    assert_eq!(request_id_in_prefix(prefix), Some(Some(json!(42))));
    let notification = br#"{"jsonrpc":"2.0","method":"notifications/x","params":{"a":"bbbb"#;
    assert_eq!(request_id_in_prefix(notification), Some(None));
    assert_eq!(request_id_in_prefix(br#"{"params":{"a":"bbbb"#), None);
    assert_eq!(request_id_in_prefix(b"\x00\x01garbage"), None);
}

fn judge_value_line(line: &[u8]) -> Verdict {
    judge(line)
}

#[test]
fn an_oversized_line_is_refused_with_the_id_its_first_or_last_bytes_show() {
    let id_first = answer(judge_oversized(
        br#"{"jsonrpc":"2.0","id":"r1","method":"tools/call","par"#,
        b"",
        10,
    ));
    assert_eq!(id_first["id"], "r1");
    assert!(
        id_first["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 byte cap")
    );
    // The TypeScript SDK writes `id` last.
    let id_last = answer(judge_oversized(
        br#"{"method":"tools/call","params":{"name":"logs","arguments":{"service":"xxxx"#,
        br#"xxxxxxx"}},"jsonrpc":"2.0","id":17}"#,
        10,
    ));
    assert_eq!(id_last["id"], 17);
    // Neither: answered anyway, with a null id.
    let unknown = answer(judge_oversized(br#"{"method":"x","par"#, b"aaaa\"}}", 10));
    assert_eq!(unknown["id"], Value::Null);
    assert_eq!(answer(judge_oversized(b"xxxx", b"", 10))["id"], Value::Null);
}

#[test]
fn the_tail_keeps_the_last_bytes_read() {
    let mut tail = Vec::new();
    keep_tail(&mut tail, &[b'a'; 600]);
    keep_tail(&mut tail, b"end");
    assert_eq!(tail.len(), OVERSIZED_TAIL_BYTES);
    assert!(tail.ends_with(b"aend"));
}

#[test]
fn a_response_from_the_client_is_never_answered() {
    assert!(matches!(
        judge(br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#),
        Verdict::Ignore | Verdict::Message(_)
    ));
    assert!(matches!(
        judge(br#"{"jsonrpc":"1.0","id":3,"result":{}}"#),
        Verdict::Ignore
    ));
    assert!(matches!(
        judge(br#"{"jsonrpc":"2.0","id":3,"error":"nope"}"#),
        Verdict::Ignore
    ));
}

#[test]
fn blank_lines_and_a_byte_order_mark_are_tolerated() {
    assert!(matches!(judge(b"  \r"), Verdict::Skip));
    assert!(matches!(
        judge(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r"),
        Verdict::Message(_)
    ));
}

proptest::proptest! {
    /// No line, however broken, makes the judge panic; every verdict is
    /// a message, an answer that is itself one JSON line, or silence.
    #[test]
    fn judging_any_line_never_panics(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        if let Verdict::Refuse(answer) = judge(&line) {
            proptest::prop_assert!(answer.ends_with(b"\n"));
            proptest::prop_assert!(serde_json::from_slice::<Value>(&answer).is_ok());
        }
        if let Verdict::Refuse(answer) = judge_oversized(&line, &line, 16) {
            proptest::prop_assert!(serde_json::from_slice::<Value>(&answer).is_ok());
        }
    }
}

/// A reader that hands out its chunks one read at a time.
struct Chunks(std::collections::VecDeque<Vec<u8>>);

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(chunk) = self.0.pop_front() {
            buf.put_slice(&chunk);
        }
        std::task::Poll::Ready(Ok(()))
    }
}

/// Reads every line of `chunks` through a transport capped at `max_bytes`,
/// and judges each.
fn read_all(chunks: Vec<&[u8]>, max_bytes: usize) -> Vec<Verdict> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (outbox, _inbox) = mpsc::channel(4);
        let reader = Chunks(chunks.into_iter().map(<[u8]>::to_vec).collect());
        let mut transport = LineTransport::new(
            reader,
            outbox,
            max_bytes,
            Arc::new(TransportCounters::default()),
        );
        let mut verdicts = Vec::new();
        while transport.read_line().await.unwrap() {
            verdicts.push(transport.judge_line());
        }
        verdicts
    })
}

#[test]
fn a_line_that_goes_over_the_cap_between_reads_keeps_its_last_bytes() {
    // The first read stops exactly at the cap; the id comes three bytes on.
    let head = br#"{"method":"tools/call","params":{"a":"xxxxxxxxxxxxxxxxxxxxxxxx"},"id":9"#;
    let verdicts = read_all(vec![&head[..], b"9}\n"], head.len());
    assert_eq!(verdicts.len(), 1);
    let error = match &verdicts[0] {
        Verdict::Refuse(line) => serde_json::from_slice::<Value>(line).unwrap(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(error["id"], 99, "{error}");
}

#[test]
fn lines_split_across_reads_are_put_back_together() {
    let verdicts = read_all(
        vec![
            br#"{"jsonrpc":"2.0","id":1,"#,
            br#""method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"#,
            b"\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n",
        ],
        MAX_MESSAGE_BYTES,
    );
    assert_eq!(verdicts.len(), 2);
    assert!(
        verdicts
            .iter()
            .all(|verdict| matches!(verdict, Verdict::Message(_))),
        "{verdicts:?}"
    );
}

#[test]
fn before_the_session_opens_only_requests_pass_and_a_ping_does_not_open_it() {
    let verdicts = read_all(
        vec![
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        ],
        MAX_MESSAGE_BYTES,
    );
    let kinds: Vec<&str> = verdicts
        .iter()
        .map(|verdict| match verdict {
            Verdict::Message(_) => "message",
            Verdict::Ignore => "ignored",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["message", "ignored", "message", "message"]);
}
