//! Message bodies: the reserved keys plus every other field, kept as JSON.

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
    /// Every other key (every key, for a [`Body::verbatim`] body).
    pub fields: Map,
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
        let kind = match map.remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => return Err(format!("body key `type` must be a string, not {other}")),
            None => return Err("body has no `type` key".to_string()),
        };
        let msg_id = take_id(&mut map, "msg_id")?;
        let in_reply_to = take_id(&mut map, "in_reply_to")?;
        Ok(Body {
            kind,
            msg_id,
            in_reply_to,
            fields: map,
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
            fields: map,
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
            return self.fields.clone();
        }
        let mut map = Map::new();
        map.insert("type".into(), Value::String(self.kind.clone()));
        if let Some(id) = self.msg_id {
            map.insert("msg_id".into(), id.into());
        }
        if let Some(id) = self.in_reply_to {
            map.insert("in_reply_to".into(), id.into());
        }
        for (k, v) in &self.fields {
            map.insert(k.clone(), v.clone());
        }
        map
    }

    /// Deserialises the whole body (including `type`) into a typed payload.
    pub fn to_payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.to_map()))
    }

    /// Like [`Body::to_payload`], without copying the fields: they are lent to the
    /// deserializer (with `type` added) and put back afterwards. Faster on the hot
    /// path of every message a node receives.
    pub fn parse_payload<T: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Result<T, serde_json::Error> {
        if self.verbatim {
            return self.to_payload();
        }
        let mut map = std::mem::take(&mut self.fields);
        let clash = map.insert("type".into(), Value::String(std::mem::take(&mut self.kind)));
        let value = Value::Object(map);
        let result = T::deserialize(&value);
        let Value::Object(mut map) = value else {
            unreachable!("built as an object above")
        };
        if let Some(Value::String(kind)) = map.remove("type") {
            self.kind = kind;
        }
        if let Some(previous) = clash {
            map.insert("type".into(), previous);
        }
        self.fields = map;
        result
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
        self.fields.insert(key.to_string(), value.into());
        self
    }
}

fn take_id(map: &mut Map, key: &str) -> Result<Option<u64>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("body key `{key}` must be a non-negative integer, not {n}")),
        Some(other) => Err(format!("body key `{key}` must be an integer, not {other}")),
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
        for (k, v) in &self.fields {
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
