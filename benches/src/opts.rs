//! Command-line options of the load generator (`--name value` pairs).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Parsed `--name value` options.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    map: HashMap<String, String>,
}

impl Opts {
    /// Parses `--name value` pairs (a flag without a value is `"true"`).
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Opts, String> {
        let mut map = HashMap::new();
        let mut it = args.into_iter().peekable();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument {a:?}"));
            };
            let value = match it.peek() {
                Some(v) if !v.starts_with("--") => it.next().unwrap_or_default(),
                _ => "true".to_owned(),
            };
            map.insert(name.to_owned(), value);
        }
        Ok(Opts { map })
    }

    /// A typed option with a default.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.map.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse {v:?}")),
        }
    }

    /// A string option with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.map
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// A duration in (fractional) seconds.
    pub fn secs(&self, name: &str, default: f64) -> Result<Duration, String> {
        let s: f64 = self.get(name, default)?;
        if !(0.0..=3600.0).contains(&s) {
            return Err(format!("--{name}: out of range"));
        }
        Ok(Duration::from_secs_f64(s))
    }

    /// The server address: always 127.0.0.1, port from `--port`.
    pub fn addr(&self) -> Result<SocketAddr, String> {
        let port: u16 = self.get("port", 3000)?;
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// `--server-pid`, if given.
    pub fn server_pid(&self) -> Result<Option<u32>, String> {
        match self.map.get("server-pid") {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| "--server-pid".to_owned()),
        }
    }
}
