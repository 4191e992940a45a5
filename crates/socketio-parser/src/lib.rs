//! Socket.IO v5 packet codec.
