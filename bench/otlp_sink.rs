//! A collector for the benchmarks: the tests' OTLP receiver (`tests/api/otlp.rs`), run
//! on its own. It counts the spans it receives and prints the total when stopped.
//!
//! ```sh
//! otlp_sink grpc 127.0.0.1:4317        # receives over gRPC
//! otlp_sink http 127.0.0.1:4318        # receives over HTTP (protobuf)
//! otlp_sink black-hole 127.0.0.1:4317  # accepts connections and never answers
//! ```

#![allow(dead_code, reason = "the tests' receiver has more than the sink uses")]
#![allow(clippy::print_stdout, reason = "the sink's report")]

#[path = "../tests/api/otlp.rs"]
mod otlp;

use std::time::Duration;

use otlp::{Protocol, Receiver};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mode, addr) = (
        args.next().unwrap_or_default(),
        args.next().unwrap_or_default(),
    );
    let listener = TcpListener::bind(&addr).await?;
    let mut stop = signal(SignalKind::terminate())?;
    let receiver = match mode.as_str() {
        "grpc" => Receiver::on(listener, Protocol::Grpc),
        "http" => Receiver::on(listener, Protocol::HttpProtobuf),
        "black-hole" => {
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => held.push(accepted?.0),
                    _ = stop.recv() => return Ok(()),
                }
            }
        }
        _ => panic!("usage: otlp_sink grpc|http|black-hole ADDR"),
    };
    let mut total = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => total += receiver.drain(),
            _ = stop.recv() => break,
        }
    }
    total += receiver.drain();
    println!("spans received: {total}");
    Ok(())
}
