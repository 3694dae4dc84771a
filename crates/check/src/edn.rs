//! A small reader for EDN, the notation Jepsen and Knossos write histories in.
//!
//! It reads what histories hold: maps, vectors, lists, sets, keywords,
//! symbols, strings (with escapes), characters, integers (with an optional
//! `N`), floats (with an optional `M`), `nil`, `true` and `false`; `;`
//! comments, commas as whitespace and `#_` discards. A tagged literal
//! (`#inst "..."`, `#jepsen.history.Op{...}`) is read as its value: the tag
//! says how Clojure would build an object, and a history's checkers need only
//! the data. Ratios and `##Inf` are rejected with their position.
//!
//! Every value comes with the line and column it starts at, so a history's
//! operations can be traced back to the lines of the file they came from.

use serde_json::{Map, Number, Value};

/// A position in the text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// Text that is not EDN, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {msg}", pos.line, pos.col)]
pub struct EdnError {
    /// Where the problem was found.
    pub pos: Pos,
    /// What was wrong.
    pub msg: String,
}

/// An EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer too big for 64 bits, or written with `N`, as its digits.
    BigInt(String),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A character (`\a`, `\newline`).
    Char(char),
    /// A keyword, without its colon (`:f` is `"f"`, `:a/b` is `"a/b"`).
    Keyword(String),
    /// A symbol other than `nil`, `true` and `false`.
    Symbol(String),
    /// `( ... )`.
    List(Vec<Edn>),
    /// `[ ... ]`.
    Vector(Vec<Edn>),
    /// `{k v ...}`, in the order written.
    Map(Vec<(Edn, Edn)>),
    /// `#{ ... }`, in the order written.
    Set(Vec<Edn>),
}

impl Edn {
    /// The value of `key` (a keyword, e.g. `"process"`) in a map.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(name) if name == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// As JSON: keywords, symbols and characters become strings (a keyword
    /// without its colon), lists and sets arrays, map keys strings (a key that
    /// is not a keyword or string is written as EDN), big integers and floats
    /// numbers where JSON can hold them.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Edn::Nil => Value::Null,
            Edn::Bool(b) => Value::Bool(*b),
            Edn::Int(n) => Value::from(*n),
            Edn::BigInt(digits) => digits
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(digits.clone())),
            Edn::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Value::String(s.clone()),
            Edn::Char(c) => Value::String(c.to_string()),
            Edn::List(items) | Edn::Vector(items) | Edn::Set(items) => {
                Value::Array(items.iter().map(Edn::to_json).collect())
            }
            Edn::Map(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    let key = match k {
                        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => s.clone(),
                        other => other.to_json().to_string(),
                    };
                    map.insert(key, v.to_json());
                }
                Value::Object(map)
            }
        }
    }
}

/// Reads EDN values one after another from a text.
#[derive(Debug)]
pub struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
    /// Where the sequence entered with [`Reader::enter_sequence`] opened.
    open: Option<Pos>,
}

/// Characters that end a token (besides whitespace).
fn is_delimiter(c: char) -> bool {
    matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';' | ',')
}

/// Characters that may appear in a symbol, keyword or number.
fn is_token_char(c: char) -> bool {
    !c.is_whitespace() && !is_delimiter(c)
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        Reader {
            chars: text.chars().peekable(),
            pos: Pos { line: 1, col: 1 },
            open: None,
        }
    }

    fn error<T>(&self, pos: Pos, msg: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError {
            pos,
            msg: msg.into(),
        })
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.col = 1;
        } else {
            self.pos.col += 1;
        }
        Some(c)
    }

    /// Skips whitespace, commas and `;` comments.
    fn skip_blank(&mut self) {
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while self.chars.peek().is_some_and(|&c| c != '\n') {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// The next top-level value and where it starts, or `None` at the end.
    pub fn next_value(&mut self) -> Result<Option<(Pos, Edn)>, EdnError> {
        loop {
            self.skip_blank();
            let start = self.pos;
            match self.chars.peek() {
                None => return Ok(None),
                Some(')' | ']' | '}') => {
                    let c = self.bump().unwrap_or(' ');
                    return self.error(start, format!("unexpected {c:?} with nothing open"));
                }
                Some(_) => {}
            }
            if let Some(v) = self.value_or_discard()? {
                return Ok(Some((start, v)));
            }
        }
    }

    /// If the next form opens a vector or a list, consumes its opening
    /// bracket and returns the character that closes it: the caller then
    /// reads its elements one at a time with [`Reader::next_item`], each
    /// with its own position (a history written as one vector of ops).
    pub fn enter_sequence(&mut self) -> Option<char> {
        self.skip_blank();
        let close = match self.chars.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return None,
        };
        self.open = Some(self.pos);
        self.bump();
        Some(close)
    }

    /// The next element of the sequence entered with
    /// [`Reader::enter_sequence`], or `None` once its `close` is read.
    pub fn next_item(&mut self, close: char) -> Result<Option<(Pos, Edn)>, EdnError> {
        loop {
            self.skip_blank();
            let start = self.pos;
            match self.chars.peek() {
                None => {
                    let open = self.open.unwrap_or(start);
                    return self.error(
                        open,
                        format!("this collection is never closed (expected {close:?})"),
                    );
                }
                Some(&c) if c == close => {
                    self.bump();
                    return Ok(None);
                }
                Some(&c @ (')' | ']' | '}')) => {
                    return self.error(start, format!("expected {close:?} but found {c:?}"));
                }
                Some(_) => {}
            }
            if let Some(v) = self.value_or_discard()? {
                return Ok(Some((start, v)));
            }
        }
    }

    /// Reads one value; `None` when what was read was a `#_` discard.
    fn value_or_discard(&mut self) -> Result<Option<Edn>, EdnError> {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return self.error(start, "unexpected end of input");
        };
        let v = match c {
            '(' => Edn::List(self.items(')', start)?),
            '[' => Edn::Vector(self.items(']', start)?),
            '{' => {
                let items = self.items('}', start)?;
                if items.len() % 2 == 1 {
                    return self.error(start, "a map needs an even number of forms");
                }
                let mut it = items.into_iter();
                let mut entries = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                Edn::Map(entries)
            }
            '"' => Edn::Str(self.string(start)?),
            '\\' => Edn::Char(self.character(start)?),
            '#' => return self.dispatch(start),
            ':' => {
                let name = self.token();
                if name.is_empty() {
                    return self.error(start, "a keyword needs a name after ':'");
                }
                // `::kw` (auto-resolved) names the current namespace, which a
                // file has none of: keep the name.
                Edn::Keyword(name.trim_start_matches(':').to_string())
            }
            c => {
                let mut tok = String::from(c);
                tok.push_str(&self.token());
                self.atom(&tok, start)?
            }
        };
        Ok(Some(v))
    }

    /// The rest of a token (symbol, keyword or number characters).
    fn token(&mut self) -> String {
        let mut s = String::new();
        while let Some(&c) = self.chars.peek() {
            if !is_token_char(c) {
                break;
            }
            s.push(c);
            self.bump();
        }
        s
    }

    /// Values up to the closing `close` of a collection opened at `start`.
    fn items(&mut self, close: char, start: Pos) -> Result<Vec<Edn>, EdnError> {
        let mut out = Vec::new();
        loop {
            self.skip_blank();
            match self.chars.peek() {
                None => {
                    return self.error(
                        start,
                        format!("this collection is never closed (expected {close:?})"),
                    )
                }
                Some(&c) if c == close => {
                    self.bump();
                    return Ok(out);
                }
                Some(&c @ (')' | ']' | '}')) => {
                    let at = self.pos;
                    return self.error(at, format!("expected {close:?} but found {c:?}"));
                }
                Some(_) => {
                    if let Some(v) = self.value_or_discard()? {
                        out.push(v);
                    }
                }
            }
        }
    }

    /// A string's body, after its opening quote.
    fn string(&mut self, start: Pos) -> Result<String, EdnError> {
        let mut s = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return self.error(start, "this string is never closed"),
                Some('"') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('b') => s.push('\u{8}'),
                    Some('f') => s.push('\u{c}'),
                    Some('"') => s.push('"'),
                    Some('\\') => s.push('\\'),
                    Some('u') => {
                        let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => s.push(c),
                            None => return self.error(at, format!("bad escape \\u{hex}")),
                        }
                    }
                    Some(c) => return self.error(at, format!("unknown escape \\{c}")),
                    None => return self.error(start, "this string is never closed"),
                },
                Some(c) => s.push(c),
            }
        }
    }

    /// A character literal, after its backslash.
    fn character(&mut self, start: Pos) -> Result<char, EdnError> {
        let Some(first) = self.bump() else {
            return self.error(start, "a character needs a name after '\\'");
        };
        let rest = self.token();
        if rest.is_empty() {
            return Ok(first);
        }
        let name = format!("{first}{rest}");
        match name.as_str() {
            "newline" => Ok('\n'),
            "space" => Ok(' '),
            "tab" => Ok('\t'),
            "return" => Ok('\r'),
            "backspace" => Ok('\u{8}'),
            "formfeed" => Ok('\u{c}'),
            _ => match name
                .strip_prefix('u')
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
            {
                Some(c) => Ok(c),
                None => self.error(start, format!("unknown character \\{name}")),
            },
        }
    }

    /// What follows a `#`: a set, a discard, or a tagged literal.
    fn dispatch(&mut self, start: Pos) -> Result<Option<Edn>, EdnError> {
        match self.chars.peek() {
            Some('{') => {
                self.bump();
                Ok(Some(Edn::Set(self.items('}', start)?)))
            }
            Some('_') => {
                self.bump();
                self.skip_blank();
                // The next form is read and thrown away.
                self.value_or_discard()?;
                Ok(None)
            }
            Some(&c) if c.is_alphabetic() => {
                // A tag such as `inst`, `uuid` or a record's class name,
                // then the value it tags: the value is what is kept.
                let tag = self.token();
                self.skip_blank();
                if self.chars.peek().is_none() {
                    return self.error(start, format!("the tag #{tag} has no value"));
                }
                loop {
                    if let Some(v) = self.value_or_discard()? {
                        return Ok(Some(v));
                    }
                    self.skip_blank();
                }
            }
            Some('#') => self.error(start, "symbolic values such as ##Inf are not supported"),
            _ => self.error(
                start,
                "unsupported '#' form (sets #{...}, discards #_ and tagged literals are read)",
            ),
        }
    }

    /// A number or symbol token.
    fn atom(&self, tok: &str, start: Pos) -> Result<Edn, EdnError> {
        match tok {
            "nil" => return Ok(Edn::Nil),
            "true" => return Ok(Edn::Bool(true)),
            "false" => return Ok(Edn::Bool(false)),
            _ => {}
        }
        let body = tok.strip_prefix(['+', '-']).unwrap_or(tok);
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(Edn::Symbol(tok.to_string()));
        }
        if tok.contains('/') {
            return self.error(start, format!("ratios such as {tok} are not supported"));
        }
        if let Some(digits) = tok.strip_suffix('N') {
            return match digits.parse::<i64>() {
                Ok(n) => Ok(Edn::Int(n)),
                Err(_) if is_integer(digits) => {
                    Ok(Edn::BigInt(digits.trim_start_matches('+').to_string()))
                }
                Err(_) => self.error(start, format!("bad number {tok}")),
            };
        }
        if is_integer(tok) {
            return match tok.parse::<i64>() {
                Ok(n) => Ok(Edn::Int(n)),
                Err(_) => Ok(Edn::BigInt(tok.trim_start_matches('+').to_string())),
            };
        }
        let float = tok.strip_suffix('M').unwrap_or(tok);
        match float.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Edn::Float(f)),
            _ => self.error(start, format!("bad number {tok}")),
        }
    }
}

/// An optional sign and decimal digits.
fn is_integer(s: &str) -> bool {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// Reads every top-level value of `text` with its starting position.
pub fn read_all(text: &str) -> Result<Vec<(Pos, Edn)>, EdnError> {
    let mut r = Reader::new(text);
    let mut out = Vec::new();
    while let Some(v) = r.next_value()? {
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Edn {
        let v = read_all(text).unwrap();
        assert_eq!(v.len(), 1, "{text}: {v:?}");
        v.into_iter().next().unwrap().1
    }

    #[test]
    fn scalars() {
        assert_eq!(one("nil"), Edn::Nil);
        assert_eq!(one("true"), Edn::Bool(true));
        assert_eq!(one("-12"), Edn::Int(-12));
        assert_eq!(one("+7"), Edn::Int(7));
        assert_eq!(one("12N"), Edn::Int(12));
        assert_eq!(
            one("123456789012345678901234567890"),
            Edn::BigInt("123456789012345678901234567890".into())
        );
        assert_eq!(one("1.5"), Edn::Float(1.5));
        assert_eq!(one("2e3"), Edn::Float(2000.0));
        assert_eq!(one("1.25M"), Edn::Float(1.25));
        assert_eq!(one(":invoke"), Edn::Keyword("invoke".into()));
        assert_eq!(one(":a.b/c"), Edn::Keyword("a.b/c".into()));
        assert_eq!(one("foo"), Edn::Symbol("foo".into()));
        assert_eq!(one(r"\a"), Edn::Char('a'));
        assert_eq!(one(r"\newline"), Edn::Char('\n'));
        assert_eq!(one(r"\u00e9"), Edn::Char('é'));
        assert_eq!(one(r#""a\"b\\c\n\u00e9""#), Edn::Str("a\"b\\c\né".into()));
    }

    #[test]
    fn collections_comments_commas_discards_and_tags() {
        let text = "; a comment\n{:process 0, :type :invoke, ; why\n :f :cas, :value [1 2] \
                    :s #{1 2} :l (1 #_ 2 3) :t #inst \"2020-01-01\"}";
        let v = one(text);
        assert_eq!(
            v.to_json(),
            json!({"process": 0, "type": "invoke", "f": "cas", "value": [1, 2],
                   "s": [1, 2], "l": [1, 3], "t": "2020-01-01"})
        );
        assert_eq!(v.get("f"), Some(&Edn::Keyword("cas".into())));
        // A record prints as its class name and a map: the map is read.
        let r = one("#jepsen.history.Op{:index 0, :type :ok}");
        assert_eq!(r.get("type"), Some(&Edn::Keyword("ok".into())));
        // Non-keyword map keys are written as EDN.
        assert_eq!(one("{1 :a}").to_json(), json!({"1": "a"}));
    }

    #[test]
    fn positions_are_lines_and_columns() {
        let all = read_all("{:a 1}\n\n  [1\n 2] :k").unwrap();
        let pos: Vec<(usize, usize)> = all.iter().map(|(p, _)| (p.line, p.col)).collect();
        assert_eq!(pos, vec![(1, 1), (3, 3), (4, 5)]);
    }

    #[test]
    fn malformed_input_names_its_place() {
        let cases = [
            ("{:a 1", 1, 1, "never closed"),
            ("{:a 1 :b}", 1, 1, "even number"),
            ("[1 2}", 1, 5, "expected ']'"),
            ("\n  \"abc", 2, 3, "string is never closed"),
            ("1/2", 1, 1, "ratios"),
            ("##Inf", 1, 1, "##Inf"),
            ("[1 \"\\q\"]", 1, 5, "unknown escape"),
            (")", 1, 1, "nothing open"),
            ("#{1} #", 1, 6, "unsupported '#'"),
            ("1.2.3", 1, 1, "bad number"),
        ];
        for (text, line, col, words) in cases {
            let e = read_all(text).unwrap_err();
            assert_eq!((e.pos.line, e.pos.col), (line, col), "{text}: {e}");
            assert!(e.to_string().contains(words), "{text}: {e}");
        }
    }
}
