//! What the engine keeps of the handshake request, and the peer-address extension.

use std::net::SocketAddr;

use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

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
///
/// Kept compact, because every session holds one for its whole life: the request
/// target and the header lines are copied once into two exact-size buffers (hyper's
/// values are slices of the connection's read buffer, which must not stay pinned). The
/// [`HeaderMap`] and [`Uri`] views are built on first use only; [`header`](Self::header)
/// and the query accessors read the compact form directly.
#[derive(Debug)]
pub struct RequestInfo {
    method: Method,
    /// Path and query, as received.
    target: Box<str>,
    /// Header lines: `name:value\n` each, names lowercase (values never hold `\n`).
    head: Box<[u8]>,
    views: OnceLock<Box<Views>>,
    peer_addr: Option<SocketAddr>,
    secure: bool,
}

#[derive(Debug)]
struct Views {
    uri: Uri,
    headers: HeaderMap,
}

impl Clone for RequestInfo {
    fn clone(&self) -> Self {
        RequestInfo {
            method: self.method.clone(),
            target: self.target.clone(),
            head: self.head.clone(),
            views: OnceLock::new(),
            peer_addr: self.peer_addr,
            secure: self.secure,
        }
    }
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
            target: target_of(&parts.uri),
            head: compact_headers(&parts.headers),
            views: OnceLock::new(),
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
            target: target_of(&uri),
            head: compact_headers(&headers),
            views: OnceLock::from(Box::new(Views { uri, headers })),
            peer_addr,
            secure,
        }
    }

    fn views(&self) -> &Views {
        self.views.get_or_init(|| {
            Box::new(Views {
                uri: Uri::try_from(&*self.target).unwrap_or_default(),
                headers: expand_headers(&self.head),
            })
        })
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.views().uri
    }

    /// The path and query as received (Node's `req.url`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The request headers (built on first use; see [`header`](Self::header) for one).
    pub fn headers(&self) -> &HeaderMap {
        &self.views().headers
    }

    /// The first value of header `name` (case-insensitive), if it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_lines(&self.head)
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Whether header `name` (case-insensitive) is present.
    pub fn has_header(&self, name: &str) -> bool {
        header_lines(&self.head).any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The value of query parameter `name`, raw (not percent-decoded); the first one wins.
    pub fn query(&self, name: &str) -> Option<&str> {
        query_param(self.query_string(), name)
    }

    /// Every `name=value` pair of the query string, raw (not percent-decoded).
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        query_pairs(self.query_string())
    }

    fn query_string(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
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

/// Path and query of `uri` (`/` when it has none).
fn target_of(uri: &Uri) -> Box<str> {
    Box::from(uri.path_and_query().map_or("/", |p| p.as_str()))
}

/// One exact-size buffer of `name:value\n` lines. Values with bytes a line cannot hold
/// (never produced by hyper) are skipped.
fn compact_headers(headers: &HeaderMap) -> Box<[u8]> {
    let len = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 2)
        .sum();
    let mut out = Vec::with_capacity(len);
    for (name, value) in headers {
        let v = value.as_bytes();
        if v.contains(&b'\n') {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(b':');
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out.into_boxed_slice()
}

fn header_lines(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    head.split(|&b| b == b'\n').filter_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        Some((&line[..colon], &line[colon + 1..]))
    })
}

fn expand_headers(head: &[u8]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in header_lines(head) {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            out.append(n, v);
        }
    }
    out
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
    fn compact_form_keeps_every_header_and_the_target() {
        let mut headers = HeaderMap::new();
        headers.insert("x-token", HeaderValue::from_static("a:b c"));
        headers.append("cookie", HeaderValue::from_static("k=1"));
        headers.append("cookie", HeaderValue::from_static("k=2"));
        headers.insert("user-agent", HeaderValue::from_static("ua/1"));
        let req = http::Request::builder()
            .uri("/socket.io/?EIO=4&transport=polling&x=%20")
            .body(())
            .unwrap();
        let (mut parts, ()) = req.into_parts();
        parts.headers = headers.clone();
        let info = RequestInfo::from_parts(&parts);
        assert_eq!(info.target(), "/socket.io/?EIO=4&transport=polling&x=%20");
        assert_eq!(info.header("X-Token"), Some("a:b c"));
        assert_eq!(info.header("cookie"), Some("k=1"));
        assert!(info.has_header("USER-AGENT"));
        assert!(!info.has_header("origin"));
        assert_eq!(info.query("x"), Some("%20"));
        assert_eq!(info.headers(), &headers);
        assert_eq!(info.uri().query(), Some("EIO=4&transport=polling&x=%20"));
        assert_eq!(info.clone().headers(), &headers);
    }

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
