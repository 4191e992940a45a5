//! CORS headers, with the behaviour of the `cors` npm package (Node's `cors` option).

use http::header::{self, HeaderMap, HeaderValue};

/// Which origins are allowed (`cors.origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// `"*"`: `Access-Control-Allow-Origin: *`.
    Any,
    /// `true`: reflect the request's `Origin`.
    Mirror,
    /// A single fixed origin, always sent (with `Vary: Origin`).
    Exact(String),
    /// A list: the request's `Origin` is reflected when it is in the list.
    List(Vec<String>),
}

/// Node's `cors` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    /// Allowed origins (default any).
    pub origin: CorsOrigin,
    /// `Access-Control-Allow-Credentials: true` (default false).
    pub credentials: bool,
    /// `Access-Control-Allow-Methods` on preflight (default `GET,HEAD,PUT,PATCH,POST,DELETE`).
    pub methods: String,
    /// `Access-Control-Allow-Headers`; `None` reflects `Access-Control-Request-Headers`.
    pub allowed_headers: Option<String>,
    /// `Access-Control-Expose-Headers`.
    pub exposed_headers: Option<String>,
    /// `Access-Control-Max-Age` in seconds.
    pub max_age: Option<u64>,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            origin: CorsOrigin::Any,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".into(),
            allowed_headers: None,
            exposed_headers: None,
            max_age: None,
        }
    }
}

impl CorsConfig {
    /// Any origin (`cors: { origin: "*" }`).
    pub fn any() -> Self {
        Self::default()
    }

    /// Only these origins (reflected when they match).
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CorsConfig {
            origin: CorsOrigin::List(origins.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// Sets `credentials`.
    #[must_use]
    pub fn credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// Adds the CORS headers to `out` for a request with headers `req`. `preflight` is
    /// true for an `OPTIONS` request (answered 204 by the caller).
    pub(crate) fn apply(&self, req: &HeaderMap, out: &mut HeaderMap, preflight: bool) {
        let mut vary: Vec<&'static str> = Vec::new();
        match &self.origin {
            CorsOrigin::Any => {
                out.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            CorsOrigin::Exact(o) => {
                if let Ok(v) = HeaderValue::from_str(o) {
                    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                }
                vary.push("Origin");
            }
            CorsOrigin::Mirror | CorsOrigin::List(_) => {
                let origin = req.get(header::ORIGIN);
                let allowed = match (&self.origin, origin.and_then(|o| o.to_str().ok())) {
                    (CorsOrigin::Mirror, Some(_)) => true,
                    (CorsOrigin::List(list), Some(o)) => list.iter().any(|a| a == o),
                    _ => false,
                };
                if let (true, Some(origin)) = (allowed, origin) {
                    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                }
                vary.push("Origin");
            }
        }
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if preflight {
            if let Ok(v) = HeaderValue::from_str(&self.methods) {
                out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            match &self.allowed_headers {
                Some(h) => {
                    if let Ok(v) = HeaderValue::from_str(h) {
                        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
                    }
                }
                None => {
                    vary.push("Access-Control-Request-Headers");
                    if let Some(v) = req.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
                        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
                    }
                }
            }
            if let Some(age) = self.max_age {
                out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
            }
        }
        if let Some(h) = &self.exposed_headers {
            if let Ok(v) = HeaderValue::from_str(h) {
                out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
        if !vary.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&vary.join(", ")) {
                out.append(header::VARY, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(origin: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("x-foo"),
        );
        h
    }

    #[test]
    fn any_origin() {
        let mut out = HeaderMap::new();
        CorsConfig::any().apply(&req(Some("http://a")), &mut out, false);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(out.get(header::VARY).is_none());
    }

    #[test]
    fn list_reflects_only_listed() {
        let cfg = CorsConfig::origins(["http://a"]).credentials(true);
        let mut out = HeaderMap::new();
        cfg.apply(&req(Some("http://a")), &mut out, true);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://a");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_METHODS],
            "GET,HEAD,PUT,PATCH,POST,DELETE"
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_HEADERS], "x-foo");
        assert_eq!(out[header::VARY], "Origin, Access-Control-Request-Headers");
        let mut out = HeaderMap::new();
        cfg.apply(&req(Some("http://b")), &mut out, false);
        assert!(out.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        assert_eq!(out[header::VARY], "Origin");
    }
}
