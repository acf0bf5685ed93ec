//! Connection timeouts: slow clients are cut, idle keep-alive connections are kept
//! longer than the ALB's 60 s idle timeout would need.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connects")
}

/// Reads one response (headers and a body of `Content-Length` bytes) from the stream.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .expect("reads");
        assert!(read > 0, "closed before a whole response");
        buffer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&buffer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|value| value.parse().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// Whether the server closes the connection within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut byte = [0_u8; 1];
    matches!(
        tokio::time::timeout(limit, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn a_client_dribbling_its_headers_is_cut_at_the_header_timeout() {
    let app = spawn_app(&[("APP_HEADER_READ_TIMEOUT", "500ms")]).await;
    let mut stream = connect(&app.address).await;
    let started = Instant::now();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("writes");
    // Keep sending, slowly, never finishing the head.
    let mut cut = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
            cut = true;
            break;
        }
    }
    assert!(cut || closed_within(&mut stream, Duration::from_secs(1)).await);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_cut_at_the_header_timeout() {
    let app = spawn_app(&[("APP_HEADER_READ_TIMEOUT", "500ms")]).await;
    let mut stream = connect(&app.address).await;
    let started = Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_outlives_the_header_timeout() {
    let app = spawn_app(&[("APP_HEADER_READ_TIMEOUT", "300ms")]).await;
    let mut stream = connect(&app.address).await;
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request).await.expect("writes");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));

    // Idle for several header timeouts, as the ALB leaves a connection between requests.
    assert!(!closed_within(&mut stream, Duration::from_millis(1500)).await);
    stream.write_all(request).await.expect("writes");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn many_connections_come_and_go() {
    let app = spawn_app(&[]).await;
    for _ in 0..300 {
        let mut stream = connect(&app.address).await;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("writes");
        assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    }
    let metrics = app.admin_get("/metrics").await.text().await.expect("text");
    assert!(metrics.contains("http_server_requests_in_flight 0"));
}
