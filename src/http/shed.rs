//! Load shedding: past `APP_MAX_CONCURRENCY` requests in flight, a new one is answered
//! 503 at once instead of queueing behind work the service cannot keep up with.
//!
//! One shared atomic counter, rather than tower's semaphore-based limit: the check is a
//! single `fetch_add`, and the layer stays `Sync`, which axum requires of route layers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::http::Request;
use futures_util::future::{Either, Ready, ready};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::http::error::ApiError;

/// Sheds requests past a limit shared by every route it wraps.
#[derive(Debug, Clone)]
pub struct ShedLayer {
    in_flight: Arc<AtomicUsize>,
    max: usize,
}

impl ShedLayer {
    /// Allows at most `max` requests in flight.
    pub fn new(max: usize) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }
}

impl<S> Layer<S> for ShedLayer {
    type Service = Shed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Shed {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`ShedLayer`].
#[derive(Debug, Clone)]
pub struct Shed<S> {
    inner: S,
    layer: ShedLayer,
}

/// Holds one place among the requests in flight until dropped.
#[derive(Debug)]
pub struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S, B> Service<Request<B>> for Shed<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, ShedFuture<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_flight = &self.layer.in_flight;
        if in_flight.fetch_add(1, Ordering::Relaxed) >= self.layer.max {
            in_flight.fetch_sub(1, Ordering::Relaxed);
            return Either::Left(ready(Ok(ApiError::Overloaded.into_response())));
        }
        Either::Right(ShedFuture {
            inner: self.inner.call(request),
            _place: Place(Arc::clone(in_flight)),
        })
    }
}

pin_project_lite::pin_project! {
    /// The inner future, holding its place among the requests in flight until it is
    /// done or dropped.
    #[derive(Debug)]
    pub struct ShedFuture<F> {
        #[pin]
        inner: F,
        _place: Place,
    }
}

impl<F: Future> Future for ShedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
