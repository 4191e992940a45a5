//! Engine configuration, with Node's option names and defaults.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;

use crate::cors::CorsConfig;
use crate::request::RequestInfo;

/// A boxed future returned by [`AllowRequest`] hooks.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Node's `allowRequest`: runs on handshake requests only. `Err(Some(msg))` refuses with
/// 403 and `{"code":4,"message":msg}`; `Err(None)` refuses with the message `Forbidden`.
pub type AllowRequest =
    Arc<dyn Fn(&RequestInfo) -> BoxFuture<Result<(), Option<String>>> + Send + Sync>;

/// Node's `initial_headers` event: adds headers to the handshake response.
pub type InitialHeaders = Arc<dyn Fn(&RequestInfo, &mut HeaderMap) + Send + Sync>;

/// Which transports the engine accepts (Node's `transports`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    /// HTTP long-polling.
    pub polling: bool,
    /// WebSocket.
    pub websocket: bool,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            polling: true,
            websocket: true,
        }
    }
}

/// The `SameSite` attribute of the sticky-session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`
    Strict,
    /// `SameSite=Lax` (Node's default)
    Lax,
    /// `SameSite=None`
    None,
}

/// Node's `cookie` option: the sticky-session cookie set on the polling handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConfig {
    /// Cookie name (default `io`).
    pub name: String,
    /// `Path` (default `/`).
    pub path: Option<String>,
    /// `HttpOnly` (default true).
    pub http_only: bool,
    /// `SameSite` (default Lax).
    pub same_site: Option<SameSite>,
    /// `Secure` (default false).
    pub secure: bool,
    /// `Domain`.
    pub domain: Option<String>,
    /// `Max-Age`.
    pub max_age: Option<Duration>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            name: "io".into(),
            path: Some("/".into()),
            http_only: true,
            same_site: Some(SameSite::Lax),
            secure: false,
            domain: None,
            max_age: None,
        }
    }
}

impl CookieConfig {
    /// `Set-Cookie` value for a session id (same shape as the `cookie` npm package).
    pub(crate) fn header_value(&self, sid: &str) -> String {
        let mut s = format!("{}={}", self.name, sid);
        if let Some(age) = self.max_age {
            s.push_str(&format!("; Max-Age={}", age.as_secs()));
        }
        if let Some(domain) = &self.domain {
            s.push_str("; Domain=");
            s.push_str(domain);
        }
        if let Some(path) = &self.path {
            s.push_str("; Path=");
            s.push_str(path);
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if self.secure {
            s.push_str("; Secure");
        }
        match self.same_site {
            Some(SameSite::Strict) => s.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => s.push_str("; SameSite=Lax"),
            Some(SameSite::None) => s.push_str("; SameSite=None"),
            None => {}
        }
        s
    }
}

/// Engine options. `Default` gives Node's defaults; setters are builder-style.
#[derive(Clone)]
pub struct EngineConfig {
    /// `pingInterval` (25 s).
    pub ping_interval: Duration,
    /// `pingTimeout` (20 s).
    pub ping_timeout: Duration,
    /// `upgradeTimeout` (10 s).
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize` (1 000 000 bytes): polling POST limit and WebSocket message limit.
    pub max_payload: usize,
    /// `transports` (polling and websocket).
    pub transports: Transports,
    /// `allowUpgrades` (true).
    pub allow_upgrades: bool,
    /// `path` (`/engine.io`), normalised with [`add_trailing_slash`](Self::add_trailing_slash).
    pub path: String,
    /// `addTrailingSlash` (true).
    pub add_trailing_slash: bool,
    /// `cookie` (none).
    pub cookie: Option<CookieConfig>,
    /// `cors` (none).
    pub cors: Option<CorsConfig>,
    /// Capacity of each session's outgoing message queue (default 1024). `Socket::send`
    /// waits and `Socket::try_send` fails with `Full` when it is reached.
    pub send_queue_capacity: usize,
    /// The most bytes one read takes from a WebSocket connection (default 64 KiB,
    /// clamped to 256 B ..= 1 MiB). Reads land in a scratch buffer shared by the
    /// connections of a worker thread, so this costs no memory per connection; the rest
    /// of a frame larger than a read is read straight into that message's buffer.
    pub ws_read_buffer_size: usize,
    /// The most encoded bytes a WebSocket connection keeps for a client that does not
    /// read fast enough (default 64 KiB). Above it the connection takes no more messages
    /// from the session's send queue (so `send_queue_capacity` pushes back on senders)
    /// and pauses reading until the client catches up. Nothing is kept while the client
    /// keeps up: each batch is written at once.
    pub ws_write_buffer_size: usize,
    /// How long a server-closed polling session waits for a GET to carry the close
    /// packet (Node's 30 s `closeTimeout`).
    pub close_timeout: Duration,
    /// `allowRequest` hook (none).
    pub allow_request: Option<AllowRequest>,
    /// `initial_headers` hook (none).
    pub initial_headers: Option<InitialHeaders>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            transports: Transports::default(),
            allow_upgrades: true,
            path: "/engine.io".into(),
            add_trailing_slash: true,
            cookie: None,
            cors: None,
            send_queue_capacity: 1024,
            ws_read_buffer_size: 64 * 1024,
            ws_write_buffer_size: 64 * 1024,
            close_timeout: Duration::from_secs(30),
            allow_request: None,
            initial_headers: None,
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("upgrade_timeout", &self.upgrade_timeout)
            .field("max_payload", &self.max_payload)
            .field("transports", &self.transports)
            .field("allow_upgrades", &self.allow_upgrades)
            .field("path", &self.path)
            .field("add_trailing_slash", &self.add_trailing_slash)
            .field("cookie", &self.cookie)
            .field("cors", &self.cors)
            .field("send_queue_capacity", &self.send_queue_capacity)
            .field("ws_read_buffer_size", &self.ws_read_buffer_size)
            .field("ws_write_buffer_size", &self.ws_write_buffer_size)
            .field("allow_request", &self.allow_request.is_some())
            .field("initial_headers", &self.initial_headers.is_some())
            .finish_non_exhaustive()
    }
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $ty:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
}

impl EngineConfig {
    setter!(/// Sets `pingInterval`.
        ping_interval: Duration);
    setter!(/// Sets `pingTimeout`.
        ping_timeout: Duration);
    setter!(/// Sets `upgradeTimeout`.
        upgrade_timeout: Duration);
    setter!(/// Sets `maxHttpBufferSize`.
        max_payload: usize);
    setter!(/// Sets the enabled transports.
        transports: Transports);
    setter!(/// Sets `allowUpgrades`.
        allow_upgrades: bool);
    setter!(/// Sets `addTrailingSlash`.
        add_trailing_slash: bool);
    setter!(/// Sets the per-session send queue capacity (at least 1 is used).
        send_queue_capacity: usize);
    setter!(/// Sets the most bytes one WebSocket read takes.
        ws_read_buffer_size: usize);
    setter!(/// Sets the most output bytes kept for a slow WebSocket client.
        ws_write_buffer_size: usize);
    setter!(/// Sets the polling close timeout.
        close_timeout: Duration);

    /// Sets the path (Node's `path`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Enables the sticky-session cookie.
    #[must_use]
    pub fn cookie(mut self, cookie: CookieConfig) -> Self {
        self.cookie = Some(cookie);
        self
    }

    /// Enables CORS.
    #[must_use]
    pub fn cors(mut self, cors: CorsConfig) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sets the `allowRequest` hook.
    #[must_use]
    pub fn allow_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Option<String>>> + Send + 'static,
    {
        self.allow_request = Some(Arc::new(move |req: &RequestInfo| {
            Box::pin(hook(req)) as BoxFuture<_>
        }));
        self
    }

    /// Sets the `initial_headers` hook.
    #[must_use]
    pub fn initial_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestInfo, &mut HeaderMap) + Send + Sync + 'static,
    {
        self.initial_headers = Some(Arc::new(hook));
        self
    }

    /// The request path prefix after Node's trailing-slash normalisation.
    pub(crate) fn normalized_path(&self) -> String {
        let mut p = self.path.trim_end_matches('/').to_owned();
        if self.add_trailing_slash {
            p.push('/');
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_node() {
        let c = EngineConfig::default();
        assert_eq!(c.ping_interval, Duration::from_secs(25));
        assert_eq!(c.ping_timeout, Duration::from_secs(20));
        assert_eq!(c.upgrade_timeout, Duration::from_secs(10));
        assert_eq!(c.max_payload, 1_000_000);
        assert!(c.allow_upgrades && c.transports.polling && c.transports.websocket);
        assert_eq!(c.normalized_path(), "/engine.io/");
        assert_eq!(
            c.clone().path("/socket.io/").normalized_path(),
            "/socket.io/"
        );
        assert_eq!(
            c.path("/x/").add_trailing_slash(false).normalized_path(),
            "/x"
        );
    }

    #[test]
    fn cookie_header() {
        assert_eq!(
            CookieConfig::default().header_value("abc"),
            "io=abc; Path=/; HttpOnly; SameSite=Lax"
        );
    }
}
