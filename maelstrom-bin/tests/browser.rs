//! The report as a learner sees it: `maelstrom serve` over a real test's
//! store, its pages opened in headless Chromium (scripts run), and the
//! server's refusals checked over a socket.
//!
//! Without Chromium the browser test prints "skipped: chromium not found"
//! and passes, unless MAELSTROM_REQUIRE_BROWSER=1 (CI installs it).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{scratch, workspace_binary};

/// A `maelstrom serve` child, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `maelstrom serve --port 0` on `store` and reads the URL it prints.
fn serve(dir: &Path, store: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir)
        .args(["serve", "--port", "0", "--store", store])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("maelstrom serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("serve prints its address");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Server { child, url }
}

/// One raw HTTP request; the status code and body.
fn get(url: &str, path: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

#[test]
fn serve_refuses_paths_outside_the_store_over_http() {
    let dir = scratch("serve-refuses");
    let test = dir.join("store/echo/20250101T000000.000Z");
    std::fs::create_dir_all(&test).unwrap();
    std::fs::write(
        test.join("summary.json"),
        r#"{"workload":"echo","valid":true}"#,
    )
    .unwrap();
    std::fs::write(test.join("index.html"), "<h1>the report</h1>").unwrap();
    std::fs::write(dir.join("secret.txt"), "not for the web").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("secret.txt"), test.join("leak.txt")).unwrap();
    let server = serve(&dir, "store");
    let (code, body) = get(&server.url, "/");
    assert_eq!(code, 200);
    assert!(body.contains("echo/20250101T000000.000Z"), "{body}");
    assert_eq!(get(&server.url, "/echo/20250101T000000.000Z/").0, 200);
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/echo/..%2f..%2fsecret.txt",
        #[cfg(unix)]
        "/echo/20250101T000000.000Z/leak.txt",
    ] {
        let (code, body) = get(&server.url, path);
        assert_eq!(code, 403, "{path}: {body}");
        assert!(!body.contains("not for the web"));
    }
    let abs = format!("/{}", dir.join("secret.txt").display());
    assert_eq!(get(&server.url, &abs).0, 404);
}

/// Chromium, or why the browser test does not run.
fn chromium() -> Option<PathBuf> {
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Runs headless Chromium with a fresh profile; its stdout.
fn browse(chromium: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("a profile folder");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // Chromium can hang on a broken machine; the test must not.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

fn dump_dom(chromium: &Path, url: &str) -> String {
    browse(chromium, &["--dump-dom", "--virtual-time-budget=5000", url])
}

fn screenshot(chromium: &Path, url: &str, file: &Path) {
    let arg = format!("--screenshot={}", file.display());
    browse(
        chromium,
        &[
            &arg,
            "--window-size=1280,900",
            "--virtual-time-budget=5000",
            url,
        ],
    );
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    assert!(size > 5_000, "{} is {size} bytes", file.display());
}

/// The text of the element with id `id` (a plain `<span id=..>text</span>`).
fn span(dom: &str, id: &str) -> String {
    let open = format!("id=\"{id}\">");
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + open.len();
    dom[start..start + dom[start..].find('<').unwrap()].to_string()
}

#[test]
fn report_pages_in_a_browser() {
    let Some(chromium) = chromium() else {
        if std::env::var("MAELSTROM_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("chromium not found, and MAELSTROM_REQUIRE_BROWSER=1");
        }
        println!("skipped: chromium not found");
        return;
    };
    let dir = scratch("browser");
    let bin = workspace_binary("broadcast-reference", "broadcast-reference");
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(&dir)
        .args(["test", "--sim", "-w", "broadcast", "--bin"])
        .arg(&bin)
        .args([
            "--node-count",
            "5",
            "--time-limit",
            "4",
            "--rate",
            "20",
            "--latency",
            "20",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1",
            "--recovery-wait",
            "1",
            "--seed",
            "3",
        ])
        .output()
        .expect("maelstrom test runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let test = std::fs::read_link(dir.join("store/latest")).expect("store/latest");
    let rel = test.to_string_lossy().into_owned();
    let folder = dir.join("store").join(&rel);
    let history = std::fs::read_to_string(folder.join("history.jsonl")).unwrap();
    let invocations = history
        .lines()
        .filter(|l| l.contains("\"type\":\"invoke\"") && !l.contains("\"process\":\"nemesis\""))
        .count();
    assert!(invocations > 20, "{invocations}");
    let journal = std::fs::read_to_string(folder.join("messages.jsonl")).unwrap();
    let messages = journal
        .lines()
        .filter(|l| {
            l.starts_with("{\"type\":\"send\"")
                && !l.contains("\"type\":\"init\"")
                && !l.contains("\"type\":\"init_ok\"")
        })
        .count();
    let dropped = journal
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"drop\""))
        .count();

    let server = serve(&dir, "store");
    let shots = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .expect("inside a target dir")
        .join("browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    // The list: the test, its verdict, the filter's count written by its script.
    let list = dump_dom(&chromium, &server.url);
    assert!(list.contains(&rel), "{list}");
    assert!(list.contains("<td class=\"valid\">valid</td>"), "{list}");
    assert_eq!(span(&list, "shown"), "1");
    screenshot(&chromium, &server.url, &shots.join("list.png"));

    let report = format!("{}{}/", server.url, rel);
    let index = dump_dom(&chromium, &report);
    assert!(
        index.contains("<h1 class=\"valid\">broadcast: valid</h1>"),
        "{index}"
    );
    assert!(index.contains("href=\"timeline.html\""));
    assert!(index.contains("aria-label=\"throughput over time\""));
    screenshot(&chromium, &report, &shots.join("index.png"));

    // The timeline knows and, over the whole test, draws every operation.
    let timeline_url = format!("{report}timeline.html");
    let timeline = dump_dom(&chromium, &timeline_url);
    assert_eq!(span(&timeline, "known"), invocations.to_string());
    assert_eq!(span(&timeline, "drawn"), invocations.to_string());
    screenshot(&chromium, &timeline_url, &shots.join("timeline.png"));

    // The diagram: every message of the journal, drops counted, a window drawn.
    let messages_url = format!("{report}messages.html");
    let diagram = dump_dom(&chromium, &messages_url);
    let summary = span(&diagram, "summary");
    assert!(
        summary.contains(&format!("{messages} in the test, {dropped} dropped")),
        "{summary} (journal: {messages} messages, {dropped} drops)"
    );
    assert!(dropped > 0, "partitions drop messages");
    assert!(!diagram.contains("data-in-view=\"0\""), "{summary}");
    screenshot(&chromium, &messages_url, &shots.join("messages.png"));
    // The window of one operation, as the timeline links to it.
    screenshot(
        &chromium,
        &format!("{messages_url}#t=1000-1400&mark=1100-1150"),
        &shots.join("messages-window.png"),
    );
    println!("screenshots in {}", shots.display());
}
