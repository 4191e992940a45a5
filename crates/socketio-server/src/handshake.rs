//! The handshake details of a socket (Node's `socket.handshake`).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::HashMap;

/// What the client sent when it connected: Node's `socket.handshake`.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// Request headers of the first HTTP request of the engine session.
    pub headers: http::HeaderMap,
    /// Creation date as JavaScript's `String(new Date())` (UTC).
    pub time: String,
    /// Client IP address (the TCP peer; no proxy headers are trusted).
    pub address: String,
    /// Whether the request carried an `Origin` header (cross-domain).
    pub xdomain: bool,
    /// Whether the connection is over TLS.
    pub secure: bool,
    /// Creation time in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query) of the first request.
    pub url: String,
    /// Query parameters of the first request.
    pub query: HashMap<String, String>,
    /// The CONNECT payload for this namespace (`auth` option of the client), `{}` when none.
    pub auth: serde_json::Value,
}

impl Handshake {
    pub(crate) fn from_engine(socket: &engineio::Socket, auth: serde_json::Value) -> Self {
        let req = socket.request();
        let issued = crate::time::now_millis();
        let uri = req.uri();
        let query = uri
            .query()
            .map(|q| {
                q.split('&')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                        (percent_decode(k), percent_decode(v))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            headers: req.headers().clone(),
            time: crate::time::js_date_string(issued),
            address: req
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            xdomain: req.headers().contains_key(http::header::ORIGIN),
            secure: req.secure(),
            issued,
            url: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| uri.to_string()),
            query,
            auth,
        }
    }

    /// A string field of the auth payload, e.g. `handshake.auth_str("token")`.
    pub fn auth_str(&self, key: &str) -> Option<&str> {
        self.auth.get(key).and_then(|v| v.as_str())
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Serializes like Node's handshake object (headers as a name → value map).
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
        m.serialize_entry("headers", &Headers(&self.headers))?;
        m.serialize_entry("time", &self.time)?;
        m.serialize_entry("address", &self.address)?;
        m.serialize_entry("xdomain", &self.xdomain)?;
        m.serialize_entry("secure", &self.secure)?;
        m.serialize_entry("issued", &self.issued)?;
        m.serialize_entry("url", &self.url)?;
        m.serialize_entry("query", &self.query)?;
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
