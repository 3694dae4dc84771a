//! `maelstrom serve`: a local web server over the store, as upstream's. `/`
//! lists every test (newest first, filterable); every other path is a file
//! or folder of the store, so each test's index.html, timeline.html and
//! messages.html open with their links working.
//!
//! It binds 127.0.0.1 unless `--host` says otherwise (upstream binds every
//! interface) and serves nothing outside the store: a path with `..`, or one
//! that resolves (through symlinks) outside the store's folder, is refused.
//! The list reads only each test's small `summary.json` (results.json, for
//! tests written before it existed, when it is small), on each request, so
//! the server starts at once whatever the store's size.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::Args;
use maelstrom_harness::report::html::{esc, href};
use serde_json::Value;

/// `maelstrom serve` options (upstream's names and default port).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; 0.0.0.0 makes the store visible to the network.
    #[arg(short = 'b', long = "host", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (printed at start).
    #[arg(short = 'p', long = "port", default_value_t = 8080)]
    pub port: u16,
    /// The store folder.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
}

/// Worker threads answering requests: a page pulls a few files at once.
const WORKERS: usize = 4;
/// Deepest folder level searched for tests (grading keeps
/// `grade/<exercise>/<who>/<level>/<seed>`).
const MAX_DEPTH: usize = 6;
/// results.json files larger than this are not read for the list.
const MAX_RESULTS: u64 = 512 * 1024;

/// Runs the server until the process is stopped.
pub fn command(args: &ServeArgs) -> i32 {
    let root = match args.store.canonicalize() {
        Ok(r) if r.is_dir() => r,
        _ => {
            eprintln!(
                "{}: no such store folder (run `maelstrom test` first, or pass --store DIR)",
                args.store.display()
            );
            return super::EXIT_BAD_ARGS;
        }
    };
    let server = match tiny_http::Server::http((args.host.as_str(), args.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {}:{}: {e}", args.host, args.port);
            return super::EXIT_CRASH;
        }
    };
    let addr = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_else(|| format!("{}:{}", args.host, args.port));
    println!(
        "Serving {} at http://{addr}/ (Ctrl-C to stop)",
        args.store.display()
    );
    let _ = std::io::stdout().flush();
    let server = &server;
    let root = &root;
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(move || {
                while let Ok(request) = server.recv() {
                    let response = respond(root, request.method(), request.url());
                    let _ = request.respond(response);
                }
            });
        }
    });
    0
}

type Reply = tiny_http::Response<Box<dyn std::io::Read + Send>>;

fn header(name: &str, value: &str) -> tiny_http::Header {
    // Only fixed ASCII names and values reach here.
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("ASCII header"))
}

fn text(status: u16, content_type: &str, body: String) -> Reply {
    tiny_http::Response::from_data(body.into_bytes())
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .boxed()
}

fn error(status: u16, why: &str) -> Reply {
    text(
        status,
        "text/plain; charset=utf-8",
        format!("{status}: {why}\n"),
    )
}

/// The answer to one request.
fn respond(root: &Path, method: &tiny_http::Method, url: &str) -> Reply {
    if !matches!(method, tiny_http::Method::Get | tiny_http::Method::Head) {
        return error(405, "only GET");
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    if path == "/" {
        return text(200, "text/html; charset=utf-8", list_page(root));
    }
    let file = match resolve(root, path) {
        Ok(f) => f,
        Err(Refusal::Forbidden) => return error(403, "outside the store"),
        Err(Refusal::BadRequest) => return error(400, "bad path"),
        Err(Refusal::NotFound) => return error(404, "not found"),
    };
    if file.is_dir() {
        if !path.ends_with('/') {
            // Relative links in a test's pages need the trailing slash.
            return tiny_http::Response::from_data(Vec::new())
                .with_status_code(301)
                .with_header(header("Location", &format!("{path}/")))
                .boxed();
        }
        let index = file.join("index.html");
        if index.is_file() {
            return serve_file(&index);
        }
        return text(200, "text/html; charset=utf-8", folder_page(root, &file));
    }
    serve_file(&file)
}

fn serve_file(path: &Path) -> Reply {
    match std::fs::File::open(path) {
        Ok(f) => tiny_http::Response::from_file(f)
            .with_header(header("Content-Type", content_type(path)))
            .boxed(),
        Err(_) => error(404, "not found"),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "js" => "text/javascript",
        "css" => "text/css",
        // jsonl, edn, log, txt and the rest: readable in the browser.
        _ => "text/plain; charset=utf-8",
    }
}

/// Why a path is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It leaves the store (`..`, or a symlink pointing out).
    Forbidden,
    /// Not a path (bad percent-encoding, a NUL, not starting with `/`).
    BadRequest,
    /// Nothing there.
    NotFound,
}

/// The file or folder of the store a URL path names, or why none is served.
/// `root` must be canonical. `..` is refused outright, whatever follows it;
/// what remains is resolved through symlinks and must stay under `root`.
pub fn resolve(root: &Path, url_path: &str) -> Result<PathBuf, Refusal> {
    if !url_path.starts_with('/') {
        return Err(Refusal::BadRequest);
    }
    let decoded = percent_decode(url_path).ok_or(Refusal::BadRequest)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refusal::BadRequest);
    }
    let mut path = root.to_path_buf();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(Refusal::Forbidden),
            s => path.push(s),
        }
    }
    let real = path.canonicalize().map_err(|_| Refusal::NotFound)?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(Refusal::Forbidden)
    }
}

/// `%XX` decoding of a URL path; `None` for a bad escape or bytes that are
/// not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One test found in the store.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its folder, relative to the store, with `/` separators.
    pub rel: String,
    /// When its folder was last written (the test's end).
    pub modified: SystemTime,
    /// summary.json, or what could be read from a small results.json.
    pub summary: Value,
}

/// Every test folder under `root` (a folder holding summary.json or
/// results.json), newest first. Symlinks (`latest`) are not followed, so each
/// test is listed once.
pub fn find_tests(root: &Path) -> Vec<Listed> {
    let mut out = Vec::new();
    walk(root, "", 0, &mut out);
    out.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.rel.cmp(&a.rel)));
    out
}

fn walk(dir: &Path, rel: &str, depth: usize, out: &mut Vec<Listed>) {
    let summary = dir.join("summary.json");
    let results = dir.join("results.json");
    let read = |p: &Path| -> Option<Value> {
        let text = std::fs::read_to_string(p).ok()?;
        serde_json::from_str(&text).ok()
    };
    let found = if let Some(s) = read(&summary) {
        Some(s)
    } else if let Ok(meta) = std::fs::metadata(&results) {
        Some(if meta.len() <= MAX_RESULTS {
            summary_from_results(rel, read(&results).unwrap_or(Value::Null))
        } else {
            summary_from_results(rel, Value::Null)
        })
    } else {
        None
    };
    if let Some(summary) = found {
        let modified = std::fs::metadata(dir)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        out.push(Listed {
            rel: rel.to_string(),
            modified,
            summary,
        });
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        // DirEntry::file_type does not follow symlinks.
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "node-logs" {
            continue;
        }
        let sub = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        walk(&e.path(), &sub, depth + 1, out);
    }
}

/// A list entry for a test from before summary.json: its workload from its
/// folder, its verdict and figures from results.json when read.
fn summary_from_results(rel: &str, r: Value) -> Value {
    serde_json::json!({
        "workload": rel.split('/').next().unwrap_or(""),
        "valid": r.get("valid").cloned().unwrap_or(Value::Null),
        "seed": r.get("seed").cloned().unwrap_or(Value::Null),
        "ops": r.pointer("/stats/count").cloned().unwrap_or(Value::Null),
        "ok-fraction": r.pointer("/availability/ok-fraction").cloned().unwrap_or(Value::Null),
        "msgs-per-op": r.pointer("/net/servers/msgs-per-op").cloned().unwrap_or(Value::Null),
    })
}

const LIST_CSS: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}th,td{border-bottom:1px solid #e4e4e4;padding:.25em .6em;\
text-align:left;white-space:nowrap}th{background:#fafafa}td.num{text-align:right}\
.valid{color:#18794e;font-weight:600}.invalid{color:#c62828;font-weight:600}\
.unknown{color:#b26a00;font-weight:600}#filter{font-size:14px;width:24em;padding:.2em}\
.muted{color:#777}";

const LIST_JS: &str = "(function(){var f=document.getElementById('filter'),\
v=document.getElementById('verdict'),rows=document.querySelectorAll('#tests tbody tr'),\
n=document.getElementById('shown');function go(){var q=f.value.toLowerCase().split(/\\s+/)\
.filter(Boolean),want=v.value,c=0;rows.forEach(function(r){var t=r.getAttribute('data-text'),\
ok=(!want||r.getAttribute('data-verdict')===want)&&q.every(function(w){return t.indexOf(w)>=0});\
r.hidden=!ok;if(ok)c++});n.textContent=c}f.oninput=go;v.onchange=go;go()})();";

/// A figure of a summary as text: numbers rounded, nothing for null.
fn figure(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            format!("{}", (f * 100.0).round() / 100.0)
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/`: every test, newest first, with a filter box.
pub fn list_page(root: &Path) -> String {
    let tests = find_tests(root);
    let mut h = String::with_capacity(4096 + tests.len() * 600);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Maelstrom store</title><style>{LIST_CSS}</style></head><body>\n\
         <h1>Tests in the store</h1>\n<p><input id=\"filter\" placeholder=\"filter: workload, verdict, \
         seed, folder…\" autofocus> <select id=\"verdict\"><option value=\"\">any verdict</option>\
         <option>valid</option><option>invalid</option><option>unknown</option></select> \
         <span class=\"muted\"><span id=\"shown\">{n}</span> of <span id=\"total\">{n}</span> tests, \
         newest first</span></p>\n<table id=\"tests\"><thead><tr><th>finished</th><th>workload</th>\
         <th>verdict</th><th>nodes</th><th>ops</th><th>ok</th><th>msgs/op</th><th>seed</th>\
         <th>mode</th><th>views</th><th>folder</th></tr></thead><tbody>\n",
        n = tests.len()
    );
    for t in &tests {
        let s = &t.summary;
        let verdict = match s.get("valid") {
            Some(Value::Bool(true)) => "valid",
            Some(Value::Bool(false)) => "invalid",
            _ => "unknown",
        };
        let workload = figure(s.get("workload").unwrap_or(&Value::Null));
        let finished = t
            .modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|_| maelstrom_harness::store::basic_date_time(t.modified))
            .unwrap_or_default();
        let finished = format!(
            "{}-{}-{} {}:{}:{}",
            finished.get(0..4).unwrap_or(""),
            finished.get(4..6).unwrap_or(""),
            finished.get(6..8).unwrap_or(""),
            finished.get(9..11).unwrap_or(""),
            finished.get(11..13).unwrap_or(""),
            finished.get(13..15).unwrap_or("")
        );
        let ok = s
            .get("ok-fraction")
            .and_then(Value::as_f64)
            .map(|f| format!("{:.1}%", f * 100.0))
            .unwrap_or_default();
        let mode = match s.get("sim") {
            Some(Value::Bool(true)) => "sim",
            Some(Value::Bool(false)) => "processes",
            _ => "",
        };
        let link = href(&t.rel);
        let mut views = format!("<a href=\"/{link}/\">report</a>");
        for (file, name) in [("timeline.html", "timeline"), ("messages.html", "messages")] {
            if root.join(&t.rel).join(file).is_file() {
                let _ = write!(views, " · <a href=\"/{link}/{file}\">{name}</a>");
            }
        }
        let fields = [
            finished.clone(),
            workload.clone(),
            verdict.to_string(),
            figure(s.get("node-count").unwrap_or(&Value::Null)),
            figure(s.get("ops").unwrap_or(&Value::Null)),
            ok.clone(),
            figure(s.get("msgs-per-op").unwrap_or(&Value::Null)),
            figure(s.get("seed").unwrap_or(&Value::Null)),
            mode.to_string(),
        ];
        let search = format!("{} {}", fields.join(" "), t.rel).to_lowercase();
        let _ = write!(
            h,
            "<tr data-verdict=\"{verdict}\" data-text=\"{}\">",
            esc(&search)
        );
        for (i, f) in fields.iter().enumerate() {
            let class = match i {
                2 => format!(" class=\"{verdict}\""),
                3..=7 => " class=\"num\"".to_string(),
                _ => String::new(),
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(f));
        }
        let _ = writeln!(
            h,
            "<td>{views}</td><td><a class=\"muted\" href=\"/{link}/\">{}</a></td></tr>",
            esc(&t.rel)
        );
    }
    if tests.is_empty() {
        h.push_str(
            "<tr><td colspan=\"11\">No tests yet: run <code>maelstrom test</code>.</td></tr>\n",
        );
    }
    let _ = write!(
        h,
        "</tbody></table>\n<script>{LIST_JS}</script>\n</body></html>\n"
    );
    h
}

/// A folder without index.html: its entries, folders first.
fn folder_page(root: &Path, dir: &Path) -> String {
    let rel = dir
        .strip_prefix(root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut entries: Vec<(bool, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let is_dir = e.path().is_dir();
            (!is_dir, e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    entries.sort();
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{LIST_CSS}</style></head><body><p><a href=\"/\">all tests</a></p><h1>/{t}</h1><ul>\n",
        t = esc(&rel)
    );
    for (is_file, name) in entries {
        let slash = if is_file { "" } else { "/" };
        let _ = writeln!(
            h,
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>",
            href(&name),
            esc(&name)
        );
    }
    h.push_str("</ul></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        let t = root.join("echo/20250101T000000.000Z");
        std::fs::create_dir_all(t.join("node-logs")).unwrap();
        std::fs::write(t.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(
            t.join("summary.json"),
            r#"{"workload":"echo","valid":true,"node-count":3,"ops":12,"seed":7,"sim":true}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("echo/20250101T000000.000Z", root.join("latest")).unwrap();
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), t.join("out.txt")).unwrap();
            std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        }
        let root = root.canonicalize().unwrap();
        (dir, root)
    }

    #[test]
    fn serve_resolves_only_inside_the_store() {
        let (_dir, root) = store();
        let t = root.join("echo/20250101T000000.000Z");
        assert_eq!(
            resolve(&root, "/echo/20250101T000000.000Z/index.html"),
            Ok(t.join("index.html"))
        );
        assert_eq!(
            resolve(&root, "/echo/./20250101T000000.000Z/"),
            Ok(t.clone())
        );
        assert_eq!(
            resolve(&root, "/echo%2F20250101T000000.000Z"),
            Ok(t.clone())
        );
        for bad in [
            "/../secret.txt",
            "/echo/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2Fsecret.txt",
            "/echo/..",
        ] {
            assert_eq!(resolve(&root, bad), Err(Refusal::Forbidden), "{bad}");
        }
        // An absolute path in the URL is a path inside the store, not the file system's.
        let outside = root.parent().unwrap().join("secret.txt");
        let abs = format!("/{}", outside.display());
        assert_eq!(resolve(&root, &abs), Err(Refusal::NotFound));
        assert_eq!(
            resolve(&root, "http://x/secret.txt"),
            Err(Refusal::BadRequest)
        );
        assert_eq!(resolve(&root, "/%zz"), Err(Refusal::BadRequest));
        assert_eq!(resolve(&root, "/a%00b"), Err(Refusal::BadRequest));
        assert_eq!(resolve(&root, "/nothing"), Err(Refusal::NotFound));
        #[cfg(unix)]
        {
            // A symlink inside the store to a test is fine; one pointing out is not.
            assert_eq!(
                resolve(&root, "/latest/index.html"),
                Ok(t.join("index.html"))
            );
            assert_eq!(
                resolve(&root, "/echo/20250101T000000.000Z/out.txt"),
                Err(Refusal::Forbidden)
            );
            assert_eq!(resolve(&root, "/up/secret.txt"), Err(Refusal::Forbidden));
        }
    }

    #[test]
    fn serve_lists_tests_newest_first_once_each() {
        let (_dir, root) = store();
        // An older test from before summary.json, read from results.json.
        let old = root.join("g-set/20240101T000000.000Z");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(
            old.join("results.json"),
            r#"{"valid":false,"seed":3,"stats":{"count":9}}"#,
        )
        .unwrap();
        let past = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(past)
            .unwrap();
        let tests = find_tests(&root);
        let rels: Vec<&str> = tests.iter().map(|t| t.rel.as_str()).collect();
        assert_eq!(
            rels,
            vec!["echo/20250101T000000.000Z", "g-set/20240101T000000.000Z"]
        );
        assert_eq!(tests[1].summary["workload"], "g-set");
        assert_eq!(tests[1].summary["ops"], 9);
        let page = list_page(&root);
        assert!(page.contains("<span id=\"total\">2</span>"), "{page}");
        assert!(page.contains("<td class=\"valid\">valid</td>"));
        assert!(page.contains("<td class=\"invalid\">invalid</td>"));
        assert!(page.contains("href=\"/echo/20250101T000000.000Z/\">report</a>"));
        assert!(page.find("echo/2025").unwrap() < page.find("g-set/2024").unwrap());
    }

    #[test]
    fn serve_answers_requests() {
        let (_dir, root) = store();
        let get = tiny_http::Method::Get;
        assert_eq!(respond(&root, &get, "/").status_code().0, 200);
        let redirect = respond(&root, &get, "/echo/20250101T000000.000Z");
        assert_eq!(redirect.status_code().0, 301);
        assert_eq!(
            respond(&root, &get, "/echo/20250101T000000.000Z/")
                .status_code()
                .0,
            200
        );
        assert_eq!(respond(&root, &get, "/echo/").status_code().0, 200);
        assert_eq!(respond(&root, &get, "/../secret.txt").status_code().0, 403);
        assert_eq!(respond(&root, &get, "/nope").status_code().0, 404);
        assert_eq!(
            respond(&root, &tiny_http::Method::Post, "/")
                .status_code()
                .0,
            405
        );
        assert_eq!(
            folder_page(&root, &root.join("echo"))
                .matches("<li>")
                .count(),
            1
        );
    }
}
