//! The fast path of [`Body::from_payload`]: a payload that serialises as a
//! struct or a map (every typed message does) is taken apart as it is
//! serialised. Its `type`, `msg_id` and `in_reply_to` are kept aside and
//! every other field's value goes into the body's fields, where
//! `serde_json::to_value` would have built a map holding all of them and
//! [`Body::from_map`] would then have taken the three out again (a key
//! allocated, inserted and removed for each: most of what building a body
//! cost a node that sends tens of thousands of messages).
//!
//! Anything else (a payload that is not an object, a map with a key that is
//! not a string, serde_json's raw values) answers `None`, and the caller goes
//! the long way, which gives the same body or the same error as before.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::{Error, Value};

use crate::{Body, Map};

/// The body `payload` serialises to, `None` if it is not a struct or a map
/// with string keys, or the error serialising or checking it gives.
pub(crate) fn from_payload<T: Serialize + ?Sized>(payload: &T) -> Result<Option<Body>, Error> {
    match payload.serialize(TopLevel) {
        Err(e) if e.to_string() == Give::MESSAGE => Ok(None),
        result => result,
    }
}

/// Serialises a payload's top level: structs and maps only.
struct TopLevel;

/// A body's parts as its fields are serialised.
#[derive(Default)]
struct Parts {
    kind: Option<Value>,
    msg_id: Option<Value>,
    in_reply_to: Option<Value>,
    fields: Map,
    /// A map's key, until its value comes.
    key: Option<String>,
    /// Set when a key was not a string: the long way decides.
    give_up: bool,
}

impl Parts {
    fn put(&mut self, key: &str, value: Value) {
        // Later keys win, as in a map.
        match key {
            "type" => self.kind = Some(value),
            "msg_id" => self.msg_id = Some(value),
            "in_reply_to" => self.in_reply_to = Some(value),
            _ => {
                self.fields.insert(key.to_owned(), value);
            }
        }
    }

    fn finish(self) -> Result<Option<Body>, Error> {
        if self.give_up {
            return Ok(None);
        }
        Body::from_parts(self.kind, self.msg_id, self.in_reply_to, self.fields)
            .map(Some)
            .map_err(ser::Error::custom)
    }
}

impl SerializeStruct for Parts {
    type Ok = Option<Body>;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        self.put(key, value);
        Ok(())
    }

    fn end(self) -> Result<Option<Body>, Error> {
        self.finish()
    }
}

impl SerializeMap for Parts {
    type Ok = Option<Body>;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match serde_json::to_value(key)? {
            Value::String(s) => self.key = Some(s),
            // serde_json turns some other keys into strings; the long way
            // does exactly what it does.
            _ => self.give_up = true,
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        if let Some(key) = self.key.take() {
            self.put(&key, value);
        }
        Ok(())
    }

    fn end(self) -> Result<Option<Body>, Error> {
        self.finish()
    }
}

/// Every top-level shape but a struct or a map: not taken apart here.
macro_rules! not_an_object {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Option<Body>, Error> {
            Ok(None)
        })*
    };
}

impl Serializer for TopLevel {
    type Ok = Option<Body>;
    type Error = Error;
    type SerializeSeq = Impossible<Option<Body>, Error>;
    type SerializeTuple = Impossible<Option<Body>, Error>;
    type SerializeTupleStruct = Impossible<Option<Body>, Error>;
    type SerializeTupleVariant = Impossible<Option<Body>, Error>;
    type SerializeMap = Parts;
    type SerializeStruct = Parts;
    type SerializeStructVariant = Impossible<Option<Body>, Error>;

    not_an_object! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<Body>, Error> {
        // serde_json writes `Some(x)` as `x`.
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Option<Body>, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Option<Body>, Error> {
        Ok(None)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Give::up())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Give::up())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Give::up())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Give::up())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Parts, Error> {
        Ok(Parts::default())
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Parts, Error> {
        if name.starts_with("$serde_json") {
            // A raw value (or another of serde_json's private tokens).
            return Err(Give::up());
        }
        Ok(Parts::default())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Give::up())
    }
}

/// The error that sends a compound payload that is not an object the long
/// way: serialisers of sequences cannot answer `None` before they start.
struct Give;

impl Give {
    const MESSAGE: &'static str = "maelstrom-proto: not a struct or a map";

    fn up() -> Error {
        ser::Error::custom(Self::MESSAGE)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::{json, Value};

    use crate::Body;

    /// The long way: the whole value first, then the body.
    fn long_way<T: Serialize>(payload: &T) -> Result<Body, String> {
        serde_json::to_value(payload)
            .and_then(Body::from_value)
            .map_err(|e| e.to_string())
    }

    fn same<T: Serialize + std::fmt::Debug>(payload: &T) {
        let fast = Body::from_payload(payload).map_err(|e| e.to_string());
        assert_eq!(fast, long_way(payload), "{payload:?}");
    }

    #[derive(Debug, Serialize)]
    struct Inner {
        key: u64,
        value: Vec<u64>,
    }

    #[derive(Debug, Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Msg {
        Read {},
        ReadOk {
            messages: Vec<u64>,
            in_reply_to: Option<u64>,
        },
        Ping,
        Wrapped(Inner),
        Ids {
            msg_id: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            in_reply_to: Option<i64>,
        },
        Odd {
            msg_id: String,
        },
        Float {
            in_reply_to: f64,
        },
        Flat {
            #[serde(flatten)]
            rest: BTreeMap<String, Value>,
        },
    }

    #[derive(Debug, Serialize)]
    struct NoType {
        a: u8,
    }

    #[derive(Debug, Serialize)]
    struct Newtype(BTreeMap<String, Value>);

    #[derive(Debug, Serialize)]
    enum External {
        Variant { a: u8 },
        Tuple(u8, u8),
        Unit,
    }

    #[test]
    fn structs_and_string_keyed_maps_take_the_short_way() {
        let short = |r: Result<Option<Body>, serde_json::Error>| matches!(r, Ok(Some(_)));
        assert!(short(super::from_payload(&Msg::Read {})));
        assert!(short(super::from_payload(&Msg::Wrapped(Inner {
            key: 1,
            value: vec![]
        }))));
        assert!(short(super::from_payload(&json!({"type": "t", "a": 1}))));
        assert!(matches!(super::from_payload(&vec![1]), Ok(None)));
        assert!(matches!(super::from_payload(&"x"), Ok(None)));
        let numeric_keys: HashMap<i32, &str> = [(1, "a")].into();
        assert!(matches!(super::from_payload(&numeric_keys), Ok(None)));
    }

    #[test]
    fn typed_payloads_give_what_the_long_way_gives() {
        same(&Msg::Read {});
        same(&Msg::ReadOk {
            messages: vec![1, 2, 3],
            in_reply_to: None,
        });
        same(&Msg::ReadOk {
            messages: vec![],
            in_reply_to: Some(7),
        });
        same(&Msg::Ping);
        same(&Msg::Wrapped(Inner {
            key: 1,
            value: vec![4, 5],
        }));
        same(&Msg::Ids {
            msg_id: 3,
            in_reply_to: Some(-1),
        });
        same(&Msg::Ids {
            msg_id: 3,
            in_reply_to: None,
        });
        same(&Msg::Odd { msg_id: "x".into() });
        same(&Msg::Float { in_reply_to: 1.5 });
        let rest: BTreeMap<String, Value> = [
            ("type".to_string(), json!("inner")),
            ("msg_id".to_string(), json!(9)),
            ("z".to_string(), json!([1, {"a": null}])),
        ]
        .into();
        same(&Msg::Flat { rest: rest.clone() });
        same(&NoType { a: 1 });
        same(&Newtype(rest.clone()));
        same(&Some(Msg::Ping));
        same(&Box::new(Msg::Read {}));
        same(&External::Variant { a: 1 });
        same(&External::Tuple(1, 2));
        same(&External::Unit);
        same(&Option::<Msg>::None);
        same(&vec![1, 2]);
        same(&(1, "a"));
        same(&"text");
        same(&3u8);
        same(&());
        let numeric_keys: HashMap<i32, &str> = [(1, "a")].into();
        same(&numeric_keys);
        let typed_numeric: BTreeMap<&str, Value> = [("type", json!(5))].into();
        same(&typed_numeric);
        let raw =
            serde_json::value::RawValue::from_string(r#"{"type":"raw","a":1}"#.into()).unwrap();
        same(&raw);
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\"é]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-c]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON value as a payload, objects keyed by the reserved keys
        /// among others: the same body, or the same error.
        #[test]
        fn any_value_gives_what_the_long_way_gives(
            entries in prop::collection::vec(
                (prop_oneof![Just("type"), Just("msg_id"), Just("in_reply_to"), Just("k"), Just("l")],
                 any_value()),
                0..6,
            ),
            kind in prop::option::of("[a-z_]{1,8}"),
            whole in any_value(),
        ) {
            let mut map = serde_json::Map::new();
            if let Some(kind) = kind {
                map.insert("type".into(), Value::from(kind));
            }
            for (k, v) in entries {
                map.insert(k.to_string(), v);
            }
            let object = Value::Object(map);
            let fast = Body::from_payload(&object).map_err(|e| e.to_string());
            prop_assert_eq!(fast, long_way(&object));
            let fast = Body::from_payload(&whole).map_err(|e| e.to_string());
            prop_assert_eq!(fast, long_way(&whole));
        }
    }
}
