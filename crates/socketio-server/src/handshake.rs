//! The handshake details of a socket (Node's `socket.handshake`).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::HashMap;

/// What the client sent when it connected: Node's `socket.handshake`.
///
/// It reads the engine session's handshake request (kept once per connection, shared by
/// every namespace of it) instead of copying it: only `auth` and the issue time are
/// stored per socket. The other fields are computed when asked for.
#[derive(Debug, Clone)]
pub struct Handshake {
    conn: engineio::Socket,
    issued: u64,
    auth: serde_json::Value,
}

impl Handshake {
    pub(crate) fn from_engine(conn: &engineio::Socket, auth: serde_json::Value) -> Self {
        Self {
            conn: conn.clone(),
            issued: crate::time::now_millis(),
            auth,
        }
    }

    /// The engine session this socket runs over.
    pub(crate) fn conn(&self) -> &engineio::Socket {
        &self.conn
    }

    fn request(&self) -> &engineio::RequestInfo {
        self.conn.request()
    }

    /// The CONNECT payload for this namespace (`auth` option of the client), `{}` when
    /// none.
    pub fn auth(&self) -> &serde_json::Value {
        &self.auth
    }

    /// A string field of `auth` (e.g. `auth_str("token")`).
    pub fn auth_str(&self, key: &str) -> Option<&str> {
        self.auth.get(key).and_then(|v| v.as_str())
    }

    /// Request headers of the first HTTP request of the engine session.
    pub fn headers(&self) -> &http::HeaderMap {
        self.request().headers()
    }

    /// One request header (case-insensitive name), if it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request().header(name)
    }

    /// Creation date as JavaScript's `String(new Date())` (UTC).
    pub fn time(&self) -> String {
        crate::time::js_date_string(self.issued)
    }

    /// Creation time in milliseconds since the Unix epoch.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Client IP address (the TCP peer; no proxy headers are trusted), `""` when the
    /// server did not provide it.
    pub fn address(&self) -> String {
        self.request()
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    }

    /// Whether the request carried an `Origin` header (cross-domain).
    pub fn xdomain(&self) -> bool {
        self.request().has_header("origin")
    }

    /// Whether the connection is over TLS.
    pub fn secure(&self) -> bool {
        self.request().secure()
    }

    /// The request URL (path and query) of the first request.
    pub fn url(&self) -> &str {
        self.request().target()
    }

    /// Query parameters of the first request, percent-decoded (the last value of a
    /// repeated name wins, like a JavaScript object).
    pub fn query(&self) -> HashMap<String, String> {
        self.request()
            .query_pairs()
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect()
    }

    /// One query parameter, percent-decoded (the last value of a repeated name wins).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.request()
            .query_pairs()
            .filter(|(k, _)| percent_decode(k) == name)
            .last()
            .map(|(_, v)| percent_decode(v))
    }
}

impl Serialize for Handshake {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a http::HeaderMap);
        impl Serialize for Headers<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.keys_len()))?;
                for name in self.0.keys() {
                    let joined = self
                        .0
                        .get_all(name)
                        .iter()
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ");
                    m.serialize_entry(name.as_str(), &joined)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("headers", &Headers(self.headers()))?;
        m.serialize_entry("time", &self.time())?;
        m.serialize_entry("address", &self.address())?;
        m.serialize_entry("xdomain", &self.xdomain())?;
        m.serialize_entry("secure", &self.secure())?;
        m.serialize_entry("issued", &self.issued)?;
        m.serialize_entry("url", self.url())?;
        m.serialize_entry("query", &self.query())?;
        m.serialize_entry("auth", &self.auth)?;
        m.end()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(super::percent_decode("%41"), "A");
    }
}
