//! Subsonic responses as a small tree that renders to both wire formats: XML in the
//! `http://subsonic.org/restapi` namespace, and JSON as `{"subsonic-response": {...}}` (and
//! JSONP). One tree per answer means the two formats cannot drift apart.
//!
//! The mapping follows the Subsonic convention: attributes become JSON fields (numbers and
//! booleans keep their type), a child element becomes a JSON object, a repeated child (a list)
//! becomes a JSON array even with one or no element, and text content becomes `"value"`.
//!
//! Not for: what goes into an answer (the endpoint files) or HTTP headers (`mod.rs`).

use serde_json::{Map, Value};

/// The API version spoken.
pub const API_VERSION: &str = "1.16.1";
/// The XML namespace of every response.
pub const XMLNS: &str = "http://subsonic.org/restapi";

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl From<&str> for Attr {
    fn from(s: &str) -> Self {
        Attr::Str(s.to_string())
    }
}
impl From<String> for Attr {
    fn from(s: String) -> Self {
        Attr::Str(s)
    }
}
impl From<&String> for Attr {
    fn from(s: &String) -> Self {
        Attr::Str(s.clone())
    }
}
impl From<i64> for Attr {
    fn from(v: i64) -> Self {
        Attr::Int(v)
    }
}
impl From<u64> for Attr {
    fn from(v: u64) -> Self {
        Attr::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Attr {
    fn from(v: u32) -> Self {
        Attr::Int(v as i64)
    }
}
impl From<i32> for Attr {
    fn from(v: i32) -> Self {
        Attr::Int(v as i64)
    }
}
impl From<usize> for Attr {
    fn from(v: usize) -> Self {
        Attr::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Attr {
    fn from(v: f64) -> Self {
        Attr::Float(v)
    }
}
impl From<bool> for Attr {
    fn from(v: bool) -> Self {
        Attr::Bool(v)
    }
}

/// One element of a response.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub name: &'static str,
    attrs: Vec<(&'static str, Attr)>,
    /// Children in order; `true` marks a list (a JSON array).
    children: Vec<(Node, bool)>,
    /// Lists with no element yet (still an empty JSON array, no XML element).
    empty_lists: Vec<&'static str>,
    /// Lists of plain values (`<versions>1</versions>` in XML, `"versions": [1]` in JSON).
    values: Vec<(&'static str, Vec<Attr>)>,
    text: Option<String>,
}

impl Node {
    pub fn new(name: &'static str) -> Node {
        Node {
            name,
            ..Node::default()
        }
    }

    /// The same element under another name.
    pub fn renamed(mut self, name: &'static str) -> Node {
        self.name = name;
        self
    }

    /// Adds an attribute.
    pub fn attr(mut self, name: &'static str, value: impl Into<Attr>) -> Node {
        self.attrs.push((name, value.into()));
        self
    }

    /// Adds an attribute when there is a value.
    pub fn opt(self, name: &'static str, value: Option<impl Into<Attr>>) -> Node {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Adds one child object.
    pub fn child(mut self, node: Node) -> Node {
        self.children.push((node, false));
        self
    }

    /// Adds the elements of a list named `name` (an array in JSON, even empty).
    pub fn list(mut self, name: &'static str, items: impl IntoIterator<Item = Node>) -> Node {
        let before = self.children.len();
        self.children
            .extend(items.into_iter().map(|n| (Node { name, ..n }, true)));
        if self.children.len() == before {
            self.empty_lists.push(name);
        }
        self
    }

    /// Adds a list of plain values.
    pub fn values(mut self, name: &'static str, values: impl IntoIterator<Item = Attr>) -> Node {
        self.values.push((name, values.into_iter().collect()));
        self
    }

    /// Sets the text content.
    pub fn text(mut self, text: impl Into<String>) -> Node {
        self.text = Some(text.into());
        self
    }

    fn write_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            write_value(v, out);
            out.push('"');
        }
        let no_values = self.values.iter().all(|(_, v)| v.is_empty());
        if self.children.is_empty() && self.text.is_none() && no_values {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(t) = &self.text {
            escape(t, out);
        }
        for (c, _) in &self.children {
            c.write_xml(out);
        }
        for (name, values) in &self.values {
            for v in values {
                out.push('<');
                out.push_str(name);
                out.push('>');
                write_value(v, out);
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (k, v) in &self.attrs {
            map.insert(k.to_string(), json_value(v));
        }
        for (name, values) in &self.values {
            map.insert(
                name.to_string(),
                Value::Array(values.iter().map(json_value).collect()),
            );
        }
        for name in &self.empty_lists {
            map.entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
        }
        for (c, is_list) in &self.children {
            let v = c.to_json();
            if *is_list {
                match map
                    .entry(c.name.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(a) => a.push(v),
                    other => *other = Value::Array(vec![v]),
                }
            } else {
                map.insert(c.name.to_string(), v);
            }
        }
        if let Some(t) = &self.text {
            map.insert("value".into(), Value::String(t.clone()));
        }
        Value::Object(map)
    }
}

fn write_value(v: &Attr, out: &mut String) {
    match v {
        Attr::Str(s) => escape(s, out),
        Attr::Int(i) => out.push_str(&i.to_string()),
        Attr::Float(f) => out.push_str(&format_float(*f)),
        Attr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

fn json_value(v: &Attr) -> Value {
    match v {
        Attr::Str(s) => Value::String(s.clone()),
        Attr::Int(i) => Value::from(*i),
        Attr::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Attr::Bool(b) => Value::Bool(*b),
    }
}

/// Floats as Subsonic clients read them: no exponent, no trailing `.0` noise beyond need.
fn format_float(f: f64) -> String {
    if !f.is_finite() {
        return "0".into();
    }
    let s = format!("{f}");
    if s.contains('e') {
        format!("{f:.6}")
    } else {
        s
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// The answer's envelope: status, versions, and the payload (or an error). The payload is a
/// nameless node whose attributes, children and lists become the root element's.
pub struct Envelope {
    pub ok: bool,
    pub body: Node,
}

impl Envelope {
    pub fn ok(body: Node) -> Envelope {
        Envelope { ok: true, body }
    }

    pub fn error(code: u32, message: &str) -> Envelope {
        Envelope {
            ok: false,
            body: Node::default().child(
                Node::new("error")
                    .attr("code", code)
                    .attr("message", message),
            ),
        }
    }

    fn root(&self) -> Node {
        let mut root = Node::new("subsonic-response")
            .attr("status", if self.ok { "ok" } else { "failed" })
            .attr("version", API_VERSION)
            .attr("type", "auralis")
            .attr("serverVersion", env!("CARGO_PKG_VERSION"))
            .attr("openSubsonic", true);
        let body = self.body.clone();
        root.attrs.extend(body.attrs);
        root.children.extend(body.children);
        root.empty_lists.extend(body.empty_lists);
        root.values.extend(body.values);
        root
    }

    pub fn to_xml(&self) -> String {
        let root = self.root();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        // The namespace goes on the root only.
        let root = Node {
            attrs: std::iter::once(("xmlns", Attr::Str(XMLNS.into())))
                .chain(root.attrs.clone())
                .collect(),
            ..root
        };
        root.write_xml(&mut out);
        out
    }

    pub fn to_json(&self) -> String {
        let mut wrapper = Map::new();
        wrapper.insert("subsonic-response".into(), self.root().to_json());
        Value::Object(wrapper).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope::ok(
            Node::default().child(
                Node::new("albumList2")
                    .list(
                        "album",
                        [Node::new("album")
                            .attr("id", "al-1")
                            .attr("name", "A & B <live>")
                            .attr("songCount", 3u32)
                            .attr("duration", 12.5)
                            .attr("starred_x", true)],
                    )
                    .list("empty", []),
            ),
        )
    }

    #[test]
    fn xml_has_the_namespace_escapes_and_types() {
        let x = sample().to_xml();
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><subsonic-response xmlns=\"http://subsonic.org/restapi\" status=\"ok\" version=\"1.16.1\" type=\"auralis\""), "{x}");
        assert!(x.contains("openSubsonic=\"true\""), "{x}");
        assert!(x.contains("<albumList2><album id=\"al-1\" name=\"A &amp; B &lt;live&gt;\" songCount=\"3\" duration=\"12.5\" starred_x=\"true\"/></albumList2>"), "{x}");
    }

    #[test]
    fn json_keeps_lists_as_arrays_and_values_typed() {
        let v: Value = serde_json::from_str(&sample().to_json()).unwrap();
        let r = &v["subsonic-response"];
        assert_eq!(r["status"], "ok");
        assert_eq!(r["openSubsonic"], true);
        assert_eq!(r["albumList2"]["album"][0]["songCount"], 3);
        assert_eq!(r["albumList2"]["album"][0]["duration"], 12.5);
        assert_eq!(r["albumList2"]["empty"], serde_json::json!([]));
        let e: Value =
            serde_json::from_str(&Envelope::error(40, "Wrong username or password").to_json())
                .unwrap();
        assert_eq!(e["subsonic-response"]["status"], "failed");
        assert_eq!(e["subsonic-response"]["error"]["code"], 40);
        let t: Value = serde_json::from_str(
            &Envelope::ok(
                Node::default().child(Node::new("lyrics").attr("artist", "x").text("la la")),
            )
            .to_json(),
        )
        .unwrap();
        assert_eq!(t["subsonic-response"]["lyrics"]["value"], "la la");
    }

    #[test]
    fn root_lists_and_plain_value_lists() {
        let e = Envelope::ok(
            Node::default().list(
                "openSubsonicExtensions",
                [Node::new("x")
                    .attr("name", "formPost")
                    .values("versions", [Attr::Int(1)])],
            ),
        );
        let v: Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            v["subsonic-response"]["openSubsonicExtensions"],
            serde_json::json!([{"name": "formPost", "versions": [1]}])
        );
        let x = e.to_xml();
        assert!(
            x.contains("<openSubsonicExtensions name=\"formPost\"><versions>1</versions></openSubsonicExtensions>"),
            "{x}"
        );
    }
}
