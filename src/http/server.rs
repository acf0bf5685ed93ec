//! Serving a listener: the accept loop, per-connection timeouts, and the drain.
//!
//! Two timeouts guard a connection, and hyper has only one knob for both: its header
//! read timeout also closes a keep-alive connection that has been idle that long. The
//! load balancer keeps idle connections for 60 s and must never reuse one the service
//! has just closed (the classic source of ALB 502s), while a client that starts a
//! request must send its headers within `APP_HEADER_READ_TIMEOUT` (10 s). So the
//! socket is wrapped in [`TimedIo`], which tells the two phases apart: a connection
//! may wait [`IDLE_TIMEOUT`] for the first byte of its next request, and then has the
//! header read timeout for the rest of the head.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

/// How long a keep-alive connection may sit idle between requests: longer than the
/// ALB's 60 s idle timeout, so the load balancer always closes first.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// Pause after an accept error such as too many open files, so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// How a listener serves its connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time for a request's head to arrive once it has started (and for the first
    /// request's head after the connection opens).
    pub header_read_timeout: Duration,
    /// Time a connection may wait between requests.
    pub idle_timeout: Duration,
    /// Time in-flight requests get to finish once the listener stops accepting.
    pub drain_timeout: Duration,
}

/// Serves `router` on `listener` until `stop_accepting` is cancelled, then lets
/// in-flight requests finish within the drain timeout and cuts the rest.
pub async fn serve(
    name: &'static str,
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop_accepting: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = http1::Builder::new();
    // `TimedIo` owns both timeouts; hyper's own would also cut idle connections.
    http.timer(TokioTimer::new()).header_read_timeout(None);

    loop {
        tokio::select! {
            () = stop_accepting.cancelled() => break,
            Some(_) = connections.join_next() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Responses are written whole; Nagle would only delay them.
                    let _ = stream.set_nodelay(true);
                    let io = TokioIo::new(TimedIo::new(stream, limits));
                    let service = TowerToHyperService::new(router.clone());
                    let connection = graceful.watch(http.serve_connection(io, service));
                    connections.spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%peer, %error, "connection closed with an error");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(listener = name, %error, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);

    let open = connections.len();
    tracing::info!(
        listener = name,
        open,
        "stopped accepting; draining connections"
    );
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            listener = name,
            cut = connections.len(),
            "drain timeout passed; cutting the connections still open"
        );
        // Each cut request logs its own access line (status 499) as it is dropped.
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
}

/// A socket that enforces the idle and header read timeouts (see the module docs).
///
/// It follows requests by watching bytes go by: the first bytes read after a response
/// was written start a request's head, and a blank line ends it. A client that sends
/// its next request before reading the last response (pipelining) has its head already
/// buffered, so nothing is lost by not timing it.
#[derive(Debug)]
pub struct TimedIo {
    stream: TcpStream,
    phase: Phase,
    /// When the current phase times out.
    deadline_at: Instant,
    deadline: Pin<Box<Sleep>>,
    limits: ConnectionLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first byte of a request.
    Idle,
    /// Reading a request head; the count is the line feeds just seen in a row
    /// (ignoring carriage returns), and two end the head.
    Head(u8),
    /// The head is in; the request is the service's until its response is written.
    Busy,
}

impl TimedIo {
    fn new(stream: TcpStream, limits: ConnectionLimits) -> Self {
        // A new connection gets only the header read timeout to start talking.
        let deadline_at = Instant::now() + limits.header_read_timeout;
        Self {
            stream,
            phase: Phase::Idle,
            deadline_at,
            deadline: Box::pin(tokio::time::sleep_until(deadline_at)),
            limits,
        }
    }

    fn saw_read(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Idle {
            self.phase = Phase::Head(0);
            self.reset_deadline(self.limits.header_read_timeout);
        }
        let Phase::Head(mut line_feeds) = self.phase else {
            return;
        };
        for &byte in bytes {
            match byte {
                b'\n' => line_feeds += 1,
                b'\r' => {}
                _ => line_feeds = 0,
            }
            if line_feeds == 2 {
                self.phase = Phase::Busy;
                return;
            }
        }
        self.phase = Phase::Head(line_feeds);
    }

    /// The server writes only once it has a request's head (a response, or a `100
    /// Continue` before the body, whose bytes then count as a head), so a write means
    /// the connection now waits for the client.
    fn saw_write(&mut self) {
        self.phase = Phase::Idle;
        self.reset_deadline(self.limits.idle_timeout);
    }

    /// Moves the deadline. The timer itself is moved only when a read has to wait, so a
    /// busy connection touches the timer wheel once per request, not once per write.
    fn reset_deadline(&mut self, after: Duration) {
        self.deadline_at = Instant::now() + after;
    }

    fn deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.deadline() != self.deadline_at {
            let at = self.deadline_at;
            self.deadline.as_mut().reset(at);
        }
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    self.saw_read(read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                if self.phase != Phase::Busy && self.deadline_passed(cx) {
                    let what = if self.phase == Phase::Idle {
                        "idle connection timed out"
                    } else {
                        "request headers took too long"
                    };
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.saw_write();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.saw_write();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
