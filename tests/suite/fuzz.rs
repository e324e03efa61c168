//! Every unary call of every API, through the gateway, with generated messages: strings
//! empty, huge, with control characters or not UTF-8-safe ids; numbers at their extremes;
//! unknown enum values; timestamps out of range; nested messages and repeated fields at
//! random. Whatever comes in, the answer is a precise status — never INTERNAL, UNKNOWN or
//! a dropped connection (a panic) — and the suite still serves afterwards.
//!
//! Generation is deterministic (`XINGFU_FUZZ_SEED`, default fixed); `XINGFU_FUZZ_CASES`
//! sets the messages per call (default 20) for a longer run.

use bytes::{Buf as _, BufMut as _};
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value,
};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use xingfu_testkit::TestEnv;

/// Passes bytes through: the messages are encoded by hand.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

/// SplitMix64.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn string(dice: &mut Dice) -> String {
    match dice.below(12) {
        0 => String::new(),
        1 => " ".into(),
        2 => "x".repeat(5_000),
        3 => "nul\u{0}inside".into(),
        4 => "小桔灯 · 共享幸福小课堂".into(),
        5 => uuid::Uuid::now_v7().to_string(),
        6 => "01900000-0000-7000-8000-000000000000".into(),
        7 => "beiao-xiaoqu".into(),
        8 => "../../etc/passwd".into(),
        9 => "'; DROP TABLE projects; --".into(),
        10 => "2026-Q3".into(),
        _ => format!("{:x}", dice.next()),
    }
}

fn scalar(field: &FieldDescriptor, dice: &mut Dice, depth: usize) -> Value {
    match field.kind() {
        Kind::Bool => Value::Bool(dice.below(2) == 0),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(
            [0, -1, 1, i32::MAX, i32::MIN, 5, 40, 10_001]
                [usize::try_from(dice.below(8)).unwrap_or(0)],
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(
            [
                0,
                -1,
                1,
                i64::MAX,
                i64::MIN,
                100,
                31_200_000,
                9_999_999_999_999,
            ][usize::try_from(dice.below(8)).unwrap_or(0)],
        ),
        Kind::Uint32 | Kind::Fixed32 => {
            Value::U32([0, 1, u32::MAX][usize::try_from(dice.below(3)).unwrap_or(0)])
        }
        Kind::Uint64 | Kind::Fixed64 => {
            Value::U64([0, 1, u64::MAX][usize::try_from(dice.below(3)).unwrap_or(0)])
        }
        Kind::Float => Value::F32(
            [0.0, f32::NAN, f32::INFINITY, -1.5][usize::try_from(dice.below(4)).unwrap_or(0)],
        ),
        Kind::Double => Value::F64(
            [0.0, f64::NAN, f64::NEG_INFINITY, 1e300][usize::try_from(dice.below(4)).unwrap_or(0)],
        ),
        Kind::String => Value::String(string(dice)),
        Kind::Bytes => Value::Bytes(
            (0..dice.below(64))
                .map(|_| dice.next() as u8)
                .collect::<Vec<_>>()
                .into(),
        ),
        Kind::Enum(e) => {
            let values: Vec<i32> = e.values().map(|v| v.number()).collect();
            Value::EnumNumber(if dice.below(5) == 0 {
                99
            } else {
                values[usize::try_from(dice.below(values.len() as u64)).unwrap_or(0)]
            })
        }
        Kind::Message(m) => Value::Message(message(&m, dice, depth + 1)),
    }
}

fn message(descriptor: &MessageDescriptor, dice: &mut Dice, depth: usize) -> DynamicMessage {
    let mut out = DynamicMessage::new(descriptor.clone());
    if descriptor.full_name() == "google.protobuf.Timestamp" {
        let seconds = [0, -62_135_596_801, 253_402_300_800, 1_795_000_000]
            [usize::try_from(dice.below(4)).unwrap_or(0)];
        let nanos = [0, -1, 1_000_000_000, 500][usize::try_from(dice.below(4)).unwrap_or(0)];
        out.set_field_by_name("seconds", Value::I64(seconds));
        out.set_field_by_name("nanos", Value::I32(nanos));
        return out;
    }
    if depth > 2 {
        return out;
    }
    for field in descriptor.fields() {
        if field.containing_oneof().is_some() && dice.below(2) == 0 {
            continue;
        }
        if dice.below(10) < 3 {
            continue;
        }
        if field.is_map() {
            continue;
        }
        let value = if field.is_list() {
            Value::List(
                (0..dice.below(4))
                    .map(|_| scalar(&field, dice, depth))
                    .collect(),
            )
        } else {
            scalar(&field, dice, depth)
        };
        out.set_field(&field, value);
    }
    out
}

#[tokio::test]
async fn every_call_answers_generated_messages_with_a_precise_status() {
    let seed: u64 = std::env::var("XINGFU_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026_1129);
    let cases: u64 = std::env::var("XINGFU_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let channel = xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;
    let pool = DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut dice = Dice(seed);
    let mut calls = 0;
    let mut codes = std::collections::BTreeMap::new();
    for service in pool
        .services()
        .filter(|s| s.full_name().starts_with("xingfu."))
    {
        for method in service.methods() {
            if method.is_client_streaming() || method.is_server_streaming() {
                continue;
            }
            let path: tonic::codegen::http::uri::PathAndQuery =
                format!("/{}/{}", service.full_name(), method.name())
                    .parse()
                    .unwrap();
            for case in 0..cases {
                let request = message(&method.input(), &mut dice, 0);
                let bytes = request.encode_to_vec();
                let mut grpc = tonic::client::Grpc::new(channel.clone());
                grpc.ready().await.unwrap();
                let answer = grpc
                    .unary(tonic::Request::new(bytes), path.clone(), Raw)
                    .await;
                let code = answer.map_or_else(|s| s.code(), |_| Code::Ok);
                calls += 1;
                *codes.entry(format!("{code:?}")).or_insert(0) += 1;
                assert!(
                    !matches!(
                        code,
                        Code::Internal
                            | Code::Unknown
                            | Code::DataLoss
                            | Code::Unavailable
                            | Code::Unimplemented
                            | Code::Cancelled
                    ),
                    "{} case {case} (seed {seed}) answered {code:?} to {request:?}",
                    path
                );
            }
        }
    }
    eprintln!("{calls} generated calls: {codes:?}");
    assert!(calls > 1_000);
    assert!(codes.contains_key("InvalidArgument"));
    crate::helpers::assert_all_serving(&suite).await;
    suite.stop().await.unwrap();
}
