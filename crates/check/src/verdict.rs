//! Verdicts: `valid`, `invalid` or `unknown`, serialised as upstream's `valid?`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The outcome of a check.
///
/// Serialises to JSON `true` (valid), `false` (invalid) or the string
/// `"unknown"`, as the `valid` field of upstream's `results.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Validity {
    /// The history satisfies the property.
    #[default]
    Valid,
    /// The check could not decide (budget exceeded, or nothing to check).
    Unknown,
    /// The history violates the property.
    Invalid,
}

impl Validity {
    /// Combines two verdicts: invalid beats unknown beats valid.
    #[must_use]
    pub fn merge(self, other: Validity) -> Validity {
        self.max(other)
    }

    /// Merges every verdict of an iterator (valid when empty).
    pub fn merge_all<I: IntoIterator<Item = Validity>>(it: I) -> Validity {
        it.into_iter().fold(Validity::Valid, Validity::merge)
    }

    /// `Valid` when `ok` holds, `Invalid` otherwise.
    #[must_use]
    pub fn from_bool(ok: bool) -> Validity {
        if ok {
            Validity::Valid
        } else {
            Validity::Invalid
        }
    }

    /// True for [`Validity::Valid`].
    #[must_use]
    pub fn is_valid(self) -> bool {
        self == Validity::Valid
    }

    /// The process exit code upstream uses for this verdict (0, 1 or 2).
    #[must_use]
    pub fn exit_code(self) -> i32 {
        match self {
            Validity::Valid => 0,
            Validity::Invalid => 1,
            Validity::Unknown => 2,
        }
    }
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Validity::Valid => s.serialize_bool(true),
            Validity::Invalid => s.serialize_bool(false),
            Validity::Unknown => s.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(true) => Ok(Validity::Valid),
            serde_json::Value::Bool(false) => Ok(Validity::Invalid),
            serde_json::Value::String(s) if s == "unknown" => Ok(Validity::Unknown),
            other => Err(serde::de::Error::custom(format!(
                "expected true, false or \"unknown\", got {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip() {
        for (v, s) in [
            (Validity::Valid, "true"),
            (Validity::Invalid, "false"),
            (Validity::Unknown, "\"unknown\""),
        ] {
            assert_eq!(serde_json::to_string(&v).unwrap(), s);
            assert_eq!(serde_json::from_str::<Validity>(s).unwrap(), v);
        }
        assert!(serde_json::from_str::<Validity>("3").is_err());
    }

    #[test]
    fn merge_priority() {
        use Validity::*;
        assert_eq!(Valid.merge(Unknown), Unknown);
        assert_eq!(Unknown.merge(Invalid), Invalid);
        assert_eq!(Invalid.merge(Valid), Invalid);
        assert_eq!(Validity::merge_all([Valid, Valid]), Valid);
        assert_eq!(Validity::merge_all([]), Valid);
    }
}
