//! Errors: the Engine.IO request error table, close reasons and send errors.

use crate::message::Message;

/// Node's request error table. Polling requests get `{"code":N,"message":"…"}` with
/// [`status`](Self::status); a failed WebSocket upgrade gets a raw 400 with the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Code 0: transport missing, unknown or disabled.
    #[error("Transport unknown")]
    UnknownTransport,
    /// Code 1: no session with that id.
    #[error("Session ID unknown")]
    UnknownSid,
    /// Code 2: a handshake that is not a GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Code 3: bad origin, transport mismatch, websocket without upgrade, ...
    #[error("Bad request")]
    BadRequest,
    /// Code 4: refused by the `allow_request` hook (message defaults to `Forbidden`).
    #[error("{}", .0.as_deref().unwrap_or("Forbidden"))]
    Forbidden(Option<String>),
    /// Code 5: `EIO` missing or not 4.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
}

impl RequestError {
    /// The numeric Engine.IO error code.
    pub fn code(&self) -> u8 {
        match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest => 3,
            RequestError::Forbidden(_) => 4,
            RequestError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The HTTP status of the polling error response (403 for Forbidden, else 400).
    pub fn status(&self) -> http::StatusCode {
        match self {
            RequestError::Forbidden(_) => http::StatusCode::FORBIDDEN,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON body of the polling error response.
    pub fn json_body(&self) -> String {
        let message = self.to_string();
        // serde_json escapes the (possibly user-provided) message correctly.
        let message = serde_json::to_string(&message).unwrap_or_else(|_| "\"\"".into());
        format!("{{\"code\":{},\"message\":{}}}", self.code(), message)
    }
}

/// Why a session closed (Node's close reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// "transport error": an invalid request sequence, a network error, an oversize
    /// payload, a client ping in v4, an aborted poll.
    TransportError,
    /// "transport close": the client sent a close packet or closed the connection.
    TransportClose,
    /// "forced close": the server closed the session.
    ForcedClose,
    /// "ping timeout": no pong within pingTimeout.
    PingTimeout,
    /// "parse error": the client sent an undecodable packet.
    ParseError,
}

impl DisconnectReason {
    /// Node's string for the reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
        }
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// [`Socket::send`](crate::Socket::send) (or [`send_many`](crate::Socket::send_many))
/// failed: the session is closed (or closing). What was not sent is handed back.
#[derive(Debug, thiserror::Error)]
#[error("session closed")]
pub struct SendError<T = Message>(pub T);

/// [`Socket::try_send`](crate::Socket::try_send) (or
/// [`try_send_many`](crate::Socket::try_send_many)) failed; what was not sent is handed
/// back (a [`Message`], or the whole batch).
#[derive(Debug, thiserror::Error)]
pub enum TrySendError<T = Message> {
    /// The session's send queue is full.
    #[error("send queue full")]
    Full(T),
    /// The session is closed (or closing).
    #[error("session closed")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// What was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) => m,
        }
    }
}

impl TrySendError<Message> {
    /// The message that was not sent.
    pub fn into_message(self) -> Message {
        self.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table() {
        let cases = [
            (RequestError::UnknownTransport, 0, "Transport unknown", 400),
            (RequestError::UnknownSid, 1, "Session ID unknown", 400),
            (
                RequestError::BadHandshakeMethod,
                2,
                "Bad handshake method",
                400,
            ),
            (RequestError::BadRequest, 3, "Bad request", 400),
            (RequestError::Forbidden(None), 4, "Forbidden", 403),
            (
                RequestError::UnsupportedProtocolVersion,
                5,
                "Unsupported protocol version",
                400,
            ),
        ];
        for (e, code, msg, status) in cases {
            assert_eq!(e.code(), code);
            assert_eq!(e.to_string(), msg);
            assert_eq!(e.status().as_u16(), status);
            assert_eq!(
                e.json_body(),
                format!("{{\"code\":{code},\"message\":\"{msg}\"}}")
            );
        }
        assert_eq!(
            RequestError::Forbidden(Some("no \"way\"".into())).json_body(),
            r#"{"code":4,"message":"no \"way\""}"#
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(DisconnectReason::TransportError.as_str(), "transport error");
        assert_eq!(DisconnectReason::TransportClose.as_str(), "transport close");
        assert_eq!(DisconnectReason::ForcedClose.as_str(), "forced close");
        assert_eq!(DisconnectReason::PingTimeout.as_str(), "ping timeout");
        assert_eq!(DisconnectReason::ParseError.as_str(), "parse error");
    }
}
