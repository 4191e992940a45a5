//! Command-line options of `conformance-server`.

use std::time::Duration;

/// Parsed options. Defaults are the official suites' server contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// TCP port on 127.0.0.1 (`--port`, default 3000; 0 picks a free port).
    pub port: u16,
    /// `pingInterval` (`--ping-interval` in ms, default 300).
    pub ping_interval: Duration,
    /// `pingTimeout` (`--ping-timeout` in ms, default 200).
    pub ping_timeout: Duration,
    /// `maxHttpBufferSize` (`--max-payload` in bytes, default 1000000).
    pub max_payload: usize,
    /// `upgradeTimeout` (`--upgrade-timeout` in ms, default 10000 as in Node).
    pub upgrade_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 3000,
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_millis(10_000),
        }
    }
}

/// Usage text printed on `--help` and on bad arguments.
pub const USAGE: &str = "usage: conformance-server [--port N] [--ping-interval MS] [--ping-timeout MS] [--max-payload BYTES] [--upgrade-timeout MS]";

impl Options {
    /// Parses the arguments after the program name.
    pub fn parse<I>(args: I) -> Result<Options, String>
    where
        I: IntoIterator<Item = String>,
    {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (flag.clone(), None),
            };
            if name == "--help" || name == "-h" {
                return Err(USAGE.to_owned());
            }
            let value = match inline.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(format!("{name} needs a value\n{USAGE}")),
            };
            let number = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("{name}: not a number: {v:?}\n{USAGE}"))
            };
            match name.as_str() {
                "--port" => {
                    options.port = u16::try_from(number(&value)?)
                        .map_err(|_| format!("--port out of range: {value}"))?;
                }
                "--ping-interval" => options.ping_interval = Duration::from_millis(number(&value)?),
                "--ping-timeout" => options.ping_timeout = Duration::from_millis(number(&value)?),
                "--upgrade-timeout" => {
                    options.upgrade_timeout = Duration::from_millis(number(&value)?)
                }
                "--max-payload" => {
                    options.max_payload = usize::try_from(number(&value)?)
                        .map_err(|_| format!("--max-payload out of range: {value}"))?;
                }
                _ => return Err(format!("unknown option {name}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_are_the_suites_contract() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        assert_eq!(Options::default().port, 3000);
        assert_eq!(Options::default().ping_interval, Duration::from_millis(300));
        assert_eq!(Options::default().ping_timeout, Duration::from_millis(200));
        assert_eq!(Options::default().max_payload, 1_000_000);
    }

    #[test]
    fn flags_with_separate_or_inline_values() {
        let o = parse(&[
            "--port",
            "0",
            "--ping-interval=1000",
            "--ping-timeout",
            "50",
            "--max-payload=10",
        ])
        .unwrap();
        assert_eq!(o.port, 0);
        assert_eq!(o.ping_interval, Duration::from_millis(1000));
        assert_eq!(o.ping_timeout, Duration::from_millis(50));
        assert_eq!(o.max_payload, 10);
        let o = parse(&["--upgrade-timeout", "250"]).unwrap();
        assert_eq!(o.upgrade_timeout, Duration::from_millis(250));
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--ping-interval", "soon"]).is_err());
        assert!(parse(&["--verbose", "1"]).is_err());
        assert!(parse(&["--help"]).is_err());
    }
}
