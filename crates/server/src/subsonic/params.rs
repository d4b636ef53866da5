//! Request parameters, from the query string and a form-encoded body (OpenSubsonic `formPost`),
//! in order; a name may repeat (`id=…&id=…`, `songIdToAdd=…`).
//!
//! Not for: what a parameter means (the endpoints read them).

use super::SubsonicError;

#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn from_query(query: &str) -> Params {
        let mut p = Params::default();
        p.extend(query.as_bytes());
        p
    }

    /// Adds the parameters of a form-encoded body.
    pub fn extend_from_form(&mut self, body: &[u8]) {
        self.extend(body);
    }

    fn extend(&mut self, encoded: &[u8]) {
        self.pairs
            .extend(form_urlencoded::parse(encoded).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn required(&self, name: &str) -> Result<&str, SubsonicError> {
        self.get(name).ok_or_else(|| SubsonicError::missing(name))
    }

    /// An integer parameter; a malformed one is an error, a missing one `None`.
    pub fn int(&self, name: &str) -> Result<Option<i64>, SubsonicError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                SubsonicError::new(
                    0,
                    format!("parameter {name} must be a whole number, got {v:?}"),
                )
            }),
        }
    }

    /// A count parameter clamped to `0..=max`, `default` when missing.
    pub fn count(&self, name: &str, default: usize, max: usize) -> Result<usize, SubsonicError> {
        Ok(self
            .int(name)?
            .map_or(default, |v| usize::try_from(v.max(0)).unwrap_or(0))
            .min(max))
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name)
            .map(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }
}

/// A `p` parameter: the password itself, or `enc:` followed by its UTF-8 bytes in hex.
pub fn decode_password(p: &str) -> Option<String> {
    let Some(hex) = p.strip_prefix("enc:") else {
        return Some(p.to_string());
    };
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_form_parameters_in_order_with_repeats() {
        let mut p = Params::from_query("u=ada&id=tr-1&id=tr-2&f=json&q=a%20b");
        p.extend_from_form(b"songIdToAdd=tr-3&songIdToAdd=tr-4&c=My+App");
        assert_eq!(p.get("u"), Some("ada"));
        assert_eq!(p.all("id"), vec!["tr-1", "tr-2"]);
        assert_eq!(p.all("songIdToAdd"), vec!["tr-3", "tr-4"]);
        assert_eq!(p.get("q"), Some("a b"));
        assert_eq!(p.get("c"), Some("My App"));
        assert_eq!(p.int("size").unwrap(), None);
        assert!(Params::from_query("size=ten").int("size").is_err());
        assert_eq!(
            Params::from_query("size=900")
                .count("size", 10, 500)
                .unwrap(),
            500
        );
    }

    #[test]
    fn passwords_plain_or_hex() {
        assert_eq!(decode_password("sesame").as_deref(), Some("sesame"));
        assert_eq!(
            decode_password("enc:736573616d65").as_deref(),
            Some("sesame")
        );
        assert_eq!(decode_password("enc:73657"), None);
        assert_eq!(decode_password("enc:zz"), None);
        assert_eq!(decode_password("enc:c3a9").as_deref(), Some("é"));
    }
}
