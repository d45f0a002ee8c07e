//! The `--metrics <addr>` endpoint: counters in the Prometheus text
//! exposition format (version 0.0.4) over plain HTTP.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How long a scraper may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Answers every HTTP request on `listener` with the text `render` returns,
/// until the task running it is dropped.
///
/// The path and method of the request do not matter: a daemon has one set
/// of counters, and Prometheus asks for `GET /metrics`.
pub async fn serve<F>(listener: TcpListener, render: F)
where
    F: Fn() -> String + Clone + Send + Sync + 'static,
{
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let render = render.clone();
        tokio::spawn(async move {
            // Read what has arrived of the request; its contents are ignored.
            let mut request = [0u8; 1024];
            let _ = tokio::time::timeout(REQUEST_TIMEOUT, stream.read(&mut request)).await;
            let response = response(&render());
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Counters by name and label set, for daemons whose counters are labelled
/// by interface, reason and the like, rendered as Prometheus text.
#[derive(Debug)]
pub struct Counters {
    /// Every counter's name and help text, in the order they are rendered.
    help: &'static [(&'static str, &'static str)],
    counts: Mutex<BTreeMap<(&'static str, String), u64>>,
}

impl Counters {
    /// No counts yet, for the counters that `help` names and describes.
    pub const fn new(help: &'static [(&'static str, &'static str)]) -> Self {
        Counters {
            help,
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to counter `name` with `labels` (pairs of label and value;
    /// values are escaped as the exposition format requires).
    pub fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",");
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *c.entry((name, labels)).or_default() += 1;
    }

    /// The counters as Prometheus text: `# HELP` and `# TYPE` for each
    /// counter named at construction, then its value for each label set.
    pub fn render(&self) -> String {
        let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, help) in self.help {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for ((n, labels), v) in c.iter() {
                if n == name {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
        out
    }
}

/// The HTTP response that carries `body`.
fn response(body: &str) -> String {
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn answers_with_the_rendered_text() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, || "up 1\n".to_owned()));
        for _ in 0..2 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).await.unwrap();
            assert!(text.starts_with("HTTP/1.0 200 OK\r\n"), "{text}");
            assert!(text.contains("Content-Type: text/plain; version=0.0.4\r\n"));
            assert!(text.ends_with("\r\n\r\nup 1\n"), "{text}");
        }
        server.abort();
    }
}
