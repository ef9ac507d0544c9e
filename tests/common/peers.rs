//! Servers the tests start and stop themselves, each on a free loopback port: httplab's own
//! binary (with flaws), Python's http.server, the seed's Python servers, nginx. Each serves the
//! fixtures: httplab the repository's `fixtures/`, the others a fresh copy in a temp dir.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed (by its PID) when dropped.
pub struct Peer {
    pub child: Child,
    #[allow(dead_code)]
    pub port: u16,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts on `port` (connecting and closing: only for servers that
/// survive an empty connection).
fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// `httplab serve fixtures --port 0 [--flaw F]`, the real binary.
#[allow(dead_code)]
pub fn httplab(flaws: &[&str]) -> Peer {
    if flaws.is_empty() {
        httplab_with(&[])
    } else {
        httplab_with(&["--flaw", &flaws.join(",")])
    }
}

/// `httplab serve fixtures --port 0 --quiet ARGS`, the real binary.
pub fn httplab_with(args: &[&str]) -> Peer {
    let args = [&["--quiet"], args].concat();
    let serving = super::binary::spawn_serve(Path::new("fixtures"), &args, Stdio::null())
        .unwrap_or_else(|banner| panic!("no port in banner {banner:?}"));
    Peer {
        child: serving.child,
        port: serving.port,
        _dir: None,
    }
}

/// `python3 -m http.server` serving the fixtures.
#[allow(dead_code)]
pub fn python_http_server() -> Peer {
    let dir = super::fixtures_copy();
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is installed (just test installs it)");
    wait_for_port(port, "python3 -m http.server");
    Peer {
        child,
        port,
        _dir: Some(dir),
    }
}

/// One of the seed's servers (`tests/peers/*.py`) serving the fixtures. Readiness comes from
/// its "Ready to serve..." line: an empty probe connection would kill it.
#[allow(dead_code)]
pub fn seed_server(script: &str) -> Peer {
    let dir = super::fixtures_copy();
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let mut child = Command::new("python3")
        .arg("-u")
        .arg(&script)
        .arg(port.to_string())
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is installed");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "Ready to serve...", "{script:?} did not start");
    // Keep reading what it prints: a closed pipe would kill it at its next print().
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Peer {
        child,
        port,
        _dir: Some(dir),
    }
}

/// nginx (Debian's) serving the fixtures with a generated config: one worker, no daemon.
#[allow(dead_code)]
pub fn nginx() -> Peer {
    let dir = super::fixtures_copy();
    let state = dir.path().join(".nginx");
    std::fs::create_dir_all(&state).unwrap();
    let port = free_port();
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;\n"
    } else {
        ""
    };
    let state_dir = state.display();
    let config = format!(
        "{user}worker_processes 1;\ndaemon off;\nmaster_process off;\npid {state_dir}/nginx.pid;\n\
         error_log {state_dir}/error.log;\nevents {{ worker_connections 1024; }}\nhttp {{\n\
         include /etc/nginx/mime.types;\ndefault_type application/octet-stream;\naccess_log off;\n\
         client_body_temp_path {state_dir}/body;\nproxy_temp_path {state_dir}/proxy;\n\
         fastcgi_temp_path {state_dir}/fastcgi;\nuwsgi_temp_path {state_dir}/uwsgi;\nscgi_temp_path {state_dir}/scgi;\n\
         server {{ listen 127.0.0.1:{port}; root {}; autoindex on; }}\n}}\n",
        dir.path().display()
    );
    let config_path = state.join("nginx.conf");
    std::fs::write(&config_path, config).unwrap();
    let nginx = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|p| Command::new(p).arg("-v").output().is_ok());
    let nginx = nginx
        .expect("nginx is not installed: `just test` installs it (apt-get install nginx-light)");
    let child = Command::new(nginx)
        .arg("-c")
        .arg(&config_path)
        .arg("-p")
        .arg(&state)
        .arg("-e")
        .arg(state.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, "nginx");
    Peer {
        child,
        port,
        _dir: Some(dir),
    }
}
