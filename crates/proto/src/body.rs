//! Message bodies: the reserved keys plus every other field, kept as JSON.

use std::sync::Arc;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ErrorCode, Map, RpcError};

/// A message body.
///
/// `type` is required; `msg_id` and `in_reply_to` are optional integers (a JSON `null`
/// counts as absent, as upstream's services send `in_reply_to: null` for requests
/// without a `msg_id`). All other fields are kept, in order, in [`Body::fields`].
///
/// A body between two nodes may be any JSON object (upstream does not read it):
/// [`Body::verbatim`] carries such a body unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    /// The `type` key, e.g. `"echo"` or `"echo_ok"`.
    pub kind: String,
    /// The sender's id for this message, if it expects a reply.
    pub msg_id: Option<u64>,
    /// For replies: the `msg_id` of the request.
    pub in_reply_to: Option<u64>,
    /// Every other key (every key, for a [`Body::verbatim`] body). Shared:
    /// a copy of a body (the network's journal keeps one of every message)
    /// costs a reference count, not a copy of every value; a change to a
    /// shared copy's fields copies them first (`Arc::make_mut`).
    pub fields: Arc<Map>,
    /// Set by [`Body::verbatim`]: `fields` is the whole object and is written as is.
    verbatim: bool,
}

impl Body {
    /// A body of the given type with no other fields.
    pub fn new(kind: impl Into<String>) -> Self {
        Body {
            kind: kind.into(),
            ..Body::default()
        }
    }

    /// Builds a body from any value that serialises to a JSON object with a `type` key
    /// (typically an enum with `#[serde(tag = "type")]`).
    pub fn from_payload<T: Serialize>(payload: &T) -> Result<Self, serde_json::Error> {
        // A struct or map is taken apart as it is serialised (no `type` key
        // inserted into a map only to be removed again); anything else goes
        // the long way, for its error.
        if let Some(body) = crate::body_ser::from_payload(payload)? {
            return Ok(body);
        }
        let value = serde_json::to_value(payload)?;
        Self::from_value(value)
    }

    /// Builds a body from a JSON value, which must be an object with a string `type`.
    pub fn from_value(value: Value) -> Result<Self, serde_json::Error> {
        match value {
            Value::Object(map) => Self::from_map(map).map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "a message body must be a JSON object, not {other}"
            ))),
        }
    }

    /// Splits the reserved keys out of a JSON object.
    pub fn from_map(mut map: Map) -> Result<Self, String> {
        let kind = map.remove("type");
        let msg_id = map.remove("msg_id");
        let in_reply_to = map.remove("in_reply_to");
        Self::from_parts(kind, msg_id, in_reply_to, map)
    }

    /// A body from the values of its reserved keys (`None` where absent) and
    /// its other fields, checked as [`Body::from_map`] checks them.
    pub(crate) fn from_parts(
        kind: Option<Value>,
        msg_id: Option<Value>,
        in_reply_to: Option<Value>,
        fields: Map,
    ) -> Result<Self, String> {
        let kind = match kind {
            Some(Value::String(s)) => s,
            Some(other) => return Err(format!("body key `type` must be a string, not {other}")),
            None => return Err("body has no `type` key".to_string()),
        };
        Ok(Body {
            kind,
            msg_id: id_value("msg_id", msg_id)?,
            in_reply_to: id_value("in_reply_to", in_reply_to)?,
            fields: Arc::new(fields),
            verbatim: false,
        })
    }

    /// Any JSON object, kept exactly as it is: what nodes may send each other
    /// (upstream carries node-to-node bodies without reading them). `kind`,
    /// `msg_id` and `in_reply_to` are filled in where the object has valid ones,
    /// for diagrams and statistics; serialising writes the object unchanged.
    pub fn verbatim(map: Map) -> Self {
        let id = |key: &str| map.get(key).and_then(Value::as_u64);
        Body {
            kind: map
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            msg_id: id("msg_id"),
            in_reply_to: id("in_reply_to"),
            fields: Arc::new(map),
            verbatim: true,
        }
    }

    /// Whether this body was built by [`Body::verbatim`].
    pub fn is_verbatim(&self) -> bool {
        self.verbatim
    }

    /// The body as one JSON object, reserved keys first.
    pub fn to_map(&self) -> Map {
        if self.verbatim {
            return Map::clone(&self.fields);
        }
        let mut map = Map::new();
        map.insert("type".into(), Value::String(self.kind.clone()));
        if let Some(id) = self.msg_id {
            map.insert("msg_id".into(), id.into());
        }
        if let Some(id) = self.in_reply_to {
            map.insert("in_reply_to".into(), id.into());
        }
        for (k, v) in self.fields.iter() {
            map.insert(k.clone(), v.clone());
        }
        map
    }

    /// Deserialises the whole body (including `type`) into a typed payload.
    pub fn to_payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.to_map()))
    }

    /// Like [`Body::to_payload`], without copying the fields: the payload is
    /// read from them where they are, `type` first. Faster on the hot path of
    /// every message a node receives.
    pub fn parse_payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        if self.verbatim {
            return self.to_payload();
        }
        T::deserialize(Fields {
            kind: &self.kind,
            fields: &self.fields,
        })
    }

    /// Whether this is an `error` body.
    pub fn is_error(&self) -> bool {
        self.kind == "error"
    }

    /// Reads an `error` body as an [`RpcError`]; `None` for any other type.
    pub fn as_error(&self) -> Option<RpcError> {
        if !self.is_error() {
            return None;
        }
        let code = self
            .fields
            .get("code")
            .and_then(Value::as_u64)
            .map(|c| ErrorCode::from_code(c as u32))
            .unwrap_or(ErrorCode::Crash);
        let text = self
            .fields
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(RpcError::new(code, text))
    }

    /// A field by name.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// Sets a field, builder style.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        Arc::make_mut(&mut self.fields).insert(key.to_string(), value.into());
        self
    }

    /// Takes field `key` out of the body: moved when no copy of the body
    /// shares its fields, copied when one does.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        match Arc::get_mut(&mut self.fields) {
            Some(fields) => fields.remove(key),
            None => self.fields.get(key).cloned(),
        }
    }
}

/// The id in body key `key`'s value, if it has one.
fn id_value(key: &str, value: Option<Value>) -> Result<Option<u64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("body key `{key}` must be a non-negative integer, not {n}")),
        Some(other) => Err(format!("body key `{key}` must be an integer, not {other}")),
    }
}

impl Body {
    /// Appends the body as compact JSON: the bytes `serde_json::to_writer`
    /// writes for it, written directly ([`crate::json_out`]).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_json_marking_fields(out);
    }

    /// [`Body::write_json`], returning where in `out` the fields begin:
    /// the `,` before the first field, or the closing `}` when there are
    /// none (`None` for a verbatim body, written as it came). What follows
    /// that position is the fields' JSON, for a reader that wants the
    /// payload without `type`, `msg_id` and `in_reply_to`.
    pub fn write_json_marking_fields(&self, out: &mut Vec<u8>) -> Option<usize> {
        use crate::json_out::{write_map, write_str, write_u64, write_value};
        if self.verbatim {
            write_map(out, &self.fields);
            return None;
        }
        out.extend_from_slice(b"{\"type\":");
        write_str(out, &self.kind);
        if let Some(id) = self.msg_id {
            out.extend_from_slice(b",\"msg_id\":");
            write_u64(out, id);
        }
        if let Some(id) = self.in_reply_to {
            out.extend_from_slice(b",\"in_reply_to\":");
            write_u64(out, id);
        }
        let fields = out.len();
        for (k, v) in self.fields.iter() {
            out.push(b',');
            write_str(out, k);
            out.push(b':');
            write_value(out, v);
        }
        out.push(b'}');
        Some(fields)
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.verbatim {
            return self.fields.serialize(serializer);
        }
        let extra = usize::from(self.msg_id.is_some()) + usize::from(self.in_reply_to.is_some());
        let mut map = serializer.serialize_map(Some(1 + extra + self.fields.len()))?;
        map.serialize_entry("type", &self.kind)?;
        if let Some(id) = self.msg_id {
            map.serialize_entry("msg_id", &id)?;
        }
        if let Some(id) = self.in_reply_to {
            map.serialize_entry("in_reply_to", &id)?;
        }
        for (k, v) in self.fields.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::deserialize(deserializer)?;
        Body::from_map(map).map_err(de::Error::custom)
    }
}

/// A body's fields with its `type` first, lent to a deserializer as one JSON
/// object, so that a payload is read without building that object.
struct Fields<'a> {
    kind: &'a str,
    fields: &'a Map,
}

impl<'de> Deserializer<'de> for Fields<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(FieldsAccess {
            kind: Some(self.kind),
            entries: self.fields.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The entries of [`Fields`]: `type`, then the fields in order.
struct FieldsAccess<'a> {
    /// The `type`, until it has been read.
    kind: Option<&'a str>,
    entries: serde_json::map::Iter<'a>,
    /// The value of the key just read.
    value: Option<&'a Value>,
}

impl<'de> de::MapAccess<'de> for FieldsAccess<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::value::BorrowedStrDeserializer;
        if self.kind.is_some() {
            return seed
                .deserialize(BorrowedStrDeserializer::new("type"))
                .map(Some);
        }
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        use serde::de::value::BorrowedStrDeserializer;
        if let Some(kind) = self.kind.take() {
            return seed.deserialize(BorrowedStrDeserializer::new(kind));
        }
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.kind.is_some()) + self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body writes the bytes serde_json writes for it: every reserved key
    /// present or absent, escapes, nested fields, and a verbatim body.
    #[test]
    fn write_json_is_what_serde_json_writes() {
        let mut bodies = vec![
            Body::new("echo"),
            Body::new("we\"ird\n").with("echo", "x\u{1}"),
            Body::new("read_ok").with("messages", serde_json::json!([1, 22, 333])),
            Body::new("gossip").with(
                "deep",
                serde_json::json!({"b": [1.5, null], "a": {"c": true}}),
            ),
        ];
        let mut with_ids = Body::new("txn").with("txn", serde_json::json!([["r", 1, null]]));
        with_ids.msg_id = Some(7);
        with_ids.in_reply_to = Some(u64::MAX);
        bodies.push(with_ids);
        let raw = serde_json::json!({"zz": 1, "type": "odd", "msg_id": "not a number", "a": [-3]});
        let serde_json::Value::Object(map) = raw else {
            unreachable!()
        };
        bodies.push(Body::verbatim(map));
        for body in bodies {
            let mut ours = Vec::new();
            body.write_json(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&body).unwrap()
            );
        }
    }
    use serde_json::json;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Msg {
        Broadcast { message: u64 },
        Gossip { values: Vec<u64>, hops: Option<u8> },
        Read,
    }

    fn body(v: serde_json::Value) -> Body {
        Body::from_value(v).unwrap()
    }

    #[test]
    fn a_payload_is_read_from_the_fields_as_from_the_whole_object() {
        for v in [
            json!({"type": "broadcast", "msg_id": 1, "message": 7}),
            json!({"type": "gossip", "values": [1, 2, 3], "hops": null}),
            json!({"type": "gossip", "values": [], "hops": 2, "extra": {"a": [1]}}),
            json!({"type": "read", "msg_id": 3}),
            json!({"type": "gossip", "values": "not a list"}),
            json!({"type": "unknown"}),
        ] {
            let b = body(v.clone());
            let lent = b.parse_payload::<Msg>().map_err(|e| e.to_string());
            let built = b.to_payload::<Msg>().map_err(|e| e.to_string());
            assert_eq!(lent, built, "{v}");
        }
        assert_eq!(
            body(json!({"type": "gossip", "values": [4], "hops": 1}))
                .parse_payload::<Msg>()
                .unwrap(),
            Msg::Gossip {
                values: vec![4],
                hops: Some(1)
            }
        );
    }

    #[test]
    fn a_copy_shares_its_fields_and_a_change_copies_them_first() {
        let a = Body::new("read_ok").with("messages", json!([1, 2, 3]));
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.fields, &b.fields));
        // Shared: the value is copied out, and the copy keeps it.
        assert_eq!(b.take("messages"), Some(json!([1, 2, 3])));
        assert_eq!(a.get("messages"), Some(&json!([1, 2, 3])));
        let b = b.with("n", 1);
        assert!(!Arc::ptr_eq(&a.fields, &b.fields));
        assert_eq!(a.get("n"), None);
        // Not shared: moved out.
        let mut c = Body::new("read_ok").with("messages", json!([4]));
        assert_eq!(c.take("messages"), Some(json!([4])));
        assert_eq!(c.get("messages"), None);
    }
}
