//! What the engine keeps of the handshake request, and the peer-address extension.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderValue, Method, Uri};

/// Connection facts a server inserts as a request extension so the engine can report the
/// peer address. [`Engine::serve`](crate::Engine::serve) inserts it; when embedding, add
/// it yourself (a plain [`SocketAddr`] extension is accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectInfo {
    /// The remote address of the TCP connection.
    pub peer_addr: SocketAddr,
    /// Whether the connection is encrypted (TLS).
    pub secure: bool,
}

/// The handshake request of a session (Node's `socket.request` / `handshake`).
#[derive(Debug, Clone)]
pub struct RequestInfo {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer_addr: Option<SocketAddr>,
    secure: bool,
}

impl RequestInfo {
    pub(crate) fn from_parts(parts: &http::request::Parts) -> RequestInfo {
        let (peer_addr, secure) = match parts.extensions.get::<ConnectInfo>() {
            Some(ci) => (Some(ci.peer_addr), ci.secure),
            None => (
                parts.extensions.get::<SocketAddr>().copied(),
                parts.uri.scheme() == Some(&http::uri::Scheme::HTTPS),
            ),
        };
        RequestInfo {
            method: parts.method.clone(),
            uri: detach_uri(&parts.uri),
            headers: detach_headers(&parts.headers),
            peer_addr,
            secure,
        }
    }

    /// Builds a request description by hand (tests, custom transports).
    pub fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        peer_addr: Option<SocketAddr>,
        secure: bool,
    ) -> RequestInfo {
        RequestInfo {
            method,
            uri,
            headers,
            peer_addr,
            secure,
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of query parameter `name`, raw (not percent-decoded); the first one wins.
    pub fn query(&self, name: &str) -> Option<&str> {
        query_param(self.uri.query(), name)
    }

    /// Every `name=value` pair of the query string, raw (not percent-decoded).
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        query_pairs(self.uri.query())
    }

    /// The peer address, when the server provided one (see [`ConnectInfo`]).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// Whether the connection is encrypted.
    pub fn secure(&self) -> bool {
        self.secure
    }
}

/// hyper's header values and URI are slices of the connection's read buffer: keeping
/// them would pin that whole buffer for the session's lifetime. Copy them out once.
fn detach_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut copy = match HeaderValue::from_bytes(value.as_bytes()) {
            Ok(v) => v,
            Err(_) => continue,
        };
        copy.set_sensitive(value.is_sensitive());
        // Standard names are static; custom ones may be buffer slices too.
        let Ok(name) = http::HeaderName::from_bytes(name.as_str().as_bytes()) else {
            continue;
        };
        out.append(name, copy);
    }
    out
}

fn detach_uri(uri: &Uri) -> Uri {
    Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone())
}

pub(crate) fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
}

pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query_pairs(query).find(|(k, _)| *k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lookup() {
        let q = Some("EIO=4&transport=polling&t=abc&flag&sid=");
        assert_eq!(query_param(q, "EIO"), Some("4"));
        assert_eq!(query_param(q, "transport"), Some("polling"));
        assert_eq!(query_param(q, "flag"), Some(""));
        assert_eq!(query_param(q, "sid"), Some(""));
        assert_eq!(query_param(q, "nope"), None);
        assert_eq!(query_param(None, "EIO"), None);
    }
}
